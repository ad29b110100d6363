package astro

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/astro/devalue"
	"github.com/sesh-go/sesh/internal/nodepeer"
	"github.com/sesh-go/sesh/memstore"
)

// The session the reference notes recorded from Astro with devalue 5.9.1.
const astroSession = `[["Map",1,2,7,8,10,11,14,15,19,20],"cart",{"data":3,"expires":6},[4,5],"shoe","hat",1700000000000,` +
	`"lastVisit",{"data":9},["Date","1970-01-01T00:00:00.000Z"],"fav",{"data":12},["URL",13],` +
	`"https://example.com/a?b=1","tags",{"data":16},["Set",17,18],"a","b","big",{"data":21},["BigInt","123"]]`

func TestDecodeAstroSession(t *testing.T) {
	var d sesh.Data
	if err := (Codec{}).Decode([]byte(astroSession), &d); err != nil {
		t.Fatal(err)
	}
	if string(d.Values["cart"]) != `["shoe","hat"]` || !d.Deadlines["cart"].Equal(time.UnixMilli(1700000000000)) {
		t.Fatalf("cart %s, deadline %v", d.Values["cart"], d.Deadlines["cart"])
	}
	for k, want := range map[string]string{
		"lastVisit": `[["Date","1970-01-01T00:00:00.000Z"]]`,
		"fav":       `[["URL",1],"https://example.com/a?b=1"]`,
		"tags":      `[["Set",1,2],"a","b"]`,
		"big":       `[["BigInt","123"]]`,
	} {
		var marker map[string]string
		if err := json.Unmarshal(d.Values[k], &marker); err != nil || marker[devalueKey] != want {
			t.Errorf("%s = %s, want the marker of %s", k, d.Values[k], want)
		}
	}
	// Written back, every value is as Astro had it.
	out, err := (Codec{}).Encode(nil, &d)
	if err != nil {
		t.Fatal(err)
	}
	var again sesh.Data
	if err := (Codec{}).Decode(out, &again); err != nil {
		t.Fatal(err)
	}
	for k, v := range d.Values {
		if string(again.Values[k]) != string(v) {
			t.Errorf("%s changed across a write: %s → %s", k, v, again.Values[k])
		}
	}
	for _, want := range []string{`["Date","1970-01-01T00:00:00.000Z"]`, `["URL",`, `["Set",`, `["BigInt","123"]`, `1700000000000`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("Encode lost %s: %s", want, out)
		}
	}
}

// TestEveryTypeRoundTrips: a session Astro writes (the real devalue,
// Astro's URL reducer) with a value of every type devalue writes — typed
// arrays, DataView, ArrayBuffer, URLSearchParams, boxed primitives,
// Temporal values, sparse and cyclic arrays, … — decodes in Go, and a Go
// write gives Astro back the very same bytes.
func TestEveryTypeRoundTrips(t *testing.T) {
	text := nodepeer.Run(t, filepath.Join("devalue", "testdata", "node"), "peer.js", "session")
	var d sesh.Data
	if err := (Codec{}).Decode([]byte(text), &d); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(d.Values) < 40 {
		t.Fatalf("%d values", len(d.Values))
	}
	for k, want := range map[string]string{
		"user": `"bob"`, "cart": `["shoe","hat"]`, "prefs": `{"theme":"dark","size":12}`,
		"markerLike":     `{"__devalue":"hi"}`,
		"markerLikeDate": `{"__devalue":"[[\"Date\",\"2024-01-01T00:00:00.000Z\"]]"}`,
	} {
		if got := string(d.Values[k]); got != want {
			t.Errorf("%s reads %s in Go, want %s", k, got, want)
		}
	}
	for k, raw := range d.Values {
		if _, ok := opaqueText(raw); !ok && !strings.HasPrefix(k, "user") && k != "cart" && k != "prefs" && !strings.HasPrefix(k, "markerLike") {
			t.Errorf("%s is not kept opaque: %s", k, raw)
		}
	}
	for k, want := range map[string]string{"uint8": "*devalue.TypedArray", "search": "*devalue.URLSearchParams", "boxedString": "*devalue.Boxed", "instant": "*devalue.Temporal", "sparse": "*devalue.SparseArray", "repeated": "*devalue.Array"} {
		v, err := Unmarshal(d.Values[k])
		if err != nil || fmt.Sprintf("%T", v) != want {
			t.Errorf("Unmarshal(%s) = %T, %v; want %s", k, v, err, want)
		}
	}
	out, err := (Codec{}).Encode(nil, &d)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != text {
		t.Fatalf("Astro wrote\n%s\nGo wrote back\n%s", text, out)
	}
}

