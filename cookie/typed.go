package cookie

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrTooLarge is returned when a Set-Cookie line would pass MaxLine bytes.
var ErrTooLarge = errors.New("cookie: Set-Cookie line too large")

// MaxLine is the longest Set-Cookie line a Typed cookie serializes
// (browsers may drop longer cookies silently).
const MaxLine = 4096

// Typed is a cookie holding one JSON value of type T, signed or sealed: the
// Go shape of Remix's createCookie. Use it for preferences, a CSRF token or
// a return URL. Build it with NewSigned or NewSealed (or NewTyped for
// another Format); it is safe for concurrent use.
//
// As with Remix's createCookie, an empty Path is written as "/" and an
// unset SameSite (SameSiteOmit) as Lax, both at construction and in
// SerializeWith: a typed cookie always carries both attributes.
type Typed[T any] struct {
	name   string
	opts   Options
	format Format
	now    func() time.Time
}

// Format turns a typed cookie's JSON into a cookie value and back. NewSigned
// and NewSealed use this package's formats; compat/remix.NewCookie uses
// Remix's. A Format must be safe for concurrent use.
type Format interface {
	// Encode returns the cookie value carrying js for the cookie called
	// name, which expires at expires (zero when no lifetime is set). The
	// value must consist of cookie-octets (ValidValue).
	Encode(name string, js []byte, expires time.Time) (string, error)
	// Decode authenticates value (as Values returns it: unquoted and
	// percent-decoded) for the cookie called name at now, and returns the
	// JSON it carries. stale reports a value that should be written again:
	// it verified under an older secret or key, or in a legacy form. ok is
	// false for any value refused. It must never panic.
	Decode(name, value string, now time.Time) (js []byte, stale, ok bool)
}

// SignedOption configures NewSigned.
type SignedOption func(*signedFormat)

// AcceptUnbound is a migration option for NewSigned: Parse also accepts
// values in the form sesh wrote before signatures covered the cookie name
// (Signer.Sign of the base64url JSON), and Read reports them stale, so that
// writing them again (Serialize) moves them to the bound form. While it is
// on, any unbound value signed with the same secrets is accepted under this
// cookie's name, as it was before: remove it once the old cookies have
// expired or been rewritten. Off by default.
func AcceptUnbound() SignedOption {
	return func(f *signedFormat) { f.acceptUnbound = true }
}

// NewSigned returns a Typed cookie whose value is readable by the client
// but cannot be forged: base64url(JSON) + "." + the MAC of that text bound
// to the cookie's name (Signer.SignFor), so a value signed for one cookie
// never reads as another.
func NewSigned[T any](name string, opts Options, signer *Signer, o ...SignedOption) (*Typed[T], error) {
	if signer == nil {
		return nil, errors.New("cookie: NewSigned needs a Signer (a typed cookie is never sent unprotected)")
	}
	f := &signedFormat{signer: signer}
	for _, fn := range o {
		fn(f)
	}
	return NewTyped[T](name, opts, f)
}

// NewSealed returns a Typed cookie whose value is encrypted and
// authenticated (see Sealer, which binds the cookie's name): the client can
// neither read nor forge it.
func NewSealed[T any](name string, opts Options, sealer *Sealer) (*Typed[T], error) {
	if sealer == nil {
		return nil, errors.New("cookie: NewSealed needs a Sealer")
	}
	return NewTyped[T](name, opts, sealedFormat{sealer})
}

// NewTyped returns a Typed cookie whose values are written and read by f.
// opts.Order nil means OrderDefault.
func NewTyped[T any](name string, opts Options, f Format) (*Typed[T], error) {
	if f == nil {
		return nil, errors.New("cookie: NewTyped needs a Format")
	}
	if opts.Order == nil {
		opts.Order = OrderDefault
	}
	typedDefaults(&opts)
	if err := Validate(name, &opts); err != nil {
		return nil, err
	}
	return &Typed[T]{name: name, opts: opts, format: f, now: time.Now}, nil
}

// typedDefaults applies createCookie's defaults: Path "/", SameSite Lax.
func typedDefaults(o *Options) {
	if o.Path == "" {
		o.Path = "/"
	}
	if o.SameSite == SameSiteOmit {
		o.SameSite = SameSiteLax
	}
}

// Name returns the cookie's name.
func (c *Typed[T]) Name() string { return c.name }

// Serialize returns the Set-Cookie header value carrying v, with the
// cookie's attributes. It fails if v cannot be encoded as JSON or the line
// would pass MaxLine bytes.
func (c *Typed[T]) Serialize(v T) (string, error) {
	return c.SerializeWith(v, c.opts)
}

