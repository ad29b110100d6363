package sesh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"time"

	"github.com/sesh-go/sesh/cookie"
)

// NoTimeout, as IdleTimeout or AbsoluteTimeout, turns that timeout off.
const NoTimeout time.Duration = -1

// NoLimit, as Config.MaxSize, turns the size bound off.
const NoLimit = -1

// Defaults applied by New to zero Config fields.
const (
	DefaultMaxSize    = 64 << 10
	DefaultCookieName = "session"
	// DefaultHostCookieName is the default name when the cookie is Secure
	// with Path "/" and no Domain (the defaults): the __Host- prefix makes
	// browsers refuse it from a subdomain or over plain HTTP elsewhere.
	DefaultHostCookieName  = "__Host-session"
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
)

// SameSiteAuto, as CookieConfig.SameSite, is express-session's
// sameSite: 'auto': SameSite=None (with Secure) on secure requests, Lax on
// the others.
const SameSiteAuto http.SameSite = -1

// SecureMode decides the Secure attribute of the session cookie.
type SecureMode uint8

const (
	// SecureAlways always sets Secure: the default. Chromium keeps Secure
	// cookies from http://localhost and http://127.0.0.1 too (the demo's
	// browser test checks it), so it costs nothing in local development
	// there, and it keeps the cookie Secure behind a TLS-terminating proxy
	// that sesh cannot see. Required for __Host- and __Secure- names,
	// SameSite=None and Partitioned.
	SecureAlways SecureMode = iota
	// SecureAuto sets Secure when the request came over TLS, or, with
	// TrustProxy, when X-Forwarded-Proto says https: for a deployment that
	// serves plain HTTP on a host other than localhost. Explicit loads from a
	// bare Cookie header (no request) count as secure.
	SecureAuto
	// SecureNever never sets Secure. Only for plain-HTTP deployments.
	SecureNever
)

// CookieSealer turns a cookie-only session's encoded data into a cookie
// value and back. *cookie.Sealer (XChaCha20-Poly1305) is the one to use;
// compat/remix provides Remix's signed (not encrypted) format for sharing a
// cookie with a Remix app.
type CookieSealer interface {
	// Seal appends the cookie value carrying payload, valid until expires,
	// for the cookie called name. The value is never shorter than payload.
	Seal(dst []byte, name string, expires time.Time, payload []byte) []byte
	// SealedLen bounds the length of Seal's output for n bytes of payload
	// (it sizes buffers; the size limit is checked on the value itself).
	SealedLen(n int) int
	// Open returns the payload of a cookie value (as read from the Cookie
	// header) and its expiry (zero if the format keeps none), with the index
	// of the key that opened it (> 0: re-seal with the current key). Any
	// failure is an error; Open must not panic on any input.
	Open(name, value string, now time.Time) (payload []byte, expires time.Time, keyIndex int, err error)
}

