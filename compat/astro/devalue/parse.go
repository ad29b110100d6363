package devalue

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Special indexes of devalue's format.
const (
	idxUndefined = -1
	idxHole      = -2
	idxNaN       = -3
	idxPosInf    = -4
	idxNegInf    = -5
	idxNegZero   = -6
	idxSparse    = -7
)

// maxArrayLen is JavaScript's largest array length.
const maxArrayLen = 1<<32 - 1

// ErrTooDeep reports a value nested more than MaxDepth levels; Parse and
// Stringify wrap it (Parse also wraps ErrInvalid).
var ErrTooDeep = errors.New("devalue: nested too deep")

// Parse reads a devalue string (devalue.parse). Astro stores URLs through a
// custom reducer, ["URL", <index of the href>]; Parse reads that form and
// devalue's built-in ["URL", "<href>"] alike.
//
// Parse reads what devalue.parse reads, as devalue reads it, except:
//   - input that is not UTF-8 is refused, and a lone surrogate escape
//     (\ud800) reads as U+FFFD: Go strings are UTF-8;
//   - input devalue never writes, which devalue.parse reads only by
//     coercion, is refused: a reference that is not an integer index, a
//     Date not in toISOString's form, a BigInt not in decimal, JSON nested
//     inside a node, …;
//   - nesting deeper than MaxDepth is refused (ErrTooDeep);
//   - a RegExp source, a URL and a Temporal text are kept as written, not
//     checked (that takes JavaScript's own parsers);
//   - a custom reducer's type needs no reviver: it reads as a *Custom.
func Parse(s string) (any, error) {
	sc, root, err := scan(s)
	if err != nil {
		return nil, err
	}
	if root != "" {
		if i, ok := integer(root); ok {
			if v, ok := special(i); ok {
				return v, nil
			}
		}
		return nil, fmt.Errorf("%w: a bare number that is not a special value", ErrInvalid)
	}
	h := &hydrator{nodes: sc.nodes, items: sc.items, vals: make([]any, len(sc.nodes)), state: make([]uint8, len(sc.nodes))}
	return h.hydrate(0)
}

// Hydration states of a node.
const (
	stNew uint8 = iota
	stBusy
	stDone
)

