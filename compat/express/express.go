// Package express makes a sesh Manager share sessions with an Express app
// that uses express-session: the same signed cookie, the same ID format and
// the same stored JSON, so a user signed in on one side is signed in on the
// other. Pair it with a store in the peer's layout (redisstore/connectredis
// for connect-redis, pgstore/connectpg for connect-pg-simple).
//
// The cookie is express-session's: encodeURIComponent("s:" + id + "." +
// base64(HMAC-SHA256(secret, id)) without padding), named connect.sid,
// attributes in express's order, a persistent lifetime written as Expires
// only. Every secret verifies, the first signs (rotation).
//
// # The stored record
//
// The record is express-session's JSON: a "cookie" object, the session's
// values at the top level beside it, and sesh's metadata in one extra
// property, "__sesh". Per field, which side is authoritative:
//
//   - cookie.originalMaxAge and cookie.expires, the cookie's lifetime: the
//     record, i.e. whichever side wrote last. sesh reads originalMaxAge as
//     the session's Persist (a positive number: a persistent cookie that
//     long; null, false, absent or not positive: a browser-session cookie),
//     so what the Node app set last (req.session.cookie.maxAge or expires)
//     holds on the Go side and survives Go's writes. sesh writes the
//     lifetime it uses (Session.Persist, else CookieConfig.MaxAge) with
//     expires = now + originalMaxAge, as express-session's touch computes it
//     (the cookie sesh sends may end earlier, at the absolute deadline); a
//     Manager.CommitWith expiry t is written as Node writes
//     req.session.cookie.expires = t: expires t, originalMaxAge t - now.
//   - cookie.secure, httpOnly, domain, path, sameSite, partitioned and
//     priority describe the cookie. express-session applies the stored ones
//     to its own Set-Cookie for that session; sesh ignores them on read (it
//     sends its CookieConfig, per request with Config.CookieFor) and writes
//     the ones it sends: SecureAuto and SameSiteAuto resolved for the
//     request, secure and partitioned only when true, priority only when
//     set. The side that wrote last decides what Node sends: configure both
//     apps alike.
//   - The values: shared. Properties Node writes that Go does not know are
//     ordinary session values to sesh and are kept when Go rewrites the
//     record. The names express-session reserves (id, req, save, reload,
//     touch, resetMaxAge, destroy, regenerate) are ignored on read by both
//     sides, and sesh refuses them, "cookie" and "__sesh" as value keys.
//   - "__sesh": sesh's alone, holding what express-session has no field
//     for: "c" the creation time (the absolute timeout counts from it), "u"
//     and "s" the user and sign-in time (Session.SetUserID), "a" the
//     User-Agent, "t" per-value deadlines, in Unix milliseconds. It is an
//     ordinary property to express-session, which carries it along. It holds
//     no cookie lifetime ("p", which older versions wrote, is ignored).
//   - The store's own expiry (the Redis TTL, the expire column): each side
//     sets it when it writes, sesh to its idle or absolute deadline.
//
// sesh writes nothing else into the shared store: connect-redis and
// connect-pg-simple have no compare-and-set, so the stores in their layout
// are not sesh.Swappers, and sesh neither leaves tombstones (Regenerate
// deletes the old record) nor takes locks (Config.Serialize refuses them).
//
// # Secure cookies and a plain-HTTP Node app
//
// express-session refuses to send a cookie whose stored cookie.secure is
// true on a request it sees as insecure, and sesh's default
// (sesh.SecureAlways) records secure: true. The session still works in
// Node (the browser keeps its cookie; Node reads and saves the session),
// but Node silently stops re-sending the cookie of a session Go wrote:
// rolling, a remember-me lifetime set in Node, a renewed Expires. So:
//
//   - Node behind a TLS-terminating proxy: make express see https, with
//     app.set('trust proxy', 1) (or express-session's proxy: true) and a
//     proxy that sets X-Forwarded-Proto.
//   - Plain HTTP end to end (development on a non-localhost name, say): set
//     Cookie.Secure to sesh.SecureNever on the Go side, so records carry no
//     secure, or sesh.SecureAuto (with TrustProxy behind a proxy), which
//     records secure as the request was, as express's secure: 'auto' does.
//
// # Secrets
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
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/internal/shortsecret"
	"github.com/sesh-go/sesh/cookie"
)

// DefaultCookieName is express-session's default cookie name.
const DefaultCookieName = "connect.sid"

// MinSecretLen is the secret length below which the constructors log a
// warning (SecretOptions).
const MinSecretLen = shortsecret.MinLen

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
	shortsecret.Warn(opt.Logger, opt.AllowShortSecrets,
		"express: signing secret shorter than 32 bytes; accepted to share sessions with an existing Express app, but a new secret should be 32 random bytes (SecretOptions.AllowShortSecrets silences this)", secrets)
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

// now is the codec's clock; tests replace it.
var now = time.Now
