package sesh

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// IDLen is the length of a session ID minted by NewID: 32 random bytes in
// unpadded base64url.
const IDLen = 43

// NewID returns a fresh session ID: 32 bytes from crypto/rand (256 bits),
// base64url without padding.
func NewID() string {
	var b [32]byte
	rand.Read(b[:]) // never fails since Go 1.24
	return encode32(&b)
}

// encode32 is base64.RawURLEncoding.EncodeToString of 32 bytes with one
// allocation (the string) instead of two.
func encode32(b *[32]byte) string {
	var out [IDLen]byte
	base64.RawURLEncoding.Encode(out[:], b[:])
	return string(out[:])
}

// newIDAndKey is NewID and its HashID, minted together. They are two
// strings: a store that keeps the key (memstore's map) must not keep the
// ID's bytes alive with it.
func newIDAndKey() (id, key string) {
	var b [32]byte
	rand.Read(b[:])
	var out [2 * IDLen]byte
	base64.RawURLEncoding.Encode(out[:IDLen], b[:])
	sum := sha256.Sum256(out[:IDLen])
	base64.RawURLEncoding.Encode(out[IDLen:], sum[:])
	return string(out[:IDLen]), string(out[IDLen:])
}

// ValidID reports whether id has the shape NewID produces. It is the
// default check applied to every cookie value before it may reach a store.
func ValidID(id string) bool {
	if len(id) != IDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if idDigit[id[i]] == 0 {
			return false
		}
	}
	// The last character carries only 4 bits of the 256; reject the
	// non-canonical encodings so one ID has exactly one spelling.
	return (idDigit[id[IDLen-1]]-1)&0x3 == 0
}

// idDigit maps each byte of the base64url alphabet to its value plus one,
// and every other byte to 0.
var idDigit = func() (t [256]byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i + 1)
	}
	return t
}()

// HashID is the default store key of a session ID: SHA-256 of the ID in
// unpadded base64url. A dump of the store then holds no usable cookie
// values, and lookups by key leak no timing about valid IDs.
func HashID(id string) string {
	var buf [2 * IDLen]byte // IDs of NewID's length hash without a copy on the heap
	sum := sha256.Sum256(append(buf[:0], id...))
	return encode32(&sum)
}

// handle returns a short, non-reversible tag for a store key, for logs and
// for listing sessions: never the raw ID.
func handle(key string) string {
	sum := sha256.Sum256([]byte("sesh-handle:" + key))
	return hex.EncodeToString(sum[:9])
}
