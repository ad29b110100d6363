package storetest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

func (s *suite) testGet(t *testing.T) {
	t.Run("Missing", func(t *testing.T) {
		st := s.newStore(t)
		wantNotFound(t, st, "missing")
	})
	t.Run("MissingAmongOthers", func(t *testing.T) {
		st := s.newStore(t)
		mustSet(t, st, "present", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)})
		wantNotFound(t, st, "absent")
		wantNotFound(t, st, "presen")
		wantNotFound(t, st, "present1")
	})
}

func (s *suite) testSetGet(t *testing.T) {
	allBytes := make([]byte, 512)
	for i := range allBytes {
		allBytes[i] = byte(i) // every byte value, twice, NUL and invalid UTF-8 included
	}
	large := make([]byte, 64<<10)
	rand.Read(large)
	cases := []struct {
		name string
		data []byte
	}{
		{"Text", []byte(`{"user":"alice","n":1}`)},
		{"Binary", allBytes},
		// JSON in shape but not UTF-8: a store that keeps JSON as JSON
		// (a json column, a Remix layout) must still give these bytes back.
		{"JSONNotUTF8", []byte("{\"a\":\"\xff\xfe\"}")},
		{"Empty", []byte{}},
		{"Nil", nil},
		{"Large64KiB", large},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := s.newStore(t)
			exp := time.Now().Add(time.Hour)
			mustSet(t, st, "k", sesh.Record{Data: c.data, Expires: exp})
			got := mustGet(t, st, "k")
			checkData(t, "Get after Set", got.Data, c.data)
			checkTime(t, "Get after Set", got.Expires, exp, s.prec)
		})
	}

	t.Run("Expires", func(t *testing.T) {
		st := s.newStore(t)
		// Odd nanoseconds, a far instant and a non-UTC location.
		loc := time.FixedZone("UTC+5:30", 5*3600+1800)
		for i, exp := range []time.Time{
			time.Now().Add(90 * time.Minute).Add(123456789),
			time.Now().Add(400 * 24 * time.Hour).In(loc),
			time.Date(2200, 1, 2, 3, 4, 5, 6, time.UTC),
		} {
			key := fmt.Sprintf("k%d", i)
			mustSet(t, st, key, sesh.Record{Data: []byte("x"), Expires: exp})
			checkTime(t, "Get of "+key, mustGet(t, st, key).Expires, exp, s.prec)
		}
	})

	t.Run("Version", func(t *testing.T) {
		st := s.newStore(t)
		mustSet(t, st, "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour), Version: 987654321})
		got := mustGet(t, st, "k")
		if _, ok := st.(sesh.Swapper); ok {
			if got.Version == 0 {
				t.Fatalf("Get after Set: Version = 0; a Swapper must give every stored record a version")
			}
		} else if got.Version != 0 {
			t.Fatalf("Get after Set: Version = %d; a store without Swapper leaves it 0", got.Version)
		}
	})

	t.Run("UserID", func(t *testing.T) {
		st := s.newStore(t)
		if _, ok := st.(sesh.UserIndex); !ok {
			t.Skip("store does not implement sesh.UserIndex, so it may drop UserID")
		}
		exp := time.Now().Add(time.Hour)
		mustSet(t, st, "k", sesh.Record{Data: []byte("x"), Expires: exp, UserID: "user:42 é"})
		mustSet(t, st, "anon", sesh.Record{Data: []byte("y"), Expires: exp})
		if got := mustGet(t, st, "k").UserID; got != "user:42 é" {
			t.Fatalf("Get: UserID = %q, want %q", got, "user:42 é")
		}
		if got := mustGet(t, st, "anon").UserID; got != "" {
			t.Fatalf("Get of a record without user: UserID = %q, want empty", got)
		}
	})

	t.Run("DataIsCopied", func(t *testing.T) {
		st := s.newStore(t)
		data := []byte("original")
		mustSet(t, st, "k", sesh.Record{Data: data, Expires: time.Now().Add(time.Hour)})
		copy(data, "XXXXXXXX") // the caller reuses its buffer
		got := mustGet(t, st, "k")
		checkData(t, "Get after the caller changed its slice", got.Data, []byte("original"))
		copy(got.Data, "YYYYYYYY") // the caller scribbles on what it read
		checkData(t, "second Get after the caller changed the returned slice", mustGet(t, st, "k").Data, []byte("original"))
	})
}

