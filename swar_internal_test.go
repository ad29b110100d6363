package sesh

import "testing"

// Every byte value, at every position of strings of several lengths: the
// word-at-a-time scans agree with the byte-at-a-time rule.
func TestSWARScans(t *testing.T) {
	for n := 1; n <= 24; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := make([]byte, n)
				for i := range b {
					b[i] = 'a'
				}
				b[pos] = byte(c)
				stop := len(b)
				if c < 0x20 || c == '"' || c == '\\' {
					stop = pos
				}
				if got := stringStop(b, 0); got != stop {
					t.Fatalf("stringStop(%q) = %d, want %d", b, got, stop)
				}
				plain := c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'
				if got := plainASCII(b, false); got != plain {
					t.Fatalf("plainASCII(%q, false) = %v, want %v", b, got, plain)
				}
				html := plain && c != '<' && c != '>' && c != '&'
				if got := plainASCIIString(string(b), true); got != html {
					t.Fatalf("plainASCII(%q, true) = %v, want %v", b, got, html)
				}
			}
		}
	}
}
