package sesh_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
)

func TestChangesAfterResponseStartedReportIt(t *testing.T) {
	e := newEnv(t, nil)
	var regenErr, destroyErr, setErr, userErr error
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		switch r.URL.Path {
		case "/regen":
			io.WriteString(w, "sent")
			regenErr = s.Regenerate()
			userErr = s.SetUserID("bob")
		case "/destroy":
			io.WriteString(w, "sent")
			destroyErr = s.Destroy()
			setErr = s.Set("again", 1) // would start a new session
		default:
			s.Set("n", 1)
		}
	}))
	id := cookieValue(t, do(h, "GET", "/").Header(), cn)
	do(h, "GET", "/regen", cn+"="+id)
	if !errors.Is(regenErr, sesh.ErrResponseStarted) || !errors.Is(userErr, sesh.ErrResponseStarted) {
		t.Fatalf("Regenerate / SetUserID after the body = %v / %v, want ErrResponseStarted", regenErr, userErr)
	}
	if v, ok := read[int](t, e, id, "n"); !ok || v != 1 {
		t.Fatal("the refused Regenerate changed the session")
	}
	do(h, "GET", "/destroy", cn+"="+id)
	if !errors.Is(destroyErr, sesh.ErrResponseStarted) || !errors.Is(setErr, sesh.ErrResponseStarted) {
		t.Fatalf("Destroy / Set after the body = %v / %v, want ErrResponseStarted", destroyErr, setErr)
	}
	if _, ok := read[int](t, e, id, "n"); ok {
		t.Fatal("a late Destroy must still delete the record")
	}
}

func TestLookupTellsAbsentFromWrongType(t *testing.T) {
	e := newEnv(t, nil)
	id := newSessionWith(t, e, map[string]any{"views": 3})
	s, _ := e.m.Load(context.Background(), cn+"="+id)
	_, err := sesh.Lookup[string](s, "views")
	var te *sesh.ValueTypeError
	if !errors.As(err, &te) || !errors.Is(err, sesh.ErrWrongType) || errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Lookup[string] of a number = %v, want a ValueTypeError", err)
	}
	if !strings.Contains(err.Error(), `"views" is a JSON number`) || !strings.Contains(err.Error(), "string") {
		t.Fatalf("message does not say what is stored and what was asked: %v", err)
	}
	_, err = sesh.Lookup[string](s, "missing")
	if !errors.Is(err, sesh.ErrNotFound) || errors.Is(err, sesh.ErrWrongType) || !strings.Contains(err.Error(), `no value under "missing"`) {
		t.Fatalf("Lookup of a missing key = %v", err)
	}
	// Get cannot return the error: it logs the mistake instead.
	if v, ok := sesh.Get[string](s, "views"); ok || v != "" {
		t.Fatal("Get of a mismatched type succeeded")
	}
	if !containsLine(e.logs.String(), "level=WARN", "another type", "key=views", "stored=number", "want=string") {
		t.Fatalf("mismatch not logged:\n%s", e.logs.String())
	}
	if strings.Contains(e.logs.String(), "3") && strings.Contains(e.logs.String(), "value=") {
		t.Fatal("the value itself was logged")
	}
}

func TestCommitFailureLoggedOnceAndReachesErrorHandler(t *testing.T) {
	var got error
	e := newSealed(t, []cookie.Key{key1}, func(c *sesh.Config) {
		c.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			http.Error(w, "too big", http.StatusInternalServerError)
		}
	})
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := sesh.From(r.Context()).Set("blob", strings.Repeat("x", 5000)); err != nil {
			t.Errorf("Set: %v", err)
		}
		io.WriteString(w, "ok")
	}))
	w := do(h, "GET", "/")
	var tooLarge *sesh.CookieTooLargeError
	if !errors.As(got, &tooLarge) || w.Code != http.StatusInternalServerError {
		t.Fatalf("ErrorHandler got %v (status %d), want a *CookieTooLargeError", got, w.Code)
	}
	logs := e.logs.String()
	if n := strings.Count(logs, "cookie too large"); n != 1 || !containsLine(logs, "level=ERROR", "saving the session failed", "MaxChunks") {
		t.Fatalf("want the failure logged once at Error with the fix, got %d lines:\n%s", n, logs)
	}
}

// sealCounter counts Seal calls of the sealer it wraps.
type sealCounter struct {
	sesh.CookieSealer
	seals atomic.Int64
}

func (s *sealCounter) Seal(dst []byte, name string, exp time.Time, p []byte) []byte {
	s.seals.Add(1)
	return s.CookieSealer.Seal(dst, name, exp, p)
}

func TestSealedSizeCheckedBeforeSealing(t *testing.T) {
	sealer, err := cookie.NewSealer(key1)
	must(t, err)
	sc := &sealCounter{CookieSealer: sealer}
	m, err := sesh.New(sesh.Config{Sealer: sc})
	must(t, err)
	s, _ := m.Load(context.Background(), "")
	must(t, s.Set("blob", strings.Repeat("x", 1<<20)))
	_, err = m.Commit(context.Background(), s)
	if !errors.Is(err, sesh.ErrCookieTooLarge) {
		t.Fatalf("1 MB cookie-only session: %v", err)
	}
	if sc.seals.Load() != 0 {
		t.Fatal("the oversize session was sealed before the size check")
	}
}

