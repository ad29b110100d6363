package astro

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
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

func FuzzDecode(f *testing.F) {
	f.Add([]byte(astroSession))
	f.Add([]byte(`[["Map",1,2],"k",{"data":3,"expires":-1},{"a":3}]`))
	f.Fuzz(func(t *testing.T, src []byte) {
		var d sesh.Data
		if err := (Codec{}).Decode(src, &d); err != nil {
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
			if string(again.Values[k]) != string(v) {
				t.Fatalf("%q changed: %s → %s", k, v, again.Values[k])
			}
		}
	})
}
