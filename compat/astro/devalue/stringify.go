package devalue

import (
	"fmt"
	"math"
	"math/big"
	"net/url"
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
}

type flattener struct {
	opts   Options
	out    []string
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
// byte what the npm package writes for the same JavaScript value.
func Stringify(v any, opts Options) (string, error) {
	f := &flattener{opts: opts, ptrs: map[any]int{}, strs: map[string]int{}, nums: map[uint64]int{}, bools: map[bool]int{}, bigs: map[string]int{}}
	i, err := f.flatten(v)
	if err != nil {
		return "", err
	}
	if i < 0 {
		return strconv.Itoa(i), nil
	}
	return "[" + strings.Join(f.out, ",") + "]", nil
}

func (f *flattener) slot() int {
	f.out = append(f.out, "")
	return len(f.out) - 1
}

func (f *flattener) flatten(v any) (int, error) {
	f.depth++
	defer func() { f.depth-- }()
	if f.depth > 10000 {
		return 0, fmt.Errorf("%w: nested too deep", ErrUnsupported)
	}
	switch x := v.(type) {
	case Undefined:
		return idxUndefined, nil
	case Hole:
		return 0, fmt.Errorf("%w: a Hole outside an array", ErrUnsupported)
	case nil:
		if f.hasNul {
			return f.null, nil
		}
		i := f.slot()
		f.out[i], f.null, f.hasNul = "null", i, true
		return i, nil
	case bool:
		if i, ok := f.bools[x]; ok {
			return i, nil
		}
		i := f.slot()
		f.bools[x] = i
		f.out[i] = strconv.FormatBool(x)
		return i, nil
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
		f.nums[math.Float64bits(x)] = i
		f.out[i] = jsNumber(x)
		return i, nil
	case string:
		if i, ok := f.strs[x]; ok {
			return i, nil
		}
		s, err := jsString(x)
		if err != nil {
			return 0, err
		}
		i := f.slot()
		f.strs[x] = i
		f.out[i] = s
		return i, nil
	case *big.Int:
		key := x.String()
		if i, ok := f.bigs[key]; ok {
			return i, nil
		}
		i := f.slot()
		f.bigs[key] = i
		f.out[i] = `["BigInt","` + key + `"]`
		return i, nil
	}
	if i, ok := f.ptrs[v]; ok {
		return i, nil
	}
	i := f.slot()
	f.ptrs[v] = i
	var b strings.Builder
	switch x := v.(type) {
	case *Date:
		if x.Invalid {
			b.WriteString(`["Date",""]`)
		} else {
			b.WriteString(`["Date","` + isoString(x.Time) + `"]`)
		}
	case *url.URL:
		if f.opts.AstroURL {
			j, err := f.flatten(x.String())
			if err != nil {
				return 0, err
			}
			b.WriteString(`["URL",` + strconv.Itoa(j) + `]`)
		} else {
			s, err := jsString(x.String())
			if err != nil {
				return 0, err
			}
			b.WriteString(`["URL",` + s + `]`)
		}
	case *RegExp:
		s, err := jsString(x.Source)
		if err != nil {
			return 0, err
		}
		b.WriteString(`["RegExp",` + s)
		if x.Flags != "" {
			b.WriteString(`,"` + x.Flags + `"`)
		}
		b.WriteString("]")
	case *Set:
		b.WriteString(`["Set"`)
		for _, e := range x.Elems {
			j, err := f.flatten(e)
			if err != nil {
				return 0, err
			}
			b.WriteString("," + strconv.Itoa(j))
		}
		b.WriteString("]")
	case *Map:
		if len(x.Keys) != len(x.Values) {
			return 0, fmt.Errorf("%w: a Map with %d keys and %d values", ErrUnsupported, len(x.Keys), len(x.Values))
		}
		b.WriteString(`["Map"`)
		for k := range x.Keys {
			kj, err := f.flatten(x.Keys[k])
			if err != nil {
				return 0, err
			}
			vj, err := f.flatten(x.Values[k])
			if err != nil {
				return 0, err
			}
			b.WriteString("," + strconv.Itoa(kj) + "," + strconv.Itoa(vj))
		}
		b.WriteString("]")
	case *Array:
		if err := f.array(&b, x); err != nil {
			return 0, err
		}
	case *Object:
		keys := jsKeyOrder(x.Keys)
		if x.NullProto {
			b.WriteString(`["null"`)
		} else {
			b.WriteString("{")
		}
		for n, k := range keys {
			if k == "__proto__" {
				return 0, fmt.Errorf("%w: an object with a __proto__ key", ErrUnsupported)
			}
			ks, err := jsString(k)
			if err != nil {
				return 0, err
			}
			j, err := f.flatten(x.Values[k])
			if err != nil {
				return 0, err
			}
			switch {
			case x.NullProto:
				b.WriteString("," + ks + "," + strconv.Itoa(j))
			case n > 0:
				b.WriteString("," + ks + ":" + strconv.Itoa(j))
			default:
				b.WriteString(ks + ":" + strconv.Itoa(j))
			}
		}
		if x.NullProto {
			b.WriteString("]")
		} else {
			b.WriteString("}")
		}
	default:
		return 0, fmt.Errorf("%w: Go %T", ErrUnsupported, v)
	}
	f.out[i] = b.String()
	return i, nil
}

// array writes devalue's dense form, or its sparse form when the first hole
// shows that form is shorter (devalue's own cost rule).
func (f *flattener) array(b *strings.Builder, a *Array) error {
	length := len(a.Elems)
	dense := false
	b.WriteString("[")
	for k, e := range a.Elems {
		if k > 0 {
			b.WriteString(",")
		}
		if _, hole := e.(Hole); !hole {
			j, err := f.flatten(e)
			if err != nil {
				return err
			}
			b.WriteString(strconv.Itoa(j))
			continue
		}
		if dense {
			b.WriteString("-2")
			continue
		}
		population := 0
		for _, e := range a.Elems {
			if _, hole := e.(Hole); !hole {
				population++
			}
		}
		d := len(strconv.Itoa(length))
		if (length-population)*3 > 4+d+population*(d+1) {
			b.Reset()
			b.WriteString("[-7," + strconv.Itoa(length))
			for at, e := range a.Elems {
				if _, hole := e.(Hole); hole {
					continue
				}
				j, err := f.flatten(e)
				if err != nil {
					return err
				}
				b.WriteString("," + strconv.Itoa(at) + "," + strconv.Itoa(j))
			}
			b.WriteString("]")
			return nil
		}
		dense = true
		b.WriteString("-2")
	}
	b.WriteString("]")
	return nil
}

// jsKeyOrder is JavaScript's property order: array-index keys ascending,
// then the others in insertion order.
func jsKeyOrder(keys []string) []string {
	var idx, rest []string
	for _, k := range keys {
		if isArrayIndex(k) {
			idx = append(idx, k)
		} else {
			rest = append(rest, k)
		}
	}
	slices.SortStableFunc(idx, func(a, b string) int {
		x, _ := strconv.ParseUint(a, 10, 64)
		y, _ := strconv.ParseUint(b, 10, 64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return append(idx, rest...)
}

func isArrayIndex(k string) bool {
	if k == "" || (len(k) > 1 && k[0] == '0') {
		return false
	}
	n, err := strconv.ParseUint(k, 10, 64)
	return err == nil && n < 1<<32-1
}

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
		return "", fmt.Errorf("%w: a string that is not UTF-8", ErrUnsupported)
	}
	var b strings.Builder
	b.WriteByte('"')
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
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String(), nil
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
