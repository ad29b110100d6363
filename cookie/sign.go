package cookie

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
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
// secret verifies (rotation), comparisons are constant-time.
type Signer struct {
	secrets [][]byte
	enc     *base64.Encoding
}

// NewSigner returns a Signer over copies of secrets.
func NewSigner(secrets [][]byte, opt SignerOptions) (*Signer, error) {
	if len(secrets) == 0 {
		return nil, ErrNoSecret
	}
	s := &Signer{enc: opt.Encoding}
	if s.enc == nil {
		s.enc = base64.RawURLEncoding
	}
	for i, sec := range secrets {
		if len(sec) == 0 {
			return nil, fmt.Errorf("%w: secret %d is empty", ErrNoSecret, i)
		}
		if len(sec) < 32 && !opt.AllowShortSecrets {
			return nil, fmt.Errorf("%w: secret %d has %d bytes", ErrShortSecret, i, len(sec))
		}
		s.secrets = append(s.secrets, append([]byte(nil), sec...))
	}
	return s, nil
}

func (s *Signer) mac(h hash.Hash, value string) []byte {
	h.Write([]byte(value))
	return h.Sum(nil)
}

// Sign returns value + "." + the encoded MAC under the first secret.
func (s *Signer) Sign(value string) string {
	return string(s.AppendSign(nil, value))
}

// AppendSign appends the signed form of value to dst.
func (s *Signer) AppendSign(dst []byte, value string) []byte {
	dst = append(dst, value...)
	dst = append(dst, '.')
	return s.enc.AppendEncode(dst, s.mac(hmac.New(sha256.New, s.secrets[0]), value))
}

// Verify checks a signed value and returns the value and the index of the
// secret that verified it (0 is the current secret; more means re-sign).
// The signature must be exactly the canonical encoding of a MAC: no
// padding added, no trailing bytes, no truncation. ok is false on any
// failure. It never panics.
func (s *Signer) Verify(signed string) (value string, secretIndex int, ok bool) {
	dot := strings.LastIndexByte(signed, '.')
	if dot < 0 {
		return "", 0, false
	}
	value, sig := signed[:dot], signed[dot+1:]
	if len(sig) != s.enc.EncodedLen(sha256.Size) {
		return "", 0, false
	}
	got, err := s.enc.Strict().DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return "", 0, false
	}
	found := -1
	for i, sec := range s.secrets {
		if hmac.Equal(got, s.mac(hmac.New(sha256.New, sec), value)) && found < 0 {
			found = i
		}
	}
	if found < 0 {
		return "", 0, false
	}
	return value, found, true
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
