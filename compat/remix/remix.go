package remix

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/internal/shortsecret"
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

// MinSecretLen is the secret length below which the constructors log a
// warning (SecretOptions).
const MinSecretLen = shortsecret.MinLen

// SecretOptions say how the constructors that take secrets (NewSignerWith,
// ConfigureWith, NewIDCookieWith, ConfigureIDStorageWith) treat a secret
// shorter than MinSecretLen bytes. Such a secret is always accepted, since
// the Remix app already signs with it; by default the constructor logs one
// warning at level Warn, with the positions of the short secrets in the
// list (never their bytes or their lengths). The functions without "With"
// use the zero SecretOptions.
type SecretOptions struct {
	// AllowShortSecrets silences the warning.
	AllowShortSecrets bool
	// Logger receives the warning; nil means slog.Default().
	Logger *slog.Logger
}

// warnShortSecrets logs the warning SecretOptions describes.
func warnShortSecrets(opt SecretOptions, secrets [][]byte) {
	shortsecret.Warn(opt.Logger, opt.AllowShortSecrets,
		"remix: signing secret shorter than 32 bytes; accepted to share cookies with an existing Remix app, but a new secret should be 32 random bytes (SecretOptions.AllowShortSecrets silences this)", secrets)
}

// NewSigner returns a Signer for secrets, newest first. Secrets are
// accepted at any length, since the Remix app already uses them; one
// shorter than MinSecretLen logs a warning (see NewSignerWith).
func NewSigner(secrets ...[]byte) (*Signer, error) {
	return NewSignerWith(SecretOptions{}, secrets...)
}

// NewSignerWith is NewSigner with SecretOptions.
func NewSignerWith(opt SecretOptions, secrets ...[]byte) (*Signer, error) {
	s, err := cookie.NewSigner(secrets, cookie.SignerOptions{Encoding: base64.RawStdEncoding, AllowShortSecrets: true})
	if err != nil {
		return nil, fmt.Errorf("remix: %w", err)
	}
	warnShortSecrets(opt, secrets)
	return &Signer{s: s}, nil
}

// Encode returns Remix's cookie value for a JSON payload:
// encodeURIComponent(base64(payload) + "." + signature).
func (r *Signer) Encode(payload []byte) string {
	return cookie.Escape(r.s.Sign(base64.StdEncoding.EncodeToString(payload)))
}

// stdStrict decodes Remix's payload: standard base64, padded, trailing
// bits zero.
var stdStrict = base64.StdEncoding.Strict()

// Decode verifies a cookie value (already %-decoded) and returns the JSON
// payload and the index of the secret that verified it. A bad signature is
// ErrInvalid; so is a good signature over text that is not the canonical
// padded standard base64 of UTF-8 bytes (what every Remix writer produces:
// btoa's output), since Remix then reads an empty value and sesh reports
// the error.
func (r *Signer) Decode(value string) ([]byte, int, error) {
	b64, idx, ok := r.s.Verify(value)
	if !ok || strings.ContainsAny(b64, "\r\n") {
		return nil, 0, ErrInvalid
	}
	payload, err := stdStrict.DecodeString(b64)
	if err != nil || !utf8.Valid(payload) {
		return nil, 0, ErrInvalid
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
// the npm cookie package's attribute order, Remix's deletion line
// (Cookie.OmitMaxAgeOnDelete), no session ID (GenID and ValidID: a Remix
// cookie session has none), and Remix's data codec. A secret shorter than
// MinSecretLen logs a warning (see ConfigureWith).
func Configure(cfg *sesh.Config, secrets ...[]byte) error {
	return ConfigureWith(cfg, SecretOptions{}, secrets...)
}

// ConfigureWith is Configure with SecretOptions.
func ConfigureWith(cfg *sesh.Config, opt SecretOptions, secrets ...[]byte) error {
	if cfg == nil {
		return errors.New("remix: nil Config")
	}
	s, err := NewSignerWith(opt, secrets...)
	if err != nil {
		return err
	}
	cfg.Sealer = s
	if cfg.Cookie.Name == "" {
		cfg.Cookie.Name = DefaultCookieName
	}
	cfg.Cookie.Order = cookie.OrderJS
	cfg.Cookie.OmitMaxAgeOnDelete = true
	cfg.Codec = Codec{}
	// A Remix cookie session has no ID (Remix's session.id is ""): none is
	// minted, so none is written into the readable cookie.
	cfg.GenID = func() string { return "" }
	cfg.ValidID = func(id string) bool { return id == "" }
	return nil
}
