package remix

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/alloctest"
)

// Allocation bounds, for inputs up to 64 KB.
//
// Signer.Open: the payload's base64 decodes once (3/4 of the value, rounded
// up to a size class); the HMAC states come from a pool (under the race
// detector the pool drops some: about 1.2 KB for each of the two secrets,
// once per call, in the constant): openAllocK = 1.
//
// Codec.Decode: encoding/json reads the data into a map of raw values, one
// entry per member of at least 7 bytes (`"ab":0,`): a 40-byte slot at a
// load factor as low as 7/16 after the table doubled, plus the tables left
// behind while it grew, about 27 bytes per byte, and the values' and keys'
// copies; "__sesh" costs as much for its deadlines (a map of int64, then
// one of time.Time made at its size). Measured worst (codecAllocShapes,
// every size up to 64 KB in steps of 512 bytes): 34 per byte, 36 under the
// race detector; k = 48.
//
// FileStore.Get: the file is read once (its size plus 512, rounded up to
// a size class or an 8 KB page: up to 1.125), encoding/json copies the
// "data" member or the "expires" string (1), and a wrapped value is copied
// into a string (1) and its base64 decoded (3/4): 3.9 at most; measured
// 3.8 (a 64 KB wrapped value); fileGetAllocK = 5. The constant covers the
// path and the file's handle.
const (
	openAllocK    = 1
	codecAllocK   = 48
	fileGetAllocK = 5
	allocC        = 16 << 10
)

// codecAllocShapes are the data that allocate the most per byte.
var codecAllocShapes = map[string]alloctest.Shape{
	"values":          func(n int) []byte { return alloctest.Members(n, `{`, `0`, `}`) },
	"object values":   func(n int) []byte { return alloctest.Members(n, `{`, `{}`, `}`) },
	"escaped values":  func(n int) []byte { return alloctest.Members(n, `{`, `"\u0000"`, `}`) },
	"deadlines":       func(n int) []byte { return alloctest.Members(n, `{"__sesh":{"t":{`, `1`, `}}}`) },
	"deadlines, bad":  func(n int) []byte { return alloctest.Members(n, `{"__sesh":{"t":{`, `1`, `},"c":1.5}}`) },
	"escaped user ID": func(n int) []byte { return alloctest.Fill(n, `{"__sesh":{"u":"`, `\u0041`, ``, `"}}`) },
}

// TestCodecDecodeAllocations checks codecAllocK on every shape at every
// size up to 64 KB, in steps of 2 KB.
func TestCodecDecodeAllocations(t *testing.T) {
	alloctest.Sweep(t, "Codec.Decode", 2048, codecAllocK, allocC, codecAllocShapes, func(b []byte) {
		var d sesh.Data
		(Codec{}).Decode(b, &d)
	})
}

func FuzzOpen(f *testing.F) {
	opt := SecretOptions{AllowShortSecrets: true}
	s, _ := NewSignerWith(opt, []byte("secret1"), []byte("old"))
	cur, _ := NewSignerWith(opt, []byte("secret1"))
	old, _ := NewSignerWith(opt, []byte("old"))
	f.Add("eyJoZWxsbyI6Im1qYWNrc29uIn0=.MhdrGeaXZvqV2Ma1z0HlR22HKPsv5xbLn3+8XuPWj+U")
	f.Add(".")
	f.Add("e30=.x")
	// 64 KB: a signed payload of 48 KB, the same cut short, and a long
	// value under a signature of the right length.
	big := cur.s.Sign(base64.StdEncoding.EncodeToString([]byte(`{"a":"` + strings.Repeat("x", 48<<10-9) + `"}`)))
	f.Add(big)
	f.Add(big[:len(big)-1])
	f.Add(strings.Repeat("A", 64<<10-44) + "." + strings.Repeat("A", 43))
	f.Fuzz(func(t *testing.T, v string) {
		alloctest.Check(t, "Signer.Open", len(v), openAllocK, allocC, func() { s.Open("__session", v, time.Time{}) })
		p, _, _, err := s.Open("__session", v, time.Time{})
		if err != nil {
			return
		}
		// Accepted: one of the secrets signed exactly this base64 text.
		b64 := v[:strings.LastIndexByte(v, '.')]
		if cur.s.Sign(b64) != v && old.s.Sign(b64) != v {
			t.Fatalf("accepted %q, which no secret signs", v)
		}
		if q, err := base64.StdEncoding.DecodeString(b64); err == nil && string(q) != string(p) {
			t.Fatalf("payload %q, base64 says %q", p, q)
		}
		var d sesh.Data
		_ = (Codec{}).Decode(p, &d) // any bytes: an error or a session, never a panic
	})
}

