package express

import (
	"errors"
	"strings"
	"testing"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
	"github.com/sesh-go/sesh/internal/alloctest"
)

// Allocation bounds, for inputs up to 64 KB.
//
// DecodeID: a constant. The ID is a substring of the value, the MAC's
// base64 decodes on the stack, and the HMAC states come from a pool (under
// the race detector the pool drops some: about 1.2 KB for each of the two
// secrets, once per call).
//
// Codec.Decode: encoding/json reads the record into a map of raw values
// (one entry per member of at least 7 bytes, `"ab":0,`: up to 27 bytes per
// byte with the map's growth, plus the values' copies), then the cookie
// object, whose sameSite member is decoded as any: there, nested objects
// `{"":{"":…}}` cost a map of one entry (about 500 bytes, measured) per
// 6 bytes of input, down to encoding/json's depth limit of 10000. Measured
// worst (codecAllocShapes, every size up to 64 KB in steps of 512 bytes):
// 83 per byte, nested objects, the same under the race detector;
// 50 for the top-level map. k = 128 leaves room for map growth points.
const (
	decodeIDAllocC = 8 << 10
	codecAllocK    = 128
	codecAllocC    = 16 << 10
)

// codecAllocShapes are the records that allocate the most per byte.
var codecAllocShapes = map[string]alloctest.Shape{
	"values":        func(n int) []byte { return alloctest.Members(n, `{"cookie":{},`, `0`, `}`) },
	"object values": func(n int) []byte { return alloctest.Members(n, `{"cookie":{},`, `{}`, `}`) },
	"deadlines":     func(n int) []byte { return alloctest.Members(n, `{"cookie":{},"__sesh":{"t":{`, `1`, `}}}`) },
	"sameSite array": func(n int) []byte {
		return alloctest.Fill(n, `{"cookie":{"sameSite":[`, `1`, `,`, `]}}`)
	},
	"sameSite nested objects": func(n int) []byte {
		return append(append([]byte(`{"cookie":{"sameSite":`), alloctest.Nest(min(n/6-8, 9990), `{"":`, `0`, `}`)...), `}}`...)
	},
	"sameSite nested arrays": func(n int) []byte {
		return append(append([]byte(`{"cookie":{"sameSite":`), alloctest.Nest(min(n/2-16, 9990), `[`, ``, `]`)...), `}}`...)
	},
}

// TestCodecDecodeAllocations checks codecAllocK on every shape at every
// size up to 64 KB, in steps of 2 KB.
func TestCodecDecodeAllocations(t *testing.T) {
	alloctest.Sweep(t, "Codec.Decode", 2048, codecAllocK, codecAllocC, codecAllocShapes, func(b []byte) {
		var d sesh.Data
		(Codec{}).Decode(b, &d)
	})
}

func FuzzDecodeID(f *testing.F) {
	opt := SecretOptions{AllowShortSecrets: true}
	cv, _ := NewCookieValueWith(opt, []byte("keyboard cat"), []byte("old"))
	current, _ := NewCookieValueWith(opt, []byte("keyboard cat"))
	old, _ := NewCookieValueWith(opt, []byte("old"))
	for _, v := range vectors {
		f.Add("s:" + strings.TrimPrefix(cookie.Values([]string{"c=" + v.value}, "c")[0], "s:"))
	}
	f.Add("s:")
	f.Add("s:.")
	// 64 KB: a long ID under a MAC of the right length, many dots, no dot.
	f.Add("s:" + strings.Repeat("a", 64<<10-46) + ".D8Y+pkTAmeR0PobOhY4G97PRW+j7bUnP/5m6/On1MCU")
	f.Add("s:" + strings.Repeat("a.", 32<<10-1))
	f.Add("s:" + strings.Repeat("a", 64<<10-2))
	f.Fuzz(func(t *testing.T, v string) {
		alloctest.Check(t, "DecodeID", len(v), 0, decodeIDAllocC, func() { cv.DecodeID(v) })
		id, ok := cv.DecodeID(v)
		if !ok {
			return
		}
		// Accepted: v must be exactly what one of the secrets signs for id.
		if cookie.Escape(v) != current.EncodeID(id) && cookie.Escape(v) != old.EncodeID(id) {
			t.Fatalf("accepted %q as %q, which no secret signs that way", v, id)
		}
	})
}

func FuzzCodecDecode(f *testing.F) {
	f.Add([]byte(`{"cookie":{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/"},"n":1}`))
	f.Add([]byte(`{"cookie":{"originalMaxAge":60000},"__sesh":{"c":1,"t":{"a":2}}}`))
	f.Add([]byte(`{"cookie":{"originalMaxAge":false,"expires":false,"partitioned":true,"priority":"high"},"__sesh":{"p":5}}`))
	f.Add([]byte(`{"cookie":{"originalMaxAge":1e300,"expires":"2026-01-01T00:00:00.000Z"}}`))
	for _, s := range alloctest.Seeds(codecAllocShapes) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		alloctest.Check(t, "Codec.Decode", len(src), codecAllocK, codecAllocC, func() {
			var d sesh.Data
			(Codec{}).Decode(src, &d)
		})
		var d sesh.Data
		if err := (Codec{}).Decode(src, &d); err != nil {
			if !errors.Is(err, sesh.ErrDecode) {
				t.Fatalf("error %v does not wrap ErrDecode", err)
			}
			return
		}
		// What decodes re-encodes, and the re-encoding decodes to the same values.
		b, err := (Codec{}).Encode(nil, &d)
		if err != nil {
			t.Fatalf("re-encode of %q: %v", src, err)
		}
		var again sesh.Data
		if err := (Codec{}).Decode(b, &again); err != nil || len(again.Values) != len(d.Values) {
			t.Fatalf("re-decode of %s: %v (%d vs %d values)", b, err, len(again.Values), len(d.Values))
		}
	})
}
