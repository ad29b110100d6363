// Package express makes a sesh Manager share sessions with an Express app
// that uses express-session: the same signed cookie, the same ID format and
// the same stored JSON, so a user signed in on one side is signed in on the
// other. Pair it with a store in the peer's key layout
// (redisstore/connectredis for connect-redis).
//
// The cookie is express-session's: encodeURIComponent("s:" + id + "." +
// base64(HMAC-SHA256(secret, id)) without padding), named connect.sid,
// attributes in express's order, a persistent lifetime written as Expires
// only. Every secret verifies, the first signs (rotation).
//
// The stored record is express-session's JSON: a "cookie" object
// (originalMaxAge, expires, httpOnly, path, and secure, domain, sameSite when
// set) and the session's values at the top level beside it. Values Node
// writes that Go does not know are kept when Go rewrites the record (they
// are ordinary session values to sesh). sesh's own metadata (created,
// user, per-value deadlines) travels in one extra property, "__sesh", which
// express-session carries along untouched.
//
// express-session secrets are often short ("keyboard cat"). Configure and
// NewCookieValue accept a secret of any length, since the Node app already
// signs with it, and log a warning for one under MinSecretLen bytes;
// ConfigureWith and NewCookieValueWith take SecretOptions to silence it.
package express

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
)

// DefaultCookieName is express-session's default cookie name.
const DefaultCookieName = "connect.sid"

// MinSecretLen is the secret length below which the constructors log a
// warning (SecretOptions).
const MinSecretLen = 32

// SecretOptions say how Configure, ConfigureWith, NewCookieValue and
// NewCookieValueWith treat a secret shorter than MinSecretLen bytes. Such a
// secret is always accepted, since the Express app already signs with it;
// by default the constructor logs one warning at level Warn, with the
// positions of the short secrets in the list (never their bytes or their
// lengths). Configure and NewCookieValue use the zero SecretOptions.
type SecretOptions struct {
	// AllowShortSecrets silences the warning.
	AllowShortSecrets bool
	// Logger receives the warning; nil means slog.Default().
	Logger *slog.Logger
}

// warnShortSecrets logs the warning SecretOptions describes.
func warnShortSecrets(opt SecretOptions, secrets [][]byte) {
	if opt.AllowShortSecrets {
		return
	}
	var short []int
	for i, s := range secrets {
		if len(s) < MinSecretLen {
			short = append(short, i)
		}
	}
	if len(short) == 0 {
		return
	}
	l := opt.Logger
	if l == nil {
		l = slog.Default()
	}
	l.Warn("express: signing secret shorter than 32 bytes; accepted to share sessions with an existing Express app, but a new secret should be 32 random bytes (SecretOptions.AllowShortSecrets silences this)",
		"secret_index", short)
}

// Configure sets cfg up for express-session interop: the cookie name
// (connect.sid unless cfg.Cookie.Name is set), express's attribute order
// and Expires-only lifetime, the signed cookie value, express's ID format,
// raw IDs as store keys and the JSON codec. secrets are express's `secret`
// option, newest first; short secrets are accepted because the Node app
// already uses them, with a warning (see ConfigureWith). Call it after
// setting cfg.Cookie.
func Configure(cfg *sesh.Config, secrets ...[]byte) error {
	return ConfigureWith(cfg, SecretOptions{}, secrets...)
}

// ConfigureWith is Configure with SecretOptions.
func ConfigureWith(cfg *sesh.Config, opt SecretOptions, secrets ...[]byte) error {
	if cfg == nil {
		return errors.New("express: nil Config")
	}
	cv, err := NewCookieValueWith(opt, secrets...)
	if err != nil {
		return err
	}
	if cfg.Cookie.Name == "" {
		cfg.Cookie.Name = DefaultCookieName
	}
	cfg.Cookie.Order = cookie.OrderExpress
	cfg.Cookie.OmitMaxAge = true
	cfg.CookieValue = cv
	cfg.GenID = NewID
	cfg.ValidID = ValidID
	cfg.StoreKey = func(id string) string { return id }
	cfg.Codec = Codec{Cookie: cfg.Cookie}
	return nil
}

// NewID mints an ID as express-session's default genid (uid-safe, 24
// random bytes): 32 characters of base64url without padding.
func NewID() string {
	var b [24]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidID accepts the IDs sesh's stores can key: express's own and any
// custom genid output made of A-Z a-z 0-9 - _ : up to 200 bytes.
func ValidID(id string) bool { return sesh.ValidateKey(id) == nil }

// CookieValue is express-session's signed cookie value (sesh.CookieValueCodec).
type CookieValue struct{ signer *cookie.Signer }

// NewCookieValue returns the codec for secrets (newest first). A secret
// shorter than MinSecretLen logs a warning (see NewCookieValueWith).
func NewCookieValue(secrets ...[]byte) (CookieValue, error) {
	return NewCookieValueWith(SecretOptions{}, secrets...)
}

// NewCookieValueWith is NewCookieValue with SecretOptions.
func NewCookieValueWith(opt SecretOptions, secrets ...[]byte) (CookieValue, error) {
	s, err := cookie.NewSigner(secrets, cookie.SignerOptions{Encoding: base64.RawStdEncoding, AllowShortSecrets: true})
	if err != nil {
		return CookieValue{}, fmt.Errorf("express: %w", err)
	}
	warnShortSecrets(opt, secrets)
	return CookieValue{signer: s}, nil
}

// EncodeID returns encodeURIComponent("s:" + id + "." + signature).
func (c CookieValue) EncodeID(id string) string {
	return cookie.Escape("s:" + c.signer.Sign(id))
}

// DecodeID verifies a cookie value (already %-decoded) against every
// secret. Values without the "s:" prefix, with padding, trailing bytes or
// a bad signature are refused.
func (c CookieValue) DecodeID(value string) (string, bool) {
	id, _, ok := c.DecodeIDReissue(value)
	return id, ok
}

// DecodeIDReissue is DecodeID that also reports a value signed with an older
// secret (sesh.CookieValueReissuer): the Manager then sends the cookie again,
// signed with the first secret, as express-session does not — so the old
// secret can be retired without signing anyone out.
func (c CookieValue) DecodeIDReissue(value string) (string, bool, bool) {
	if len(value) < 2 || value[:2] != "s:" {
		return "", false, false
	}
	id, i, ok := c.signer.Verify(value[2:])
	return id, i > 0, ok
}

// sameSite is express's spelling of a SameSite mode, "" for unset.
func sameSite(s http.SameSite) string {
	switch s {
	case http.SameSiteLaxMode:
		return "lax"
	case http.SameSiteStrictMode:
		return "strict"
	case http.SameSiteNoneMode:
		return "none"
	}
	return ""
}

// now is the codec's clock; tests replace it.
var now = time.Now
