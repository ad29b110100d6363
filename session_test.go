package sesh_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

func newSession(t *testing.T) (*env, *sesh.Session) {
	t.Helper()
	e := newEnv(t, nil)
	s, err := e.m.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return e, s
}

func TestSetSnapshotsValue(t *testing.T) {
	_, s := newSession(t)
	type cart struct{ Items []string }
	c := cart{Items: []string{"apple"}}
	if err := s.Set("cart", c); err != nil {
		t.Fatal(err)
	}
	m := map[string]int{"a": 1}
	if err := s.Set("m", m); err != nil {
		t.Fatal(err)
	}
	c.Items[0] = "pear"
	c.Items = append(c.Items, "plum")
	m["a"] = 2
	got, ok := sesh.Get[cart](s, "cart")
	if !ok || !slices.Equal(got.Items, []string{"apple"}) {
		t.Fatalf("cart = %+v, %v; want the snapshot [apple]", got, ok)
	}
	gm, _ := sesh.Get[map[string]int](s, "m")
	if gm["a"] != 1 {
		t.Fatalf("map = %v, want the snapshot a=1", gm)
	}
}

func TestSetRejectsUnencodable(t *testing.T) {
	_, s := newSession(t)
	if err := s.Set("ch", make(chan int)); err == nil {
		t.Fatal("Set(chan) succeeded, want error")
	}
	if err := s.Set("f", func() {}); err == nil {
		t.Fatal("Set(func) succeeded, want error")
	}
	if s.Has("ch") || s.Status() != sesh.StatusNew || len(s.Changed()) != 0 {
		t.Fatal("failed Set changed the session")
	}
	if err := s.Set("", 1); err == nil {
		t.Fatal("Set with empty key succeeded")
	}
	if err := s.Set("__flash_x__", 1); err == nil {
		t.Fatal("Set with a flash-form key succeeded")
	}
}

func TestTypedGet(t *testing.T) {
	_, s := newSession(t)
	type user struct {
		Name  string
		Roles []string
		Since time.Time
	}
	since := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	must(t, s.Set("user", user{"alice", []string{"admin"}, since}))
	must(t, s.Set("n", 42))
	must(t, s.Set("b", []byte{0, 1, 2, 255}))

	u, ok := sesh.Get[user](s, "user")
	if !ok || u.Name != "alice" || !u.Since.Equal(since) || u.Roles[0] != "admin" {
		t.Fatalf("Get[user] = %+v, %v", u, ok)
	}
	if n, ok := sesh.Get[int](s, "n"); !ok || n != 42 {
		t.Fatalf("Get[int] = %v, %v", n, ok)
	}
	if b, ok := sesh.Get[[]byte](s, "b"); !ok || !slices.Equal(b, []byte{0, 1, 2, 255}) {
		t.Fatalf("Get[[]byte] = %v, %v", b, ok)
	}
	if _, ok := sesh.Get[int](s, "user"); ok {
		t.Fatal("Get[int] of a struct value reported ok")
	}
	if _, err := sesh.Lookup[int](s, "user"); err == nil || errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Lookup[int] of a struct: err = %v, want a decode error", err)
	}
	if _, err := sesh.Lookup[int](s, "missing"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Lookup of a missing key: err = %v, want ErrNotFound", err)
	}
	v, ok := s.Get("n")
	if !ok || v != float64(42) {
		t.Fatalf("untyped Get = %#v, %v", v, ok)
	}
}

func TestFlashSemantics(t *testing.T) {
	_, s := newSession(t)
	must(t, s.Flash("error", "bad password"))
	if !s.Has("error") {
		t.Fatal("Has(flash) = false")
	}
	if !s.Has("error") {
		t.Fatal("Has consumed the flash value")
	}
	if got, ok := sesh.Get[string](s, "error"); !ok || got != "bad password" {
		t.Fatalf("first read = %q, %v", got, ok)
	}
	if s.Has("error") {
		t.Fatal("flash value still present after a read")
	}
	if _, ok := sesh.Get[string](s, "error"); ok {
		t.Fatal("second read returned the flash value")
	}

	// A plain key shadows a flash key; deleting the plain key leaves the flash.
	must(t, s.Flash("msg", "flash"))
	must(t, s.Set("msg", "plain"))
	if got, _ := sesh.Get[string](s, "msg"); got != "plain" {
		t.Fatalf("read = %q, want the plain value", got)
	}
	s.Delete("msg")
	if got, ok := sesh.Get[string](s, "msg"); !ok || got != "flash" {
		t.Fatalf("after Delete: %q, %v; want the flash value", got, ok)
	}
	if slices.Contains(s.Keys(), "msg") {
		t.Fatal("Keys lists a consumed key")
	}
}

