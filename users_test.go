package sesh_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

func TestUserSessions(t *testing.T) {
	e := newEnv(t, nil)
	h := routes(e.m)
	ctx := context.Background()
	loginAs := func(agent string) string {
		r := httptest.NewRequest("GET", "/login", nil)
		r.Header.Set("User-Agent", agent)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		e.clock.Advance(time.Minute)
		return cookieValue(t, w.Header(), cn)
	}
	laptop := loginAs("laptop")
	phone := loginAs("phone")
	tablet := loginAs("tablet")
	other := cookieValue(t, do(h, "GET", "/count").Header(), cn) // anonymous

	cur, err := e.m.Load(ctx, cn+"="+phone)
	must(t, err)
	list, err := e.m.UserSessions(ctx, "alice", cur)
	must(t, err)
	if len(list) != 3 {
		t.Fatalf("UserSessions = %d entries, want 3", len(list))
	}
	if list[0].UserAgent != "tablet" || list[2].UserAgent != "laptop" {
		t.Fatalf("order/agents: %+v", list)
	}
	for _, in := range list {
		if in.Current != (in.UserAgent == "phone") {
			t.Fatalf("Current flag wrong: %+v", in)
		}
		for _, id := range []string{laptop, phone, tablet} {
			if in.Handle == id || in.Handle == sesh.HashID(id) || len(in.Handle) > 32 {
				t.Fatalf("handle %q exposes an ID or key", in.Handle)
			}
		}
		if in.Created.IsZero() || in.Expires.IsZero() || in.LastSeen.Before(in.Created) {
			t.Fatalf("times: %+v", in)
		}
	}

	// End one by handle; a handle is not accepted for another user.
	tabletHandle := list[0].Handle
	if err := e.m.EndSession(ctx, "mallory", tabletHandle); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("EndSession for the wrong user: %v", err)
	}
	must(t, e.m.EndSession(ctx, "alice", tabletHandle))
	if got := do(h, "GET", "/me", cn+"="+tablet).Body.String(); got != "" {
		t.Fatalf("ended session still signed in as %q", got)
	}
	// End all but the current one.
	n, err := e.m.EndUserSessions(ctx, "alice", cur)
	must(t, err)
	if n != 1 {
		t.Fatalf("ended %d, want 1", n)
	}
	if do(h, "GET", "/me", cn+"="+laptop).Body.String() != "" {
		t.Fatal("laptop still signed in")
	}
	if do(h, "GET", "/me", cn+"="+phone).Body.String() != "alice" {
		t.Fatal("the current session was ended")
	}
	if do(h, "GET", "/count", cn+"="+other).Body.String() != "2" {
		t.Fatal("another user's session was touched")
	}
	n, err = e.m.EndUserSessions(ctx, "alice", nil)
	must(t, err)
	if n != 1 || do(h, "GET", "/me", cn+"="+phone).Body.String() != "" {
		t.Fatalf("end all: n=%d", n)
	}

	// A store without a user index says so.
	e2 := newEnv(t, func(c *sesh.Config) { c.Store = plainStore{c.Store} })
	if _, err := e2.m.UserSessions(ctx, "alice", nil); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("plain store: %v", err)
	}
}
