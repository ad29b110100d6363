package sqlstore

import "testing"

func TestBind(t *testing.T) {
	q := "SELECT a FROM t WHERE id = ? AND expires > ? LIMIT ?"
	if got := Postgres.bind(q); got != "SELECT a FROM t WHERE id = $1 AND expires > $2 LIMIT $3" {
		t.Fatalf("Postgres.bind = %q", got)
	}
	if got := MySQL.bind(q); got != q {
		t.Fatalf("MySQL.bind = %q", got)
	}
}

func TestQualified(t *testing.T) {
	for name, want := range map[string]string{
		"sessions":     `"sessions"`,
		"app.sessions": `"app"."sessions"`,
		"_S1":          `"_S1"`,
	} {
		got, _, err := Postgres.qualified(name)
		if err != nil || got != want {
			t.Errorf("qualified(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if got, bare, _ := MySQL.qualified("app.s"); got != "`app`.`s`" || bare != "s" {
		t.Errorf("MySQL.qualified = %q %q", got, bare)
	}
	for _, bad := range []string{"", "a.", ".a", "a.b.c", "a b", "a;b", `a"b`, "9a", "é"} {
		if _, _, err := Postgres.qualified(bad); err == nil {
			t.Errorf("qualified(%q) accepted", bad)
		}
	}
}

func TestOptionsFromQuery(t *testing.T) {
	o, err := OptionsFromQuery("table=app.s&cleanup=90s&sslmode=disable&pool_max_conns=4")
	if err != nil || o.Table != "app.s" || o.CleanupInterval.Seconds() != 90 {
		t.Fatalf("%+v, %v", o, err)
	}
	if len(o.Rest) != 2 || o.Rest[0] != "pool_max_conns" || o.Query.Get("sslmode") != "disable" || o.Query.Has("table") {
		t.Fatalf("rest %v query %v", o.Rest, o.Query)
	}
	if o, err := OptionsFromQuery("cleanup=off"); err != nil || o.CleanupInterval >= 0 {
		t.Fatalf("cleanup=off: %+v, %v", o, err)
	}
	for _, bad := range []string{"table=a;b", "table=%zz", "cleanup=-1s", "cleanup=soon", "table=", "table=a&table=b"} {
		if _, err := OptionsFromQuery(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
