package leaktest

import "testing"

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
