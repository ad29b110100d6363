package devalue

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Options adjust Stringify.
type Options struct {
	// AstroURL writes URLs as Astro's reducer does, ["URL", <index of the
	// href>], instead of devalue's built-in ["URL", "<href>"].
	AstroURL bool
	// MaxLen, when positive, makes Stringify fail with ErrTooLong once its
	// output passes MaxLen bytes. It stops at the first node that passes
	// it, so the work done does not grow with the rest of the value.
	MaxLen int
}

type flattener struct {
	opts   Options
	out    []string
	size   int
	ptrs   map[any]int
	strs   map[string]int
	nums   map[uint64]int
	bools  map[bool]int
	bigs   map[string]int
	null   int
	hasNul bool
	depth  int
}

// Stringify writes v in devalue's format (devalue.stringify), byte for
// byte what the npm package writes for the same JavaScript value. It
// refuses (ErrUnsupported) Go values with no devalue form, strings that
// are not UTF-8, and values nested deeper than MaxDepth.
func Stringify(v any, opts Options) (string, error) {
	f := &flattener{opts: opts}
	i, err := f.flatten(v)
	if err != nil {
		return "", err
	}
	if i < 0 {
		return strconv.Itoa(i), nil
	}
	var b strings.Builder
	b.Grow(f.size + 2)
	b.WriteByte('[')
	for k, s := range f.out {
		if k > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s)
	}
	b.WriteByte(']')
	return b.String(), nil
}

// writeInt writes n in decimal without allocating.
func writeInt(b *strings.Builder, n int) {
	var buf [20]byte
	b.Write(strconv.AppendInt(buf[:0], int64(n), 10))
}

func (f *flattener) slot() int {
	f.out = append(f.out, "")
	return len(f.out) - 1
}

