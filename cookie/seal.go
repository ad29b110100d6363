package cookie

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// ErrInvalidSeal is the one error Open returns for any value it refuses:
// tampered, truncated, padded, not in canonical base64url (a CR or LF
// inside, non-zero trailing bits), sealed for another cookie name, sealed under
// an unknown or removed key, of an unknown version, or expired. Callers
// treat it as "no value"; it carries no detail an attacker could use.
var ErrInvalidSeal = errors.New("cookie: invalid sealed value")

// ErrWeakKey is returned by NewSealer for a key that is too short or has no
// variety (all bytes equal, as an all-zero key).
var ErrWeakKey = errors.New("cookie: weak sealing key")

// MaxSealedLen is the longest value Open looks at: a session spread over
// 16 chunk cookies. Longer input is refused before any decoding.
const MaxSealedLen = 16 * MaxValueLen

// MinKeyLen is the shortest secret NewSealer accepts.
const MinKeyLen = 32

// Key is one sealing secret and the ID that names it inside sealed values.
type Key struct {
	// ID names the key in every value it seals: 1 to 8 characters from
	// A-Z, a-z, 0-9. Keep IDs stable; a new key gets a new ID.
	ID string
	// Secret is at least MinKeyLen random bytes. The AEAD key is derived
	// from it with HKDF-SHA256.
	Secret []byte
}

type sealKey struct {
	id   string
	aead cipher.AEAD
	ad   atomic.Pointer[adEntry] // the associated data of the last cookie name
}

// adEntry caches a key's associated data for one cookie name: a Manager
// seals and opens under one name, so the bytes are built once.
type adEntry struct {
	name string
	ad   []byte
}

// additional returns the associated data for name under k. The slice is
// shared and read-only.
func (k *sealKey) additional(name string) []byte {
	if e := k.ad.Load(); e != nil && e.name == name {
		return e.ad
	}
	ad := additionalData(make([]byte, 0, 16+len(k.id)+len(name)), k.id, name)
	k.ad.Store(&adEntry{name: name, ad: ad})
	return ad
}

// Sealer encrypts and authenticates cookie values with XChaCha20-Poly1305.
// The first key seals; every key opens values sealed under its own ID (no
// trial decryption). Each value binds the cookie name as associated data and
// carries its expiry inside the ciphertext. A Sealer is safe for concurrent
// use.
//
// Wire format: "v1." + keyID + "." + base64url(nonce[24] ‖ ciphertext), the
// plaintext being an 8-byte big-endian expiry (Unix seconds, 0 = none)
// followed by the payload.
type Sealer struct {
	keys  []sealKey
	opens atomic.Int64 // decryption attempts, for tests
}

const sealVersion = "v1"

// NewSealer returns a Sealer for keys, the first of which seals. It copies
// nothing it does not need: the secrets are only used to derive AEAD keys.
func NewSealer(keys ...Key) (*Sealer, error) {
	if len(keys) == 0 {
		return nil, errors.New("cookie: no sealing key configured (a key is never generated silently)")
	}
	s := &Sealer{}
	seen := map[string]bool{}
	for i, k := range keys {
		if !validKeyID(k.ID) {
			return nil, fmt.Errorf("cookie: sealing key %d: ID %q must be 1-8 characters of A-Z a-z 0-9", i, k.ID)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("cookie: sealing key ID %q used twice", k.ID)
		}
		seen[k.ID] = true
		if len(k.Secret) < MinKeyLen {
			return nil, fmt.Errorf("%w: key %q has %d bytes, want at least %d", ErrWeakKey, k.ID, len(k.Secret), MinKeyLen)
		}
		if repeated(k.Secret) {
			return nil, fmt.Errorf("%w: key %q repeats one byte", ErrWeakKey, k.ID)
		}
		dk, err := hkdf.Key(sha256.New, k.Secret, nil, "sesh cookie seal v1", chacha20poly1305.KeySize)
		if err != nil {
			return nil, fmt.Errorf("cookie: derive key %q: %w", k.ID, err)
		}
		aead, err := chacha20poly1305.NewX(dk)
		if err != nil {
			return nil, fmt.Errorf("cookie: key %q: %w", k.ID, err)
		}
		s.keys = append(s.keys, sealKey{id: k.ID, aead: aead}) // before any use: nothing cached to copy
	}
	return s, nil
}

