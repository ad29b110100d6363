package dynamostore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// This file maps a JSON object (Record.Data in the Arc layout, as
// compat/remix.Codec writes it) onto top-level DynamoDB attributes the way
// the DynamoDB DocumentClient marshals JavaScript values (string S, number
// N, boolean BOOL, null NULL, array L, object M), and back.
//
// The round trip is exact: spread keeps, beside the attributes, whatever
// the canonical re-encoding of those attributes would not reproduce (the
// member order when it is not sorted, the original text of a member whose
// canonical form differs, such as a struct's field order or 1e+21), and
// refuses data it cannot reproduce at all (not an object, whitespace or
// unusual escapes between members, numbers DynamoDB cannot hold, …): the
// store then keeps such data as opaque bytes.

// maxDepth bounds the nesting of a spread value (DynamoDB allows 32 levels
// of nested attributes; the store's own metadata map uses two).
const maxDepth = 30

// DynamoDB's number limits: 38 significant digits, magnitude between
// 1E-130 and 9.99…E+125.
const (
	maxDigits = 38
	minExp    = -130
	maxExp    = 125
)

// normNumber returns the canonical text of a JSON or DynamoDB number: plain
// decimal notation (as DynamoDB returns numbers), no exponent, no leading
// or trailing zeros, "0" for any zero. ok is false for text that is not a
// number or a number DynamoDB cannot store exactly.
func normNumber(s string) (string, bool) {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	start := i
	var digits []byte
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		digits = append(digits, s[i])
		i++
	}
	intLen := i - start
	fracLen := 0
	if i < len(s) && s[i] == '.' {
		i++
		f := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			digits = append(digits, s[i])
			i++
		}
		fracLen = i - f
		if fracLen == 0 {
			return "", false
		}
	}
	if intLen == 0 && fracLen == 0 {
		return "", false
	}
	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return "", false
		}
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return "", false
			}
			if exp < 1<<40 { // saturate: far beyond any representable number
				exp = exp*10 + int64(c-'0')
			}
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return "", false
	}
	// value = digits × 10^q
	q := exp - int64(fracLen)
	lead := 0
	for lead < len(digits) && digits[lead] == '0' {
		lead++
	}
	digits = digits[lead:]
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		q++
	}
	if len(digits) == 0 {
		return "0", true
	}
	if len(digits) > maxDigits {
		return "", false
	}
	if e := int64(len(digits)) - 1 + q; e < minExp || e > maxExp {
		return "", false
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch point := int64(len(digits)) + q; {
	case q >= 0:
		b.Write(digits)
		for range q {
			b.WriteByte('0')
		}
	case point > 0:
		b.Write(digits[:point])
		b.WriteByte('.')
		b.Write(digits[point:])
	default:
		b.WriteString("0.")
		for range -point {
			b.WriteByte('0')
		}
		b.Write(digits)
	}
	return b.String(), true
}

// toAV converts a value decoded with json.Decoder.UseNumber. ok is false
// for a value DynamoDB cannot hold as the DocumentClient would write it.
func toAV(v any, depth int) (types.AttributeValue, bool) {
	if depth > maxDepth {
		return nil, false
	}
	switch v := v.(type) {
	case nil:
		return &types.AttributeValueMemberNULL{Value: true}, true
	case bool:
		return &types.AttributeValueMemberBOOL{Value: v}, true
	case string:
		return &types.AttributeValueMemberS{Value: v}, true
	case json.Number:
		n, ok := normNumber(string(v))
		if !ok {
			return nil, false
		}
		return &types.AttributeValueMemberN{Value: n}, true
	case []any:
		l := make([]types.AttributeValue, len(v))
		for i, e := range v {
			av, ok := toAV(e, depth+1)
			if !ok {
				return nil, false
			}
			l[i] = av
		}
		return &types.AttributeValueMemberL{Value: l}, true
	case map[string]any:
		m := make(map[string]types.AttributeValue, len(v))
		for k, e := range v {
			if k == "" {
				return nil, false
			}
			av, ok := toAV(e, depth+1)
			if !ok {
				return nil, false
			}
			m[k] = av
		}
		return &types.AttributeValueMemberM{Value: m}, true
	}
	return nil, false
}

// parseJSON decodes one JSON value, numbers kept as json.Number.
func parseJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

// rawToAV converts the JSON text of one value.
func rawToAV(raw []byte) (types.AttributeValue, bool) {
	v, err := parseJSON(raw)
	if err != nil {
		return nil, false
	}
	return toAV(v, 1)
}

var errCanonical = errors.New("attribute without a JSON form")

