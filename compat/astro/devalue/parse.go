package devalue

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/url"
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

// maxSparseLen bounds the length a sparse array may claim: the input
// decides it, so it must not decide an allocation.
const maxSparseLen = 1 << 20

// jnode is a JSON value with object key order kept.
type jnode struct {
	kind byte // 'n' null, 'b' bool, 'f' number, 's' string, 'a' array, 'o' object
	b    bool
	num  json.Number
	s    string
	arr  []*jnode
	keys []string
	vals []*jnode
}

// readJSON decodes one JSON document keeping object key order (the last
// of duplicate keys wins, at the first one's place, as JSON.parse does).
func readJSON(dec *json.Decoder, depth int) (*jnode, error) {
	if depth > 10000 {
		return nil, fmt.Errorf("%w: nested too deep", ErrInvalid)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	switch t := tok.(type) {
	case nil:
		return &jnode{kind: 'n'}, nil
	case bool:
		return &jnode{kind: 'b', b: t}, nil
	case json.Number:
		return &jnode{kind: 'f', num: t}, nil
	case string:
		return &jnode{kind: 's', s: t}, nil
	case json.Delim:
		switch t {
		case '[':
			n := &jnode{kind: 'a'}
			for dec.More() {
				e, err := readJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, e)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
			}
			return n, nil
		case '{':
			n := &jnode{kind: 'o'}
			pos := map[string]int{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
				}
				k, _ := kt.(string)
				v, err := readJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if i, ok := pos[k]; ok {
					n.vals[i] = v
					continue
				}
				pos[k] = len(n.keys)
				n.keys = append(n.keys, k)
				n.vals = append(n.vals, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
			}
			return n, nil
		}
	}
	return nil, fmt.Errorf("%w: unexpected %v", ErrInvalid, tok)
}

// Parse reads a devalue string (devalue.parse). Astro stores URLs through a
// custom reducer, ["URL", <index of the href>]; Parse reads that form and
// devalue's built-in ["URL", "<href>"] alike.
func Parse(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	root, err := readJSON(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data", ErrInvalid)
	}
	return unflatten(root)
}

type hydrator struct {
	values   []*jnode
	hydrated []any
	done     []bool
	busy     []bool
}

// unflatten hydrates a decoded devalue array.
func unflatten(root *jnode) (any, error) {
	if root.kind == 'f' {
		i, err := index(root)
		if err != nil {
			return nil, err
		}
		if v, ok := special(i); ok {
			return v, nil
		}
		return nil, fmt.Errorf("%w: a bare index", ErrInvalid)
	}
	if root.kind != 'a' || len(root.arr) == 0 {
		return nil, fmt.Errorf("%w: not a non-empty array", ErrInvalid)
	}
	h := &hydrator{values: root.arr, hydrated: make([]any, len(root.arr)), done: make([]bool, len(root.arr)), busy: make([]bool, len(root.arr))}
	return h.hydrate(0)
}

func index(n *jnode) (int, error) {
	if n.kind != 'f' {
		return 0, fmt.Errorf("%w: index is not a number", ErrInvalid)
	}
	i, err := strconv.Atoi(string(n.num))
	if err != nil {
		return 0, fmt.Errorf("%w: index %s", ErrInvalid, n.num)
	}
	return i, nil
}