func (s *suite) testUpsert(t *testing.T) {
	st := s.newStore(t)
	exp1 := time.Now().Add(time.Hour)
	exp2 := time.Now().Add(3 * time.Hour)
	mustSet(t, st, "k", sesh.Record{Data: []byte("first, and longer than the second"), Expires: exp1})
	mustSet(t, st, "other", sesh.Record{Data: []byte("other"), Expires: exp1})
	mustSet(t, st, "k", sesh.Record{Data: []byte("second"), Expires: exp2})
	got := mustGet(t, st, "k")
	checkData(t, "Get after second Set", got.Data, []byte("second"))
	checkTime(t, "Get after second Set", got.Expires, exp2, s.prec)

	// Shortening the expiry is an upsert too.
	exp3 := time.Now().Add(30 * time.Minute)
	mustSet(t, st, "k", sesh.Record{Data: []byte("third"), Expires: exp3})
	got = mustGet(t, st, "k")
	checkData(t, "Get after third Set", got.Data, []byte("third"))
	checkTime(t, "Get after third Set", got.Expires, exp3, s.prec)

	checkData(t, "Get of an untouched key", mustGet(t, st, "other").Data, []byte("other"))
}

func (s *suite) testDelete(t *testing.T) {
	t.Run("Existing", func(t *testing.T) {
		st := s.newStore(t)
		exp := time.Now().Add(time.Hour)
		mustSet(t, st, "k", sesh.Record{Data: []byte("x"), Expires: exp})
		mustSet(t, st, "keep", sesh.Record{Data: []byte("y"), Expires: exp})
		mustDelete(t, st, "k")
		wantNotFound(t, st, "k")
		checkData(t, "Get of another key", mustGet(t, st, "keep").Data, []byte("y"))
		// Deleting twice is fine.
		mustDelete(t, st, "k")
		wantNotFound(t, st, "k")
	})
	t.Run("Absent", func(t *testing.T) {
		st := s.newStore(t)
		mustDelete(t, st, "never-set")
		wantNotFound(t, st, "never-set")
	})
	t.Run("ThenSet", func(t *testing.T) {
		st := s.newStore(t)
		exp := time.Now().Add(time.Hour)
		mustSet(t, st, "k", sesh.Record{Data: []byte("old"), Expires: exp})
		mustDelete(t, st, "k")
		mustSet(t, st, "k", sesh.Record{Data: []byte("new"), Expires: exp})
		checkData(t, "Get after Delete and Set", mustGet(t, st, "k").Data, []byte("new"))
	})
}

// validKeys are shapes every store must accept.
func validKeys() []struct{ name, key string } {
	var b [32]byte
	rand.Read(b[:])
	b64 := base64.RawURLEncoding.EncodeToString(b[:])
	return []struct{ name, key string }{
		{"Base64url43", b64},
		{"Base64urlDashUnderscore", "-_" + b64[2:41] + "_-"},
		{"Hex16", hex.EncodeToString(b[:8])},
		{"UUID", fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])},
		{"Prefixed", "sess:" + b64},
		{"Colons", "a:b:c::d"},
		{"OneChar", "Z"},
		{"FourChars", "abcd"},
		{"FiveChars", "abcde"},
		{"Digits", "0123456789"},
		{"MaxKeyLen", strings.Repeat("k", sesh.MaxKeyLen-1) + "Q"},
	}
}

