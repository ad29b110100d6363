package cookie

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// Errors returned by NewSigner.
var (
	ErrNoSecret    = errors.New("cookie: no signing secret")
	ErrShortSecret = errors.New("cookie: signing secret shorter than 32 bytes")
)

// SignerOptions configure a Signer.
type SignerOptions struct {
	// Encoding of the MAC; nil means base64.RawURLEncoding. express's
	// cookie-signature and Remix use base64.RawStdEncoding.
	Encoding *base64.Encoding
	// AllowShortSecrets accepts secrets shorter than 32 bytes, for sharing
	// cookies with an existing Node application. Never for new secrets.
	AllowShortSecrets bool
}

// Signer signs values with HMAC-SHA256: the first secret signs, every
// secret verifies (rotation), comparisons are constant-time. A Signer is
// safe for concurrent use.
//
// SignFor and VerifyFor bind a value to a name (a cookie's name, or any
// other purpose): their MAC is HMAC-SHA256 under a key derived from the
// secret (HKDF-SHA256, info "sesh cookie sign v1") over uvarint(len(name))
// ‖ name ‖ value. A value signed for one name never verifies under another,
// nor through Verify. Typed cookies use them.
//
// Sign and Verify MAC the bare value under the secret itself, as
// cookie-signature (express-session) and Remix do. They exist to speak
// those peers' formats: such a value verifies wherever the secret is used,
// whatever it was signed for.
type Signer struct {
	raw   []*macKey // HMAC keys: the secrets themselves
	bound []*macKey // HMAC keys derived for SignFor / VerifyFor
	enc   *base64.Encoding
	dec   *base64.Encoding // enc.Strict(), built once (Strict copies the Encoding)
}

// macKey hands out HMAC states for one key. hmac.New costs a few
// allocations and two compression-function calls; a reset state costs
// neither.
type macKey struct{ pool sync.Pool }

type macState struct {
	h   hash.Hash
	buf [256]byte // strings are copied through here: h.Write([]byte(s)) would allocate
	sum [sha256.Size]byte
}

func newMACKey(key []byte) *macKey {
	key = append([]byte(nil), key...)
	k := &macKey{}
	k.pool.New = func() any { return &macState{h: hmac.New(sha256.New, key)} }
	return k
}

func (st *macState) writeString(s string) {
	for len(s) > 0 {
		n := copy(st.buf[:], s)
		st.h.Write(st.buf[:n])
		s = s[n:]
	}
}

// mac returns the MAC of value, bound to name when bound is set.
func (k *macKey) mac(bound bool, name, value string) [sha256.Size]byte {
	st := k.pool.Get().(*macState)
	st.h.Reset()
	if bound {
		n := binary.PutUvarint(st.buf[:], uint64(len(name)))
		st.h.Write(st.buf[:n])
		st.writeString(name)
	}
	st.writeString(value)
	var out [sha256.Size]byte
	copy(out[:], st.h.Sum(st.sum[:0]))
	k.pool.Put(st)
	return out
}

// signKeyInfo is the HKDF info of the keys SignFor uses.
const signKeyInfo = "sesh cookie sign v1"

// NewSigner returns a Signer over copies of secrets.
func NewSigner(secrets [][]byte, opt SignerOptions) (*Signer, error) {
	if len(secrets) == 0 {
		return nil, ErrNoSecret
	}
	s := &Signer{enc: opt.Encoding}
	if s.enc == nil {
		s.enc = base64.RawURLEncoding
	}
	s.dec = s.enc.Strict()
	for i, sec := range secrets {
		if len(sec) == 0 {
			return nil, fmt.Errorf("%w: secret %d is empty", ErrNoSecret, i)
		}
		if len(sec) < 32 && !opt.AllowShortSecrets {
			return nil, fmt.Errorf("%w: secret %d has %d bytes", ErrShortSecret, i, len(sec))
		}
		dk, err := hkdf.Key(sha256.New, sec, nil, signKeyInfo, sha256.Size)
		if err != nil {
			return nil, fmt.Errorf("cookie: derive signing key %d: %w", i, err)
		}
		s.raw = append(s.raw, newMACKey(sec))
		s.bound = append(s.bound, newMACKey(dk))
	}
	return s, nil
}