type hydrator struct {
	nodes []jnode
	items []jitem
	vals  []any
	state []uint8
	depth int
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// integer returns the value of a JSON number literal if it is an integer
// of at most 2^53 in magnitude.
func integer(text string) (int64, bool) {
	if len(text) <= 16 {
		neg, t := false, text
		if len(t) > 0 && t[0] == '-' {
			neg, t = true, t[1:]
		}
		var n int64
		ok := len(t) > 0
		for i := 0; i < len(t) && ok; i++ {
			ok = '0' <= t[i] && t[i] <= '9'
			n = n*10 + int64(t[i]-'0')
		}
		if ok {
			if neg {
				n = -n
			}
			return n, true
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func special(i int64) (any, bool) {
	switch i {
	case idxUndefined:
		return Undefined{}, true
	case idxNaN:
		return math.NaN(), true
	case idxPosInf:
		return math.Inf(1), true
	case idxNegInf:
		return math.Inf(-1), true
	case idxNegZero:
		return math.Copysign(0, -1), true
	}
	return nil, false
}

// number reads a JSON number as JSON.parse does (beyond float64's range
// it is ±Infinity).
func number(text string) (float64, error) {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, invalid("number %s", text)
	}
	return f, nil
}

// index reads a member that must be an integer index, at least min.
func index(it jitem, min, max int64) (int, bool) {
	if it.kind != kNum {
		return 0, false
	}
	i, ok := integer(it.text)
	if !ok || i < min || i > max || i > math.MaxInt {
		return 0, false
	}
	return int(i), true
}

func (h *hydrator) ref(it jitem) (any, error) {
	i, ok := index(it, idxNegZero, int64(len(h.nodes)-1))
	if !ok || i == idxHole {
		return nil, invalid("a reference that is not an index of a node")
	}
	return h.hydrate(i)
}

// publish records a container's value before its members are read, so
// that references back to it (cycles) find it.
func (h *hydrator) publish(i int, v any) {
	h.vals[i], h.state[i] = v, stDone
}

func (h *hydrator) hydrate(i int) (any, error) {
	if v, ok := special(int64(i)); ok {
		return v, nil
	}
	if i < 0 || i >= len(h.nodes) {
		return nil, invalid("index %d out of range", i)
	}
	switch h.state[i] {
	case stDone:
		return h.vals[i], nil
	case stBusy:
		// Containers are published before their members are read; a
		// node met again while still busy is a loop through values that
		// cannot contain themselves.
		return nil, invalid("a circular reference through a value that is not a container")
	}
	n := &h.nodes[i]
	switch n.kind {
	case kNull:
		h.publish(i, nil)
	case kTrue:
		h.publish(i, true)
	case kFalse:
		h.publish(i, false)
	case kStr:
		h.publish(i, n.text)
	case kNum:
		f, err := number(n.text)
		if err != nil {
			return nil, err
		}
		h.publish(i, f)
	default:
		if h.depth >= MaxDepth {
			return nil, fmt.Errorf("%w: %w (%d levels)", ErrInvalid, ErrTooDeep, MaxDepth)
		}
		h.depth++
		h.state[i] = stBusy
		v, err := h.container(i, n)
		h.depth--
		if err != nil {
			return nil, err
		}
		h.publish(i, v)
	}
	return h.vals[i], nil
}

func (h *hydrator) container(i int, n *jnode) (any, error) {
	items := h.items[n.lo : n.lo+n.n]
	if n.kind == kObj {
		o := &Object{}
		h.publish(i, o)
		if len(items) > 0 {
			o.Keys, o.Values = make([]string, 0, len(items)/2), make(map[string]any, len(items)/2)
		}
		for k := 0; k < len(items); k += 2 {
			if items[k].text == "__proto__" {
				return nil, invalid("an object with a __proto__ property")
			}
			v, err := h.ref(items[k+1])
			if err != nil {
				return nil, err
			}
			o.Set(items[k].text, v)
		}
		o.Keys = jsKeyOrder(o.Keys) // as Object.keys lists them
		return o, nil
	}
	if len(items) > 0 && items[0].kind == kStr {
		return h.typed(i, items[0].text, items)
	}
	if len(items) > 0 {
		if first, ok := integer(items[0].text); ok && first == idxSparse {
			return h.sparse(i, items)
		}
	}
	a := &Array{Elems: make([]any, len(items))}
	h.publish(i, a)
	for k, it := range items {
		if it.kind == kNum {
			if j, ok := integer(it.text); ok && j == idxHole {
				a.Elems[k] = Hole{}
				continue
			}
		}
		v, err := h.ref(it)
		if err != nil {
			return nil, err
		}
		a.Elems[k] = v
	}
	return a, nil
}

func (h *hydrator) sparse(i int, items []jitem) (any, error) {
	if len(items) < 2 || len(items)%2 != 0 {
		return nil, invalid("a sparse array with %d members", len(items))
	}
	l, ok := index(items[1], 0, maxArrayLen)
	if !ok {
		return nil, invalid("a sparse array's length")
	}
	pairs := (len(items) - 2) / 2
	a := &SparseArray{Len: l, Index: make([]int, 0, pairs), Elems: make([]any, 0, pairs)}
	h.publish(i, a)
	sorted := true
	for k := 2; k < len(items); k += 2 {
		at, ok := index(items[k], 0, int64(l)-1)
		if !ok {
			return nil, invalid("a sparse array's index")
		}
		v, err := h.ref(items[k+1])
		if err != nil {
			return nil, err
		}
		if n := len(a.Index); n > 0 && at <= a.Index[n-1] {
			sorted = false
		}
		a.Index, a.Elems = append(a.Index, at), append(a.Elems, v)
	}
	if !sorted {
		// JavaScript lists an array's indexes in ascending order, and a
		// later assignment to an index replaces the earlier one.
		order := make([]int, len(a.Index))
		for k := range order {
			order[k] = k
		}
		slices.SortStableFunc(order, func(x, y int) int { return a.Index[x] - a.Index[y] })
		idx, elems := make([]int, 0, len(order)), make([]any, 0, len(order))
		for k, o := range order {
			if k+1 < len(order) && a.Index[order[k+1]] == a.Index[o] {
				continue // a later pair sets the same index
			}
			idx, elems = append(idx, a.Index[o]), append(elems, a.Elems[o])
		}
		a.Index, a.Elems = idx, elems
	}
	return a, nil
}

// str returns member k as a string.
func str(items []jitem, k int) (string, bool) {
	if k >= len(items) || items[k].kind != kStr {
		return "", false
	}
	return items[k].text, true
}

// nanKey and bigKey stand for NaN and a BigInt in sameValueZero keys.
type (
	nanKey struct{}
	bigKey string
)

// sameValueZero returns v's key under SameValueZero, the equality of Map
// keys and Set elements: NaN equals NaN, -0 equals 0, BigInts compare by
// value, objects by identity.
func sameValueZero(v any) any {
	switch x := v.(type) {
	case float64:
		if x != x {
			return nanKey{}
		}
		return x + 0 // -0 + 0 is +0
	case *big.Int:
		return bigKey(x.String())
	}
	return v // nil, bool, string, Undefined, pointers
}

func (h *hydrator) typed(i int, typ string, items []jitem) (any, error) {
	bad := func() (any, error) { return nil, invalid("malformed %s", typ) }
	switch typ {
	case "Date":
		s, ok := str(items, 1)
		if !ok {
			return bad()
		}
		d, ok := parseDate(s)
		if !ok {
			return bad()
		}
		return d, nil
	case "Set":
		st := &Set{Elems: make([]any, 0, len(items)-1)}
		h.publish(i, st)
		seen := make(map[any]struct{}, len(items)-1)
		for _, it := range items[1:] {
			v, err := h.ref(it)
			if err != nil {
				return nil, err
			}
			k := sameValueZero(v)
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
			st.Elems = append(st.Elems, v)
		}
		return st, nil
	case "Map":
		if len(items)%2 != 1 {
			return bad()
		}
		m := &Map{Keys: make([]any, 0, len(items)/2), Values: make([]any, 0, len(items)/2)}
		h.publish(i, m)
		at := make(map[any]int, len(items)/2)
		for k := 1; k < len(items); k += 2 {
			key, err := h.ref(items[k])
			if err != nil {
				return nil, err
			}
			v, err := h.ref(items[k+1])
			if err != nil {
				return nil, err
			}
			sk := sameValueZero(key)
			if j, dup := at[sk]; dup {
				m.Values[j] = v
				continue
			}
			at[sk] = len(m.Keys)
			m.Keys, m.Values = append(m.Keys, key), append(m.Values, v)
		}
		return m, nil
	case "RegExp":
		src, ok := str(items, 1)
		if !ok {
			return bad()
		}
		flags := ""
		if len(items) > 2 {
			f, ok := str(items, 2)
			if !ok {
				return bad()
			}
			if flags, ok = regExpFlags(f); !ok {
				return bad()
			}
		}
		return &RegExp{Source: src, Flags: flags}, nil
	case "Object":
		return h.boxed(items)
	case "BigInt":
		s, ok := str(items, 1)
		if !ok {
			return bad()
		}
		b, ok := parseBigInt(s)
		if !ok {
			return bad()
		}
		return b, nil
	case "null":
		if len(items)%2 != 1 {
			return bad()
		}
		o := &Object{NullProto: true}
		h.publish(i, o)
		if len(items) > 1 {
			o.Keys, o.Values = make([]string, 0, len(items)/2), make(map[string]any, len(items)/2)
		}
		for k := 1; k < len(items); k += 2 {
			key, ok := str(items, k)
			if !ok {
				return bad()
			}
			if key == "__proto__" {
				return nil, invalid("an object with a __proto__ property")
			}
			v, err := h.ref(items[k+1])
			if err != nil {
				return nil, err
			}
			o.Set(key, v)
		}
		o.Keys = jsKeyOrder(o.Keys)
		return o, nil
	case "ArrayBuffer":
		s, ok := str(items, 1)
		if !ok {
			return bad()
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return bad()
		}
		return &ArrayBuffer{Data: b}, nil
	case "URL":
		if s, ok := str(items, 1); ok {
			return &URL{Href: s}, nil
		}
		if len(items) < 2 {
			return bad()
		}
		v, err := h.ref(items[1]) // Astro's reducer: the href by index
		if err != nil {
			return nil, err
		}
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		return &URL{Href: s}, nil
	case "URLSearchParams":
		s, ok := str(items, 1)
		if !ok {
			return bad()
		}
		return &URLSearchParams{Params: parseSearch(s)}, nil
	}
	if size, ok := elemSize[typ]; ok {
		return h.view(typ, size, items)
	}
	if temporalTypes[typ] {
		s, ok := str(items, 1)
		if !ok {
			return bad()
		}
		return &Temporal{Type: typ, Text: s}, nil
	}
	return h.custom(i, typ, items)
}

// boxed reads ["Object", <index of a primitive>].
func (h *hydrator) boxed(items []jitem) (any, error) {
	j, ok := index(safe(items, 1), idxNegZero, int64(len(h.nodes)-1))
	if !ok || j == idxUndefined || j == idxHole {
		return nil, invalid("malformed Object")
	}
	if j >= 0 {
		switch n := h.nodes[j]; n.kind {
		case kStr, kNum, kTrue, kFalse:
		case kArr:
			if t, ok := str(h.items[n.lo:n.lo+n.n], 0); !ok || t != "BigInt" {
				return nil, invalid("Object wrapping something that is not a primitive")
			}
		default:
			return nil, invalid("Object wrapping something that is not a primitive")
		}
	}
	v, err := h.hydrate(j)
	if err != nil {
		return nil, err
	}
	return &Boxed{Value: v}, nil
}

// safe returns member k, or an empty member when there is none.
func safe(items []jitem, k int) jitem {
	if k < len(items) {
		return items[k]
	}
	return jitem{}
}

// view reads a typed array or DataView: [type, <index of an ArrayBuffer>]
// or, for a view on part of its buffer, [type, index, byteOffset, length].
// The checks are those of JavaScript's constructors.
func (h *hydrator) view(typ string, size int, items []jitem) (any, error) {
	bad := func() (any, error) { return nil, invalid("malformed %s", typ) }
	j, ok := index(safe(items, 1), 0, int64(len(h.nodes)-1))
	if !ok || h.nodes[j].kind != kArr {
		return bad()
	}
	n := h.nodes[j]
	if t, ok := str(h.items[n.lo:n.lo+n.n], 0); !ok || t != "ArrayBuffer" {
		return bad() // also what keeps a view from referring to itself
	}
	bv, err := h.hydrate(j)
	if err != nil {
		return nil, err
	}
	buf := bv.(*ArrayBuffer)
	bl := len(buf.Data)
	v := &TypedArray{Type: typ, Buffer: buf}
	switch {
	case len(items) < 3:
		if bl%size != 0 {
			return bad()
		}
		v.Length = bl / size
	default:
		off, ok := index(items[2], 0, int64(bl))
		if !ok || off%size != 0 {
			return bad()
		}
		v.Offset = off
		if len(items) < 4 {
			if (bl-off)%size != 0 {
				return bad()
			}
			v.Length = (bl - off) / size
		} else {
			n, ok := index(items[3], 0, int64((bl-off)/size))
			if !ok {
				return bad()
			}
			v.Length = n
		}
	}
	return v, nil
}

// custom reads a custom reducer's value, [type, <index of the payload>].
// devalue.parse hands the payload to the reviver before the reviver's
// value exists, so a loop that comes back to this node before passing
// through a container is an error there and here; a container payload is
// published first, so cycles through it keep their identity (what a
// reviver that caches its values gives).
func (h *hydrator) custom(i int, typ string, items []jitem) (any, error) {
	j, ok := index(safe(items, 1), idxNegZero, int64(len(h.nodes)-1))
	if !ok || j == idxHole {
		return nil, invalid("unknown type %q", typ)
	}
	c := &Custom{Type: typ}
	if j >= 0 && h.isContainer(j) {
		h.publish(i, c)
	}
	v, err := h.hydrate(j)
	if err != nil {
		return nil, err
	}
	c.Value = v
	return c, nil
}

// isContainer reports whether node j is published before its members.
func (h *hydrator) isContainer(j int) bool {
	n := h.nodes[j]
	switch n.kind {
	case kObj:
		return true
	case kArr:
		t, ok := str(h.items[n.lo:n.lo+n.n], 0)
		return !ok || t == "Set" || t == "Map" || t == "null"
	}
	return false
}

// regExpFlags checks flags as new RegExp does and returns them in the
// order of RegExp.prototype.flags.
func regExpFlags(f string) (string, bool) {
	const order = "dgimsuvy"
	var seen [len(order)]bool
	for i := 0; i < len(f); i++ {
		k := strings.IndexByte(order, f[i])
		if k < 0 || seen[k] {
			return "", false
		}
		seen[k] = true
	}
	if seen[5] && seen[6] { // u and v
		return "", false
	}
	var b []byte
	for k := range order {
		if seen[k] {
			b = append(b, order[k])
		}
	}
	return string(b), true
}

// parseBigInt reads a decimal integer, as BigInt's toString writes it
// (a sign and leading zeros are accepted too, as BigInt() accepts them).
func parseBigInt(s string) (*big.Int, bool) {
	t := s
	if len(t) > 0 && (t[0] == '-' || t[0] == '+') {
		t = t[1:]
	}
	if t == "" {
		return nil, false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return nil, false
		}
	}
	z := decimal(t, map[int]*big.Int{})
	if s[0] == '-' {
		z.Neg(z)
	}
	return z, true
}

// decimal converts a string of decimal digits. big.Int's SetString
// allocates in proportion to the square of the length (a 256 KiB string
// costs 150 MiB); splitting in halves costs O(n log n) bytes instead.
// pow caches the powers of ten the halves need (two per level).
func decimal(digits string, pow map[int]*big.Int) *big.Int {
	if len(digits) <= 512 {
		z, _ := new(big.Int).SetString(digits, 10)
		return z
	}
	low := len(digits) / 2
	hi := decimal(digits[:len(digits)-low], pow)
	lo := decimal(digits[len(digits)-low:], pow)
	p, ok := pow[low]
	if !ok {
		p = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(low)), nil)
		pow[low] = p
	}
	return hi.Add(hi.Mul(hi, p), lo)
}