func TestServerSideSizeBound(t *testing.T) {
	e := newEnv(t, nil)
	s, _ := e.m.Load(context.Background(), "")
	err := s.Set("big", strings.Repeat("x", sesh.DefaultMaxSize))
	var se *sesh.SizeError
	if !errors.As(err, &se) || !errors.Is(err, sesh.ErrTooLarge) || se.Limit != sesh.DefaultMaxSize {
		t.Fatalf("Set over the default bound = %v", err)
	}
	// Several values, each under the bound, over it together: the commit
	// fails with 413 and nothing is stored.
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		for i := range 3 {
			must(t, s.Set(string(rune('a'+i)), strings.Repeat("x", sesh.DefaultMaxSize/2)))
		}
	}))
	w := do(h, "GET", "/")
	if w.Code != http.StatusRequestEntityTooLarge || len(sessionCookies(w.Header(), cn)) != 0 {
		t.Fatalf("oversize session: %d %v", w.Code, w.Header())
	}
	if n, _ := e.mem.Len(context.Background()); n != 0 {
		t.Fatalf("%d records stored", n)
	}
	// The bound is configurable, and can be turned off.
	e2 := newEnv(t, func(c *sesh.Config) { c.MaxSize = sesh.NoLimit })
	s, _ = e2.m.Load(context.Background(), "")
	must(t, s.Set("big", strings.Repeat("x", 2*sesh.DefaultMaxSize)))
	_, err = e2.m.Commit(context.Background(), s)
	must(t, err)
}

func TestSetUserIDRegenerates(t *testing.T) {
	e := newEnv(t, nil)
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		switch r.URL.Path {
		case "/login":
			must(t, s.SetUserID("alice")) // no Regenerate: the app forgot
		case "/keep":
			must(t, s.SetUserID("carol", sesh.KeepID()))
		case "/same":
			must(t, s.SetUserID(s.Meta().UserID))
		default:
			s.Set("cart", 1)
		}
	}))
	anon := cookieValue(t, do(h, "GET", "/").Header(), cn)
	signed := cookieValue(t, do(h, "GET", "/login", cn+"="+anon).Header(), cn)
	if signed == anon {
		t.Fatal("SetUserID kept the pre-sign-in ID")
	}
	if _, ok := read[int](t, e, anon, "cart"); ok {
		t.Fatal("the pre-sign-in ID still loads the session")
	}
	if v, ok := read[int](t, e, signed, "cart"); !ok || v != 1 {
		t.Fatal("data lost at sign-in")
	}
	w := do(h, "GET", "/same", cn+"="+signed)
	if len(sessionCookies(w.Header(), cn)) != 0 {
		t.Fatal("SetUserID with the same user regenerated")
	}
	w = do(h, "GET", "/keep", cn+"="+signed)
	if len(sessionCookies(w.Header(), cn)) != 0 {
		t.Fatal("KeepID regenerated")
	}
}

func TestConfigRefusesTraps(t *testing.T) {
	mem := newEnv(t, nil).mem
	for _, tc := range []struct {
		name string
		cfg  sesh.Config
		want string
	}{
		{"idle beyond absolute", sesh.Config{Store: mem, IdleTimeout: 24 * time.Hour, AbsoluteTimeout: time.Hour}, "longer than AbsoluteTimeout"},
		{"serialize without swap", sesh.Config{Store: plainStore{mem}, Serialize: true}, "compare-and-set"},
		{"lock options without serialize", sesh.Config{Store: mem, LockTTL: time.Second}, "only with Serialize"},
		{"negative max size", sesh.Config{Store: mem, MaxSize: -2}, "MaxSize"},
		{"no store", sesh.Config{}, "memstore.New(memstore.Options{})"},
	} {
		_, err := sesh.New(tc.cfg)
		if !errors.Is(err, sesh.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrConfig saying %q", tc.name, err, tc.want)
		}
	}
}

func TestPeerCreatedSessionTouchKeepsIt(t *testing.T) {
	// A record a peer wrote carries no sesh creation time. Touch (and
	// CommitWith) must push it forward from now, record the first-seen
	// time, and never compute a deadline from the zero time.
	e := newEnv(t, nil)
	ctx := context.Background()
	id := sesh.NewID()
	must(t, e.mem.Set(ctx, sesh.HashID(id), sesh.Record{Data: []byte(`{"v":{"user":"alice"}}`), Expires: e.clock.Now().Add(time.Hour)}))
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		s.Touch()
		u, _ := sesh.Get[string](s, "user")
		io.WriteString(w, u)
	}))
	if got := do(h, "GET", "/", cn+"="+id).Body.String(); got != "alice" {
		t.Fatalf("peer session read %q", got)
	}
	rec, err := e.mem.Get(ctx, sesh.HashID(id))
	if err != nil {
		t.Fatalf("Touch deleted the peer's session: %v", err)
	}
	if want := e.clock.Now().Add(sesh.DefaultIdleTimeout); !rec.Expires.Equal(want) {
		t.Fatalf("expires %v, want %v", rec.Expires, want)
	}
	s, _ := e.m.Load(ctx, cn+"="+id)
	if created := s.Meta().Created; !created.Equal(e.clock.Now()) {
		t.Fatalf("first-seen time not recorded: %v", created)
	}
	// From then on the absolute timeout applies.
	for range 25 {
		e.clock.Advance(29 * time.Minute)
		do(h, "GET", "/", cn+"="+id)
	}
	if got := do(h, "GET", "/", cn+"="+id).Body.String(); got != "" {
		t.Fatalf("a peer session kept alive by Go outlived the absolute timeout: %q", got)
	}
	// CommitWith on a fresh peer record.
	id2 := sesh.NewID()
	must(t, e.mem.Set(ctx, sesh.HashID(id2), sesh.Record{Data: []byte(`{"v":{"user":"bob"}}`), Expires: e.clock.Now().Add(time.Hour)}))
	s, _ = e.m.Load(ctx, cn+"="+id2)
	if _, err := e.m.CommitWith(ctx, s, sesh.CommitOptions{MaxAge: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if v, ok := read[string](t, e, id2, "user"); !ok || v != "bob" {
		t.Fatal("CommitWith deleted the peer's session")
	}
}