// SerializeWith is Serialize with other attributes for this one cookie
// (say a shorter MaxAge). The defaults (Path "/", SameSite Lax) and the
// name's prefix rules still apply; a nil Order means the cookie's.
func (c *Typed[T]) SerializeWith(v T, opts Options) (string, error) {
	if opts.Order == nil {
		opts.Order = c.opts.Order
	}
	typedDefaults(&opts)
	if err := Validate(c.name, &opts); err != nil {
		return "", err
	}
	js, err := marshal(v)
	if err != nil {
		return "", fmt.Errorf("cookie: %s: value cannot be encoded: %w", c.name, err)
	}
	var exp time.Time
	switch {
	case opts.MaxAge > 0:
		exp = c.now().Add(time.Duration(min(opts.MaxAge, MaxAgeCap)) * time.Second)
	case opts.MaxAge < 0:
		exp = c.now()
	case !opts.Expires.IsZero():
		exp = opts.Expires
	}
	value, err := c.format.Encode(c.name, js, exp)
	if err != nil {
		return "", fmt.Errorf("cookie: %s: %w", c.name, err)
	}
	if !ValidValue(value) {
		return "", invalid("value of %s has characters outside cookie-octet", c.name)
	}
	line := AppendSetCookie(make([]byte, 0, len(value)+128), c.name, value, &opts)
	if len(line) > MaxLine {
		return "", fmt.Errorf("%w: %s is %d bytes", ErrTooLarge, c.name, len(line))
	}
	return string(line), nil
}

// marshal is json.Marshal without HTML escaping (<, >, & stay as they
// are, as JavaScript's JSON.stringify writes them).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), nil
}

// Expire returns the Set-Cookie header value that deletes the cookie.
func (c *Typed[T]) Expire() string {
	return string(AppendExpire(nil, c.name, &c.opts))
}

// Parse returns the value the request's cookie carries. ok is false when
// the cookie is absent, fails its signature or seal (every configured key
// is tried, as rotation needs), or does not decode into T: a bad cookie
// reads as absent, never as an error. When several cookies have the name,
// the first that verifies wins.
func (c *Typed[T]) Parse(r *http.Request) (v T, ok bool) {
	v, _, ok = c.read(FromRequest(r, c.name))
	return v, ok
}

// ParseHeader is Parse for a Cookie header value.
func (c *Typed[T]) ParseHeader(cookieHeader string) (v T, ok bool) {
	v, _, ok = c.read(Values([]string{cookieHeader}, c.name))
	return v, ok
}

// Read is Parse that also reports stale: the value verified under a secret
// or key other than the first, or in a legacy form (AcceptUnbound). Write
// a stale value again (Serialize) so that it keeps reading once the old
// secret, key or form is retired.
func (c *Typed[T]) Read(r *http.Request) (v T, stale, ok bool) {
	return c.read(FromRequest(r, c.name))
}

// ReadHeader is Read for a Cookie header value.
func (c *Typed[T]) ReadHeader(cookieHeader string) (v T, stale, ok bool) {
	return c.read(Values([]string{cookieHeader}, c.name))
}

func (c *Typed[T]) read(values []string) (v T, stale, ok bool) {
	now := c.now()
	for _, raw := range values {
		js, st, good := c.format.Decode(c.name, raw, now)
		if !good {
			continue
		}
		var out T
		if json.Unmarshal(js, &out) == nil {
			return out, st, true
		}
	}
	return v, false, false
}

// signedFormat is NewSigned's: base64url(JSON) signed for the cookie's
// name.
type signedFormat struct {
	signer        *Signer
	acceptUnbound bool
}

func (f *signedFormat) Encode(name string, js []byte, _ time.Time) (string, error) {
	return f.signer.SignFor(name, rawURLStrict.EncodeToString(js)), nil
}

func (f *signedFormat) Decode(name, value string, _ time.Time) ([]byte, bool, bool) {
	payload, idx, ok := f.signer.VerifyFor(name, value)
	stale := idx > 0
	if !ok && f.acceptUnbound {
		payload, _, ok = f.signer.Verify(value)
		stale = true
	}
	if !ok {
		return nil, false, false
	}
	js, ok := decodeCanonical(rawURLStrict, payload)
	if !ok {
		return nil, false, false
	}
	return js, stale, true
}

// sealedFormat is NewSealed's: the JSON sealed for the cookie's name, with
// the cookie's expiry inside the seal.
type sealedFormat struct{ sealer *Sealer }

func (f sealedFormat) Encode(name string, js []byte, expires time.Time) (string, error) {
	return string(f.sealer.Seal(nil, name, expires, js)), nil
}

func (f sealedFormat) Decode(name, value string, now time.Time) ([]byte, bool, bool) {
	js, _, ki, err := f.sealer.Open(name, value, now)
	if err != nil {
		return nil, false, false
	}
	return js, ki > 0, true
}
