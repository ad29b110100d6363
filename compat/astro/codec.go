package astro

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/astro/devalue"
	"github.com/sesh-go/sesh/compat/internal/seshmeta"
)

// devalueKey marks a value JSON cannot hold: {"__devalue":"<devalue string>"}.
const devalueKey = "__devalue"

// metaKey is the entry that carries sesh's metadata.
const metaKey = seshmeta.Key

// Codec reads and writes Astro's stored session (sesh.Codec).
type Codec struct{}

// Decode reads devalue's Map<string, {data, expires}>.
func (Codec) Decode(src []byte, d *sesh.Data) error {
	v, err := devalue.Parse(string(src))
	if err != nil {
		return fmt.Errorf("%w: astro: %w", sesh.ErrDecode, err)
	}
	m, ok := v.(*devalue.Map)
	if !ok {
		return fmt.Errorf("%w: astro: the session is a %T, not a Map", sesh.ErrDecode, v)
	}
	*d = sesh.Data{}
	for i, kv := range m.Keys {
		key, ok := kv.(string)
		if !ok {
			return fmt.Errorf("%w: astro: a session key that is not a string", sesh.ErrDecode)
		}
		entry, ok := m.Values[i].(*devalue.Object)
		if !ok {
			return fmt.Errorf("%w: astro: entry %q is not {data, expires}", sesh.ErrDecode, key)
		}
		data, _ := entry.Get("data")
		if key == metaKey {
			if s, ok := data.(string); ok {
				var md seshmeta.Meta
				if json.Unmarshal([]byte(s), &md) == nil {
					md.I, md.T = "", nil // deadlines live in each entry's expires
					md.Apply(d)
				}
			}
			continue
		}
		raw, err := toJSON(data)
		if err != nil {
			return fmt.Errorf("%w: astro: %q: %w", sesh.ErrDecode, key, err)
		}
		if d.Values == nil {
			d.Values = map[string]json.RawMessage{}
		}
		d.Values[key] = raw
		if exp, ok := entry.Get("expires"); ok {
			if ms, ok := exp.(float64); ok && !math.IsNaN(ms) && !math.IsInf(ms, 0) {
				if d.Deadlines == nil {
					d.Deadlines = map[string]time.Time{}
				}
				d.Deadlines[key] = time.UnixMilli(int64(ms))
			}
		}
	}
	return nil
}

// Encode writes the session as Astro does: devalue with the URL reducer.
func (Codec) Encode(dst []byte, d *sesh.Data) ([]byte, error) {
	m := &devalue.Map{}
	keys := make([]string, 0, len(d.Values))
	for k := range d.Values {
		if k == metaKey {
			return nil, fmt.Errorf("astro: %q is reserved for sesh's metadata", k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := fromJSON(d.Values[k])
		if err != nil {
			return nil, fmt.Errorf("astro: %q: %w", k, err)
		}
		entry := devalue.NewObject()
		entry.Set("data", v)
		if t, ok := d.Deadlines[k]; ok {
			entry.Set("expires", float64(t.UnixMilli()))
		} else {
			entry.Set("expires", devalue.Undefined{})
		}
		m.Keys, m.Values = append(m.Keys, k), append(m.Values, entry)
	}
	md := seshmeta.From(d)
	md.I, md.T = "", nil // deadlines live in each entry's expires
	if !md.Empty() {
		b, _ := json.Marshal(md)
		entry := devalue.NewObject()
		entry.Set("data", string(b))
		entry.Set("expires", devalue.Undefined{})
		m.Keys, m.Values = append(m.Keys, metaKey), append(m.Values, entry)
	}
	s, err := devalue.Stringify(m, devalue.Options{AstroURL: true})
	if err != nil {
		return nil, fmt.Errorf("astro: %w", err)
	}
	return append(dst, s...), nil
}

// toJSON turns a devalue value into JSON when JSON holds it exactly, and
// into {"__devalue": "<devalue string>"} otherwise.
func toJSON(v any) (json.RawMessage, error) {
	if b, ok := plainJSON(v, map[any]bool{}); ok {
		return b, nil
	}
	s, err := devalue.Stringify(v, devalue.Options{AstroURL: true})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]string{devalueKey: s})
}

// plainJSON encodes v if it is made only of JSON's types (no cycles, no
// shared containers, no holes, finite numbers, plain objects).
func plainJSON(v any, seen map[any]bool) (json.RawMessage, bool) {
	switch v.(type) {
	case *devalue.Array, *devalue.Object:
		if seen[v] || len(seen) > 10000 {
			return nil, false // shared or cyclic: only devalue keeps that
		}
		seen[v] = true
	}
	switch x := v.(type) {
	case nil:
		return json.RawMessage("null"), true
	case bool, string:
		b, err := json.Marshal(x)
		return b, err == nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || (x == 0 && math.Signbit(x)) {
			return nil, false
		}
		return json.RawMessage(strconv.FormatFloat(x, 'g', -1, 64)), true
	case *devalue.Array:
		var b bytes.Buffer
		b.WriteByte('[')
		for i, e := range x.Elems {
			if i > 0 {
				b.WriteByte(',')
			}
			eb, ok := plainJSON(e, seen)
			if !ok {
				return nil, false
			}
			b.Write(eb)
		}
		b.WriteByte(']')
		return b.Bytes(), true
	case *devalue.Object:
		if x.NullProto {
			return nil, false
		}
		var b bytes.Buffer
		b.WriteByte('{')
		for i, k := range x.Keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			eb, ok := plainJSON(x.Values[k], seen)
			if !ok {
				return nil, false
			}
			b.Write(eb)
		}
		b.WriteByte('}')
		if k := x.Keys; len(k) == 1 && k[0] == devalueKey {
			return nil, false // would read back as a marker
		}
		return b.Bytes(), true
	}
	return nil, false
}

// fromJSON is toJSON's inverse.
func fromJSON(raw json.RawMessage) (any, error) {
	var marker map[string]json.RawMessage
	if json.Unmarshal(raw, &marker) == nil && len(marker) == 1 {
		if sraw, ok := marker[devalueKey]; ok {
			var s string
			if err := json.Unmarshal(sraw, &s); err == nil {
				return devalue.Parse(s)
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return jsonValue(dec)
}

func jsonValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil, bool, string:
		return t, nil
	case json.Number:
		return strconv.ParseFloat(string(t), 64)
	case json.Delim:
		if t == '[' {
			a := &devalue.Array{}
			for dec.More() {
				e, err := jsonValue(dec)
				if err != nil {
					return nil, err
				}
				a.Elems = append(a.Elems, e)
			}
			_, err := dec.Token()
			return a, err
		}
		o := devalue.NewObject()
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := jsonValue(dec)
			if err != nil {
				return nil, err
			}
			o.Set(kt.(string), v)
		}
		_, err := dec.Token()
		return o, err
	}
	return nil, fmt.Errorf("unexpected %v", tok)
}
