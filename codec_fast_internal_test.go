package sesh

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

var codecSeeds = []string{
	`{}`,
	`{"c":1700000000000,"v":{"count":5}}`,
	`{"c":1,"i":"abc","u":"alice","s":2,"a":"Mozilla/5.0 (X11)","p":3600000,"v":{"a":{"x":[1,"two",{"3":null}]},"b":"q\"uote","c":true,"d":-1.5e3},"t":{"a":1700000000000}}`,
	`{"v":{}}`, `{"t":{}}`, `{"v":{"k":"\u00e9"}}`, `{"a":"\u003c"}`, `{"C":1}`, `{"c":1,"c":2}`,
	`{"c":01}`, `{"c":1.5}`, `{"c":-0}`, `{"c":9223372036854775807}`, `{"c":9223372036854775808}`,
	`{"v":{"a":1,"a":2}}`, `{"v":{"a":[1,2}}`, `{"v":{"a":"x\\"}}`, `{"v":{"a":}}`, `{"v":null}`,
	`{"x":1}`, `{"c":1} `, ` {"c":1}`, `{"c":1}{}`, `{"i":"a\u0000b"}`, `{"v":{"k":1}`, `{"t":{"k":"x"}}`,
}

// FuzzJSONCodecDecode: wherever the fast path accepts, it agrees with
// encoding/json; the public Decode never disagrees with the reference.
func FuzzJSONCodecDecode(f *testing.F) {
	for _, s := range codecSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		var fast, slow Data
		okFast := decodeFast(src, &fast)
		errSlow := decodeSlow(src, &slow)
		if okFast && errSlow != nil {
			t.Fatalf("fast path accepted %q, encoding/json refuses: %v", src, errSlow)
		}
		if okFast && !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fast and slow differ on %q:\nfast %#v\nslow %#v", src, fast, slow)
		}
	})
}

func TestDecodeFastTakesEncodeOutput(t *testing.T) {
	d := Data{
		Values:    map[string]json.RawMessage{},
		Created:   time.UnixMilli(1700000000000),
		UserID:    "alice",
		UserAgent: "Mozilla/5.0",
		Persist:   time.Hour,
		Deadlines: map[string]time.Time{"otp": time.UnixMilli(1700000300000)},
	}
	d.Values["n"] = []byte(`42`)
	d.Values["cart"] = []byte(`{"items":["apple","pear"]}`)
	b, err := JSONCodec{}.Encode(nil, &d)
	if err != nil {
		t.Fatal(err)
	}
	var got Data
	if !decodeFast(b, &got) {
		t.Fatalf("fast path refused Encode's output %s", b)
	}
	if !reflect.DeepEqual(got, d) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, d)
	}
	for _, s := range codecSeeds {
		var a, b Data
		okFast := decodeFast([]byte(s), &a)
		err := decodeSlow([]byte(s), &b)
		if okFast && (err != nil || !reflect.DeepEqual(a, b)) {
			t.Errorf("%s: fast accepted, slow says %v", s, err)
		}
	}
}
