package connectredis

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/astro"
	"github.com/sesh-go/sesh/internal/nodepeer"
	"github.com/sesh-go/sesh/storetest"
)

// TestAstroPeer shares sessions with Astro's session runtime as it talks
// to storage (unstorage's Redis driver, devalue with Astro's URL reducer;
// committed lockfile in testdata/astro), both ways, Astro's non-JSON
// values surviving a Go write.
func TestAstroPeer(t *testing.T) {
	c := client(t)
	base := strings.TrimSuffix(prefix(), ":")
	st, err := New(c, Options{Prefix: base + ":", NoTTL: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Clear(t.Context()) })
	dir := filepath.Join("testdata", "astro")
	node := func(args ...string) string {
		t.Helper()
		return nodepeer.RunEnv(t, dir, []string{"REDIS_URL=" + storetest.Service(t, "SESH_REDIS_URL"), "BASE=" + base}, append([]string{"peer.mjs"}, args...)...)
	}
	cfg := sesh.Config{Store: st}
	if err := astro.Configure(&cfg); err != nil {
		t.Fatal(err)
	}
	m, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(cookie string, fn func(s *sesh.Session)) string {
		t.Helper()
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fn(sesh.From(r.Context())) }))
		r := httptest.NewRequest("GET", "/", nil)
		if cookie != "" {
			r.Header.Set("Cookie", "astro-session="+cookie)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		for _, l := range w.Header().Values("Set-Cookie") {
			if v, ok := strings.CutPrefix(l, "astro-session="); ok {
				return v[:strings.IndexByte(v, ';')]
			}
		}
		return cookie
	}

	t.Run("AstroWritesGoContinues", func(t *testing.T) {
		id := astro.NewID()
		node("write", id)
		var user string
		var visit json.RawMessage
		got := serve(id, func(s *sesh.Session) {
			user, _ = sesh.Get[string](s, "user")
			visit, _ = s.Raw("lastVisit")
			s.Set("views", 1)
		})
		if got != id {
			t.Fatalf("Go did not keep Astro's session ID: %q", got)
		}
		var marker map[string]string
		json.Unmarshal(visit, &marker)
		if user != "bob" || marker["__devalue"] != `[["Date","2024-02-29T12:00:00.000Z"]]` {
			t.Fatalf("Go read user %q, lastVisit %s", user, visit)
		}
		back := node("read", id)
		for _, want := range []string{`"user"`, `"bob"`, `["Date","2024-02-29T12:00:00.000Z"]`, `["URL",`, `"https://example.com/a?b=1"`,
			`["Set",`, `["BigInt","123"]`, `4102444800000`, `"views"`} {
			if !strings.Contains(back, want) {
				t.Fatalf("Astro's view after Go's write lacks %s:\n%s", want, back)
			}
		}
	})

	t.Run("GoWritesAstroContinues", func(t *testing.T) {
		id := serve("", func(s *sesh.Session) {
			s.Set("user", "alice")
			s.SetTTL("otp", "123456", time.Hour)
		})
		if !astro.ValidID(id) {
			t.Fatalf("Go's session ID %q is not a v4 UUID", id)
		}
		back := node("read", id)
		if !strings.Contains(back, `"alice"`) || !strings.Contains(back, `"123456"`) {
			t.Fatalf("Astro read Go's session as %s", back)
		}
		node("set", id, "fromNode", `{"x":[1,2]}`)
		var from map[string][]int
		serve(id, func(s *sesh.Session) { from, _ = sesh.Get[map[string][]int](s, "fromNode") })
		if fmt.Sprint(from) != "map[x:[1 2]]" {
			t.Fatalf("a value Astro set reads %v in Go", from)
		}
	})

	t.Run("UnknownIDNotAdopted", func(t *testing.T) {
		planted := astro.NewID()
		got := serve(planted, func(s *sesh.Session) { s.Set("x", 1) })
		if got == planted || !astro.ValidID(got) {
			t.Fatalf("a planted ID was adopted: %q", got)
		}
	})
}