func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > 8 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func repeated(b []byte) bool {
	for _, c := range b[1:] {
		if c != b[0] {
			return false
		}
	}
	return true
}

func additionalData(dst []byte, keyID, name string) []byte {
	dst = append(dst, "sesh-seal-"+sealVersion+"\x00"...)
	dst = append(dst, keyID...)
	dst = append(dst, 0)
	return append(dst, name...)
}

// Seal appends to dst the sealed form of payload for the cookie called
// name, valid until expires (zero: no expiry inside the seal).
func (s *Sealer) Seal(dst []byte, name string, expires time.Time, payload []byte) []byte {
	k := &s.keys[0]
	var exp uint64
	if !expires.IsZero() {
		exp = uint64(max(expires.Unix(), 1))
	}
	// One buffer: nonce ‖ plaintext, sealed in place (the AEAD's documented
	// use of plaintext[:0] as dst), with room for the tag.
	const ns = chacha20poly1305.NonceSizeX
	buf := make([]byte, ns+8, ns+8+len(payload)+chacha20poly1305.Overhead)
	rand.Read(buf[:ns]) // never fails since Go 1.24
	binary.BigEndian.PutUint64(buf[ns:], exp)
	buf = append(buf, payload...)
	pt := buf[ns:]
	buf = buf[:ns+len(k.aead.Seal(pt[:0], buf[:ns], pt, k.additional(name)))]
	dst = append(dst, sealVersion...)
	dst = append(dst, '.')
	dst = append(dst, k.id...)
	dst = append(dst, '.')
	return base64.RawURLEncoding.AppendEncode(dst, buf)
}

// SealedLen returns the length of a sealed value for a payload of n bytes.
func (s *Sealer) SealedLen(n int) int {
	return len(sealVersion) + 1 + len(s.keys[0].id) + 1 +
		base64.RawURLEncoding.EncodedLen(chacha20poly1305.NonceSizeX+8+n+chacha20poly1305.Overhead)
}

// Open authenticates and decrypts a sealed value for the cookie called
// name. It returns the payload, its expiry (zero if none), the index of the key that opened it (0 is
// the current key; more means the caller should re-seal) and, for any
// failure, ErrInvalidSeal. Nothing is decrypted, let alone decoded, unless
// the version and key ID are known; nothing is returned unless it
// authenticates and has not expired at now.
func (s *Sealer) Open(name, value string, now time.Time) (payload []byte, expires time.Time, keyIndex int, err error) {
	if len(value) > MaxSealedLen || len(value) < len(sealVersion)+3 || value[:len(sealVersion)+1] != sealVersion+"." {
		return nil, time.Time{}, 0, ErrInvalidSeal
	}
	rest := value[len(sealVersion)+1:]
	dot := -1
	for i := 0; i < len(rest) && i <= 8; i++ {
		if rest[i] == '.' {
			dot = i
			break
		}
	}
	if dot <= 0 {
		return nil, time.Time{}, 0, ErrInvalidSeal
	}
	kid, body := rest[:dot], rest[dot+1:]
	ki := -1
	for i := range s.keys {
		if s.keys[i].id == kid {
			ki = i
			break
		}
	}
	if ki < 0 {
		return nil, time.Time{}, 0, ErrInvalidSeal
	}
	raw, ok := decodeCanonical(rawURLStrict, body)
	if !ok || len(raw) < chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead+8 {
		return nil, time.Time{}, 0, ErrInvalidSeal
	}
	k := &s.keys[ki]
	s.opens.Add(1)
	pt, err := k.aead.Open(raw[chacha20poly1305.NonceSizeX:chacha20poly1305.NonceSizeX], raw[:chacha20poly1305.NonceSizeX], raw[chacha20poly1305.NonceSizeX:], k.additional(name))
	if err != nil {
		return nil, time.Time{}, 0, ErrInvalidSeal
	}
	exp := binary.BigEndian.Uint64(pt[:8])
	if exp != 0 {
		if now.Unix() >= int64(exp) {
			return nil, time.Time{}, 0, ErrInvalidSeal
		}
		expires = time.Unix(int64(exp), 0)
	}
	return pt[8:], expires, ki, nil
}
