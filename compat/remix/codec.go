package remix

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/internal/seshmeta"
)

// metaKey carries sesh's metadata inside Remix's session data; a Remix app
// sees it as one more key and leaves it alone.
const metaKey = seshmeta.Key

// Codec reads and writes Remix's session data: one JSON object of the
// session's keys (flash values under __flash_<key>__, as Remix stores
// them), plus sesh's metadata under "__sesh".
type Codec struct{}

// Encode writes {<values>,"__sesh":{…}}.
func (Codec) Encode(dst []byte, d *sesh.Data) ([]byte, error) {
	keys := make([]string, 0, len(d.Values))
	for k := range d.Values {
		if k == metaKey {
			return nil, fmt.Errorf("remix: %q is reserved for sesh's metadata", k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, fmt.Errorf("remix: %w", err)
		}
		dst = append(dst, kb...)
		dst = append(dst, ':')
		dst = append(dst, d.Values[k]...)
	}
	m := seshmeta.From(d)
	// The user agent serves server-side session lists only, and an ID is
	// what a Remix cookie session does not have (Configure mints none): an
	// ID left in Data by an older sesh is not written into readable data.
	m.A, m.I = "", ""
	if !m.Empty() {
		mb, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("remix: %w", err)
		}
		if len(keys) > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `"`+metaKey+`":`...)
		dst = append(dst, mb...)
	}
	return append(dst, '}'), nil
}

// Decode reads Remix's session data. Anything but a JSON object is an
// error (Remix reads it as an empty session; so does sesh).
func (Codec) Decode(src []byte, d *sesh.Data) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(src, &top); err != nil || top == nil {
		return fmt.Errorf("%w: remix: not a JSON object", sesh.ErrDecode)
	}
	*d = sesh.Data{}
	if mr, ok := top[metaKey]; ok {
		var m seshmeta.Meta
		if err := json.Unmarshal(mr, &m); err != nil {
			return fmt.Errorf("%w: remix: %s: %w", sesh.ErrDecode, metaKey, err)
		}
		m.A, m.I = "", ""
		m.Apply(d)
		delete(top, metaKey)
	}
	if len(top) > 0 {
		d.Values = top
	}
	return nil
}
