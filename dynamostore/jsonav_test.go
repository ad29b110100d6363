package dynamostore

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestNormNumber(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "-0": "0", "0.000": "0", "0e5": "0", "1": "1", "-1": "-1", "1.50": "1.5", "1.5e3": "1500",
		"1E+2": "100", "1e-7": "0.0000001", "1e+21": "1000000000000000000000", "-12.250e1": "-122.5",
		"00012": "12", "12345678901234567890": "12345678901234567890", "0.1": "0.1", "123.456e-2": "1.23456",
		"9.9999999999999999999999999999999999999e125": "99999999999999999999999999999999999999" + strings.Repeat("0", 88),
		"1e-130": "0." + strings.Repeat("0", 129) + "1",
	} {
		if got, ok := normNumber(in); !ok || got != want {
			t.Errorf("normNumber(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-", ".", "1.", "1e", "1e+", "e5", "1x", "--1", "+1", "1e126", "1e-131",
		"123456789012345678901234567890123456789", "NaN", "Infinity", "1e99999999999999999999"} {
		if got, ok := normNumber(in); ok {
			t.Errorf("normNumber(%q) = %q, accepted", in, got)
		}
	}
}

// storeAndLoad is what DynamoDB does to an item's members: it keeps every
// attribute value (numbers normalized, which toAV already did).
func roundTrip(t *testing.T, data string) (string, bool) {
	t.Helper()
	sp, ok := spreadJSON([]byte(data), func(n string) bool { return n == "_idx" })
	if !ok {
		return "", false
	}
	var order []string
	if !sp.sorted() {
		order = sp.names
	}
	out, err := unspreadJSON(sp.attrs, order, sp.raw)
	if err != nil {
		t.Fatalf("unspread of %q: %v", data, err)
	}
	return string(out), true
}

func TestSpreadRoundTrip(t *testing.T) {
	for _, data := range []string{
		`{}`, `{"a":1}`, `{"b":1,"a":2}`, `{"user":"alice","n":1}`, remixData,
		`{"s":"<&>é\u2028","f":1e+21,"g":-0,"h":0.5,"i":[],"j":{},"k":[{"z":null,"y":[true,false]}]}`,
		`{"esc":"\u00e9","lone":"\ud800"}`, `{"dup":{"x":1,"x":2}}`,
	} {
		got, ok := roundTrip(t, data)
		if !ok {
			t.Errorf("%s: not spread", data)
			continue
		}
		if got != data {
			t.Errorf("round trip of %s = %s", data, got)
		}
	}
	for _, data := range []string{`[]`, `"x"`, `{"a":1} `, ` {"a":1}`, `{"a" :1}`, `{"\u0061":1}`, `{"_idx":1}`,
		`{"a":1e999}`, `{"a":1,"a":1}`, `{"a":{"":1}}`, `{"a":1}{"b":2}`, "{\"a\":\"\xff\"}", `{"a":` + nest(31) + `}`} {
		if got, ok := roundTrip(t, data); ok {
			t.Errorf("%s: spread (reads back as %s), want opaque", data, got)
		}
	}
}

// TestUnspreadForeignValues: attributes written by JavaScript read as
// their canonical JSON, and an original text that no longer matches the
// attribute is ignored.
func TestUnspreadForeignValues(t *testing.T) {
	attrs := map[string]types.AttributeValue{
		"n":   &types.AttributeValueMemberN{Value: "1.50"},
		"b":   &types.AttributeValueMemberB{Value: []byte("hi")},
		"ns":  &types.AttributeValueMemberNS{Value: []string{"1", "2.0"}},
		"bs":  &types.AttributeValueMemberBS{Value: [][]byte{{0}}},
		"map": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"z": &types.AttributeValueMemberBOOL{Value: false}, "a": &types.AttributeValueMemberNULL{Value: true}}},
	}
	got, err := unspreadJSON(attrs, []string{"map", "gone", "map"}, map[string]string{"n": "1.5e0", "map": `{"z":true,"a":null}`})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"map":{"a":null,"z":false},"b":"aGk=","bs":["AA=="],"n":1.5e0,"ns":[1,2]}`
	if string(got) != want {
		t.Fatalf("unspread = %s\nwant %s", got, want)
	}
	if !json.Valid(got) {
		t.Fatal("not JSON")
	}
}

// FuzzSpread: data the store spreads into attributes reads back byte for
// byte, and is valid JSON.
func FuzzSpread(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, remixData, `{"b":[1,2,{"c":"d"}],"a":"\u00e9"}`, `{"x":1e5,"y":-0.10}`, `not json`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sp, ok := spreadJSON(data, func(n string) bool { return n == "_idx" })
		if !ok {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("spread invalid JSON %q", data)
		}
		var order []string
		if !sp.sorted() {
			order = sp.names
		}
		out, err := unspreadJSON(sp.attrs, order, sp.raw)
		if err != nil {
			t.Fatalf("unspread of %q: %v", data, err)
		}
		if string(out) != string(data) {
			t.Fatalf("round trip of %q = %q", data, out)
		}
		// Without the order and the original texts (another writer's item),
		// the result is still JSON.
		plain, err := unspreadJSON(sp.attrs, nil, nil)
		if err != nil || !json.Valid(plain) {
			t.Fatalf("canonical form of %q = %q, %v", data, plain, err)
		}
	})
}

// FuzzNormNumber: an accepted number keeps its value exactly, and its
// canonical text is a fixed point.
func FuzzNormNumber(f *testing.F) {
	for _, s := range []string{"0", "-1.50", "1e21", "1e-7", "123.456e-2", "1e126", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := normNumber(s)
		if !ok {
			return
		}
		if again, ok := normNumber(out); !ok || again != out {
			t.Fatalf("normNumber(%q) = %q, then %q, %v", s, out, again, ok)
		}
		if len(s) > 300 {
			return // keep big.Rat's work small
		}
		a, okA := new(big.Rat).SetString(s)
		if i := strings.IndexAny(s, "eE"); !okA && i >= 0 && len(strings.TrimLeft(s[i+1:], "+-")) > 9 {
			return // big.Rat refuses exponents beyond int32 (0e99999999999 is 0 all the same)
		}
		b, okB := new(big.Rat).SetString(out)
		if !okA || !okB || a.Cmp(b) != 0 {
			t.Fatalf("normNumber(%q) = %q: value changed (%v %v)", s, out, okA, okB)
		}
	})
}