// Sign returns value + "." + the encoded MAC of the bare value under the
// first secret (cookie-signature's format). Prefer SignFor for sesh's own
// values.
func (s *Signer) Sign(value string) string {
	return string(s.AppendSign(nil, value))
}

// AppendSign appends Sign's output to dst.
func (s *Signer) AppendSign(dst []byte, value string) []byte {
	return s.appendSign(dst, s.raw[0], false, "", value)
}

// SignFor returns value + "." + the encoded MAC of value bound to name,
// under the first secret. Only VerifyFor with the same name accepts it.
func (s *Signer) SignFor(name, value string) string {
	return string(s.AppendSignFor(nil, name, value))
}

// AppendSignFor appends SignFor's output to dst.
func (s *Signer) AppendSignFor(dst []byte, name, value string) []byte {
	return s.appendSign(dst, s.bound[0], true, name, value)
}

func (s *Signer) appendSign(dst []byte, k *macKey, bound bool, name, value string) []byte {
	dst = append(dst, value...)
	dst = append(dst, '.')
	m := k.mac(bound, name, value)
	return s.enc.AppendEncode(dst, m[:])
}

// Verify checks a value signed by Sign and returns the value and the index
// of the secret that verified it (0 is the current secret; more means
// re-sign). The signature must be exactly the canonical encoding of a MAC:
// no padding added, no CR or LF, no non-zero trailing bits, no trailing
// bytes, no truncation. ok is false on any failure. It never panics.
func (s *Signer) Verify(signed string) (value string, secretIndex int, ok bool) {
	return s.verify(s.raw, false, "", signed)
}

// VerifyFor is Verify for values signed by SignFor for name: a value
// signed for another name, or by Sign, is refused.
func (s *Signer) VerifyFor(name, signed string) (value string, secretIndex int, ok bool) {
	return s.verify(s.bound, true, name, signed)
}

func (s *Signer) verify(keys []*macKey, bound bool, name, signed string) (string, int, bool) {
	dot := strings.LastIndexByte(signed, '.')
	if dot < 0 {
		return "", 0, false
	}
	value, sig := signed[:dot], signed[dot+1:]
	want, ok := s.decodeMAC(sig)
	if !ok {
		return "", 0, false
	}
	found := -1
	for i, k := range keys {
		got := k.mac(bound, name, value)
		if hmac.Equal(got[:], want[:]) && found < 0 {
			found = i
		}
	}
	if found < 0 {
		return "", 0, false
	}
	return value, found, true
}

// decodeMAC decodes a signature that must be exactly the canonical
// encoding of a SHA-256 MAC.
func (s *Signer) decodeMAC(sig string) (mac [sha256.Size]byte, ok bool) {
	var src, dst [64]byte
	if len(sig) != s.enc.EncodedLen(sha256.Size) || len(sig) > len(src) {
		return mac, false
	}
	copy(src[:], sig)
	n, err := s.dec.Decode(dst[:], src[:len(sig)])
	if err != nil || n != sha256.Size || hasNewline(sig) {
		return mac, false
	}
	copy(mac[:], dst[:n])
	return mac, true
}

// hasNewline reports whether s holds a CR or LF: the two bytes Go's
// base64 decoders skip even in Strict mode.
func hasNewline(s string) bool {
	return strings.IndexByte(s, '\n') >= 0 || strings.IndexByte(s, '\r') >= 0
}

// rawURLStrict decodes sesh's own base64url (no padding), refusing
// non-zero trailing bits.
var rawURLStrict = base64.RawURLEncoding.Strict()

// decodeCanonical decodes s, which must be exactly enc's encoding of the
// result: every byte in enc's alphabet (CR and LF included: Go's decoders
// skip them), padding exactly as enc writes it, trailing bits zero. enc
// must be a Strict encoding.
func decodeCanonical(enc *base64.Encoding, s string) ([]byte, bool) {
	if hasNewline(s) {
		return nil, false
	}
	b, err := enc.DecodeString(s)
	return b, err == nil
}

// Escape returns s encoded as JavaScript's encodeURIComponent does: every
// byte outside A-Z a-z 0-9 - _ . ! ~ * ' ( ) becomes %XX (upper case).
func Escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