// put sets node i's text, minding MaxLen.
func (f *flattener) put(i int, s string) error {
	f.out[i] = s
	f.size += len(s) + 1
	if f.opts.MaxLen > 0 && f.size > f.opts.MaxLen {
		return fmt.Errorf("%w: more than %d bytes", ErrTooLong, f.opts.MaxLen)
	}
	return nil
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

func (f *flattener) flatten(v any) (int, error) {
	switch x := v.(type) {
	case Undefined:
		return idxUndefined, nil
	case Hole:
		return 0, unsupported("a Hole outside an array")
	case nil:
		if f.hasNul {
			return f.null, nil
		}
		i := f.slot()
		f.null, f.hasNul = i, true
		return i, f.put(i, "null")
	case bool:
		if i, ok := f.bools[x]; ok {
			return i, nil
		}
		i := f.slot()
		if f.bools == nil {
			f.bools = map[bool]int{}
		}
		f.bools[x] = i
		return i, f.put(i, strconv.FormatBool(x))
	case int:
		return f.flatten(float64(x))
	case int64:
		return f.flatten(float64(x))
	case float64:
		switch {
		case math.IsNaN(x):
			return idxNaN, nil
		case math.IsInf(x, 1):
			return idxPosInf, nil
		case math.IsInf(x, -1):
			return idxNegInf, nil
		case x == 0 && math.Signbit(x):
			return idxNegZero, nil
		}
		if i, ok := f.nums[math.Float64bits(x)]; ok {
			return i, nil
		}
		i := f.slot()
		if f.nums == nil {
			f.nums = map[uint64]int{}
		}
		f.nums[math.Float64bits(x)] = i
		return i, f.put(i, jsNumber(x))
	case string:
		if i, ok := f.strs[x]; ok {
			return i, nil
		}
		s, err := jsString(x)
		if err != nil {
			return 0, err
		}
		i := f.slot()
		if f.strs == nil {
			f.strs = map[string]int{}
		}
		f.strs[x] = i
		return i, f.put(i, s)
	case *big.Int:
		if x == nil {
			return 0, unsupported("a nil *big.Int")
		}
		if f.depth >= MaxDepth { // a node, as Parse counts them
			return 0, fmt.Errorf("%w: %w (%d levels)", ErrUnsupported, ErrTooDeep, MaxDepth)
		}
		key := x.String()
		if i, ok := f.bigs[key]; ok {
			return i, nil
		}
		i := f.slot()
		if f.bigs == nil {
			f.bigs = map[string]int{}
		}
		f.bigs[key] = i
		return i, f.put(i, `["BigInt","`+key+`"]`)
	}
	if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer {
		return 0, unsupported("Go %T", v)
	} else if rv.IsNil() {
		return 0, unsupported("a nil %T", v)
	}
	if i, ok := f.ptrs[v]; ok {
		return i, nil
	}
	if f.depth >= MaxDepth {
		return 0, fmt.Errorf("%w: %w (%d levels)", ErrUnsupported, ErrTooDeep, MaxDepth)
	}
	f.depth++
	defer func() { f.depth-- }()
	i := f.slot()
	if f.ptrs == nil {
		f.ptrs = map[any]int{}
	}
	f.ptrs[v] = i
	var b strings.Builder
	if err := f.object(&b, v); err != nil {
		return 0, err
	}
	return i, f.put(i, b.String())
}

// object writes the node of a pointer value.
func (f *flattener) object(b *strings.Builder, v any) error {
	switch x := v.(type) {
	case *Date:
		if x.Invalid {
			b.WriteString(`["Date",""]`)
			return nil
		}
		if !dateInRange(x.Time) {
			return unsupported("a Date beyond JavaScript's range")
		}
		b.WriteString(`["Date","` + isoString(x.Time) + `"]`)
	case *url.URL:
		return f.url(b, x.String())
	case *URL:
		return f.url(b, x.Href)
	case *URLSearchParams:
		for _, p := range x.Params {
			if !utf8.ValidString(p.Name) || !utf8.ValidString(p.Value) {
				return unsupported("a URLSearchParams string that is not UTF-8")
			}
		}
		b.WriteString(`["URLSearchParams",`)
		writeJS(b, serializeSearch(x.Params))
		b.WriteString("]")
	case *RegExp:
		flags, ok := regExpFlags(x.Flags)
		if !ok {
			return unsupported("RegExp flags %q", x.Flags)
		}
		b.WriteString(`["RegExp",`)
		if err := writeJS(b, x.Source); err != nil {
			return err
		}
		if flags != "" {
			b.WriteString(`,"` + flags + `"`)
		}
		b.WriteString("]")
	case *Set:
		b.WriteString(`["Set"`)
		for _, e := range x.Elems {
			if err := f.ref(b, ",", e); err != nil {
				return err
			}
		}
		b.WriteString("]")
	case *Map:
		if len(x.Keys) != len(x.Values) {
			return unsupported("a Map with %d keys and %d values", len(x.Keys), len(x.Values))
		}
		b.WriteString(`["Map"`)
		for k := range x.Keys {
			if err := f.ref(b, ",", x.Keys[k]); err != nil {
				return err
			}
			if err := f.ref(b, ",", x.Values[k]); err != nil {
				return err
			}
		}
		b.WriteString("]")
	case *Array:
		return f.array(b, len(x.Elems), x.Elems, nil)
	case *SparseArray:
		if len(x.Index) != len(x.Elems) || x.Len < 0 || x.Len > maxArrayLen {
			return unsupported("a SparseArray of length %d with %d indexes and %d elements", x.Len, len(x.Index), len(x.Elems))
		}
		for k, at := range x.Index {
			if at < 0 || at >= x.Len || k > 0 && at <= x.Index[k-1] {
				return unsupported("a SparseArray whose indexes are not ascending below its length")
			}
		}
		return f.array(b, x.Len, x.Elems, x.Index)
	case *Object:
		return f.plain(b, x)
	case *Boxed:
		switch p := x.Value.(type) {
		case string, float64, bool, *big.Int:
		case int:
			x = &Boxed{Value: float64(p)}
		case int64:
			x = &Boxed{Value: float64(p)}
		default:
			return unsupported("a Boxed %T", x.Value)
		}
		b.WriteString(`["Object"`)
		if err := f.ref(b, ",", x.Value); err != nil {
			return err
		}
		b.WriteString("]")
	case *ArrayBuffer:
		b.WriteString(`["ArrayBuffer","` + base64.StdEncoding.EncodeToString(x.Data) + `"]`)
	case *TypedArray:
		size, ok := elemSize[x.Type]
		if !ok || x.Buffer == nil || x.Offset < 0 || x.Length < 0 || x.Offset%size != 0 || x.Length > (len(x.Buffer.Data)-x.Offset)/size {
			return unsupported("a %s view of %d elements from byte %d", x.Type, x.Length, x.Offset)
		}
		b.WriteString(`["` + x.Type + `"`)
		if err := f.ref(b, ",", x.Buffer); err != nil {
			return err
		}
		if x.Length*size != len(x.Buffer.Data) {
			b.WriteByte(',')
			writeInt(b, x.Offset)
			b.WriteByte(',')
			writeInt(b, x.Length)
		}
		b.WriteString("]")
	case *Temporal:
		if !temporalTypes[x.Type] {
			return unsupported("Temporal type %q", x.Type)
		}
		b.WriteString(`["` + x.Type + `",`)
		if err := writeJS(b, x.Text); err != nil {
			return err
		}
		b.WriteString("]")
	case *Custom:
		if builtin(x.Type) {
			return unsupported("a Custom value named after devalue's own %s", x.Type)
		}
		b.WriteString("[")
		if err := writeJS(b, x.Type); err != nil {
			return err
		}
		if err := f.ref(b, ",", x.Value); err != nil {
			return err
		}
		b.WriteString("]")
	default:
		return unsupported("Go %T", v)
	}
	return nil
}

// ref flattens v and writes sep and its index.
func (f *flattener) ref(b *strings.Builder, sep string, v any) error {
	j, err := f.flatten(v)
	if err != nil {
		return err
	}
	b.WriteString(sep)
	writeInt(b, j)
	return nil
}

func (f *flattener) url(b *strings.Builder, href string) error {
	if f.opts.AstroURL {
		b.WriteString(`["URL"`)
		if err := f.ref(b, ",", href); err != nil {
			return err
		}
		b.WriteString("]")
		return nil
	}
	b.WriteString(`["URL",`)
	if err := writeJS(b, href); err != nil {
		return err
	}
	b.WriteString("]")
	return nil
}

func (f *flattener) plain(b *strings.Builder, x *Object) error {
	keys := jsKeyOrder(x.Keys)
	if x.NullProto {
		b.WriteString(`["null"`)
	} else {
		b.WriteString("{")
	}
	for n, k := range keys {
		if k == "__proto__" {
			return unsupported("an object with a __proto__ key")
		}
		if x.NullProto || n > 0 {
			b.WriteByte(',')
		}
		if err := writeJS(b, k); err != nil {
			return err
		}
		sep := ":"
		if x.NullProto {
			sep = ","
		}
		if err := f.ref(b, sep, x.Values[k]); err != nil {
			return err
		}
	}
	if x.NullProto {
		b.WriteString("]")
	} else {
		b.WriteString("}")
	}
	return nil
}

// array writes an array of the given length whose present elements are
// elems, at the indexes idx (nil: elems is the whole array, Hole{} for a
// missing element), in devalue's dense form or in its sparse form when
// that is shorter (devalue's own cost rule).
func (f *flattener) array(b *strings.Builder, length int, elems []any, idx []int) error {
	population := len(elems)
	if idx == nil {
		for _, e := range elems {
			if _, hole := e.(Hole); hole {
				population--
			}
		}
	}
	at := func(k int) int { // index of present element k
		if idx == nil {
			return k
		}
		return idx[k]
	}
	d := len(strconv.Itoa(length))
	if population < length && (length-population)*3 > 4+d+population*(d+1) {
		b.WriteString("[-7,")
		writeInt(b, length)
		for k, e := range elems {
			if _, hole := e.(Hole); hole {
				continue
			}
			b.WriteByte(',')
			writeInt(b, at(k))
			if err := f.ref(b, ",", e); err != nil {
				return err
			}
		}
		b.WriteString("]")
		return nil
	}
	// Dense: here length is at most a small multiple of the population
	// (the rule above), so walking every index is bounded by the input.
	b.WriteString("[")
	next := 0
	for k := 0; k < length; k++ {
		sep := ","
		if k == 0 {
			sep = ""
		}
		if next < len(elems) && at(next) == k {
			e := elems[next]
			next++
			if _, hole := e.(Hole); !hole {
				if err := f.ref(b, sep, e); err != nil {
					return err
				}
				continue
			}
		}
		b.WriteString(sep)
		b.WriteString("-2")
	}
	b.WriteString("]")
	return nil
}

// jsKeyOrder is JavaScript's property order: array-index keys ascending,
// then the others in insertion order. It returns keys itself when they are
// in that order already.
func jsKeyOrder(keys []string) []string {
	n, sorted := 0, true
	var last uint64
	for k, key := range keys {
		v, ok := arrayIndex(key)
		if !ok {
			continue
		}
		if n != k || n > 0 && v < last {
			sorted = false
		}
		n, last = n+1, v
	}
	if sorted {
		return keys
	}
	idx, rest := make([]string, 0, n), make([]string, 0, len(keys)-n)
	for _, key := range keys {
		if _, ok := arrayIndex(key); ok {
			idx = append(idx, key)
		} else {
			rest = append(rest, key)
		}
	}
	slices.SortStableFunc(idx, func(a, b string) int {
		x, _ := arrayIndex(a)
		y, _ := arrayIndex(b)
		return cmp.Compare(x, y)
	})
	return append(idx, rest...)
}

// arrayIndex reads a key that is an array index: a canonical decimal
// integer below 2^32-1.
func arrayIndex(k string) (uint64, bool) {
	if k == "" || len(k) > 10 || len(k) > 1 && k[0] == '0' {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return 0, false
		}
		n = n*10 + uint64(k[i]-'0')
	}
	return n, n < 1<<32-1
}

