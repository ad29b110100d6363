package astro

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/astro/devalue"
	"github.com/sesh-go/sesh/compat/internal/seshmeta"
)

// The opaque-value marker: {"__devalue":"<devalue string>","__devalue_sig":"<tag>"}.
const (
	devalueKey = "__devalue"
	sigKey     = "__devalue_sig"
)

// metaKey is the entry that carries sesh's metadata.
const metaKey = seshmeta.Key

// macKey signs markers; it is drawn once per process and never leaves it.
var macKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
})

var macs = sync.Pool{New: func() any { return hmac.New(sha256.New, macKey()) }}

// sign is the tag of a marker holding the devalue string s: HMAC-SHA256
// under macKey, 128 bits, base64url.
func sign(s string) string {
	m := macs.Get().(hash.Hash)
	defer macs.Put(m)
	m.Reset()
	io.WriteString(m, "sesh compat/astro opaque value v1\x00")
	io.WriteString(m, s)
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0])[:16])
}

// marker returns the session value that stands for the devalue string s.
func marker(s string) json.RawMessage {
	var b bytes.Buffer
	b.Grow(len(s) + len(s)/4 + 64)
	b.WriteString(`{"` + devalueKey + `":`)
	writeJSONString(&b, s)
	b.WriteString(`,"` + sigKey + `":"` + sign(s) + `"}`)
	return b.Bytes()
}

