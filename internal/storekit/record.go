package storekit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/sesh-go/sesh"
)

// NewVersion returns a random record version: positive, never 0, and with
// 62 random bits a key does not get one it held before in any practical
// lifetime (sesh.Swapper's contract).
func NewVersion() int64 { return rand.Int64N(1<<62) + 1 }

// AppendRecord appends the envelope that stores without columns of their
// own keep as one value:
//
//	<version>:<expires>:<len(userID)>:<userID><data>
//
// with expires in Unix milliseconds. The header is ASCII, so a Lua script
// (redisstore) or a person reading a dump can parse it.
func AppendRecord(dst []byte, version, expiresMs int64, user string, data []byte) []byte {
	dst = strconv.AppendInt(dst, version, 10)
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, expiresMs, 10)
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, int64(len(user)), 10)
	dst = append(dst, ':')
	dst = append(dst, user...)
	return append(dst, data...)
}

// EncodeRecord is AppendRecord into a buffer of the right size, with
// rec.Expires in milliseconds.
func EncodeRecord(version int64, rec sesh.Record) []byte {
	b := make([]byte, 0, 48+len(rec.UserID)+len(rec.Data))
	return AppendRecord(b, version, rec.Expires.UnixMilli(), rec.UserID, rec.Data)
}

// ParseRecord reads an envelope written by AppendRecord. The returned
// record's Data aliases v (the caller owns v: a driver's fresh reply). A
// value that is not an envelope, or has a version or expiry that is not
// positive, yields an error wrapping sesh.ErrCorrupt naming pkg.
func ParseRecord(pkg string, v []byte) (sesh.Record, error) {
	bad := func() (sesh.Record, error) {
		return sesh.Record{}, fmt.Errorf("%s: malformed value: %w", pkg, sesh.ErrCorrupt)
	}
	ver, v, ok := field(v)
	if !ok || ver <= 0 {
		return bad()
	}
	ms, v, ok := field(v)
	if !ok || ms <= 0 {
		return bad()
	}
	n, v, ok := field(v)
	if !ok || n < 0 || n > int64(len(v)) {
		return bad()
	}
	return sesh.Record{Version: ver, Expires: time.UnixMilli(ms), UserID: string(v[:n]), Data: v[n:]}, nil
}

// field parses "<decimal>:" at the start of v: 1 to 19 digits whose value
// fits an int64.
func field(v []byte) (int64, []byte, bool) {
	var n uint64
	for i, c := range v {
		d := c - '0'
		if d <= 9 {
			n = n*10 + uint64(d)
			continue
		}
		// 19 digits at most: n cannot have wrapped around uint64.
		if c != ':' || i == 0 || i > 19 || n > math.MaxInt64 {
			return 0, nil, false
		}
		return int64(n), v[i+1:], true
	}
	return 0, nil, false
}

// CheckSwap is sesh.Swapper's rule for a store that has read the key's
// current state: want is the caller's rec.Version, have the stored version
// and live whether an unexpired record is there. It returns nil when the
// write may go ahead, sesh.ErrConflict when want is 0 and a live record is
// there or when the versions differ, and sesh.ErrNotFound when want is not
// 0 and no live record is there.
func CheckSwap(want, have int64, live bool) error {
	switch {
	case want == 0 && live:
		return sesh.ErrConflict
	case want != 0 && !live:
		return sesh.ErrNotFound
	case want != 0 && have != want:
		return sesh.ErrConflict
	}
	return nil
}
