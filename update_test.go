package sesh_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// interleave loads the session twice (two requests in flight), lets the
// first change it and commit, then runs change on the second and commits
// it: the second commit loses its compare-and-set and replays.
func interleave(t *testing.T, e *env, id string, first, second func(s *sesh.Session)) {
	t.Helper()
	ctx := context.Background()
	a, err := e.m.Load(ctx, cn+"="+id)
	must(t, err)
	b, err := e.m.Load(ctx, cn+"="+id)
	must(t, err)
	first(a)
	if _, err := e.m.Commit(ctx, a); err != nil {
		t.Fatal(err)
	}
	second(b)
	if _, err := e.m.Commit(ctx, b); err != nil {
		t.Fatal(err)
	}
}

func inc(n int, _ bool) (int, error) { return n + 1, nil }

func newSessionWith(t testing.TB, e *env, vals map[string]any) string {
	t.Helper()
	s, err := e.m.Load(context.Background(), "")
	must(t, err)
	for k, v := range vals {
		must(t, s.Set(k, v))
	}
	c, err := e.m.Commit(context.Background(), s)
	must(t, err)
	r, err := http.ParseSetCookie(c)
	must(t, err)
	return r.Value
}

func read[T any](t *testing.T, e *env, id, key string) (T, bool) {
	t.Helper()
	s, err := e.m.Load(context.Background(), cn+"="+id)
	must(t, err)
	return sesh.Get[T](s, key)
}

func TestUpdateReplaysOnFreshValue(t *testing.T) {
	e := newEnv(t, nil)
	id := newSessionWith(t, e, map[string]any{"n": 10})
	var seen int
	interleave(t, e, id,
		func(s *sesh.Session) { sesh.Update(s, "n", inc) },
		func(s *sesh.Session) {
			v, err := sesh.Update(s, "n", inc)
			must(t, err)
			seen = v
		})
	if n, _ := read[int](t, e, id, "n"); n != 12 {
		t.Fatalf("n = %d after two racing Updates from 10, want 12", n)
	}
	if seen != 11 {
		t.Fatalf("Update returned %d, want 11 (this request's view)", seen)
	}
}

func TestSetDoesNotReplayAsUpdate(t *testing.T) {
	// The contrast that makes Update necessary: Set of a value computed
	// from Get is replayed as the value, and one increment is lost.
	e := newEnv(t, nil)
	id := newSessionWith(t, e, map[string]any{"n": 10})
	incBySet := func(s *sesh.Session) {
		n, _ := sesh.Get[int](s, "n")
		s.Set("n", n+1)
	}
	interleave(t, e, id, incBySet, incBySet)
	if n, _ := read[int](t, e, id, "n"); n != 11 {
		t.Fatalf("n = %d, want 11 (last writer wins for Set)", n)
	}
}

func TestUpdateTwiceInOneRequestChains(t *testing.T) {
	e := newEnv(t, nil)
	id := newSessionWith(t, e, map[string]any{"n": 1})
	interleave(t, e, id,
		func(s *sesh.Session) { sesh.Update(s, "n", func(n int, _ bool) (int, error) { return n * 10, nil }) },
		func(s *sesh.Session) {
			sesh.Update(s, "n", inc)
			sesh.Update(s, "n", inc)
		})
	if n, _ := read[int](t, e, id, "n"); n != 12 {
		t.Fatalf("n = %d, want 12 (1*10, then +1 +1 replayed)", n)
	}
}

func TestUpdateAfterSetIsASet(t *testing.T) {
	e := newEnv(t, nil)
	id := newSessionWith(t, e, map[string]any{"n": 1})
	interleave(t, e, id,
		func(s *sesh.Session) { s.Set("n", 100) },
		func(s *sesh.Session) {
			s.Set("n", 5)
			sesh.Update(s, "n", inc) // 6, whatever the store holds
		})
	if n, _ := read[int](t, e, id, "n"); n != 6 {
		t.Fatalf("n = %d, want 6", n)
	}
}

func TestUpdateComposesWithDeleteFlashAndTTL(t *testing.T) {
	e := newEnv(t, nil)
	id := newSessionWith(t, e, map[string]any{"n": 1, "gone": true})
	interleave(t, e, id,
		func(s *sesh.Session) { sesh.Update(s, "n", inc); s.Set("other", "x") },
		func(s *sesh.Session) {
			sesh.UpdateTTL(s, "attempts", time.Minute, inc)
			sesh.Update(s, "n", inc)
			s.Delete("gone")
			s.Flash("msg", "hi")
		})
	if n, _ := read[int](t, e, id, "n"); n != 3 {
		t.Fatalf("n = %d, want 3", n)
	}
	if v, ok := read[int](t, e, id, "attempts"); !ok || v != 1 {
		t.Fatalf("attempts = %d %v", v, ok)
	}
	if _, ok := read[bool](t, e, id, "gone"); ok {
		t.Fatal("Delete lost in the replay")
	}
	if v, _ := read[string](t, e, id, "other"); v != "x" {
		t.Fatal("the first request's Set was lost")
	}
	if v, _ := read[string](t, e, id, "msg"); v != "hi" {
		t.Fatal("Flash lost in the replay")
	}
	e.clock.Advance(time.Minute)
	if _, ok := read[int](t, e, id, "attempts"); ok {
		t.Fatal("UpdateTTL's lifetime not kept")
	}
}