// appendCanonical appends the canonical JSON form of av: strings as
// json.Marshal writes them, numbers by normNumber, map members sorted by
// name. Binary values (which a JavaScript app may store as a Buffer)
// become base64 strings and sets become arrays: those do not survive a Go
// rewrite with their DynamoDB type.
func appendCanonical(dst []byte, av types.AttributeValue) ([]byte, error) {
	switch av := av.(type) {
	case *types.AttributeValueMemberS:
		return appendString(dst, av.Value), nil
	case *types.AttributeValueMemberN:
		n, ok := normNumber(av.Value)
		if !ok {
			return nil, errCanonical
		}
		return append(dst, n...), nil
	case *types.AttributeValueMemberBOOL:
		return strconv.AppendBool(dst, av.Value), nil
	case *types.AttributeValueMemberNULL:
		return append(dst, "null"...), nil
	case *types.AttributeValueMemberB:
		return appendString(dst, base64.StdEncoding.EncodeToString(av.Value)), nil
	case *types.AttributeValueMemberL:
		dst = append(dst, '[')
		for i, e := range av.Value {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendCanonical(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case *types.AttributeValueMemberM:
		keys := make([]string, 0, len(av.Value))
		for k := range av.Value {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = appendCanonical(dst, av.Value[k]); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case *types.AttributeValueMemberSS:
		dst = append(dst, '[')
		for i, s := range av.Value {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, s)
		}
		return append(dst, ']'), nil
	case *types.AttributeValueMemberNS:
		dst = append(dst, '[')
		for i, s := range av.Value {
			if i > 0 {
				dst = append(dst, ',')
			}
			n, ok := normNumber(s)
			if !ok {
				return nil, errCanonical
			}
			dst = append(dst, n...)
		}
		return append(dst, ']'), nil
	case *types.AttributeValueMemberBS:
		dst = append(dst, '[')
		for i, b := range av.Value {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, base64.StdEncoding.EncodeToString(b))
		}
		return append(dst, ']'), nil
	}
	return nil, errCanonical
}

// appendString appends s as json.Marshal encodes a string.
func appendString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}

// spread is the attribute form of a JSON object.
type spread struct {
	attrs map[string]types.AttributeValue
	names []string          // the members in their original order
	raw   map[string]string // original text of members whose canonical form differs
}

// sorted reports whether the members are in canonical (byte) order.
func (sp *spread) sorted() bool { return slices.IsSorted(sp.names) }

// spreadJSON returns the attribute form of data, or ok == false when data
// is not a JSON object whose exact bytes can be rebuilt from that form (in
// which case the store keeps data as opaque bytes). reserved names the
// attributes a member may not take.
func spreadJSON(data []byte, reserved func(string) bool) (sp spread, ok bool) {
	if len(data) < 2 || data[0] != '{' || !utf8.Valid(data) {
		return spread{}, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return spread{}, false
	}
	sp.attrs = map[string]types.AttributeValue{}
	rebuilt := []byte{'{'}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return spread{}, false
		}
		name, isStr := tok.(string)
		if !isStr || name == "" || reserved(name) {
			return spread{}, false
		}
		if _, dup := sp.attrs[name]; dup {
			return spread{}, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return spread{}, false
		}
		av, ok := rawToAV(raw)
		if !ok {
			return spread{}, false
		}
		canon, err := appendCanonical(nil, av)
		if err != nil {
			return spread{}, false
		}
		if !bytes.Equal(canon, raw) {
			if sp.raw == nil {
				sp.raw = map[string]string{}
			}
			sp.raw[name] = string(raw)
		}
		sp.attrs[name] = av
		sp.names = append(sp.names, name)
		if len(sp.names) > 1 {
			rebuilt = append(rebuilt, ',')
		}
		rebuilt = appendString(rebuilt, name)
		rebuilt = append(rebuilt, ':')
		rebuilt = append(rebuilt, raw...)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return spread{}, false
	}
	rebuilt = append(rebuilt, '}')
	if !bytes.Equal(rebuilt, data) {
		return spread{}, false // whitespace, escapes or trailing bytes the attributes cannot carry
	}
	return sp, true
}

// unspreadJSON rebuilds the JSON object from attributes: members listed in
// order first (those still present), then the others sorted; a member's
// original text from raw when it still denotes the attribute's value (so a
// value changed by another writer reads as its canonical form).
func unspreadJSON(attrs map[string]types.AttributeValue, order []string, raw map[string]string) ([]byte, error) {
	names := make([]string, 0, len(attrs))
	seen := make(map[string]bool, len(attrs))
	for _, n := range order {
		if _, ok := attrs[n]; ok && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	rest := make([]string, 0, len(attrs)-len(names))
	for n := range attrs {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	names = append(names, rest...)

	out := []byte{'{'}
	for i, n := range names {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendString(out, n)
		out = append(out, ':')
		canon, err := appendCanonical(nil, attrs[n])
		if err != nil {
			return nil, err
		}
		if r, ok := raw[n]; ok {
			if rav, ok := rawToAV([]byte(r)); ok {
				if rc, err := appendCanonical(nil, rav); err == nil && bytes.Equal(rc, canon) {
					canon = []byte(r)
				}
			}
		}
		out = append(out, canon...)
	}
	return append(out, '}'), nil
}