// TestMarkerConfusion: session values a handler builds in the marker's
// shape — from a form field, from a request body — are ordinary objects:
// they commit, reach Astro as objects, and read back as themselves.
func TestMarkerConfusion(t *testing.T) {
	realMarker, err := Marshal(&devalue.Date{Time: time.UnixMilli(0)})
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]json.RawMessage{
		"plain":      json.RawMessage(`{"__devalue":"hi"}`),
		"devalueish": json.RawMessage(`{"__devalue":"[[\"Date\",\"2024-01-01T00:00:00.000Z\"]]"}`),
		"forged":     json.RawMessage(`{"__devalue":"[1]","__devalue_sig":"AAAAAAAAAAAAAAAAAAAAAA"}`),
		"escaped":    json.RawMessage(`{"\u005f_devalue":"[1]"}`),
		"nested":     json.RawMessage(`{"a":` + string(realMarker) + `}`), // a marker counts only as a whole value
		"notJSON":    json.RawMessage(`{"__devalue":"not devalue at all ]["}`),
	}
	d := sesh.Data{Values: values}
	out, err := (Codec{}).Encode(nil, &d)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	v, err := devalue.Parse(string(out))
	if err != nil {
		t.Fatal(err)
	}
	m := v.(*devalue.Map)
	for i, k := range m.Keys {
		data, _ := m.Values[i].(*devalue.Object).Get("data")
		if _, ok := data.(*devalue.Object); !ok {
			t.Errorf("%s reaches Astro as a %T, not an object", k, data)
		}
	}
	var back sesh.Data
	if err := (Codec{}).Decode(out, &back); err != nil {
		t.Fatal(err)
	}
	for k, raw := range values {
		var want, got any
		json.Unmarshal(raw, &want)
		json.Unmarshal(back.Values[k], &got)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: set %s, read back %s", k, raw, back.Values[k])
		}
	}

	// The same through a Manager: a handler copies a form field into a
	// map; the commit succeeds and the next request reads it back.
	cfg := sesh.Config{Store: memstore.New(memstore.Options{}), Cookie: sesh.CookieConfig{Secure: sesh.SecureNever}}
	if err := Configure(&cfg); err != nil {
		t.Fatal(err)
	}
	mgr, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"hi", `[["Date","2024-01-01T00:00:00.000Z"]]`, `[{"a":1},["BigInt","99999"]]`, "]["} {
		cookie := nodepeer.Serve(t, mgr, "", func(s *sesh.Session) {
			if err := s.Set("prefs", map[string]string{"__devalue": field}); err != nil {
				t.Fatal(err)
			}
		})
		var got map[string]string
		nodepeer.Serve(t, mgr, cookie, func(s *sesh.Session) {
			got, _ = sesh.Get[map[string]string](s, "prefs")
		})
		if got["__devalue"] != field || len(got) != 1 {
			t.Errorf("a form field %q came back as %v", field, got)
		}
	}
}

// TestMarkerFromAstro: an object Astro holds that looks like a marker —
// even a copy of a real one — comes back to Astro as the same object.
func TestMarkerFromAstro(t *testing.T) {
	realMarker, _ := Marshal(big.NewInt(5))
	var copied map[string]string
	json.Unmarshal(realMarker, &copied)
	for _, obj := range []*devalue.Object{
		objectOf(devalueKey, "x"),
		objectOf(devalueKey, copied[devalueKey], sigKey, copied[sigKey]),
		objectOf(devalueKey, "x", sigKey, "bogus"),
	} {
		m := &devalue.Map{Keys: []any{"k"}, Values: []any{objectOf("data", obj, "expires", devalue.Undefined{})}}
		text, err := devalue.Stringify(m, devalue.Options{AstroURL: true})
		if err != nil {
			t.Fatal(err)
		}
		var d sesh.Data
		if err := (Codec{}).Decode([]byte(text), &d); err != nil {
			t.Fatal(err)
		}
		out, err := (Codec{}).Encode(nil, &d)
		if err != nil || string(out) != text {
			t.Errorf("Astro wrote %s, Go wrote back %s (%v); Go read %s", text, out, err, d.Values["k"])
		}
	}
}

