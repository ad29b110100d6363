package remix

import (
	"errors"
	"time"

	"github.com/sesh-go/sesh/cookie"
)

// NewCookie returns a typed cookie in the format of Remix's
// createCookie(name, {secrets}) — the same in Remix v2 and React Router v7
// — so a Go service and a Remix app can read each other's value of one
// cookie. It is a cookie.Typed: Serialize, Parse and Read work as for
// cookie.NewSigned.
//
// What the two sides share:
//
//   - The value: encodeURIComponent(b + "." + m), where b is the standard
//     base64 (padded) of the UTF-8 bytes of the value's JSON, and m the
//     standard base64, '=' removed, of HMAC-SHA256(secret, b). Remix builds
//     b as btoa(myUnescape(encodeURIComponent(JSON.stringify(v)))), which
//     comes to the same bytes. Go writes the JSON with encoding/json,
//     without HTML escaping; what JSON.stringify and encoding/json write
//     for the same data may still differ in bytes (key order of maps,
//     number spelling), never in meaning, and each side reads the other's.
//     JavaScript numbers are float64: integers beyond 2^53 lose precision.
//   - The secrets: the first signs, each verifies (rotation); Read reports
//     a value verified by a later secret as stale, to write it again.
//   - The attributes: Path=/ and SameSite=Lax unless opts says otherwise,
//     written in the npm cookie package's order (Max-Age, Domain, Path,
//     Expires, HttpOnly, Secure, Partitioned, Priority, SameSite) unless
//     opts.Order is set.
//
// Serialize refuses a Set-Cookie line over cookie.MaxLine bytes, which
// Remix's createCookie does not check (its cookie session storage does).
//
// Where Go is stricter than Remix (each of these reads as absent in Go):
//
//   - The name is not in the MAC, since Remix does not put it there: a
//     value signed for one Remix cookie verifies as any other cookie signed
//     with the same secrets. Give each such cookie its own secrets, or use
//     cookie.NewSigned where no Node app reads the cookie.
//   - An empty value: Remix's serialize("") writes "name=" unsigned, and
//     its parse returns "" for an empty value without any signature; Go
//     reads an empty value as absent and signs the JSON "" it writes for an
//     empty string (Remix reads that as "").
//   - A signed payload that is not the canonical padded base64 of UTF-8
//     JSON decoding into T: Remix returns {} for the first two; Go refuses
//     non-canonical base64 (no Remix writer produces it) as well.
//   - A signature with '=' padding or whitespace: Node's cookie-signature
//     refuses it too; React Router's Web Crypto verifier accepts it, but no
//     Remix writer produces it.
//   - No secret: Remix's createCookie then writes unsigned values; NewCookie
//     needs a Signer, so it never writes or reads one.
func NewCookie[T any](name string, opts cookie.Options, s *Signer) (*cookie.Typed[T], error) {
	if s == nil {
		return nil, errors.New("remix: NewCookie needs a Signer (unsigned cookies are not offered)")
	}
	if opts.Order == nil {
		opts.Order = cookie.OrderJS
	}
	return cookie.NewTyped[T](name, opts, cookieFormat{s})
}

// cookieFormat is createCookie's value format as a cookie.Format.
type cookieFormat struct{ s *Signer }

func (f cookieFormat) Encode(_ string, js []byte, _ time.Time) (string, error) {
	return f.s.Encode(js), nil
}

func (f cookieFormat) Decode(_, value string, _ time.Time) ([]byte, bool, bool) {
	js, idx, err := f.s.Decode(value)
	if err != nil {
		return nil, false, false
	}
	return js, idx > 0, true
}
