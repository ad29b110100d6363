package leaktest

import (
	"errors"
	"net/url"
	"testing"
)

func TestReplacement(t *testing.T) {
	for _, p := range []string{"a ", "secret", "Pa55-w0rd!", "\x00\xff", "abcdefghijklmnopqrstuvwxy"} {
		r, ok := Replacement(p)
		if !ok || len(r) != len(p) {
			t.Fatalf("Replacement(%q) = %q, %v", p, r, ok)
		}
		for i := range len(p) {
			if r[i] == p[i] || (p[i] <= ' ') != (r[i] <= ' ') || (p[i] >= 0x80) != (r[i] >= 0x80) {
				t.Fatalf("Replacement(%q) = %q: byte %d", p, r, i)
			}
		}
	}
	if _, ok := Replacement("abcdefghijklmnopqrstuvwxyz"); ok {
		t.Fatal("replaced a letter while p holds every letter")
	}
}

func TestShows(t *testing.T) {
	if !Shows("bad password hunter2", "hunter2", "bad password abcdef1") {
		t.Fatal("missed a password in the error")
	}
	if Shows("the token contains a space", "a ", "the token contains a space") {
		t.Fatal("fixed text read as a leak")
	}
	if Shows("anything", "", "") {
		t.Fatal("an empty password shows")
	}
}

func TestShowsPassword(t *testing.T) {
	u, _ := url.Parse("redis://user:s3cret@host/0")
	echo := func(v *url.URL) error { return errors.New("bad URL " + v.String()) }
	constant := func(*url.URL) error { return errors.New("bad URL") }
	for _, c := range []struct {
		name  string
		u     *url.URL
		err   error
		retry func(*url.URL) error
		want  bool
	}{
		{"the error echoes the password", u, echo(u), echo, true},
		{"the password is also in the error of another password", u, errors.New("s3cret"), func(*url.URL) error { return errors.New("s3cret") }, false},
		{"the retry does not fail", u, echo(u), func(*url.URL) error { return nil }, true},
		{"the error does not contain it", u, constant(u), echo, false},
		{"no user", &url.URL{Scheme: "redis", Host: "h"}, errors.New("x"), echo, false},
		{"no password", &url.URL{Scheme: "redis", Host: "h", User: url.User("s3cret")}, errors.New("s3cret"), echo, false},
	} {
		if got := ShowsPassword(c.u, c.err, c.retry); got != c.want {
			t.Errorf("%s: ShowsPassword = %v, want %v", c.name, got, c.want)
		}
	}
}
