package remix

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sesh-go/sesh"
)

// metaKey carries sesh's metadata inside Remix's session data; a Remix app
// sees it as one more key and leaves it alone.
const metaKey = "__sesh"

// Codec reads and writes Remix's session data: one JSON object of the
// session's keys (flash values under __flash_<key>__, as Remix stores
// them), plus sesh's metadata under "__sesh".
type Codec struct{}

type meta struct {
	I string           `json:"i,omitempty"`
	C int64            `json:"c,omitempty"`
	U string           `json:"u,omitempty"`
	S int64            `json:"s,omitempty"`
	P int64            `json:"p,omitempty"`
	T map[string]int64 `json:"t,omitempty"`
}

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
	m := meta{I: d.ID, U: d.UserID, P: d.Persist.Milliseconds()}
	if !d.Created.IsZero() {
		m.C = d.Created.UnixMilli()
	}
	if !d.SignedIn.IsZero() {
		m.S = d.SignedIn.UnixMilli()
	}
	if len(d.Deadlines) > 0 {
		m.T = map[string]int64{}
		for k, t := range d.Deadlines {
			m.T[k] = t.UnixMilli()
		}
	}
	if m.I != "" || m.C != 0 || m.U != "" || m.S != 0 || m.P != 0 || len(m.T) > 0 {
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
		var m meta
		if err := json.Unmarshal(mr, &m); err != nil {
			return fmt.Errorf("%w: remix: %s: %w", sesh.ErrDecode, metaKey, err)
		}
		d.ID, d.UserID = m.I, m.U
		if m.C != 0 {
			d.Created = time.UnixMilli(m.C)
		}
		if m.S != 0 {
			d.SignedIn = time.UnixMilli(m.S)
		}
		d.Persist = time.Duration(m.P) * time.Millisecond
		if len(m.T) > 0 {
			d.Deadlines = map[string]time.Time{}
			for k, ms := range m.T {
				d.Deadlines[k] = time.UnixMilli(ms)
			}
		}
		delete(top, metaKey)
	}
	if len(top) > 0 {
		d.Values = top
	}
	return nil
}
