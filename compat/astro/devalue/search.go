package devalue

import (
	"strings"
	"unicode/utf8"
)

// parseSearch is new URLSearchParams(s): the WHATWG URL standard's
// application/x-www-form-urlencoded parser (a leading "?" dropped, "+" a
// space, percent-decoding, UTF-8 decoding with U+FFFD for bad bytes).
func parseSearch(s string) []Param {
	s = strings.TrimPrefix(s, "?")
	out := make([]Param, 0, strings.Count(s, "&")+1)
	for seq := range strings.SplitSeq(s, "&") {
		if seq == "" {
			continue
		}
		name, value, _ := strings.Cut(seq, "=")
		out = append(out, Param{Name: formDecode(name), Value: formDecode(value)})
	}
	return out
}

func formDecode(s string) string {
	if !strings.ContainsAny(s, "+%") {
		return s // the input is UTF-8 already
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && hexVal(s[i+1]) >= 0 && hexVal(s[i+2]) >= 0:
			b = append(b, byte(hexVal(s[i+1])<<4|hexVal(s[i+2])))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return decodeUTF8(b)
}

// decodeUTF8 is the Encoding standard's UTF-8 decode: each maximal
// invalid subsequence becomes one U+FFFD.
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var out strings.Builder
	out.Grow(len(b) + 8)
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			out.WriteByte(c)
			i++
			continue
		}
		need, lo, hi := 0, byte(0x80), byte(0xbf)
		switch {
		case 0xc2 <= c && c <= 0xdf:
			need = 1
		case c == 0xe0:
			need, lo = 2, 0xa0
		case 0xe1 <= c && c <= 0xec, c == 0xee, c == 0xef:
			need = 2
		case c == 0xed:
			need, hi = 2, 0x9f
		case c == 0xf0:
			need, lo = 3, 0x90
		case 0xf1 <= c && c <= 0xf3:
			need = 3
		case c == 0xf4:
			need, hi = 3, 0x8f
		default:
			out.WriteRune(utf8.RuneError)
			i++
			continue
		}
		j := i + 1
		for ; j <= i+need; j++ {
			if j >= len(b) || b[j] < lo || b[j] > hi {
				break
			}
			lo, hi = 0x80, 0xbf
		}
		if j == i+need+1 {
			out.Write(b[i:j])
		} else {
			out.WriteRune(utf8.RuneError) // the byte at j starts over
		}
		i = j
	}
	return out.String()
}

// serializeSearch is URLSearchParams.prototype.toString.
func serializeSearch(ps []Param) string {
	var b strings.Builder
	for k, p := range ps {
		if k > 0 {
			b.WriteByte('&')
		}
		formEncode(&b, p.Name)
		b.WriteByte('=')
		formEncode(&b, p.Value)
	}
	return b.String()
}

func formEncode(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '*', c == '-', c == '.', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}
