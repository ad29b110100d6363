package cookie

import (
	"net/http"
	"strings"
)

// MaxCookies is the most cookie pairs Values looks at in one request, and
// Parse in one line; more are treated as none (as Go's net/http does past
// its own limit).
const MaxCookies = 3000

// MaxValueLen is the longest cookie value Values returns; longer values are
// skipped before any decoding.
const MaxValueLen = 4096

// Pair is one name=value of a Cookie header.
type Pair struct{ Name, Value string }

// Parse splits one Cookie header line into its pairs, in order. Names are
// kept byte for byte (no decoding; only the spaces and tabs after ';' are
// skipped, so "name =v" is the cookie "name "). A value in double quotes loses the quotes; a value
// containing '%' is percent-decoded when every escape is valid (otherwise
// it is kept as sent); '+' is never turned into a space. Pairs without '='
// or with an empty name are skipped. A line of more than MaxCookies pairs
// yields nil, as Values treats it.
func Parse(line string) []Pair {
	// Count first, so the slice is allocated once at its final size: a
	// hostile line costs 32 bytes per pair (at most MaxCookies of them)
	// plus the decoded values, never a growing slice's copies.
	n := 0
	each(line, func(string, string) bool {
		n++
		return n <= MaxCookies
	})
	if n == 0 || n > MaxCookies {
		return nil
	}
	out := make([]Pair, 0, n)
	each(line, func(name, value string) bool {
		out = append(out, Pair{name, decode(value)})
		return true
	})
	return out
}

// each calls fn with the raw name and value of each pair of line until fn
// returns false.
func each(line string, fn func(name, value string) bool) {
	for len(line) > 0 {
		var part string
		if i := strings.IndexByte(line, ';'); i >= 0 {
			part, line = line[:i], line[i+1:]
		} else {
			part, line = line, ""
		}
		eq := strings.IndexByte(part, '=')
		if eq < 0 {
			continue
		}
		name := trimLeadingOWS(part[:eq]) // the separator's space; the name itself is exact
		if name == "" {
			continue
		}
		if !fn(name, trimOWS(part[eq+1:])) {
			return
		}
	}
}

// Values returns, in order, every value sent for name across the Cookie
// header lines (HTTP/2 splits them), matching the name byte for byte. The
// caller tries each: the first that verifies wins. It returns nil when the
// request carries more than MaxCookies pairs, and skips values longer than
// MaxValueLen.
func Values(lines []string, name string) []string {
	// Count first (see Parse): the result is allocated once, 16 bytes per
	// value, plus the values that need percent-decoding.
	total, n := 0, 0
	for _, line := range lines {
		each(line, func(k, v string) bool {
			total++
			if k == name && len(v) <= MaxValueLen {
				n++
			}
			return total <= MaxCookies
		})
		if total > MaxCookies {
			return nil
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for _, line := range lines {
		each(line, func(k, v string) bool {
			if k == name && len(v) <= MaxValueLen {
				out = append(out, decode(v))
			}
			return len(out) < n
		})
	}
	return out
}

// FromRequest returns Values for the request's Cookie headers.
func FromRequest(r *http.Request, name string) []string {
	return Values(r.Header["Cookie"], name)
}

func trimLeadingOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// decode removes surrounding double quotes and percent-decodes a value
// that contains '%'. An invalid escape leaves the value as sent.
func decode(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if strings.IndexByte(v, '%') < 0 {
		return v
	}
	// Check every escape first, so the one allocation is the result's.
	n := len(v)
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			continue
		}
		if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
			return v
		}
		n -= 2
		i += 2
	}
	if n <= 32 {
		var buf [32]byte // string(buf[:n]) copies once, and not at all for one byte
		return string(unescape(buf[:0], v))
	}
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '%' {
			c = unhex(v[i+1])<<4 | unhex(v[i+2])
			i += 2
		}
		b.WriteByte(c)
	}
	return b.String()
}

// unescape appends v with its (valid) escapes decoded to dst.
func unescape(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '%' {
			c = unhex(v[i+1])<<4 | unhex(v[i+2])
			i += 2
		}
		dst = append(dst, c)
	}
	return dst
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
