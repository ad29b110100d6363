// Package astro makes a sesh Manager share sessions with an Astro site
// (Astro's built-in sessions, 5.x–7.x): the same cookie (astro-session, a v4
// UUID), the same storage key (the ID itself, under the driver's base) and
// the same stored value — devalue's stringification of a Map from each key
// to {data, expires}, with Astro's URL reducer. Pair it with a store in the
// driver's layout: for unstorage's Redis driver, redisstore/connectredis
// with Prefix set to the driver's base plus ":" (or empty without a base)
// and NoTTL set, since Astro writes no TTL unless the driver has one.
//
// Values map to sesh's JSON values where JSON can hold them (strings,
// finite numbers, booleans, null, plain objects and arrays of those). A
// value JSON cannot hold — a Date, Map, Set, URL, BigInt, undefined, NaN, a
// cyclic structure — is kept as {"__devalue": "<devalue string>"}: written
// back to Astro exactly as it came, and readable in Go with devalue.Parse.
// An entry's expires (Astro's per-value TTL) is sesh's per-value deadline.
// sesh's own metadata travels as one more entry, "__sesh", which Astro
// carries along (and lists among the session's keys).
package astro

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/sesh-go/sesh"
)

// DefaultCookieName is Astro's session cookie name.
const DefaultCookieName = "astro-session"

// Configure sets cfg up for Astro interop: the cookie name (astro-session
// unless set), v4 UUID session IDs, the ID as the store key, and the
// devalue codec.
func Configure(cfg *sesh.Config) error {
	if cfg == nil {
		return errors.New("astro: nil Config")
	}
	if cfg.Cookie.Name == "" {
		cfg.Cookie.Name = DefaultCookieName
	}
	cfg.GenID = NewID
	cfg.ValidID = ValidID
	cfg.StoreKey = func(id string) string { return id }
	cfg.Codec = Codec{}
	return nil
}

// NewID returns a random v4 UUID in lower case, as crypto.randomUUID().
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ValidID accepts what Astro adopts from a cookie: a v4 UUID, either case.
func ValidID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
			continue
		case 14:
			if c != '4' {
				return false
			}
			continue
		case 19:
			if c != '8' && c != '9' && c != 'a' && c != 'b' && c != 'A' && c != 'B' {
				return false
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
