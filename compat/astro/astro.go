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
// finite numbers, booleans, null, plain objects and arrays of those). Every
// other value devalue 5.9.1 writes — a Date, Map, Set, URL, URLSearchParams,
// RegExp, BigInt, ArrayBuffer, typed array, DataView, boxed primitive,
// Temporal value, undefined, NaN, -0, a sparse or cyclic structure, a
// custom reducer's value — is kept as an opaque marker,
//
//	{"__devalue":"<devalue string>","__devalue_sig":"<tag>"}
//
// written back to Astro exactly as it came (Unmarshal or devalue.Parse
// read it in Go; Marshal makes one from a devalue value). The tag is an
// HMAC of the devalue string under a key drawn at random when the process
// first needs it, so no session value a handler builds — from a form
// field, a request body, json.RawMessage — can pass for a marker: an object
// with those two members whose tag does not verify is an ordinary object,
// and reaches Astro as one. The flip side: a marker is one only in the
// process that made it (the Codec makes markers on every Decode, so this
// binds nothing that stays within a request); store its devalue string,
// not the marker, to keep a value elsewhere. An object from Astro that
// would verify as a marker (only a copy of one could) is itself kept
// opaque, so it too comes back as itself.
//
// An entry's expires (Astro's per-value TTL) is sesh's per-value deadline.
// sesh's own metadata travels as one more entry, "__sesh", which Astro
// carries along (and lists among the session's keys).
//
// Decode allocates in proportion to the stored text: devalue.Parse is
// bounded so, and the values it hands to sesh may take at most 8 times the
// stored text plus 4 KiB, so that entries sharing one node cannot multiply
// it (ErrTooLarge, a decode error). Astro never writes such sessions: it
// clones each value it sets, so only primitives are shared between
// entries, and its sessions' values take at most about 4 times their
// stored text. JSON has no references, so a value that holds one string or
// number many times (devalue writes it once, then refers to it) is kept
// opaque when writing out the repeats would make its JSON more than 4
// times its devalue text plus 256 bytes (see Marshal).
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