func TestUpdateKeepsDeadline(t *testing.T) {
	e := newEnv(t, nil)
	s, _ := e.m.Load(context.Background(), "")
	must(t, s.SetTTL("n", 1, time.Minute))
	c, err := e.m.Commit(context.Background(), s)
	must(t, err)
	r, _ := http.ParseSetCookie(c)
	e.clock.Advance(30 * time.Second)
	s, _ = e.m.Load(context.Background(), cn+"="+r.Value)
	if v, err := sesh.Update(s, "n", inc); err != nil || v != 2 {
		t.Fatalf("Update = %d, %v", v, err)
	}
	_, err = e.m.Commit(context.Background(), s)
	must(t, err)
	e.clock.Advance(31 * time.Second)
	if _, ok := read[int](t, e, r.Value, "n"); ok {
		t.Fatal("Update dropped the value's own deadline")
	}
}

func TestUpdateErrors(t *testing.T) {
	e := newEnv(t, nil)
	id := newSessionWith(t, e, map[string]any{"n": "text"})
	s, _ := e.m.Load(context.Background(), cn+"="+id)
	_, err := sesh.Update(s, "n", inc)
	var te *sesh.ValueTypeError
	if !errors.As(err, &te) || !errors.Is(err, sesh.ErrWrongType) || te.Key != "n" || te.JSON != "string" {
		t.Fatalf("Update over a string as int = %v", err)
	}
	boom := errors.New("boom")
	if _, err := sesh.Update(s, "m", func(int, bool) (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("fn's error not returned: %v", err)
	}
	if s.Status() != sesh.StatusUnmodified {
		t.Fatal("a failed Update changed the session")
	}
	if _, err := sesh.Update[int](s, "k", nil); err == nil {
		t.Fatal("nil fn accepted")
	}
	if _, err := sesh.Update(s, "", inc); err == nil {
		t.Fatal("empty key accepted")
	}
	// An error from fn when it runs again at commit fails the commit, and
	// nothing is written.
	id2 := newSessionWith(t, e, map[string]any{"n": 1})
	a, _ := e.m.Load(context.Background(), cn+"="+id2)
	b, _ := e.m.Load(context.Background(), cn+"="+id2)
	a.Set("n", "not a number any more")
	_, err = e.m.Commit(context.Background(), a)
	must(t, err)
	sesh.Update(b, "n", inc)
	if _, err := e.m.Commit(context.Background(), b); !errors.Is(err, sesh.ErrWrongType) {
		t.Fatalf("commit whose replayed Update fails = %v, want ErrWrongType", err)
	}
	if v, _ := read[string](t, e, id2, "n"); v != "not a number any more" {
		t.Fatalf("the failed commit wrote %q", v)
	}
}

func TestUpdateOnStoreWithoutSwap(t *testing.T) {
	// Without compare-and-set there is no replay: documented as last
	// writer wins. Update still works within one request.
	e := newEnv(t, func(c *sesh.Config) { c.Store = plainStore{c.Store} })
	id := newSessionWith(t, e, map[string]any{"n": 1})
	interleave(t, e, id, func(s *sesh.Session) { sesh.Update(s, "n", inc) }, func(s *sesh.Session) { sesh.Update(s, "n", inc) })
	if n, _ := read[int](t, e, id, "n"); n != 2 {
		t.Fatalf("n = %d: on a plain store the second commit overwrites (want 2)", n)
	}
}

func TestConflictAfterReplayBudgetIs503(t *testing.T) {
	e := newEnv(t, nil)
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sesh.Update(sesh.From(r.Context()), "n", inc)
		io.WriteString(w, "ok")
	}))
	id := cookieValue(t, do(h, "GET", "/").Header(), cn)
	e.spy.conflictSwap.Store(true)
	w := do(h, "GET", "/", cn+"="+id)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("exhausted replays: %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if len(sessionCookies(w.Header(), cn)) != 0 {
		t.Fatal("a conflict touched the cookie")
	}
	if !containsLine(e.logs.String(), "level=WARN", "saving the session failed") {
		t.Fatalf("conflict not logged at Warn:\n%s", e.logs.String())
	}
	// The explicit API returns the typed error.
	s, _ := e.m.Load(context.Background(), cn+"="+id)
	sesh.Update(s, "n", inc)
	_, err := e.m.Commit(context.Background(), s)
	var ce *sesh.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, sesh.ErrConflict) {
		t.Fatalf("Commit after the replay budget = %v, want *ConflictError", err)
	}
}

func TestLostTouchIsNotAnError(t *testing.T) {
	e := newEnv(t, func(c *sesh.Config) { c.IdleTimeout = time.Hour; c.TouchInterval = time.Second })
	h := e.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := sesh.Get[int](sesh.From(r.Context()), "n")
		fmt.Fprint(w, v)
	}))
	id := newSessionWith(t, e, map[string]any{"n": 7})
	e.clock.Advance(time.Minute)
	e.spy.conflictTouch.Store(true)
	w := do(h, "GET", "/", cn+"="+id)
	if w.Code != http.StatusOK || w.Body.String() != "7" || e.spy.touches.Load() == 0 {
		t.Fatalf("read whose touch lost a race: %d %q (touches %d)", w.Code, w.Body.String(), e.spy.touches.Load())
	}
}