func objectOf(kv ...any) *devalue.Object {
	o := devalue.NewObject()
	for i := 0; i < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

func TestMarshalUnmarshal(t *testing.T) {
	when := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	raw, err := Marshal(&devalue.Date{Time: when})
	if err != nil {
		t.Fatal(err)
	}
	v, err := Unmarshal(raw)
	if d, ok := v.(*devalue.Date); err != nil || !ok || !d.Time.Equal(when) {
		t.Fatalf("Unmarshal(Marshal(date)) = %#v, %v", v, err)
	}
	if raw, _ := Marshal(objectOf("a", 1.0)); string(raw) != `{"a":1}` {
		t.Fatalf("a JSON value is marshalled as %s", raw)
	}
	// A handler stores a Date for Astro.
	d := sesh.Data{Values: map[string]json.RawMessage{"when": raw}}
	out, err := (Codec{}).Encode(nil, &d)
	if err != nil || !strings.Contains(string(out), `["Date","2024-02-29T12:00:00.000Z"]`) {
		t.Fatalf("%s, %v", out, err)
	}
	if _, err := Unmarshal(json.RawMessage(`{"a":1} 2`)); err == nil {
		t.Fatal("trailing data accepted")
	}
}

// TestRepeatsStayOpaque: JSON would write a string as often as a value
// holds it; such a value stays opaque and keeps devalue's single copy.
func TestRepeatsStayOpaque(t *testing.T) {
	long := strings.Repeat("x", 1000)
	many := &devalue.Array{}
	for range 100 {
		many.Elems = append(many.Elems, long)
	}
	raw, err := Marshal(many)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := opaqueText(raw); !ok || len(raw) > 1400 {
		t.Fatalf("100 copies of one string: %d bytes, opaque %v", len(raw), ok)
	}
	if raw, _ := Marshal(&devalue.Array{Elems: []any{"ab", "ab", 1.0, 1.0}}); string(raw) != `["ab","ab",1,1]` {
		t.Fatalf("a few repeats: %s", raw)
	}
}

// TestDecodeBudget: entries that share one node (Astro never writes
// that) cannot make Decode write it once per entry without bound.
func TestDecodeBudget(t *testing.T) {
	in := sharedEntries(`{`+keys(2000)+`}`, 200)
	var d sesh.Data
	var err error
	got := allocated(func() { err = (Codec{}).Decode([]byte(in), &d) })
	if !errors.Is(err, ErrTooLarge) || !errors.Is(err, sesh.ErrDecode) {
		t.Fatalf("Decode: %v", err)
	}
	if got > decodeBound(len(in)) {
		t.Fatalf("%d bytes in, %d allocated", len(in), got)
	}
	// The same value under two keys is fine.
	if err := (Codec{}).Decode([]byte(sharedEntries(`{`+keys(2000)+`}`, 2)), &d); err != nil {
		t.Fatal(err)
	}
}

// keys is "k0":2,…: properties of an object referring to node 2.
func keys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":2`, i)
	}
	return b.String()
}

// sharedEntries is a session of count entries whose data is one node:
// node 1 is the entry, node 2 the data.
func sharedEntries(data string, count int) string {
	var b strings.Builder
	b.WriteString(`[["Map"`)
	for i := range count {
		fmt.Fprintf(&b, ",%d,1", i+3)
	}
	b.WriteString(`],{"data":2},` + data)
	for i := range count {
		fmt.Fprintf(&b, `,"e%d"`, i)
	}
	return b.String() + "]"
}

func TestMetadataAndReserved(t *testing.T) {
	d := sesh.Data{Values: map[string]json.RawMessage{"n": json.RawMessage("1")}, UserID: "bob", Created: time.UnixMilli(5)}
	out, err := (Codec{}).Encode(nil, &d)
	if err != nil {
		t.Fatal(err)
	}
	var back sesh.Data
	if err := (Codec{}).Decode(out, &back); err != nil || back.UserID != "bob" || back.Created.UnixMilli() != 5 || len(back.Values) != 1 {
		t.Fatalf("%+v, %v", back, err)
	}
	d.Values[metaKey] = json.RawMessage("1")
	if _, err := (Codec{}).Encode(nil, &d); err == nil {
		t.Fatal("a value under the metadata key was accepted")
	}
	for _, bad := range []string{`["x"]`, `[["Map",1,2],1,2]`, `[["Map",1,2],"k","v"]`, `nope`} {
		if err := (Codec{}).Decode([]byte(bad), &back); !errors.Is(err, sesh.ErrDecode) {
			t.Errorf("Decode(%s) = %v", bad, err)
		}
	}
	// An entry without data holds undefined, as entry.data reads in Astro.
	if err := (Codec{}).Decode([]byte(`[["Map",1,2],"k",{"expires":-1}]`), &back); err != nil {
		t.Fatal(err)
	}
	if v, err := Unmarshal(back.Values["k"]); err != nil || v != (devalue.Undefined{}) {
		t.Fatalf("%s: %#v, %v", back.Values["k"], v, err)
	}
}

func TestIDs(t *testing.T) {
	for range 100 {
		if id := NewID(); !ValidID(id) {
			t.Fatalf("NewID() = %q", id)
		}
	}
	for _, bad := range []string{"", "11111111-1111-1111-8111-111111111111", "11111111-1111-4111-c111-111111111111", "11111111111141118111111111111111xxxx", "g1111111-1111-4111-8111-111111111111"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q)", bad)
		}
	}
	if !ValidID("ABCDEF01-2345-4789-AB01-23456789ABCD") {
		t.Error("upper case refused (Astro's regex is case-insensitive)")
	}
}

