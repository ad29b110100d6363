// Package remix makes sesh read and write the cookies of Remix (v2) and
// React Router (v7): createCookieSessionStorage's cookie, so a Go service
// and a Remix app can share one cookie-only session.
//
// Remix's format: the session's data as JSON, standard base64 (padded), then
// "." and the standard base64 HMAC-SHA256 of that base64 text under the
// first secret, padding stripped; the whole value URL-encoded with
// encodeURIComponent. Every secret verifies (rotation by trying each).
// The cookie is named __session by default, written in the npm cookie
// package's attribute order, and a Set-Cookie line over 4096 bytes fails
// the commit (sesh's rule, and Remix's).
//
// Signing is not encryption: the client can read a Remix cookie's data,
// only not change it. Remix's format carries no expiry of its own, so sesh
// enforces the absolute timeout (from the creation time it keeps in the
// data) but not the idle timeout on such a session; revocation works as for
// any cookie-only session (Config.Revoked).
package remix

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
)

// DefaultCookieName is Remix's default session cookie name.
const DefaultCookieName = "__session"

// ErrInvalid is returned by Open for a value that is not a Remix cookie
// signed by one of the secrets.
var ErrInvalid = errors.New("remix: invalid or unsigned cookie value")

// Signer writes and verifies Remix's signed cookie values. It implements
// sesh.CookieSealer, so it can stand in for cookie.Sealer in
// sesh.Config.Sealer.
type Signer struct {
	s *cookie.Signer
}

var _ sesh.CookieSealer = (*Signer)(nil)

// NewSigner returns a Signer for secrets, newest first. Secrets are
// accepted at any length, since the Remix app already uses them.
func NewSigner(secrets ...[]byte) (*Signer, error) {
	s, err := cookie.NewSigner(secrets, cookie.SignerOptions{Encoding: base64.RawStdEncoding, AllowShortSecrets: true})
	if err != nil {
		return nil, fmt.Errorf("remix: %w", err)
	}
	return &Signer{s: s}, nil
}

// Encode returns Remix's cookie value for a JSON payload:
// encodeURIComponent(base64(payload) + "." + signature).
func (r *Signer) Encode(payload []byte) string {
	return cookie.Escape(r.s.Sign(base64.StdEncoding.EncodeToString(payload)))
}

// Decode verifies a cookie value (already %-decoded) and returns the JSON
// payload. A bad signature is ErrInvalid; so is a good signature over text
// that is not base64 (Remix then reads an empty session; sesh does the same
// with the error).
func (r *Signer) Decode(value string) ([]byte, int, error) {
	b64, idx, ok := r.s.Verify(value)
	if !ok {
		return nil, 0, ErrInvalid
	}
	payload, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		if payload, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(b64, "=")); err != nil {
			return nil, 0, ErrInvalid
		}
	}
	return payload, idx, nil
}

// Seal is sesh.CookieSealer's: Remix's format has no room for the expiry,
// which is dropped.
func (r *Signer) Seal(dst []byte, _ string, _ time.Time, payload []byte) []byte {
	return append(dst, r.Encode(payload)...)
}

// SealedLen bounds the length of Seal's output for a payload of n bytes
// (every byte of base64 and signature escaped at worst).
func (r *Signer) SealedLen(n int) int { return 3 * (base64.StdEncoding.EncodedLen(n) + 1 + 43) }

// Open is sesh.CookieSealer's: it verifies and decodes value; the expiry is
// always zero (Remix keeps none in the cookie).
func (r *Signer) Open(_ string, value string, _ time.Time) ([]byte, time.Time, int, error) {
	p, idx, err := r.Decode(value)
	return p, time.Time{}, idx, err
}

// Configure sets cfg up for Remix's cookie session storage: the Signer as
// the sealer, the cookie name (__session unless cfg.Cookie.Name is set),
// the npm cookie package's attribute order, and Remix's data codec.
func Configure(cfg *sesh.Config, secrets ...[]byte) error {
	if cfg == nil {
		return errors.New("remix: nil Config")
	}
	s, err := NewSigner(secrets...)
	if err != nil {
		return err
	}
	cfg.Sealer = s
	if cfg.Cookie.Name == "" {
		cfg.Cookie.Name = DefaultCookieName
	}
	cfg.Cookie.Order = cookie.OrderJS
	cfg.Codec = Codec{}
	return nil
}
