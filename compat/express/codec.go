package express

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/internal/seshmeta"
	"github.com/sesh-go/sesh/cookie"
)

// metaKey is the property that carries sesh's metadata in the record.
const metaKey = seshmeta.Key

// reserved are the property names express-session ignores in stored data
// (they are methods of its Session); sesh ignores them on read and refuses
// them as value keys on write.
var reserved = []string{"cookie", metaKey, "id", "req", "save", "reload", "touch", "resetMaxAge", "destroy", "regenerate"}

// Codec reads and writes express-session's stored JSON. It is a
// sesh.CookieCodec: the Manager hands it the cookie each commit sends, and
// the record's cookie object describes that cookie. Cookie is used only by
// Encode, when the codec is called outside a Manager; Configure fills it
// from the Manager's cookie configuration.
type Codec struct {
	Cookie sesh.CookieConfig
}

var _ sesh.CookieCodec = Codec{}

// cookieOut is express-session's Cookie.data, in its field order.
type cookieOut struct {
	OriginalMaxAge *int64  `json:"originalMaxAge"`
	Partitioned    bool    `json:"partitioned,omitempty"`
	Priority       string  `json:"priority,omitempty"`
	Expires        *string `json:"expires"`
	Secure         bool    `json:"secure,omitempty"`
	HTTPOnly       bool    `json:"httpOnly"`
	Domain         string  `json:"domain,omitempty"`
	Path           string  `json:"path"`
	SameSite       string  `json:"sameSite,omitempty"`
}

// jsDate is the form of Date.prototype.toISOString.
const jsDate = "2006-01-02T15:04:05.000Z"

// Encode writes d with the cookie c.Cookie describes, sent now: the
// lifetime is d.Persist, else c.Cookie.MaxAge; Secure is set for
// sesh.SecureAlways; SameSiteAuto reads as for a Secure cookie.
func (c Codec) Encode(dst []byte, d *sesh.Data) ([]byte, error) {
	cc := c.Cookie
	secure := cc.Secure == sesh.SecureAlways
	a := cookie.Options{Domain: cc.Domain, Path: cc.Path, HttpOnly: !cc.DisableHTTPOnly, Secure: secure,
		Partitioned: cc.Partitioned, Priority: cc.Priority, SameSite: cookie.SameSiteLax}
	switch cc.SameSite {
	case http.SameSiteStrictMode:
		a.SameSite = cookie.SameSiteStrict
	case http.SameSiteNoneMode:
		a.SameSite = cookie.SameSiteNone
	case sesh.SameSiteAuto:
		if secure {
			a.SameSite = cookie.SameSiteNone
		}
	}
	life := d.Persist
	switch {
	case life < 0:
		life = 0
	case life == 0:
		life = cc.MaxAge
	}
	return c.EncodeCookie(dst, d, &sesh.CommitCookie{Attrs: a, Lifetime: life, Now: now()})
}