// invalidKeys must be rejected with ErrInvalidKey.
var invalidKeys = []struct{ name, key string }{
	{"Empty", ""},
	{"DotDotSlash", "../x"},
	{"DeepTraversal", "../../etc/passwd"},
	{"Slash", "a/b"},
	{"LeadingSlash", "/etc/passwd"},
	{"Backslash", `a\b`},
	{"DotDot", ".."},
	{"Dot", "."},
	{"NUL", "a\x00b"},
	{"Newline", "a\nb"},
	{"CRLF", "a\r\nSET x y"},
	{"Space", "a b"},
	{"Tab", "a\tb"},
	{"DotInside", "a.b"},
	{"DoubleQuote", `a"b`},
	{"SingleQuote", "a'b"},
	{"Semicolon", "a;b"},
	{"Star", "*"},
	{"Question", "a?"},
	{"Brackets", "[ab]"},
	{"Percent", "a%2Fb"},
	{"Braces", "{a}b"},
	{"NonASCII", "é"},
	{"Fullwidth", "ａｂ"},
	{"TooLong", strings.Repeat("a", sesh.MaxKeyLen+1)},
	{"TenKiB", strings.Repeat("a", 10<<10)},
}

func (s *suite) testKeys(t *testing.T) {
	t.Run("Valid", func(t *testing.T) {
		for _, c := range validKeys() {
			t.Run(c.name, func(t *testing.T) {
				if err := sesh.ValidateKey(c.key); err != nil {
					t.Fatalf("storetest bug: %q fails sesh.ValidateKey: %v", c.key, err)
				}
				st := s.newStore(t)
				exp := time.Now().Add(time.Hour)
				data := []byte("data of " + c.key)
				mustSet(t, st, c.key, sesh.Record{Data: data, Expires: exp})
				checkData(t, "Get", mustGet(t, st, c.key).Data, data)
				if l, ok := st.(sesh.Lister); ok {
					keys, _ := rangeKeys(t, l)
					if len(keys) != 1 || keys[0] != c.key {
						t.Fatalf("Range reported keys %q, want exactly [%q]", keys, c.key)
					}
				}
				if tc, ok := st.(sesh.Toucher); ok {
					if err := tc.Touch(testCtx(t), c.key, exp.Add(time.Hour)); err != nil {
						t.Fatalf("Touch: %v", err)
					}
				}
				if sw, ok := st.(sesh.Swapper); ok {
					v := mustGet(t, st, c.key).Version
					mustSwap(t, sw, c.key, sesh.Record{Data: []byte("swapped"), Expires: exp, Version: v})
					checkData(t, "Get after Swap", mustGet(t, st, c.key).Data, []byte("swapped"))
				}
				mustDelete(t, st, c.key)
				wantNotFound(t, st, c.key)
			})
		}
	})

	t.Run("CaseSensitive", func(t *testing.T) {
		// Keys are base64url: "Ab" and "aB" are different sessions. This
		// fails on a case-insensitive file system or SQL collation.
		st := s.newStore(t)
		exp := time.Now().Add(time.Hour)
		keys := []string{"SessionKey", "sessionkey", "SESSIONKEY", "sessionKey"}
		for _, k := range keys {
			mustSet(t, st, k, sesh.Record{Data: []byte(k), Expires: exp})
		}
		for _, k := range keys {
			checkData(t, "Get of "+k, mustGet(t, st, k).Data, []byte(k))
		}
		mustDelete(t, st, "sessionkey")
		wantNotFound(t, st, "sessionkey")
		checkData(t, "Get of SessionKey after Delete of sessionkey", mustGet(t, st, "SessionKey").Data, []byte("SessionKey"))
	})

	t.Run("Invalid", func(t *testing.T) {
		for _, c := range invalidKeys {
			t.Run(c.name, func(t *testing.T) { s.checkInvalidKey(t, c.key) })
		}
	})
}

