package express

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/internal/seshmeta"
)

// metaKey is the property that carries sesh's metadata in the record.
const metaKey = seshmeta.Key

// reserved are the property names express-session ignores in stored data
// (they are methods of its Session); sesh ignores them on read and refuses
// them as value keys on write.
var reserved = []string{"cookie", metaKey, "id", "req", "save", "reload", "touch", "resetMaxAge", "destroy", "regenerate"}

// Codec reads and writes express-session's stored JSON (sesh.Codec).
// Cookie supplies the attributes written into the record's cookie object;
// Configure fills it from the Manager's cookie configuration.
type Codec struct {
	Cookie sesh.CookieConfig
}

type cookieJSON struct {
	OriginalMaxAge *int64  `json:"originalMaxAge"`
	Expires        *string `json:"expires"`
	Secure         *bool   `json:"secure,omitempty"`
	HTTPOnly       bool    `json:"httpOnly"`
	Domain         string  `json:"domain,omitempty"`
	Path           string  `json:"path"`
	SameSite       any     `json:"sameSite,omitempty"`
}

// Encode writes {"cookie":{…},<values>,"__sesh":{…}}.
func (c Codec) Encode(dst []byte, d *sesh.Data) ([]byte, error) {
	var ck cookieJSON
	ck.HTTPOnly = !c.Cookie.DisableHTTPOnly
	ck.Path = c.Cookie.Path
	if ck.Path == "" {
		ck.Path = "/"
	}
	ck.Domain = c.Cookie.Domain
	if c.Cookie.Secure == sesh.SecureAlways {
		t := true
		ck.Secure = &t
	}
	if ss := sameSite(c.Cookie.SameSite); ss != "" {
		ck.SameSite = ss
	} else if c.Cookie.SameSite == 0 {
		ck.SameSite = "lax" // sesh's default
	}
	life := d.Persist
	if life == 0 {
		life = c.Cookie.MaxAge
	}
	if life > 0 {
		ms := life.Milliseconds()
		exp := now().Add(life).UTC().Format("2006-01-02T15:04:05.000Z")
		ck.OriginalMaxAge, ck.Expires = &ms, &exp
	}
	cb, err := json.Marshal(ck)
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
	if m := seshmeta.From(d); !m.Empty() {
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
// without a cookie object is refused, as express-session refuses it.
func (Codec) Decode(src []byte, d *sesh.Data) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(src, &top); err != nil {
		return fmt.Errorf("%w: express: %w", sesh.ErrDecode, err)
	}
	raw, ok := top["cookie"]
	if !ok {
		return fmt.Errorf("%w: express: no cookie object", sesh.ErrDecode)
	}
	var ck cookieJSON
	if err := json.Unmarshal(raw, &ck); err != nil {
		return fmt.Errorf("%w: express: cookie: %w", sesh.ErrDecode, err)
	}
	*d = sesh.Data{}
	if ck.OriginalMaxAge != nil && *ck.OriginalMaxAge > 0 {
		d.Persist = time.Duration(*ck.OriginalMaxAge) * time.Millisecond
	}
	if mr, ok := top[metaKey]; ok {
		var m seshmeta.Meta
		if err := json.Unmarshal(mr, &m); err != nil {
			return fmt.Errorf("%w: express: %s: %w", sesh.ErrDecode, metaKey, err)
		}
		m.Apply(d) // its "p" overrides originalMaxAge
	}
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