// EncodeCookie writes {"cookie":{…},<values>,"__sesh":{…}}: the cookie
// object as express-session writes it for ck (originalMaxAge and expires
// from ck's lifetime or absolute expiry, the attributes ck carries), the
// values at the top level, and in "__sesh" the metadata express-session has
// no field for.
func (c Codec) EncodeCookie(dst []byte, d *sesh.Data, ck *sesh.CommitCookie) ([]byte, error) {
	var out cookieOut
	a := &ck.Attrs
	out.HTTPOnly = a.HttpOnly
	out.Path = a.Path
	if out.Path == "" {
		out.Path = "/"
	}
	out.Domain = a.Domain
	out.Secure = a.Secure
	out.Partitioned = a.Partitioned
	switch a.Priority {
	case cookie.PriorityLow:
		out.Priority = "low"
	case cookie.PriorityMedium:
		out.Priority = "medium"
	case cookie.PriorityHigh:
		out.Priority = "high"
	}
	switch a.SameSite {
	case cookie.SameSiteLax:
		out.SameSite = "lax"
	case cookie.SameSiteStrict:
		out.SameSite = "strict"
	case cookie.SameSiteNone:
		out.SameSite = "none"
	}
	var exp time.Time
	var ms int64
	switch {
	case !ck.Expires.IsZero():
		// As express-session records req.session.cookie.expires = date:
		// the time left becomes originalMaxAge.
		exp = ck.Expires
		ms = ck.Expires.Sub(ck.Now).Round(time.Millisecond).Milliseconds()
	case ck.Lifetime > 0:
		ms = ck.Lifetime.Milliseconds()
		exp = ck.Now.Add(ck.Lifetime)
	}
	if !exp.IsZero() {
		s := exp.UTC().Format(jsDate)
		out.OriginalMaxAge, out.Expires = &ms, &s
	}
	cb, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("express: %w", err)
	}
	dst = append(dst, `{"cookie":`...)
	dst = append(dst, cb...)
	keys := make([]string, 0, len(d.Values))
	for k := range d.Values {
		if slices.Contains(reserved, k) {
			return nil, fmt.Errorf("express: %q is a reserved property of express-session's record and cannot be a value key", k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		dst = append(dst, ',')
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, fmt.Errorf("express: %w", err)
		}
		dst = append(dst, kb...)
		dst = append(dst, ':')
		dst = append(dst, d.Values[k]...)
	}
	m := seshmeta.From(d)
	m.P = 0 // the cookie's lifetime is the record's cookie.originalMaxAge
	if !m.Empty() {
		mb, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("express: %w", err)
		}
		dst = append(dst, `,"`+metaKey+`":`...)
		dst = append(dst, mb...)
	}
	return append(dst, '}'), nil
}

// Decode reads a record express-session (or Encode) wrote. A record
// without a cookie object, or whose cookie.originalMaxAge is neither a
// number, null nor false, is refused, as express-session fails on it.
//
// The cookie's lifetime is the record's: d.Persist is originalMaxAge when
// it is a positive number, else sesh.BrowserSession (null, false, absent or
// not positive: express-session then sends a browser-session cookie). A
// Persist that an older sesh kept in "__sesh" is ignored: what the Node app
// set last (req.session.cookie.maxAge) wins.
func (Codec) Decode(src []byte, d *sesh.Data) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(src, &top); err != nil {
		return fmt.Errorf("%w: express: %w", sesh.ErrDecode, err)
	}
	raw, ok := top["cookie"]
	if !ok {
		return fmt.Errorf("%w: express: no cookie object", sesh.ErrDecode)
	}
	var ck struct {
		OriginalMaxAge json.RawMessage `json:"originalMaxAge"`
	}
	if len(raw) == 0 || raw[0] != '{' {
		return fmt.Errorf("%w: express: the cookie property is not an object", sesh.ErrDecode)
	}
	if err := json.Unmarshal(raw, &ck); err != nil {
		return fmt.Errorf("%w: express: cookie: %w", sesh.ErrDecode, err)
	}
	persist, err := lifetime(ck.OriginalMaxAge)
	if err != nil {
		return err
	}
	*d = sesh.Data{}
	if mr, ok := top[metaKey]; ok {
		var m seshmeta.Meta
		if err := json.Unmarshal(mr, &m); err != nil {
			return fmt.Errorf("%w: express: %s: %w", sesh.ErrDecode, metaKey, err)
		}
		m.P = 0
		m.Apply(d)
	}
	d.Persist = persist
	for k, v := range top {
		if slices.Contains(reserved, k) {
			continue
		}
		if d.Values == nil {
			d.Values = make(map[string]json.RawMessage, len(top))
		}
		d.Values[k] = v
	}
	return nil
}

// maxLifetimeMS bounds a lifetime read from a record to what a
// time.Duration holds.
const maxLifetimeMS = math.MaxInt64 / int64(time.Millisecond)

// lifetime reads cookie.originalMaxAge (milliseconds).
func lifetime(raw json.RawMessage) (time.Duration, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "false" {
		return sesh.BrowserSession, nil
	}
	var ms float64
	if err := json.Unmarshal(raw, &ms); err != nil {
		return 0, fmt.Errorf("%w: express: cookie.originalMaxAge is not a number", sesh.ErrDecode)
	}
	if !(ms >= 1) { // not positive (or under a millisecond)
		return sesh.BrowserSession, nil
	}
	if ms >= float64(maxLifetimeMS) {
		return time.Duration(maxLifetimeMS) * time.Millisecond, nil
	}
	return time.Duration(math.Round(ms)) * time.Millisecond, nil
}
