package storekit

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/alloctest"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, user := range []string{"", "alice", "a:b:c", "ü"} {
		for _, data := range [][]byte{{}, []byte("x"), []byte("1:2:3"), {0, 255, ':'}} {
			v := AppendRecord(nil, 42, 1700000000123, user, data)
			rec, err := ParseRecord("p", v)
			if err != nil || rec.Version != 42 || rec.Expires.UnixMilli() != 1700000000123 || rec.UserID != user || !bytes.Equal(rec.Data, data) || rec.Data == nil {
				t.Fatalf("round trip of (%q, %q) = %+v, %v", user, data, rec, err)
			}
		}
	}
	exp := time.UnixMilli(1800000000456)
	rec, err := ParseRecord("p", EncodeRecord(7, sesh.Record{Data: []byte("d"), Expires: exp, UserID: "u"}))
	if err != nil || rec.Version != 7 || !rec.Expires.Equal(exp) || rec.UserID != "u" || string(rec.Data) != "d" {
		t.Fatalf("EncodeRecord round trip = %+v, %v", rec, err)
	}
	if v := NewVersion(); v <= 0 {
		t.Fatalf("NewVersion = %d", v)
	}
}

func TestParseRecordRejects(t *testing.T) {
	for _, v := range []string{"", "garbage", "12:", "12:1800000000000:99:short", "0:1800000000000:0:", "-1:1800000000000:0:x",
		":1800000000000:0:x", "5:0:data", "5:x:0:data", "5:1800000000000:data", "+5:1800000000000:0:", "5:1800000000000:-1:",
		"99999999999999999999:1:0:", "9223372036854775808:1:0:"} {
		rec, err := ParseRecord("pkg", []byte(v))
		if !errors.Is(err, sesh.ErrCorrupt) || err.Error() != "pkg: malformed value: "+sesh.ErrCorrupt.Error() {
			t.Errorf("ParseRecord(%q) = %+v, %v; want ErrCorrupt", v, rec, err)
		}
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add([]byte("1:1:0:"))
	f.Add([]byte("42:1700000000123:5:alicedata"))
	f.Add([]byte("9:1:99:x"))
	f.Add([]byte("-1:1:0:"))
	f.Add([]byte("1:-5:0:"))
	f.Add([]byte("9223372036854775807:1:0:"))
	// 64 KB: a user ID that takes it all, and a record's data.
	f.Add([]byte("1:1:" + strconv.Itoa(64<<10-10) + ":" + strings.Repeat("u", 64<<10-10)))
	f.Add([]byte("1:1:0:" + strings.Repeat("d", 64<<10-6)))
	f.Fuzz(func(t *testing.T, v []byte) {
		// Allocation bound, for inputs up to 64 KB: the data aliases v, the
		// user ID is one copy of at most len(v) bytes, rounded up to a size
		// class (at most 1/8 more, or the next 8 KB page), and an error is
		// a constant: k = 2.
		alloctest.Check(t, "ParseRecord", len(v), 2, 8<<10, func() { ParseRecord("p", v) })
		rec, err := ParseRecord("p", v)
		if err != nil {
			if !errors.Is(err, sesh.ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if rec.Version <= 0 || rec.Expires.UnixMilli() <= 0 {
			t.Fatalf("accepted version %d, expiry %v", rec.Version, rec.Expires)
		}
		// Canonical input re-encodes to itself; others (leading zeros) only shrink.
		if again := AppendRecord(nil, rec.Version, rec.Expires.UnixMilli(), rec.UserID, rec.Data); len(again) > len(v) {
			t.Fatalf("re-encoding grew: %q -> %q", v, again)
		}
	})
}

func TestCheckSwap(t *testing.T) {
	for _, c := range []struct {
		want, have int64
		live       bool
		err        error
	}{
		{0, 0, false, nil},
		{0, 7, false, nil}, // an expired record counts as absent
		{0, 7, true, sesh.ErrConflict},
		{7, 7, true, nil},
		{7, 8, true, sesh.ErrConflict},
		{7, 7, false, sesh.ErrNotFound},
		{7, 0, false, sesh.ErrNotFound},
	} {
		if err := CheckSwap(c.want, c.have, c.live); err != c.err {
			t.Errorf("CheckSwap(%d, %d, %v) = %v, want %v", c.want, c.have, c.live, err, c.err)
		}
	}
}

// fieldReference is field written the plain way: up to the first ':', 1
// to 19 decimal digits that ParseInt takes.
func fieldReference(v []byte) (int64, []byte, bool) {
	i := bytes.IndexByte(v, ':')
	if i <= 0 || i > 19 {
		return 0, nil, false
	}
	for _, c := range v[:i] {
		if c < '0' || c > '9' {
			return 0, nil, false
		}
	}
	n, err := strconv.ParseInt(string(v[:i]), 10, 64)
	if err != nil {
		return 0, nil, false
	}
	return n, v[i+1:], true
}

func FuzzField(f *testing.F) {
	for _, s := range []string{"1:", "0:", ":", "12", "9223372036854775807:x", "9223372036854775808:", "18446744073709551615:",
		"99999999999999999999:", "0000000000000000001:", "00000000000000000001:", "+1:", "-1:", "1a:", "٣:"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		n, rest, ok := field(v)
		wn, wrest, wok := fieldReference(v)
		if n != wn || ok != wok || !bytes.Equal(rest, wrest) {
			t.Fatalf("field(%q) = %d, %q, %v; reference %d, %q, %v", v, n, rest, ok, wn, wrest, wok)
		}
	})
}