// isNilPointer reports whether v is an interface holding a nil pointer.
func isNilPointer(v any) bool {
	if v == nil {
		return false
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// CookieValueCodec maps a session ID to a cookie value and back (see
// Config.CookieValue).
type CookieValueCodec interface {
	// EncodeID returns the cookie value for id, escaped as the peer writes
	// it; it must consist of cookie-octets.
	EncodeID(id string) string
	// DecodeID returns the ID carried by a cookie value as read from the
	// Cookie header (after %-decoding), or false if the value is not one
	// (a bad signature, say). It must not panic on any input.
	DecodeID(value string) (id string, ok bool)
}

// CookieValueReissuer is implemented by a CookieValueCodec that signs with
// several secrets (rotation) and can tell a value verified by an older one:
// the Manager then sends the cookie again, encoded with the current secret,
// on the response, so the old secret can be retired without signing anyone
// out. SignedIDs, compat/express and compat/remix implement it.
type CookieValueReissuer interface {
	// DecodeIDReissue is DecodeID that also reports whether the value
	// should be encoded again (it was verified by an older secret).
	DecodeIDReissue(value string) (id string, reissue, ok bool)
}

// UnsetMode is express-session's unset option: what happens to a stored
// session whose values have all been removed in a request.
type UnsetMode uint8

const (
	// UnsetKeep saves the session, empty (express's default).
	UnsetKeep UnsetMode = iota
	// UnsetDestroy deletes the session and expires its cookie.
	UnsetDestroy
)

// CookieConfig holds the session cookie's name and attributes.
type CookieConfig struct {
	// Name defaults to "__Host-session" (DefaultHostCookieName) when the
	// cookie is Secure (SecureAlways, the default) with Path "/" and no
	// Domain, and to "session" otherwise.
	Name string
	// Domain is empty (host-only) by default.
	Domain string
	// Path defaults to "/".
	Path string
	// Secure defaults to SecureAlways. Over plain HTTP to a host other than
	// localhost, browsers drop a Secure cookie: the middleware logs a
	// warning once when it sees such a request. Set SecureAuto (with
	// TrustProxy behind a proxy) or SecureNever for plain-HTTP deployments.
	Secure SecureMode
	// DisableHTTPOnly lets scripts read the cookie. Not recommended.
	DisableHTTPOnly bool
	// SameSite defaults to Lax (http.SameSiteDefaultMode also means Lax: the
	// attribute is always written explicitly). SameSiteAuto is express's
	// 'auto': None on requests sesh sees as secure (TLS, or a trusted proxy
	// saying https), Lax otherwise.
	SameSite http.SameSite
	// Partitioned sets the CHIPS attribute (requires SecureAlways).
	Partitioned bool
	// Priority is Chromium's Priority attribute; omitted by default.
	Priority cookie.Priority
	// MaxAge > 0 makes the cookie persistent: Max-Age and Expires are set to
	// min(MaxAge, the session's absolute deadline). 0 (the default) gives a
	// browser-session cookie. Session.Persist overrides it per session.
	MaxAge time.Duration
	// Expires, when set and no lifetime applies (no MaxAge, no
	// Session.Persist, no CommitOptions), makes the cookie persistent until
	// that fixed date, written as Expires only (no Max-Age), as Remix's
	// createCookie({expires}) writes it; never past the session's absolute
	// deadline. Once the date has passed, every cookie sent is already
	// expired, as in Remix. The stored record's expiry is unchanged.
	Expires time.Time
	// Order is the attribute order on the wire; nil is cookie.OrderDefault.
	Order []cookie.Attr
	// MaxChunks > 1 lets a cookie-only session that does not fit one cookie
	// spread over name.0, name.1, … up to MaxChunks cookies (stale chunks are
	// expired when it shrinks). Default 0: one cookie, and a commit past
	// 4096 bytes fails with CookieTooLargeError.
	MaxChunks int
	// OmitMaxAge writes a persistent cookie's lifetime as Expires only, as
	// express-session does (compat/express sets it).
	OmitMaxAge bool
	// OmitMaxAgeOnDelete writes the Set-Cookie line that deletes the cookie
	// (Destroy, an expired or revoked cookie, stale chunks) with an empty
	// value and Expires at the Unix epoch only, without Max-Age=0, as
	// Remix's destroySession writes it (compat/remix sets it). Browsers
	// delete the cookie either way.
	OmitMaxAgeOnDelete bool
}

// Config configures a Manager. Set exactly one of Store (server-side
// sessions) and Sealer (cookie-only sessions); the zero value of every
// other field is a safe default.
type Config struct {
	// Store keeps the session records. Required, unless Sealer is set.
	Store Store
	// Sealer makes sessions cookie-only: the session data is sealed into
	// the cookie itself and no Store is used. Use a *cookie.Sealer
	// (encrypted and authenticated); compat/remix.Signer writes Remix's
	// signed, readable format for sharing a cookie with a Remix app. Set exactly one of Store and Sealer.
	// Without a Revoked hook, a cookie-only session cannot be ended
	// server-side: a copy of the cookie stays valid until its deadlines
	// pass, even after sign-out.
	Sealer CookieSealer
	// Revoked, when set, is asked about every session that loads (both
	// kinds): return true to treat it as gone. Keep a per-user "not before"
	// time and compare it with Meta.SignedIn to end every session of a user
	// at sign-out or password change, including copied cookie-only
	// sessions. An error fails the request closed (ErrorHandler).
	Revoked func(ctx context.Context, m Meta) (bool, error)
	// Cookie is the session cookie's name and attributes.
	Cookie CookieConfig

	// IdleTimeout ends a session that has seen no request for that long
	// (enforced server-side by the record's expiry). Default 30 minutes;
	// NoTimeout turns it off.
	IdleTimeout time.Duration
	// AbsoluteTimeout ends a session that long after its creation whatever
	// its activity; Regenerate does not reset it. Default 12 hours;
	// NoTimeout turns it off. Both timeouts cannot be off.
	AbsoluteTimeout time.Duration
	// TouchInterval throttles how often an unmodified session's idle
	// deadline is pushed forward in the store. Default IdleTimeout/10, at
	// most one minute.
	TouchInterval time.Duration

	// Resave saves an unmodified session back to the store on every
	// request (express's resave). Default false.
	Resave bool
	// Rolling sends the session cookie on every response, resetting a
	// persistent cookie's lifetime (express's rolling). Default false.
	Rolling bool
	// SaveUninitialized saves and sends a cookie for every new session,
	// even if the handler stored nothing (express's saveUninitialized).
	// Default false.
	SaveUninitialized bool
	// Unset decides what happens to a stored session that ends a request
	// with no values. Default UnsetKeep.
	Unset UnsetMode

	// GenID mints session IDs; default NewID (256 bits from crypto/rand).
	// A custom GenID needs a ValidID that accepts exactly what it mints.
	// With a store that implements Creator, the store mints the IDs and the
	// defaults become: StoreKey the identity, ValidID ValidateKey.
	GenID func() string
	// GenIDRequest, when set, mints session IDs from the request, as
	// express's genid(req) (a prefix per tenant, say). Like GenID it needs a
	// ValidID that accepts what it mints; an ID that ValidID rejects fails
	// the commit. The explicit API's Load (no request) uses GenID.
	GenIDRequest func(r *http.Request) string
	// CookieValue, when set, turns a session ID into the cookie's value and
	// back, for a peer's cookie format: compat/express signs the ID as
	// express-session does. ValidID then applies to the decoded ID. Not
	// with Sealer.
	CookieValue CookieValueCodec
	// CookieFor, when set, adjusts the session cookie per request, as
	// express-session's cookie option given as a function of req: it gets a
	// copy of Cookie (defaults filled) and may change Domain, Path, Secure,
	// DisableHTTPOnly, SameSite, Partitioned, Priority and MaxAge. The
	// result is validated as New validates Cookie (an empty Path means "/");
	// an invalid result, or a changed Name, Order, MaxChunks or OmitMaxAge,
	// fails the request through the ErrorHandler (the handler does not run).
	// The middleware's Path gate applies the Path it returns. LoadRequest
	// applies it too (an invalid result is its error); Load and LoadID, which
	// have no request, use Cookie.
	CookieFor func(r *http.Request, c *CookieConfig)
	// ValidID rejects malformed cookie values before they reach the store;
	// default ValidID (the shape of NewID).
	ValidID func(id string) bool
	// StoreKey maps a session ID to its store key; default HashID. Interop
	// modes use the peer's raw layout. Its results must pass ValidateKey.
	StoreKey func(id string) string

	// TrustProxy trusts X-Forwarded-Proto for SecureAuto (and for the
	// plain-HTTP warning). Set it only behind a proxy that overwrites that
	// header.
	TrustProxy bool
	// LazyLoad defers the store read to the handler's first use of the
	// session, so a request that never touches its session costs no store
	// call. If that read fails, the handler's response is replaced by the
	// ErrorHandler's. Default false: the middleware reads the session before
	// the handler runs whenever the request carries a well-formed session
	// cookie (a request without one never costs a store call).
	LazyLoad bool

	// DisableCacheControl stops the middleware from adding
	// "Cache-Control: private, no-store" to responses on which a live session
	// was loaded (it never overrides a Cache-Control the handler set). A
	// response that sets the session cookie always gets "no-store".
	DisableCacheControl bool
	// ClearSiteData, when set, is sent as a Clear-Site-Data header on the
	// response of a request that called Destroy, e.g. []string{"cache",
	// "cookies"}. Mind that "cookies" clears every cookie of the site's
	// registrable domain, not only sesh's. Directives: cache, cookies,
	// storage, executionContexts, prefetchCache, prerenderCache, "*".
	ClearSiteData []string

	// MaxSize bounds a server-side session's encoded data, in bytes: a Set
	// of a larger value, or a commit of a larger session, fails with a
	// *SizeError (413 from the default ErrorHandler) and saves nothing.
	// Default DefaultMaxSize (64 KiB); NoLimit turns the bound off.
	// Cookie-only sessions are bounded by the cookie instead (see
	// CookieTooLargeError).
	MaxSize int

	// Remember, when set, enables persistent login ("remember me"): see
	// RememberConfig and Session.Remember.
	Remember *RememberConfig

	// Serialize makes the requests of one session take turns, as PHP's and
	// ASP.NET's session locks do: a request that carries a session cookie
	// takes the session's lock before it reads the session and releases it
	// after the response, so it sees every write of the request before it,
	// and a Set of a value computed from a Get loses nothing. Off by
	// default: without it, concurrent requests still lose no key and
	// Update is exact, but a plain Set is last-writer-wins.
	//
	// The lock is a lease record in the store, taken with its
	// compare-and-set (so the store must implement Swapper), that expires
	// after LockTTL: a crashed holder blocks its session for LockTTL at
	// most. A request waits at most LockWait (and as long as its context
	// allows), then fails with a *ConflictError (503 by default). Requests
	// without a session cookie take no lock; with LazyLoad, neither do
	// requests that never touch their session. The explicit API (Load,
	// LoadRequest) takes no lock. A lock costs two store writes per
	// request (see BENCHMARKS.md).
	Serialize bool
	// LockTTL is how long a session's lock lasts if its holder never
	// releases it; a request that runs longer loses the lock, and its
	// commit then fails rather than overwrite a newer write. Default
	// DefaultLockTTL (30 s). Only with Serialize.
	LockTTL time.Duration
	// LockWait bounds how long a request waits for its session's lock.
	// Default DefaultLockWait (10 s). Only with Serialize.
	LockWait time.Duration

	// ErrorHandler answers when the store fails. The default answers 503
	// with Retry-After for a *ConflictError (errors.Is(err, ErrConflict)),
	// 413 for a session over Config.MaxSize, and 500 otherwise. The
	// middleware logs the error once before calling it.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// Observer, when set, sees every store call and lifecycle event, for
	// metrics and traces (see the seshotel module). Default none: no cost.
	Observer Observer
	// Logger receives lifecycle events; default slog.Default(). Events never
	// contain a session ID, only a short one-way handle.
	Logger *slog.Logger
	// Codec encodes session data for the store; default JSONCodec.
	Codec Codec
	// Now is the clock; default time.Now. Tests inject their own.
	Now func() time.Time
}

// ErrConfig wraps every configuration error New returns.
var ErrConfig = errors.New("sesh: invalid configuration")

func configErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
}

// normalize fills defaults and validates. It never panics.
func (c Config) normalize() (Config, error) {
	// A nil *cookie.Sealer in the interface field means "no sealer": the
	// natural `var s *cookie.Sealer; …; Config{Sealer: s}` must not turn a
	// server-side configuration into a conflicting one.
	if isNilPointer(c.Sealer) {
		c.Sealer = nil
	}
	if isNilPointer(c.CookieValue) {
		c.CookieValue = nil
	}
	switch {
	case c.Store == nil && c.Sealer == nil:
		return c, configErr("no Store and no Sealer: set a Store for server-side sessions (memstore.New(memstore.Options{}) gives an in-process one) or a Sealer for cookie-only sessions (cookie.NewSealer)")
	case c.Store != nil && c.Sealer != nil:
		return c, configErr("both Store and Sealer are set: a Manager keeps sessions either server-side or in the cookie")
	case c.CookieValue != nil && c.Sealer != nil:
		return c, configErr("CookieValue maps session IDs; cookie-only sessions (Sealer) carry no ID")
	}
	if c.Cookie.MaxChunks < 0 || c.Cookie.MaxChunks > 16 {
		return c, configErr("Cookie.MaxChunks must be between 0 and 16")
	}
	if c.Cookie.MaxChunks > 1 && c.Sealer == nil {
		return c, configErr("Cookie.MaxChunks applies to cookie-only sessions (Sealer)")
	}
	if c.Cookie.Path == "" {
		c.Cookie.Path = "/"
	}
	if c.Cookie.Name == "" {
		c.Cookie.Name = DefaultCookieName
		if c.Cookie.Secure == SecureAlways && c.Cookie.Path == "/" && c.Cookie.Domain == "" {
			c.Cookie.Name = DefaultHostCookieName
		}
	}
	if c.Cookie.Order == nil {
		c.Cookie.Order = cookie.OrderDefault
	}
	if err := c.Cookie.validate(); err != nil {
		return c, err
	}
	for _, t := range []*time.Duration{&c.IdleTimeout, &c.AbsoluteTimeout} {
		if *t < NoTimeout {
			return c, configErr("negative timeout %v (use NoTimeout to turn a timeout off)", *t)
		}
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.AbsoluteTimeout == 0 {
		c.AbsoluteTimeout = DefaultAbsoluteTimeout
	}
	if c.IdleTimeout == NoTimeout && c.AbsoluteTimeout == NoTimeout {
		return c, configErr("IdleTimeout and AbsoluteTimeout cannot both be off: every session must expire")
	}
	if c.IdleTimeout > 0 && c.AbsoluteTimeout > 0 && c.IdleTimeout > c.AbsoluteTimeout {
		return c, configErr("IdleTimeout (%v) is longer than AbsoluteTimeout (%v): the idle timeout could never end a session; shorten IdleTimeout, or set it to NoTimeout", c.IdleTimeout, c.AbsoluteTimeout)
	}
	for _, d := range c.ClearSiteData {
		switch d {
		case "cache", "cookies", "storage", "executionContexts", "prefetchCache", "prerenderCache", "*":
		default:
			return c, configErr("unknown Clear-Site-Data directive %q", d)
		}
	}
	switch {
	case c.MaxSize < NoLimit:
		return c, configErr("negative MaxSize %d (use NoLimit to turn the bound off)", c.MaxSize)
	case c.MaxSize == 0:
		c.MaxSize = DefaultMaxSize
	}
	if err := c.normalizeSerialize(); err != nil {
		return c, err
	}
	if c.TouchInterval < 0 {
		return c, configErr("negative TouchInterval")
	}
	if c.TouchInterval == 0 && c.IdleTimeout > 0 {
		c.TouchInterval = min(c.IdleTimeout/10, time.Minute)
	}
	switch c.Unset {
	case UnsetKeep, UnsetDestroy:
	default:
		return c, configErr("unknown Unset mode %d", c.Unset)
	}
	if _, ok := c.Store.(Creator); ok {
		// The store mints the IDs (Remix's createData): the cookie carries
		// the store's key, signed: a store's IDs may be guessable.
		if c.CookieValue == nil {
			return c, configErr("the store (%T) mints its own session IDs, which may be guessable: sign them in the cookie with CookieValue: sesh.SignedIDs(secret) (or compat/remix's ConfigureIDStorage to share Remix's format)", c.Store)
		}
		if c.StoreKey == nil {
			c.StoreKey = func(id string) string { return id }
		}
		if c.ValidID == nil {
			c.ValidID = func(id string) bool { return ValidateKey(id) == nil }
		}
		if c.GenID == nil {
			c.GenID = func() string { return "creator" }
		}
	}
	if (c.GenID != nil || c.GenIDRequest != nil) && c.ValidID == nil {
		return c, configErr("a custom GenID or GenIDRequest needs a ValidID that accepts what it mints")
	}
	genIDSet := c.GenID != nil
	if c.GenID == nil {
		c.GenID = NewID
	}
	if c.ValidID == nil {
		c.ValidID = ValidID
	}
	if c.StoreKey == nil {
		c.StoreKey = HashID
	}
	// Check the ID pipeline once, so a broken GenID/ValidID/StoreKey
	// combination fails here rather than on the first request.
	// (With only GenIDRequest, there is no request to mint one from: the
	// commit checks each ID instead.)
	if c.GenIDRequest == nil || genIDSet {
		id := c.GenID()
		if !c.ValidID(id) {
			return c, configErr("ValidID rejects an ID minted by GenID")
		}
		if err := ValidateKey(c.StoreKey(id)); err != nil && c.Sealer == nil {
			return c, configErr("StoreKey yields an invalid store key: %v", err)
		}
	}
	if c.ErrorHandler == nil {
		c.ErrorHandler = defaultErrorHandler
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Codec == nil {
		c.Codec = JSONCodec{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// normalizeSerialize checks and fills the serialisation options.
func (c *Config) normalizeSerialize() error {
	if c.LockTTL < 0 || c.LockWait < 0 {
		return configErr("negative LockTTL or LockWait")
	}
	if !c.Serialize {
		if c.LockTTL != 0 || c.LockWait != 0 {
			return configErr("LockTTL and LockWait apply only with Serialize: true")
		}
		return nil
	}
	if c.Sealer != nil {
		return configErr("Serialize needs a Store: a cookie-only session (Sealer) has no server-side record to lock")
	}
	if _, ok := c.Store.(Swapper); !ok {
		return configErr("Serialize needs a store with compare-and-set (sesh.Swapper); %T is not one", c.Store)
	}
	if c.LockTTL == 0 {
		c.LockTTL = DefaultLockTTL
	}
	if c.LockWait == 0 {
		c.LockWait = DefaultLockWait
	}
	return nil
}

// validate checks the attributes of a cookie configuration whose defaults
// are filled (New's checks, also applied to Config.CookieFor's results).
func (cc *CookieConfig) validate() error {
	switch cc.Secure {
	case SecureAuto, SecureAlways, SecureNever:
	default:
		return configErr("unknown Cookie.Secure mode %d", cc.Secure)
	}
	switch cc.SameSite {
	case 0, http.SameSiteDefaultMode, http.SameSiteLaxMode, http.SameSiteStrictMode, http.SameSiteNoneMode, SameSiteAuto:
	default:
		return configErr("unknown Cookie.SameSite %d", cc.SameSite)
	}
	if cc.MaxAge < 0 {
		return configErr("Cookie.MaxAge is negative")
	}
	opts := cc.options(cc.Secure == SecureAlways)
	if cc.MaxAge > 0 {
		opts.MaxAge = 1 // validate that the order can carry a lifetime
		opts.Expires = time.Unix(1, 0)
	}
	if err := cookie.Validate(cc.Name, &opts); err != nil {
		if cc.Secure == SecureAuto && (opts.SameSite == cookie.SameSiteNone || opts.Partitioned || hasSecurePrefix(cc.Name)) {
			return configErr("%v (with Secure: SecureAuto the cookie may be sent without Secure; use SecureAlways)", err)
		}
		return configErr("%v", err)
	}
	return nil
}

func hasSecurePrefix(name string) bool {
	return hasPrefixFold(name, "__Host-") || hasPrefixFold(name, "__Secure-")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && equalFold(s[:len(prefix)], prefix)
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// options returns the wire options for one response.
func (cc *CookieConfig) options(secure bool) cookie.Options {
	o := cookie.Options{
		Domain:      cc.Domain,
		Path:        cc.Path,
		HttpOnly:    !cc.DisableHTTPOnly,
		Secure:      secure,
		Partitioned: cc.Partitioned,
		Priority:    cc.Priority,
		Order:       cc.Order,
	}
	switch cc.SameSite {
	case http.SameSiteStrictMode:
		o.SameSite = cookie.SameSiteStrict
	case http.SameSiteNoneMode:
		o.SameSite = cookie.SameSiteNone
	case SameSiteAuto:
		o.SameSite = cookie.SameSiteLax
		if secure {
			o.SameSite = cookie.SameSiteNone
		}
	default:
		o.SameSite = cookie.SameSiteLax
	}
	return o
}

// defaultErrorHandler answers 503 with Retry-After for a conflict (the
// request can be retried as it is), 413 for a session over MaxSize, and
// 500 for everything else.
func defaultErrorHandler(w http.ResponseWriter, _ *http.Request, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrConflict):
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	case errors.Is(err, ErrTooLarge):
		code = http.StatusRequestEntityTooLarge
	}
	http.Error(w, http.StatusText(code), code)
}
