package connectredis

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/express"
)

// nodeRecord is express-session's JSON with cookie.expires set to expires
// (null when zero).
func nodeRecord(expires time.Time, rest string) string {
	exp, age := "null", "null"
	if !expires.IsZero() {
		exp = `"` + expires.UTC().Format("2006-01-02T15:04:05.000Z") + `"`
		age = "60000"
	}
	return `{"cookie":{"originalMaxAge":` + age + `,"expires":` + exp + `,"httpOnly":true,"path":"/"}` + rest + `}`
}

// TestDisableTTLRecords: connect-redis with disableTTL: true writes its
// records without a TTL. The store reads them, with the expiry their
// cookie.expires records, or none.
func TestDisableTTLRecords(t *testing.T) {
	c := client(t)
	p := prefix()
	st := newStore(t, c, p)
	ctx := t.Context()
	now := time.Now()
	plant := func(key, v string) {
		t.Helper()
		if err := c.Set(ctx, p+key, v, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	future := now.Add(time.Hour).Truncate(time.Millisecond)
	plant("future", nodeRecord(future, `,"n":1`))
	plant("past", nodeRecord(now.Add(-time.Second), `,"n":2`))
	plant("browser", nodeRecord(time.Time{}, `,"n":3`))
	plant("falsy", `{"cookie":{"originalMaxAge":false,"expires":false},"n":4}`)
	plant("opaque", "not json at all")
	if err := st.Set(ctx, "withttl", sesh.Record{Data: []byte(nodeRecord(future, "")), Expires: future}); err != nil {
		t.Fatal(err)
	}

	rec, err := st.Get(ctx, "future")
	if err != nil || !rec.Expires.Equal(future) || !strings.Contains(string(rec.Data), `"n":1`) {
		t.Fatalf("future: %v %v %s", rec.Expires, err, rec.Data)
	}
	if _, err := st.Get(ctx, "past"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("a record whose cookie has expired: %v", err)
	}
	for _, k := range []string{"browser", "falsy", "opaque"} {
		rec, err := st.Get(ctx, k)
		if err != nil || !rec.Expires.IsZero() {
			t.Fatalf("%s: expiry %v, %v; want none", k, rec.Expires, err)
		}
	}
	if n, err := st.Len(ctx); err != nil || n != 5 {
		t.Fatalf("Len = %d, %v; want 5 (all but the expired one)", n, err)
	}
	seen := map[string]bool{}
	if err := st.Range(ctx, func(k string, _ sesh.Record) bool { seen[k] = true; return true }); err != nil || len(seen) != 5 || seen["past"] {
		t.Fatalf("Range saw %v, %v", seen, err)
	}
	// Touch gives such a record a TTL, without rewriting it.
	if err := st.Touch(ctx, "browser", now.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if ttl, _ := c.TTL(ctx, p+"browser").Result(); ttl <= 29*time.Minute || ttl > 30*time.Minute {
		t.Fatalf("TTL after Touch: %v", ttl)
	}
	if v, _ := c.Get(ctx, p+"browser").Result(); v != nodeRecord(time.Time{}, `,"n":3`) {
		t.Fatalf("Touch rewrote the record: %s", v)
	}
}

// A session Node wrote under disableTTL, a browser-session one, is served
// by a sesh Manager, which puts its own idle deadline on it (a TTL) and
// records when it first saw it (the absolute timeout's start) at the first
// request, the record's data left as Node wrote it.
func TestDisableTTLSessionGetsDeadline(t *testing.T) {
	c := client(t)
	p := prefix()
	st := newStore(t, c, p)
	ctx := t.Context()
	const id = "disabledTTLsession0123456789abcd"
	if err := c.Set(ctx, p+id, nodeRecord(time.Time{}, `,"views":3`), 0).Err(); err != nil {
		t.Fatal(err)
	}
	cfg := sesh.Config{Store: st, IdleTimeout: 20 * time.Minute, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := express.ConfigureWith(&cfg, express.SecretOptions{AllowShortSecrets: true}, []byte("keyboard cat")); err != nil {
		t.Fatal(err)
	}
	m, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var views int
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		views, _ = sesh.Get[int](sesh.From(r.Context()), "views")
	}))
	cv, _ := express.NewCookieValueWith(express.SecretOptions{AllowShortSecrets: true}, []byte("keyboard cat"))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", express.DefaultCookieName+"="+cv.EncodeID(id))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || views != 3 {
		t.Fatalf("Node's disableTTL session: %d, views %d", w.Code, views)
	}
	if ttl, _ := c.TTL(ctx, p+id).Result(); ttl <= 19*time.Minute || ttl > 20*time.Minute {
		t.Fatalf("TTL after the first Go request: %v, want the idle timeout", ttl)
	}
	v, _ := c.Get(ctx, p+id).Result()
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &top); err != nil || string(top["views"]) != "3" || !strings.Contains(string(top["__sesh"]), `"c":`) {
		t.Fatalf("record after the first Go request: %s", v)
	}
	if !strings.Contains(string(top["cookie"]), `"originalMaxAge":null`) {
		t.Fatalf("the browser-session cookie became persistent: %s", top["cookie"])
	}
}