func TestPerValueTTL(t *testing.T) {
	e, s := newSession(t)
	must(t, s.SetTTL("otp", "123456", time.Minute))
	must(t, s.Set("keep", true))
	if !s.Has("otp") {
		t.Fatal("value absent before its TTL")
	}
	e.clock.Advance(61 * time.Second)
	if s.Has("otp") {
		t.Fatal("value present after its TTL")
	}
	if _, ok := sesh.Get[string](s, "otp"); ok {
		t.Fatal("Get returned an expired value")
	}
	if got := s.Keys(); !slices.Equal(got, []string{"keep"}) {
		t.Fatalf("Keys = %v", got)
	}
	// Dropped at the next save: the stored record no longer has it.
	sc, err := e.m.Commit(context.Background(), s)
	if err != nil || sc == "" {
		t.Fatalf("Commit: %q, %v", sc, err)
	}
	rec, err := e.mem.Get(context.Background(), sesh.HashID(s.ID()))
	if err != nil {
		t.Fatal(err)
	}
	if data := string(rec.Data); strings.Contains(data, "otp") || !strings.Contains(data, "keep") {
		t.Fatalf("stored data %s: want keep and no otp", rec.Data)
	}
}

func TestStatusAndChanged(t *testing.T) {
	e, s := newSession(t)
	ctx := context.Background()
	if s.Status() != sesh.StatusNew {
		t.Fatalf("status = %v", s.Status())
	}
	must(t, s.Set("a", 1))
	must(t, s.Set("b", 2))
	if got := s.Changed(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("Changed = %v", got)
	}
	sc, err := e.m.Commit(ctx, s)
	must(t, err)
	s2, err := e.m.Load(ctx, sc[:strings.IndexByte(sc, ';')])
	must(t, err)
	if s2.Status() != sesh.StatusUnmodified || len(s2.Changed()) != 0 {
		t.Fatalf("loaded: status %v changed %v", s2.Status(), s2.Changed())
	}
	s2.Delete("a")
	s2.Delete("nope")
	if s2.Status() != sesh.StatusModified || !slices.Equal(s2.Changed(), []string{"a"}) {
		t.Fatalf("after Delete: status %v changed %v", s2.Status(), s2.Changed())
	}
	s2.Destroy()
	if s2.Status() != sesh.StatusDestroyed {
		t.Fatalf("after Destroy: %v", s2.Status())
	}
	if sesh.StatusModified.String() != "modified" {
		t.Fatal("Status.String")
	}
}

func TestClearAndLen(t *testing.T) {
	_, s := newSession(t)
	must(t, s.Set("a", 1))
	must(t, s.Flash("f", 2))
	if s.Len() != 2 {
		t.Fatalf("Len = %d", s.Len())
	}
	s.Clear()
	if s.Len() != 0 || s.Has("a") || s.Has("f") {
		t.Fatal("Clear left values")
	}
}

func TestMetadata(t *testing.T) {
	e, s := newSession(t)
	ctx := context.Background()
	must(t, s.Set("x", 1))
	s.SetUserID("u-42")
	created := e.clock.Now()
	sc, err := e.m.Commit(ctx, s)
	must(t, err)
	e.clock.Advance(time.Minute)
	s2, err := e.m.Load(ctx, sc[:strings.IndexByte(sc, ';')])
	must(t, err)
	md := s2.Meta()
	if !md.Created.Equal(created.Truncate(time.Millisecond)) || md.UserID != "u-42" {
		t.Fatalf("meta = %+v", md)
	}
	if want := created.Add(sesh.DefaultAbsoluteTimeout); !md.Absolute.Equal(want) {
		t.Fatalf("absolute = %v, want %v", md.Absolute, want)
	}
	if want := created.Add(sesh.DefaultIdleTimeout); !md.Expires.Equal(want) {
		t.Fatalf("expires = %v, want %v", md.Expires, want)
	}
	if s2.Has("__flash_x__") || slices.Contains(s2.Keys(), "u-42") {
		t.Fatal("metadata leaked among the values")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestFlashKeys(t *testing.T) {
	e := newEnv(t, nil)
	s, err := e.m.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	s.Set("plain", 1)
	s.Flash("b", "x")
	s.Flash("a", "y")
	if got := s.FlashKeys(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("FlashKeys = %q", got)
	}
	if !s.Has("a") {
		t.Fatal("listing consumed a flash value")
	}
	sesh.Get[string](s, "a")
	if got := s.FlashKeys(); len(got) != 1 || got[0] != "b" {
		t.Fatalf("after reading a: %q", got)
	}
}
