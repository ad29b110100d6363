package sesh

import (
	"encoding/binary"
	"unsafe"
)

// Byte scans eight bytes at a time, for the JSON strings a session holds:
// a 32 KB value is checked at about a byte per instruction instead of
// several. Each test says whether some byte of a word has a property; a
// word that has one is then scanned byte by byte.

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// hasByte reports (non-zero) whether some byte of x equals c.
func hasByte(x uint64, c byte) uint64 {
	v := x ^ (lo8 * uint64(c))
	return (v - lo8) &^ v & hi8
}

// hasLess reports (non-zero) whether some byte of x is below n (n <= 128).
func hasLess(x uint64, n byte) uint64 { return (x - lo8*uint64(n)) &^ x & hi8 }

// stringStop returns the index, from i, of the first byte that ends a JSON
// string's plain run — '"', '\\' or a control byte — or len(b).
func stringStop(b []byte, i int) int {
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		if hasLess(x, 0x20)|hasByte(x, '"')|hasByte(x, '\\') == 0 {
			i += 8
			continue
		}
		break
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c == '"' || c == '\\' {
			return i
		}
	}
	return len(b)
}

// plainASCII reports whether every byte of b is printable ASCII (0x20 to
// 0x7e) other than '"' and '\\', and, with html, other than '<', '>' and
// '&' (which json.Marshal escapes).
func plainASCII(b []byte, html bool) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		bad := x&hi8 | hasLess(x, 0x20) | hasByte(x, 0x7f) | hasByte(x, '"') | hasByte(x, '\\')
		if html {
			bad |= hasByte(x, '<') | hasByte(x, '>') | hasByte(x, '&')
		}
		if bad != 0 {
			return false
		}
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || html && (c == '<' || c == '>' || c == '&') {
			return false
		}
	}
	return true
}

// plainASCIIString is plainASCII of s's bytes, without copying them.
func plainASCIIString(s string, html bool) bool {
	return plainASCII(unsafe.Slice(unsafe.StringData(s), len(s)), html)
}