// checkInvalidKey calls every method that takes a key with an invalid key,
// and checks that each fails with ErrInvalidKey and that nothing changed.
func (s *suite) checkInvalidKey(t *testing.T, key string) {
	if sesh.ValidateKey(key) == nil {
		t.Fatalf("storetest bug: %q passes sesh.ValidateKey", key)
	}
	st := s.newStore(t)
	ctx := testCtx(t)
	exp := time.Now().Add(time.Hour)
	// A canary that a traversal or a wildcard could reach.
	const canary = "canary"
	mustSet(t, st, canary, sesh.Record{Data: []byte("alive"), Expires: exp})

	wantInvalid := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, sesh.ErrInvalidKey) {
			t.Errorf("%s(%q) = %v, want an error wrapping sesh.ErrInvalidKey", op, key, err)
		}
	}
	rec := sesh.Record{Data: []byte("evil"), Expires: exp, UserID: "u"}
	_, err := st.Get(ctx, key)
	wantInvalid("Get", err)
	wantInvalid("Set", st.Set(ctx, key, rec))
	wantInvalid("Delete", st.Delete(ctx, key))
	if tc, ok := st.(sesh.Toucher); ok {
		wantInvalid("Touch", tc.Touch(ctx, key, exp))
	}
	if sw, ok := st.(sesh.Swapper); ok {
		_, err := sw.Swap(ctx, key, rec)
		wantInvalid("Swap", err)
		_, err = sw.Swap(ctx, key, sesh.Record{Data: []byte("evil"), Expires: exp, Version: 1})
		wantInvalid("Swap with a version", err)
	}
	// Get again after the writes: still invalid, never "found".
	_, err = st.Get(ctx, key)
	wantInvalid("Get after Set", err)

	checkData(t, "canary after the invalid calls", mustGet(t, st, canary).Data, []byte("alive"))
	if l, ok := st.(sesh.Lister); ok {
		keys, _ := rangeKeys(t, l)
		if len(keys) != 1 || keys[0] != canary {
			t.Errorf("Range after the invalid calls reports %q, want only [%q]", keys, canary)
		}
		if n := mustLen(t, l); n != 1 {
			t.Errorf("Len after the invalid calls = %d, want 1", n)
		}
	}
	if ui, ok := st.(sesh.UserIndex); ok {
		recs, err := ui.ByUser(ctx, "u")
		if err != nil || len(recs) != 0 {
			t.Errorf("ByUser(u) after the invalid calls = %q, %v; want none", sortedMapKeys(recs), err)
		}
	}
	// A store that "sanitized" the key instead of rejecting it would have
	// stored the record under one of these.
	for _, alt := range sanitized(key) {
		if _, err := st.Get(ctx, alt); !errors.Is(err, sesh.ErrNotFound) {
			t.Errorf("Get(%q) after Set(%q) = %v, want ErrNotFound: the invalid key was rewritten and stored", alt, key, err)
		}
	}
}

