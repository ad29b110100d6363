// Package devalue reads and writes the format of the devalue npm package
// (5.x), which Astro uses for its sessions: a JSON array of the value's
// nodes, where containers refer to other nodes by index, so repeated and
// cyclic references, undefined, NaN, ±Infinity, -0, Date, Map, Set, RegExp,
// BigInt, URL and sparse arrays survive the trip.
//
// Go values for devalue's types:
//
//	null                 nil
//	undefined            Undefined{}
//	boolean, string      bool, string
//	number               float64 (NaN, ±Inf and -0 included)
//	BigInt               *big.Int
//	plain object         *Object (ordered keys; NullProto for Object.create(null))
//	array                *Array (Hole{} for a missing element)
//	Date                 *Date
//	Map, Set             *Map, *Set
//	RegExp               *RegExp
//	URL                  *url.URL
//
// Containers are pointers, so a value seen twice (or inside itself) is
// written once and read back as the same pointer. Types devalue knows but
// sesh does not carry (typed arrays, ArrayBuffer, URLSearchParams, Temporal,
// boxed primitives) are errors, never silently changed.
package devalue

import (
	"errors"
	"time"
)

// Undefined is JavaScript's undefined.
type Undefined struct{}

// Hole is a missing element of a sparse array.
type Hole struct{}

// Object is a plain JavaScript object. Keys keeps the property order;
// JavaScript itself lists integer-like keys first, in ascending order, and
// Stringify writes them that way.
type Object struct {
	Keys      []string
	Values    map[string]any
	NullProto bool // created with Object.create(null)
}

// NewObject returns an empty object.
func NewObject() *Object { return &Object{Values: map[string]any{}} }

// Set sets key to v, keeping the key's position if it exists.
func (o *Object) Set(key string, v any) {
	if o.Values == nil {
		o.Values = map[string]any{}
	}
	if _, ok := o.Values[key]; !ok {
		o.Keys = append(o.Keys, key)
	}
	o.Values[key] = v
}

// Get returns the value of key and whether it is present.
func (o *Object) Get(key string) (any, bool) {
	v, ok := o.Values[key]
	return v, ok
}

// Array is a JavaScript array; Hole{} marks a missing element.
type Array struct{ Elems []any }

// Map is a JavaScript Map, in insertion order.
type Map struct{ Keys, Values []any }

// Set is a JavaScript Set, in insertion order.
type Set struct{ Elems []any }

// Date is a JavaScript Date; Invalid is new Date(NaN).
type Date struct {
	Time    time.Time
	Invalid bool
}

// RegExp is a JavaScript regular expression, kept as its source and flags.
type RegExp struct{ Source, Flags string }

// ErrInvalid reports input that is not devalue's format.
var ErrInvalid = errors.New("devalue: invalid input")

// ErrUnsupported reports a devalue type this package does not represent,
// or a Go value with no devalue form.
var ErrUnsupported = errors.New("devalue: unsupported type")