// opaqueText returns the devalue string raw holds if raw is a marker:
// an object of exactly the two members, whose tag this process made.
func opaqueText(raw []byte) (string, bool) {
	if !bytes.Contains(raw, []byte(sigKey)) {
		return "", false // the common case, without decoding
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || len(m) != 2 {
		return "", false
	}
	var s, tag string
	if json.Unmarshal(m[devalueKey], &s) != nil || json.Unmarshal(m[sigKey], &tag) != nil {
		return "", false
	}
	if !hmac.Equal([]byte(tag), []byte(sign(s))) {
		return "", false
	}
	return s, true
}

// Codec reads and writes Astro's stored session (sesh.Codec).
type Codec struct{}

// Decode's budget for the session values it produces: budgetPerByte
// bytes per byte of the stored text, plus budgetSlack.
const (
	budgetPerByte = 8
	budgetSlack   = 4096
)

// ErrTooLarge reports a stored session whose values, once converted for
// Go, would take far more room than the stored text (values shared between
// entries, which Astro never writes, are copied into each).
var ErrTooLarge = errors.New("astro: the session's values expand beyond the stored size")

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
	// Each value is written out on its own, so a node shared by many
	// entries would be written once per entry: the budget keeps what
	// Decode produces in proportion to src. Astro clones a value when it
	// is set, so its own sessions share no container between entries, and
	// their values take at most ~4 times the stored text (a value's JSON
	// is at most 4 times its devalue text plus 256 bytes, see value; a
	// marker about twice its devalue text, quotes escaped, plus ~60).
	conv := &converter{left: budgetPerByte*len(src) + budgetSlack}
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
		data, ok := entry.Get("data")
		if !ok {
			data = devalue.Undefined{} // entry.data reads undefined in JavaScript
		}
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
		raw, err := conv.value(data)
		if err != nil {
			return fmt.Errorf("%w: astro: %q: %w", sesh.ErrDecode, key, err)
		}
		if d.Values == nil {
			d.Values = map[string]json.RawMessage{}
		}
		d.Values[key] = raw
		if exp, ok := entry.Get("expires"); ok {
			if ms, ok := exp.(float64); ok && math.Abs(ms) <= 8.64e15 {
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
		v, err := Unmarshal(d.Values[k])
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

// Marshal returns the session value that Astro reads as v, a value of
// package devalue's types (*devalue.Date, *devalue.Map, float64, …): its
// JSON when JSON holds it exactly and is at most 4 times as long as its
// devalue text plus 256 bytes (a value that repeats a long string may not
// be), an opaque marker otherwise — what Decode makes of the same value
// written by Astro.
func Marshal(v any) (json.RawMessage, error) {
	return (&converter{left: math.MaxInt}).value(v)
}

// Unmarshal returns the value of a session value in package devalue's
// types, as Encode writes it to Astro: an opaque marker's value, or the
// value of its JSON (objects as *devalue.Object, arrays as *devalue.Array,
// numbers as float64).
func Unmarshal(raw json.RawMessage) (any, error) {
	if s, ok := opaqueText(raw); ok {
		return devalue.Parse(s)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := jsonValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("astro: trailing data after a JSON value")
	}
	return v, nil
}

// converter turns devalue values into session values, within a budget of
// bytes.
type converter struct {
	left int
	buf  bytes.Buffer
	seen map[any]bool // containers of the value being converted
	prim map[any]bool // primitives of the value being converted
	dup  int          // JSON bytes spent on repeats, beyond 2 per repeat
}

func (c *converter) spend(n int) error {
	if n > c.left {
		return ErrTooLarge
	}
	c.left -= n
	return nil
}

// value returns v's JSON when JSON holds it exactly, and an opaque marker
// otherwise.
//
// JSON has no references, so a string or number the value holds many
// times is written out each time, where devalue writes it once and then
// refers to it (2 bytes at least: an index digit and a comma). A value
// whose JSON spends more than three quarters of its bytes, beyond 256, on
// repeats (each beyond those 2 bytes) stays opaque, which keeps its
// sharing and its size: the JSON Decode makes is at most 4 times the
// value's devalue text, plus 256 bytes.
func (c *converter) value(v any) (json.RawMessage, error) {
	c.buf.Reset()
	clear(c.seen)
	clear(c.prim)
	c.dup = 0
	ok, err := c.plain(v)
	if err != nil {
		return nil, err
	}
	if ok && c.dup <= 3*(c.buf.Len()-c.dup)+256 {
		raw := json.RawMessage(bytes.Clone(c.buf.Bytes()))
		if _, isMarker := opaqueText(raw); !isMarker {
			return raw, c.spend(len(raw))
		}
		// An object that would read back as a marker stays opaque.
	}
	s, err := devalue.Stringify(v, devalue.Options{AstroURL: true, MaxLen: min(c.left, math.MaxInt/2)})
	if errors.Is(err, devalue.ErrTooLong) {
		return nil, ErrTooLarge
	}
	if err != nil {
		return nil, err
	}
	raw := marker(s)
	return raw, c.spend(len(raw))
}

// plain writes v's JSON to c.buf if v is made only of JSON's types: no
// cycles, no shared containers, no holes, finite numbers, plain objects.
// It stops with ErrTooLarge when the output passes the budget.
func (c *converter) plain(v any) (bool, error) {
	if c.buf.Len() > c.left {
		return false, ErrTooLarge
	}
	repeat, start := false, c.buf.Len()
	switch v.(type) {
	case *devalue.Array, *devalue.Object:
		if c.seen[v] {
			return false, nil // shared or cyclic: only devalue keeps that
		}
		if c.seen == nil {
			c.seen = map[any]bool{}
		}
		c.seen[v] = true
	case nil, bool, string, float64:
		if repeat = c.prim[v]; !repeat {
			if c.prim == nil {
				c.prim = map[any]bool{}
			}
			c.prim[v] = true
		}
	}
	if repeat {
		defer func() { c.dup += max(0, c.buf.Len()-start-2) }()
	}
	b := &c.buf
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		writeJSONString(b, x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || (x == 0 && math.Signbit(x)) {
			return false, nil
		}
		b.WriteString(devalue.FormatNumber(x))
	case *devalue.Array:
		b.WriteByte('[')
		for i, e := range x.Elems {
			if i > 0 {
				b.WriteByte(',')
			}
			if ok, err := c.plain(e); !ok || err != nil {
				return false, err
			}
		}
		b.WriteByte(']')
	case *devalue.Object:
		if x.NullProto {
			return false, nil
		}
		b.WriteByte('{')
		for i, k := range x.Keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			if ok, err := c.plain(x.Values[k]); !ok || err != nil {
				return false, err
			}
		}
		b.WriteByte('}')
	default:
		return false, nil
	}
	return true, nil
}

// writeJSONString writes s (UTF-8, as devalue.Parse returns strings) as
// a JSON string, with no escape longer than devalue's.
func writeJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
			b.WriteByte('\\')
			b.WriteByte("nrtbf"[strings.IndexByte("\n\r\t\b\f", c)])
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b.WriteString(`\ufffd`)
			} else {
				b.WriteString(s[i : i+n])
			}
			i += n
			continue
		default:
			b.WriteByte(c)
		}
		i++
	}
	b.WriteByte('"')
}

// jsonValue reads one JSON value as devalue values.
func jsonValue(dec *json.Decoder, depth int) (any, error) {
	if depth > devalue.MaxDepth {
		return nil, fmt.Errorf("astro: a JSON value nested deeper than %d levels", devalue.MaxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil, bool, string:
		return t, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, err
		}
		return f, nil // beyond float64 it is ±Infinity, as in JSON.parse
	case json.Delim:
		if t == '[' {
			a := &devalue.Array{}
			for dec.More() {
				e, err := jsonValue(dec, depth+1)
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
			v, err := jsonValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			o.Set(kt.(string), v)
		}
		_, err := dec.Token()
		return o, err
	}
	return nil, fmt.Errorf("astro: unexpected %v", tok)
}