// parseDate reads Date.prototype.toISOString's output, or "" for an
// invalid Date. A date in that form beyond JavaScript's range (±8.64e15
// ms) is what new Date makes of it: an invalid Date.
func parseDate(s string) (*Date, bool) {
	if s == "" {
		return &Date{Invalid: true}, true
	}
	t, ok := parseISO(s)
	if !ok {
		return nil, false
	}
	if !dateInRange(t) {
		return &Date{Invalid: true}, true
	}
	return &Date{Time: t}, true
}

// parseISO reads YYYY-MM-DDTHH:mm:ss.sssZ, or ±YYYYYY-… for years beyond
// 0…9999.
func parseISO(s string) (time.Time, bool) {
	year := 0
	switch {
	case len(s) == 27 && (s[0] == '+' || s[0] == '-'):
		y, err := strconv.Atoi(s[1:7])
		if err != nil || s[1:7] == "000000" && s[0] == '-' || strings.ContainsAny(s[1:7], "+-") {
			return time.Time{}, false
		}
		if s[0] == '-' {
			y = -y
		}
		year, s = y, "2000"+s[7:]
	case len(s) == 24:
		y, err := strconv.Atoi(s[:4])
		if err != nil || strings.ContainsAny(s[:4], "+-") {
			return time.Time{}, false
		}
		year, s = y, "2000"+s[4:]
	default:
		return time.Time{}, false
	}
	// 2000 is a leap year, so February 29 parses; it must still exist in
	// the real year.
	t, err := time.Parse("2006-01-02T15:04:05.000Z", s)
	if err != nil {
		return time.Time{}, false
	}
	r := time.Date(year, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	if r.Month() != t.Month() {
		return time.Time{}, false
	}
	return r, true
}