func special(i int) (any, bool) {
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

func (h *hydrator) ref(n *jnode) (any, error) {
	i, err := index(n)
	if err != nil {
		return nil, err
	}
	return h.hydrate(i)
}

func (h *hydrator) hydrate(i int) (any, error) {
	if v, ok := special(i); ok {
		return v, nil
	}
	if i < 0 || i >= len(h.values) {
		return nil, fmt.Errorf("%w: index %d out of range", ErrInvalid, i)
	}
	if h.done[i] {
		return h.hydrated[i], nil
	}
	if h.busy[i] {
		// Only containers may refer to themselves, and they are marked done
		// before their elements are read; anything else is a loop.
		return nil, fmt.Errorf("%w: circular reference through a non-container", ErrInvalid)
	}
	h.busy[i] = true
	defer func() { h.busy[i] = false }()
	n := h.values[i]
	set := func(v any) { h.hydrated[i], h.done[i] = v, true }
	switch n.kind {
	case 'n':
		set(nil)
	case 'b':
		set(n.b)
	case 's':
		set(n.s)
	case 'f':
		f, err := strconv.ParseFloat(string(n.num), 64)
		if err != nil {
			return nil, fmt.Errorf("%w: number %s", ErrInvalid, n.num)
		}
		set(f)
	case 'o':
		o := &Object{Values: make(map[string]any, len(n.keys))}
		set(o)
		for k, key := range n.keys {
			if key == "__proto__" {
				return nil, fmt.Errorf("%w: an object with a __proto__ property", ErrInvalid)
			}
			v, err := h.ref(n.vals[k])
			if err != nil {
				return nil, err
			}
			o.Set(key, v)
		}
	case 'a':
		if len(n.arr) > 0 && n.arr[0].kind == 's' {
			return h.typed(i, n, set)
		}
		if len(n.arr) > 0 && n.arr[0].kind == 'f' && string(n.arr[0].num) == "-7" {
			return h.sparse(n, set)
		}
		a := &Array{Elems: make([]any, len(n.arr))}
		set(a)
		for k, e := range n.arr {
			if e.kind == 'f' && string(e.num) == "-2" {
				a.Elems[k] = Hole{}
				continue
			}
			v, err := h.ref(e)
			if err != nil {
				return nil, err
			}
			a.Elems[k] = v
		}
	}
	return h.hydrated[i], nil
}

func (h *hydrator) sparse(n *jnode, set func(any)) (any, error) {
	if len(n.arr) < 2 || len(n.arr)%2 != 0 {
		return nil, fmt.Errorf("%w: sparse array", ErrInvalid)
	}
	l, err := index(n.arr[1])
	if err != nil || l < 0 || l > maxSparseLen {
		return nil, fmt.Errorf("%w: sparse array length (at most %d here)", ErrInvalid, maxSparseLen)
	}
	a := &Array{Elems: make([]any, l)}
	for k := range a.Elems {
		a.Elems[k] = Hole{}
	}
	set(a)
	for k := 2; k < len(n.arr); k += 2 {
		at, err := index(n.arr[k])
		if err != nil || at < 0 || at >= l {
			return nil, fmt.Errorf("%w: sparse array index", ErrInvalid)
		}
		v, err := h.ref(n.arr[k+1])
		if err != nil {
			return nil, err
		}
		a.Elems[at] = v
	}
	return a, nil
}

// str returns element k of a typed node as a string.
func str(n *jnode, k int) (string, bool) {
	if k >= len(n.arr) || n.arr[k].kind != 's' {
		return "", false
	}
	return n.arr[k].s, true
}

func (h *hydrator) typed(i int, n *jnode, set func(any)) (any, error) {
	typ := n.arr[0].s
	bad := func() (any, error) { return nil, fmt.Errorf("%w: malformed %s", ErrInvalid, typ) }
	switch typ {
	case "Date":
		s, ok := str(n, 1)
		if !ok {
			return bad()
		}
		if s == "" {
			set(&Date{Invalid: true})
			break
		}
		t, err := parseISO(s)
		if err != nil {
			return bad()
		}
		set(&Date{Time: t})
	case "Set":
		st := &Set{}
		set(st)
		for _, e := range n.arr[1:] {
			v, err := h.ref(e)
			if err != nil {
				return nil, err
			}
			st.Elems = append(st.Elems, v)
		}
	case "Map":
		if len(n.arr)%2 != 1 {
			return bad()
		}
		m := &Map{}
		set(m)
		for k := 1; k < len(n.arr); k += 2 {
			key, err := h.ref(n.arr[k])
			if err != nil {
				return nil, err
			}
			v, err := h.ref(n.arr[k+1])
			if err != nil {
				return nil, err
			}
			m.Keys, m.Values = append(m.Keys, key), append(m.Values, v)
		}
	case "RegExp":
		src, ok := str(n, 1)
		if !ok {
			return bad()
		}
		flags, _ := str(n, 2)
		set(&RegExp{Source: src, Flags: flags})
	case "BigInt":
		s, ok := str(n, 1)
		if !ok {
			return bad()
		}
		b, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return bad()
		}
		set(b)
	case "null":
		if len(n.arr)%2 != 1 {
			return bad()
		}
		o := &Object{Values: map[string]any{}, NullProto: true}
		set(o)
		for k := 1; k < len(n.arr); k += 2 {
			key, ok := str(n, k)
			if !ok || key == "__proto__" {
				return bad()
			}
			v, err := h.ref(n.arr[k+1])
			if err != nil {
				return nil, err
			}
			o.Set(key, v)
		}
	case "URL":
		var href string
		if s, ok := str(n, 1); ok {
			href = s
		} else if len(n.arr) == 2 {
			v, err := h.ref(n.arr[1]) // Astro's reducer: the href by index
			if err != nil {
				return nil, err
			}
			s, ok := v.(string)
			if !ok {
				return bad()
			}
			href = s
		} else {
			return bad()
		}
		u, err := url.Parse(href)
		if err != nil || !u.IsAbs() {
			return bad()
		}
		set(u)
	default:
		return nil, fmt.Errorf("%w: %s", ErrUnsupported, typ)
	}
	return h.hydrated[i], nil
}

// parseISO reads Date.prototype.toISOString's output (years beyond 9999
// come as ±YYYYYY).
func parseISO(s string) (time.Time, error) {
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		// ±YYYYYY-MM-DDTHH:mm:ss.sssZ
		if len(s) != 27 {
			return time.Time{}, fmt.Errorf("bad extended year")
		}
		y, err := strconv.Atoi(s[1:7])
		if err != nil {
			return time.Time{}, err
		}
		if s[0] == '-' {
			y = -y
		}
		t, err := time.Parse("2006-01-02T15:04:05.000Z", "2000"+s[7:])
		if err != nil {
			return time.Time{}, err
		}
		return t.AddDate(y-2000, 0, 0), nil
	}
	return time.Parse("2006-01-02T15:04:05.000Z", s)
}