// sanitized returns plausible rewrites of an invalid key that are valid.
func sanitized(key string) []string {
	var out []string
	add := func(k string) {
		if sesh.ValidateKey(k) == nil && k != "canary" {
			out = append(out, k)
		}
	}
	var drop, under strings.Builder
	for i := 0; i < len(key) && i < sesh.MaxKeyLen; i++ {
		c := key[i]
		if sesh.ValidateKey(string(c)) == nil {
			drop.WriteByte(c)
			under.WriteByte(c)
		} else {
			under.WriteByte('_')
		}
	}
	add(drop.String())
	add(under.String())
	if i := strings.LastIndexAny(key, `/\`); i >= 0 {
		add(key[i+1:])
	}
	return out
}

func (s *suite) testExpiry(t *testing.T) {
	t.Run("AlreadyPast", func(t *testing.T) {
		st := s.newStore(t)
		cases := []struct {
			key string
			exp time.Time
		}{
			{"recent", s.past()},
			{"longago", time.Now().Add(-100 * 24 * time.Hour)},
			{"epoch", time.Unix(0, 0)},
			{"zero", time.Time{}},
		}
		for _, c := range cases {
			mustSet(t, st, c.key, sesh.Record{Data: []byte("x"), Expires: c.exp})
			wantNotFound(t, st, c.key)
		}
	})

	t.Run("PastReplacesLive", func(t *testing.T) {
		// A Set with a past expiry over a live record ends it.
		st := s.newStore(t)
		mustSet(t, st, "k", sesh.Record{Data: []byte("live"), Expires: time.Now().Add(time.Hour)})
		mustSet(t, st, "k", sesh.Record{Data: []byte("dead"), Expires: s.past()})
		wantNotFound(t, st, "k")
	})

	t.Run("Short", func(t *testing.T) {
		st := s.newStore(t)
		for ttl := s.shortTTL(); ; ttl = s.longerTTL(t, ttl) {
			exp := time.Now().Add(ttl)
			mustSet(t, st, "short", sesh.Record{Data: []byte("x"), Expires: exp})
			mustSet(t, st, "long", sesh.Record{Data: []byte("y"), Expires: time.Now().Add(time.Hour)})
			rec, err := st.Get(testCtx(t), "short")
			if !s.inTime(exp) {
				continue // the Get may have run after the expiry
			}
			if err != nil {
				t.Fatalf("Get before expiry: %v", err)
			}
			checkData(t, "Get before expiry", rec.Data, []byte("x"))
			s.waitPast(exp)
			wantNotFound(t, st, "short")
			checkData(t, "Get of a longer-lived key", mustGet(t, st, "long").Data, []byte("y"))
			return
		}
	})
}

func (s *suite) testConcurrency(t *testing.T) {
	st := s.newStore(t)
	// 32 goroutines × 50 iterations at Options.Load 1; at least 2 × 3, so
	// that goroutines meet on the shared keys and each does all three
	// operations.
	goroutines := max(2, int(32*s.load+0.5))
	iterations := max(3, int(50*s.load+0.5))
	const shared = 4
	t.Logf("%d goroutines × %d iterations (Options.Load %g)", goroutines, iterations, s.load)
	exp := time.Now().Add(time.Hour)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := fmt.Sprintf("own-%d", g)
			for i := range iterations {
				val := []byte(fmt.Sprintf("%d/%d", g, i))
				if err := st.Set(ctx, own, sesh.Record{Data: val, Expires: exp}); err != nil {
					t.Errorf("goroutine %d: Set(%s): %v", g, own, err)
					return
				}
				// Only this goroutine writes own: it must read its write.
				rec, err := st.Get(ctx, own)
				if err != nil || !bytes.Equal(rec.Data, val) {
					t.Errorf("goroutine %d: Get(%s) = %q, %v; want %q", g, own, rec.Data, err, val)
					return
				}
				sk := fmt.Sprintf("shared-%d", (g+i)%shared)
				switch i % 3 {
				case 0:
					err = st.Set(ctx, sk, sesh.Record{Data: val, Expires: exp})
				case 1:
					rec, err = st.Get(ctx, sk)
					if errors.Is(err, sesh.ErrNotFound) {
						err = nil
					} else if err == nil {
						var gg, ii int
						if _, serr := fmt.Sscanf(string(rec.Data), "%d/%d", &gg, &ii); serr != nil || gg < 0 || gg >= goroutines || ii < 0 || ii >= iterations {
							t.Errorf("goroutine %d: Get(%s) returned data %q that no goroutine wrote", g, sk, rec.Data)
						}
					}
				case 2:
					err = st.Delete(ctx, sk)
				}
				if err != nil {
					t.Errorf("goroutine %d: op %d on %s: %v", g, i%3, sk, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for g := range goroutines {
		own := fmt.Sprintf("own-%d", g)
		checkData(t, "final Get of "+own, mustGet(t, st, own).Data, []byte(fmt.Sprintf("%d/%d", g, iterations-1)))
	}
}
