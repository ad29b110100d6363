package sesh

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"unicode/utf8"
	"unsafe"
)

// Byte scans of JSON string bodies, eight bytes at a time (SWAR) and eight
// words per step, with bytes.IndexByte (the runtime's vector code) for the
// single bytes it can find: a 32 KB value is checked in well under an
// instruction per byte. Each word test leaves, in the high bit of a byte,
// whether that byte has a property; a borrow can also mark bytes after a
// marked one, so a test answers "some byte of the word has it", which is
// all these scans ask, and they read the same on either byte order.

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// below marks the bytes of x under n (n <= 0x80).
func below(x uint64, n byte) uint64 { return (x - lo8*uint64(n)) &^ x }

// equal marks the bytes of x equal to c.
func equal(x uint64, c byte) uint64 {
	v := x ^ lo8*uint64(c)
	return (v - lo8) &^ v
}

// equal7 marks the bytes of x equal to c (c < 0x80) where x has no byte
// of 0x80 or over: a byte that has one is marked by x itself.
func equal7(x uint64, c byte) uint64 { return (x ^ lo8*uint64(c)) - lo8 }

// The two scans below read b's 8-byte words, eight at a time where loads
// from any address are plain loads (unalignedLoads), then one at a time,
// the last word overlapping the one before when len(b) is not a multiple
// of 8 (a byte read twice changes no answer); b shorter than 8 bytes is
// read as one word padded with 'a', a byte no test marks. Each has its own
// copy of the loop, with its test inlined (a function value would cost a
// call per word): keep the two in step.

// unalignedLoads: the architectures on which a uint64 load from any byte
// address is one instruction. (The race detector's pointer checks allow
// such loads: uint64 holds no pointers.)
const unalignedLoads = runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64"

// controlOrHigh returns the marks of bytes below 0x20 and of bytes of 0x80
// or over in b.
func controlOrHigh(b []byte) (ctl, high uint64) {
	if len(b) < 8 {
		x := padded(b)
		return below(x, 0x20) & hi8, x & hi8
	}
	last := binary.LittleEndian.Uint64(b[len(b)-8:])
	i := 0
	if unalignedLoads {
		p := unsafe.Pointer(unsafe.SliceData(b))
		for ; i+64 <= len(b); i += 64 {
			w := (*[8]uint64)(unsafe.Add(p, i))
			ctl |= below(w[0], 0x20) | below(w[1], 0x20) | below(w[2], 0x20) | below(w[3], 0x20) |
				below(w[4], 0x20) | below(w[5], 0x20) | below(w[6], 0x20) | below(w[7], 0x20)
			high |= w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]
			if ctl&hi8 != 0 {
				return ctl & hi8, high & hi8
			}
		}
	}
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		ctl, high = ctl|below(x, 0x20), high|x
	}
	return (ctl | below(last, 0x20)) & hi8, (high | last) & hi8
}

// htmlUnsafe returns the marks of the bytes of b that json.Marshal would
// not copy as they are between quotes: 0x80 and over, control bytes, '"',
// '\\', '<', '>' and '&'.
func htmlUnsafe(b []byte) uint64 {
	if len(b) < 8 {
		return htmlUnsafeWord(padded(b)) & hi8
	}
	last := binary.LittleEndian.Uint64(b[len(b)-8:])
	var acc uint64
	i := 0
	if unalignedLoads {
		p := unsafe.Pointer(unsafe.SliceData(b))
		for ; i+64 <= len(b); i += 64 {
			w := (*[8]uint64)(unsafe.Add(p, i))
			acc |= htmlUnsafeWord(w[0]) | htmlUnsafeWord(w[1]) | htmlUnsafeWord(w[2]) | htmlUnsafeWord(w[3]) |
				htmlUnsafeWord(w[4]) | htmlUnsafeWord(w[5]) | htmlUnsafeWord(w[6]) | htmlUnsafeWord(w[7])
			if acc&hi8 != 0 {
				return acc & hi8
			}
		}
	}
	for ; i+8 <= len(b); i += 8 {
		acc |= htmlUnsafeWord(binary.LittleEndian.Uint64(b[i:]))
	}
	return (acc | htmlUnsafeWord(last)) & hi8
}

// htmlUnsafeWord is htmlUnsafe of one word. equal7 is exact here because a
// word with a byte of 0x80 or over is marked by x itself.
func htmlUnsafeWord(x uint64) uint64 {
	return x | (x - lo8*0x20) | equal7(x, '"') | equal7(x, '\\') | equal7(x, '<') | equal7(x, '>') | equal7(x, '&')
}

// padded reads b (under 8 bytes) as a word, the rest filled with 'a'.
func padded(b []byte) uint64 {
	w := [8]byte{'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'}
	copy(w[:], b)
	return binary.LittleEndian.Uint64(w[:])
}

// hasControl reports whether some byte of b is below 0x20.
func hasControl(b []byte) bool {
	ctl, _ := controlOrHigh(b)
	return ctl != 0
}

// plainString reports whether b, the body of a JSON string (between its
// quotes), is its own value: no '"', no '\\', no control byte, and valid
// UTF-8. encoding/json decodes such a body to exactly its bytes.
func plainString(b []byte) bool {
	if bytes.IndexByte(b, '"') >= 0 || bytes.IndexByte(b, '\\') >= 0 {
		return false
	}
	ctl, high := controlOrHigh(b)
	return ctl == 0 && (high == 0 || utf8.Valid(b))
}

// htmlSafeASCII reports whether json.Marshal writes s between quotes
// unchanged: ASCII without control bytes, '"', '\\', '<', '>' or '&'.
func htmlSafeASCII(s string) bool {
	return htmlUnsafe(unsafe.Slice(unsafe.StringData(s), len(s))) == 0
}

// stringStop returns the index, from i, of the first byte that ends a JSON
// string's plain run — '"', '\\' or a control byte — or len(b).
func stringStop(b []byte, i int) int {
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		if (below(x, 0x20)|equal(x, '"')|equal(x, '\\'))&hi8 != 0 {
			break
		}
		i += 8
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c == '"' || c == '\\' {
			return i
		}
	}
	return len(b)
}