// decodeBound is the most Decode may allocate for n bytes of stored text.
//
// Why 128 per byte: devalue.Parse allocates at most 64 per byte (see its
// FuzzParse), and the values Decode makes of what Parse read are capped
// at budgetPerByte (8) bytes per byte of input; writing a byte of them
// costs about 8 bytes of allocation (devalue.Stringify's builders grow by
// doubling and are joined, a marker escapes and signs a copy), so 64 more.
// The slack covers fixed costs: the Data maps, HMAC state, small inputs.
func decodeBound(n int) uint64 { return uint64(128*n + 128<<10) }

func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestDecodeAllocation: sessions built to cost Decode the most per byte
// (many opaque entries, entries sharing one node) stay within decodeBound.
func TestDecodeAllocation(t *testing.T) {
	const n = 64 << 10
	for name, in := range map[string]string{
		"undefined entries": sharedEntries("-1", n/12),
		"date entries":      sharedEntries(`["Date",""]`, n/14),
		"string entries":    sharedEntries(`"x"`, n/12),
		"set entries":       sharedEntries(`["Set",`+strings.TrimSuffix(strings.Repeat("-1,", n/16), ",")+`]`, n/16),
		"shared big object": sharedEntries(`{`+keys(n/16)+`}`, n/16),
		"raw < strings":     sharedEntries(`"`+strings.Repeat("<", n/4)+`"`, 8),
		"one big value":     sharedEntries(`{`+keys(n/10)+`}`, 1),
	} {
		var d sesh.Data
		var err error
		got := allocated(func() { err = (Codec{}).Decode([]byte(in), &d) })
		if got > decodeBound(len(in)) {
			t.Errorf("%s: %d bytes allocated %d, more than %d", name, len(in), got, decodeBound(len(in)))
		}
		t.Logf("%-18s %6d bytes in, %8d allocated, %5.1f per byte, %d values, err %v", name, len(in), got, float64(got)/float64(len(in)), len(d.Values), err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(astroSession))
	f.Add([]byte(`[["Map",1,2],"k",{"data":3,"expires":-1},{"a":3}]`))
	f.Add([]byte(`[["Map",1,2],"k",{"data":3},{"__devalue":4},"[1]"]`))
	f.Add([]byte(`[["Map",1,2,3,2],"a",{"data":4},"b",[5,5,5,5],"same string"]`))
	f.Add([]byte(`[["Map",1,2],"k",{"data":3},["Uint8Array",4],["ArrayBuffer","AQID"]]`))
	f.Add([]byte(`[["Map",1,2],"k",{"data":3},[-7,100,5,4],["Object",5],"s"]`))
	f.Add([]byte(sharedEntries(`{`+keys(50)+`}`, 20)))
	f.Fuzz(func(t *testing.T, src []byte) {
		var d sesh.Data
		var err error
		got := allocated(func() { err = (Codec{}).Decode(src, &d) })
		if len(src) <= 64<<10 && got > decodeBound(len(src)) {
			t.Fatalf("%d bytes allocated %d, more than %d", len(src), got, decodeBound(len(src)))
		}
		if err != nil {
			if !errors.Is(err, sesh.ErrDecode) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		out, err := (Codec{}).Encode(nil, &d)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var again sesh.Data
		if err := (Codec{}).Decode(out, &again); err != nil || len(again.Values) != len(d.Values) {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		for k, v := range d.Values {
			if !bytes.Equal(again.Values[k], v) {
				t.Fatalf("%q changed: %s → %s", k, v, again.Values[k])
			}
			if _, opaque := opaqueText(v); opaque {
				continue
			}
			// The package doc's bound on a value's JSON.
			dv, err := Unmarshal(v)
			if err != nil {
				t.Fatal(err)
			}
			text, err := devalue.Stringify(dv, devalue.Options{AstroURL: true})
			if err != nil || len(v) > 4*len(text)+256 {
				t.Fatalf("%q: JSON of %d bytes for devalue text of %d (%v)", k, len(v), len(text), err)
			}
		}
	})
}

// TestShortRepeatsStayJSON: repeats no longer than devalue's reference
// to them cost nothing.
func TestShortRepeatsStayJSON(t *testing.T) {
	a := &devalue.Array{}
	for range 1000 {
		a.Elems = append(a.Elems, true, 1.0, nil)
	}
	raw, err := Marshal(a)
	if err != nil || raw[0] != '[' {
		t.Fatalf("%.60s…, %v", raw, err)
	}
}
