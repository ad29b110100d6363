package sesh

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every byte value, at every position of strings of lengths that cover
// each path of the word scans (under a word, whole words, the eight-word
// steps, an overlapping last word): they agree with the byte-at-a-time
// rule.
func TestSWARScans(t *testing.T) {
	for n := 1; n <= 72; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := []byte(strings.Repeat("a", n))
				b[pos] = byte(c)
				stop := len(b)
				if c < 0x20 || c == '"' || c == '\\' {
					stop = pos
				}
				if got := stringStop(b, 0); got != stop {
					t.Fatalf("stringStop(%q) = %d, want %d", b, got, stop)
				}
				if got := hasControl(b); got != (c < 0x20) {
					t.Fatalf("hasControl(%q) = %v", b, got)
				}
				plain := c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
				if got := plainString(b); got != plain {
					t.Fatalf("plainString(%q) = %v, want %v", b, got, plain)
				}
				html := plain && c != '<' && c != '>' && c != '&'
				if got := htmlSafeASCII(string(b)); got != html {
					t.Fatalf("htmlSafeASCII(%q) = %v, want %v", b, got, html)
				}
			}
		}
	}
}

// plainString takes valid UTF-8 and leaves invalid UTF-8 to
// encoding/json, which rewrites it; htmlSafeASCII leaves all non-ASCII to
// json.Marshal, which escapes U+2028 and U+2029.
func TestSWARNonASCII(t *testing.T) {
	for _, s := range []string{"ü", "日本語のセッション", strings.Repeat("é", 40), "\u2028", "a\xffb", strings.Repeat("x", 33) + "\xc3"} {
		var want string
		if err := json.Unmarshal([]byte(`"`+s+`"`), &want); err != nil {
			t.Fatal(err)
		}
		if got := plainString([]byte(s)); got != (want == s) {
			t.Errorf("plainString(%q) = %v; json.Unmarshal gives %q", s, got, want)
		}
		if htmlSafeASCII(s) {
			t.Errorf("htmlSafeASCII(%q) = true", s)
		}
	}
}
