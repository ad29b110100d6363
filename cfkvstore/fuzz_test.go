package cfkvstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/jsonwrap"
)

// FuzzRemixValue: any data survives the Remix layout's value: it is UTF-8
// JSON (Remix's JSON.parse reads it, bulk/get returns it as text), and it
// reads back as the same bytes after a trip through a JSON string.
func FuzzRemixValue(f *testing.F) {
	for _, s := range []string{`{"user":"alice"}`, "", "x", "\"\xff\"", `{"__sesh_bytes":"AAAA"}`, ` {"__sesh_bytes":"x"}`, "[1,2]", "\x00", "null"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v := remixValue(data)
		if !utf8.Valid(v) || !json.Valid(v) {
			t.Fatalf("remixValue(%q) = %q: not UTF-8 JSON", data, v)
		}
		text, _ := json.Marshal(string(v)) // what bulk/get sends
		var back string
		if err := json.Unmarshal(text, &back); err != nil {
			t.Fatal(err)
		}
		got, err := jsonwrap.Unwrap([]byte(back))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip of %q via %q = %q, %v", data, v, got, err)
		}
	})
}

// FuzzDecodeBulk: whatever a bulk/get answer holds, decoding it never
// panics, fails only with an error, reports unreadable values as
// sesh.ErrCorrupt and never returns an expired record.
func FuzzDecodeBulk(f *testing.F) {
	now := time.UnixMilli(1_800_000_000_000)
	for _, s := range []string{
		`{"values":{"k":{"value":"{\"a\":1}","metadata":{"sesh_expires_ms":1800000001000},"expiration":1800000060}}}`,
		`{"values":{"k":null,"j":{"value":"x","metadata":null}}}`,
		`{"values":{"k":{"value":"{\"__sesh_bytes\":\"!!\"}","metadata":{"sesh_expires_ms":1}}}}`,
		`{"values":{"k":{"value":1,"metadata":"x","expiration":-5}}}`,
		`{"values":{"k":{"value":"v","metadata":{"sesh_expires_ms":9223372036854775807}}}}`,
		`[]`, `null`, `{"values":[]}`,
	} {
		f.Add([]byte(s))
	}
	s := &Store{layout: layoutRemix, now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := s.decodeBulk("get", raw)
		if err != nil {
			return
		}
		for k, r := range out {
			if r.err != nil {
				if !errors.Is(r.err, sesh.ErrCorrupt) {
					t.Fatalf("%q: error %v does not wrap ErrCorrupt", k, r.err)
				}
				continue
			}
			if !r.rec.Expires.IsZero() && !now.Before(r.rec.Expires) {
				t.Fatalf("%q: expired record returned (%v)", k, r.rec.Expires)
			}
		}
	})
}
