package cookie

import (
	"encoding/base64"
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
// a return URL. Build it with NewSigned or NewSealed; it is safe for
// concurrent use.
type Typed[T any] struct {
	name   string
	opts   Options
	signer *Signer
	sealer *Sealer
	now    func() time.Time
}

// NewSigned returns a Typed cookie whose value is readable by the client
// but cannot be forged: base64url(JSON) signed with HMAC-SHA256.
func NewSigned[T any](name string, opts Options, signer *Signer) (*Typed[T], error) {
	if signer == nil {
		return nil, errors.New("cookie: NewSigned needs a Signer (a typed cookie is never sent unprotected)")
	}
	return newTyped[T](name, opts, signer, nil)
}

// NewSealed returns a Typed cookie whose value is encrypted and
// authenticated (see Sealer): the client can neither read nor forge it.
func NewSealed[T any](name string, opts Options, sealer *Sealer) (*Typed[T], error) {
	if sealer == nil {
		return nil, errors.New("cookie: NewSealed needs a Sealer")
	}
	return newTyped[T](name, opts, nil, sealer)
}

func newTyped[T any](name string, opts Options, signer *Signer, sealer *Sealer) (*Typed[T], error) {
	if opts.Order == nil {
		opts.Order = OrderDefault
	}
	if err := Validate(name, &opts); err != nil {
		return nil, err
	}
	return &Typed[T]{name: name, opts: opts, signer: signer, sealer: sealer, now: time.Now}, nil
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
// (say a shorter MaxAge). The name's prefix rules still apply.
func (c *Typed[T]) SerializeWith(v T, opts Options) (string, error) {
	if opts.Order == nil {
		opts.Order = c.opts.Order
	}
	if err := Validate(c.name, &opts); err != nil {
		return "", err
	}
	js, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("cookie: %s: value cannot be encoded: %w", c.name, err)
	}
	var value string
	if c.sealer != nil {
		var exp time.Time
		switch {
		case opts.MaxAge > 0:
			exp = c.now().Add(time.Duration(opts.MaxAge) * time.Second)
		case !opts.Expires.IsZero():
			exp = opts.Expires
		}
		value = string(c.sealer.Seal(nil, c.name, exp, js))
	} else {
		value = c.signer.Sign(base64.RawURLEncoding.EncodeToString(js))
	}
	line := AppendSetCookie(make([]byte, 0, len(value)+128), c.name, value, &opts)
	if len(line) > MaxLine {
		return "", fmt.Errorf("%w: %s is %d bytes", ErrTooLarge, c.name, len(line))
	}
	return string(line), nil
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
	return c.parse(FromRequest(r, c.name))
}

// ParseHeader is Parse for a Cookie header value.
func (c *Typed[T]) ParseHeader(cookieHeader string) (v T, ok bool) {
	return c.parse(Values([]string{cookieHeader}, c.name))
}

func (c *Typed[T]) parse(values []string) (v T, ok bool) {
	for _, raw := range values {
		var js []byte
		if c.sealer != nil {
			pt, _, _, err := c.sealer.Open(c.name, raw, c.now())
			if err != nil {
				continue
			}
			js = pt
		} else {
			payload, _, good := c.signer.Verify(raw)
			if !good {
				continue
			}
			b, err := base64.RawURLEncoding.Strict().DecodeString(payload)
			if err != nil {
				continue
			}
			js = b
		}
		var out T
		if json.Unmarshal(js, &out) == nil {
			return out, true
		}
	}
	return v, false
}