// FormatNumber is JavaScript's Number.prototype.toString for a finite
// number, the text devalue writes for it (valid JSON too).
func FormatNumber(x float64) string { return jsNumber(x) }

// jsNumber is JavaScript's Number.prototype.toString for a finite number.
func jsNumber(x float64) string {
	if x == 0 {
		return "0"
	}
	e := strconv.FormatFloat(x, 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	n, _ := strconv.Atoi(exp)
	if n >= -6 && n < 21 {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	sign := "+"
	if n < 0 {
		sign, n = "-", -n
	}
	return mant + "e" + sign + strconv.Itoa(n)
}

// jsString is devalue's stringify_string: JSON-style quoting with '<',
// U+2028 and U+2029 escaped too. Invalid UTF-8 has no JavaScript form.
func jsString(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", unsupported("a string that is not UTF-8")
	}
	if clean(s) {
		return `"` + s + `"`, nil
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	if err := writeJS(&b, s); err != nil {
		return "", err
	}
	return b.String(), nil
}

// clean reports whether s needs no escape.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == '"' || c == '\\' || c == '<' || c == 0xe2 {
			return false // 0xe2 starts U+2028 and U+2029
		}
	}
	return true
}

// writeJS writes s as jsString does.
func writeJS(b *strings.Builder, s string) error {
	if !utf8.ValidString(s) {
		return unsupported("a string that is not UTF-8")
	}
	b.WriteByte('"')
	if clean(s) {
		b.WriteString(s)
		b.WriteByte('"')
		return nil
	}
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '<':
			b.WriteString(`\u003C`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\u2028':
			b.WriteString(`\u2028`)
		case '\u2029':
			b.WriteString(`\u2029`)
		default:
			if r < ' ' {
				const hex = "0123456789abcdef"
				b.WriteString(`\u00`)
				b.WriteByte(hex[r>>4])
				b.WriteByte(hex[r&15])
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return nil
}

// isoString is Date.prototype.toISOString.
func isoString(t time.Time) string {
	t = t.UTC().Truncate(time.Millisecond)
	if y := t.Year(); y < 0 || y > 9999 {
		sign := "+"
		if y < 0 {
			sign, y = "-", -y
		}
		return fmt.Sprintf("%s%06d", sign, y) + t.Format("-01-02T15:04:05.000Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}
