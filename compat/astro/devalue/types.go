// Package devalue reads and writes the format of the devalue npm package
// (5.x; checked against 5.9.1), which Astro uses for its sessions: a JSON
// array of the value's nodes, where containers refer to other nodes by
// index, so repeated and cyclic references, undefined, NaN, ±Infinity, -0
// and devalue's other types survive the trip.
//
// Go values for devalue's types:
//
//	null                      nil
//	undefined                 Undefined{}
//	boolean, string           bool, string
//	number                    float64 (NaN, ±Inf and -0 included)
//	BigInt                    *big.Int
//	plain object              *Object (ordered keys; NullProto for Object.create(null))
//	array                     *Array (Hole{} for a missing element)
//	sparse array              *SparseArray (devalue's [-7, length, …] form)
//	Date                      *Date
//	Map, Set                  *Map, *Set
//	RegExp                    *RegExp
//	URL                       *URL (Stringify also takes *url.URL)
//	URLSearchParams           *URLSearchParams
//	ArrayBuffer               *ArrayBuffer
//	typed arrays, DataView    *TypedArray (sharing its *ArrayBuffer like JavaScript)
//	boxed primitives          *Boxed (new String("x"), new Number(1), Object(1n), …)
//	Temporal.*                *Temporal (kept as its text)
//	a custom reducer's value  *Custom (an unknown type whose payload is a node)
//
// Containers and objects are pointers, so a value seen twice (or inside
// itself) is written once and read back as the same pointer. Parse keeps
// the text of a RegExp, URL and Temporal value as written (it cannot run
// JavaScript's parsers of those), so Stringify writes back exactly what
// devalue wrote.
//
// Resource bounds: Parse allocates in proportion to the length of its
// input, whatever numbers the input holds (a sparse array's length is kept
// as a number, never allocated), and refuses nesting deeper than MaxDepth,
// so a hostile input can neither exhaust memory nor the stack. devalue's
// own recursion ends far sooner: with Node's default stack it cannot
// write values nested more than about 1,700 levels deep (about 7,000 with
// four times that stack).
package devalue

import (
	"errors"
	"net/url"
	"time"
)

// MaxDepth is how deeply Parse and Stringify let values nest.
const MaxDepth = 10000

// Undefined is JavaScript's undefined.
type Undefined struct{}

// Hole is a missing element of an array.
type Hole struct{}

// Object is a plain JavaScript object. Keys keeps the property order;
// JavaScript itself lists integer-like keys first, in ascending order:
// Parse returns them so, and Stringify writes them so whatever Keys says.
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

// SparseArray is a JavaScript array given by its length and its present
// elements: Elems[k] is at Index[k], Index ascending and below Len, every
// other index a hole. Parse returns one for devalue's sparse form, so that
// an array of length 4,294,967,295 with one element costs one element.
// Stringify writes *Array and *SparseArray alike, in whichever of the two
// forms devalue's own rule picks.
type SparseArray struct {
	Len   int
	Index []int
	Elems []any
}

// Map is a JavaScript Map, in insertion order.
type Map struct{ Keys, Values []any }

// Set is a JavaScript Set, in insertion order.
type Set struct{ Elems []any }

// Date is a JavaScript Date; Invalid is new Date(NaN).
type Date struct {
	Time    time.Time
	Invalid bool
}

// dateInRange reports whether t is within a JavaScript Date's range,
// ±8.64e15 ms from the epoch.
func dateInRange(t time.Time) bool {
	if s := t.Unix(); s < -8.64e12-1 || s > 8.64e12+1 {
		return false // and UnixMilli could overflow
	}
	ms := t.UnixMilli()
	return -8.64e15 <= ms && ms <= 8.64e15
}

// RegExp is a JavaScript regular expression, kept as its source and flags
// (flags in JavaScript's order, "dgimsuvy").
type RegExp struct{ Source, Flags string }

// URL is a JavaScript URL, kept as its href.
type URL struct{ Href string }

// URL parses the href with net/url.
func (u *URL) URL() (*url.URL, error) { return url.Parse(u.Href) }

// URLSearchParams is a JavaScript URLSearchParams: its name-value pairs in
// order.
type URLSearchParams struct{ Params []Param }

// Param is one name-value pair of a URLSearchParams.
type Param struct{ Name, Value string }

// ArrayBuffer is a JavaScript ArrayBuffer: its bytes.
type ArrayBuffer struct{ Data []byte }

// TypedArray is a view on an ArrayBuffer: Type is one of Int8Array,
// Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Float16Array,
// Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array,
// BigUint64Array or DataView. The view covers Length elements (bytes for a
// DataView) from byte Offset of Buffer; views of one buffer share it, as in
// JavaScript. The bytes are the buffer's as the writing engine held them,
// elements in its byte order (little-endian on x86 and ARM).
type TypedArray struct {
	Type   string
	Buffer *ArrayBuffer
	Offset int
	Length int
}

// Bytes returns the bytes the view covers (a slice of Buffer.Data).
func (v *TypedArray) Bytes() []byte {
	n, ok := elemSize[v.Type]
	if !ok || v.Buffer == nil || v.Offset < 0 || v.Length < 0 || v.Offset+v.Length*n > len(v.Buffer.Data) {
		return nil
	}
	return v.Buffer.Data[v.Offset : v.Offset+v.Length*n]
}

// elemSize is the element size of each view type.
var elemSize = map[string]int{
	"Int8Array": 1, "Uint8Array": 1, "Uint8ClampedArray": 1, "Int16Array": 2, "Uint16Array": 2,
	"Float16Array": 2, "Int32Array": 4, "Uint32Array": 4, "Float32Array": 4, "Float64Array": 8,
	"BigInt64Array": 8, "BigUint64Array": 8, "DataView": 1,
}

// Boxed is a boxed primitive (devalue's ["Object", …]): Value is a string,
// float64, bool or *big.Int.
type Boxed struct{ Value any }

// Temporal is a value of one of the Temporal types (Type is
// "Temporal.Instant", "Temporal.PlainDate", …), kept as its text.
type Temporal struct{ Type, Text string }

var temporalTypes = map[string]bool{
	"Temporal.Duration": true, "Temporal.Instant": true, "Temporal.PlainDate": true,
	"Temporal.PlainTime": true, "Temporal.PlainDateTime": true, "Temporal.PlainMonthDay": true,
	"Temporal.PlainYearMonth": true, "Temporal.ZonedDateTime": true,
}

// Custom is a value a custom reducer wrote: ["Type", <index of Value>].
// devalue.parse needs the matching reviver to read it; Parse keeps it as
// it is, so Stringify writes it back unchanged.
type Custom struct {
	Type  string
	Value any
}

// builtin reports whether tag is one of devalue's own types; a Custom
// value may not use one.
func builtin(tag string) bool {
	switch tag {
	case "Date", "Set", "Map", "RegExp", "Object", "BigInt", "null", "ArrayBuffer", "URL", "URLSearchParams":
		return true
	}
	_, view := elemSize[tag]
	return view || temporalTypes[tag]
}

// ErrInvalid reports input that is not devalue's format.
var ErrInvalid = errors.New("devalue: invalid input")

// ErrUnsupported reports a Go value with no devalue form.
var ErrUnsupported = errors.New("devalue: unsupported type")

// ErrTooLong reports Stringify output longer than Options.MaxLen.
var ErrTooLong = errors.New("devalue: output too long")