// FuzzCodecDecode: Remix's session data decodes to an error wrapping
// sesh.ErrDecode or to data that re-encodes and decodes again to the same
// values and metadata, within codecAllocK bytes per byte.
func FuzzCodecDecode(f *testing.F) {
	for _, s := range []string{`{}`, `{"user":"mjackson","__flash_error__":"boom"}`, `{"a":1,"__sesh":{"c":5,"u":"x","t":{"a":9}}}`,
		`[]`, `null`, `{"__sesh":1}`, `{"__sesh":{"t":{"a":1.5}}}`, `{"a":1}x`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	for _, s := range alloctest.Seeds(codecAllocShapes) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		alloctest.Check(t, "Codec.Decode", len(src), codecAllocK, allocC, func() {
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
		if _, ok := d.Values[metaKey]; ok {
			t.Fatalf("%s: the metadata key read as a value", src)
		}
		b, err := (Codec{}).Encode(nil, &d)
		if err != nil {
			t.Fatalf("re-encode of %q: %v", src, err)
		}
		var again sesh.Data
		if err := (Codec{}).Decode(b, &again); err != nil || len(again.Values) != len(d.Values) ||
			again.UserID != d.UserID || !again.Created.Equal(d.Created) || len(again.Deadlines) != len(d.Deadlines) {
			t.Fatalf("re-decode of %s: %v\n got %+v\nwant %+v", b, err, again, d)
		}
	})
}

// FuzzFileStoreGet plants any content in a session file, as someone who can
// write to the sessions directory could: Get returns the record,
// sesh.ErrNotFound (expired) or an error wrapping sesh.ErrCorrupt; a record
// it returns has not expired; it allocates within fileGetAllocK per byte.
func FuzzFileStoreGet(f *testing.F) {
	const key = "0123456789abcdef"
	for _, s := range []string{
		`{"data":{"user":"mjackson"},"expires":"2099-01-01T00:00:00.000Z"}`, `{"data":{}}`,
		`{"data":{"a":1},"expires":"2000-01-01T00:00:00.000Z"}`, `{"data":{"__sesh_bytes":"AAEC"}}`,
		`{"data":{"__sesh_bytes":"!!"}}`, `{"data":null}`, `{"expires":"2099-01-01T00:00:00Z"}`, `{"data":1,"expires":"x"}`,
		`{"data":1,"expires":1}`, `[]`, ``, `{"data":1}{`,
		// 64 KB: a large value, a large wrapped value, a long expiry.
		`{"data":{"a":"` + strings.Repeat("x", 64<<10-30) + `"}}`,
		`{"data":{"__sesh_bytes":"` + strings.Repeat("AAAA", (64<<10-30)/4) + `"}}`,
		`{"data":1,"expires":"` + strings.Repeat(`\u0041`, (64<<10-30)/6) + `"}`,
	} {
		f.Add([]byte(s))
	}
	st, err := NewFileStore(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st.now = func() time.Time { return now }
	p := st.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	get := func(t *testing.T, content []byte) (sesh.Record, error) {
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		return st.Get(ctx, key)
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		rec, err := get(t, content)
		switch {
		case err == nil:
			if !rec.Expires.IsZero() && !now.Before(rec.Expires) {
				t.Fatalf("%q: read a record that expired at %v", content, rec.Expires)
			}
		case errors.Is(err, sesh.ErrNotFound):
			if _, serr := os.Stat(p); !errors.Is(serr, os.ErrNotExist) {
				t.Fatalf("%q: an expired file was left behind (%v)", content, serr)
			}
		case !errors.Is(err, sesh.ErrCorrupt):
			t.Fatalf("%q: %v", content, err)
		}
		alloctest.Check(t, "FileStore.Get", len(content), fileGetAllocK, allocC, func() { get(t, content) })
	})
}
