package memcachestore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// TestConformance runs storetest against the real memcached. The envelope
// keeps Unix milliseconds, so the precision is one millisecond.
func TestConformance(t *testing.T) {
	c := newClient(t, server(t))
	storetest.RunWith(t, func(t *testing.T) sesh.Store {
		return newStore(t, c, Options{})
	}, storetest.Options{Precision: time.Millisecond, Corrupt: corruptions})
}

// wantItemKey is the documented item key, computed here independently.
func wantItemKey(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + base64.RawURLEncoding.EncodeToString(sum[:])
}

// longPrefix returns a unique prefix of exactly MaxPrefixLen bytes.
func longPrefix() string {
	p := uniquePrefix()
	return p + strings.Repeat("x", MaxPrefixLen-len(p))
}

// TestLayout reads the raw items with gomemcache and memcached's meta
// commands: the key form, the value and the exptime the package doc states.
func TestLayout(t *testing.T) {
	addr := server(t)
	c := newClient(t, addr)
	ctx := t.Context()

	t.Run("KeyAndValue", func(t *testing.T) {
		p := uniquePrefix()
		st := newStore(t, c, Options{Prefix: p})
		exp := time.Now().Add(time.Hour + 123456789)
		if err := st.Set(ctx, "k", sesh.Record{Data: []byte("hello"), Expires: exp, UserID: "alice"}); err != nil {
			t.Fatal(err)
		}
		rec, err := st.Get(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		ik := wantItemKey(p, "k")
		if len(ik) != len(p)+43 {
			t.Fatalf("item key %q: want the prefix and 43 bytes of hash", ik)
		}
		it, err := c.Get(ik)
		if err != nil {
			t.Fatalf("raw Get(%q): %v (the record is not under the documented key)", ik, err)
		}
		want := fmt.Sprintf("%d:%d:5:alicehello", rec.Version, exp.UnixMilli())
		if string(it.Value) != want || it.Flags != 0 {
			t.Fatalf("raw item = %q flags %d, want %q flags 0", it.Value, it.Flags, want)
		}
		// The raw session key appears nowhere in the item key.
		if _, err := c.Get(p + "k"); !errors.Is(err, memcache.ErrCacheMiss) {
			t.Fatalf("raw Get(%q) = %v: the key is stored unhashed", p+"k", err)
		}
	})

	t.Run("Exptime", func(t *testing.T) {
		st := newStore(t, c, Options{})
		for _, tc := range []struct {
			name string
			left time.Duration
		}{
			{"Second", 1500 * time.Millisecond},
			{"Hour", time.Hour + 250*time.Millisecond},
			{"JustUnder30Days", maxRelative*time.Second - 10*time.Second}, // relative
			{"JustOver30Days", maxRelative*time.Second + 10*time.Second},  // absolute
			{"400Days", 400 * 24 * time.Hour},
		} {
			exp := time.Now().Add(tc.left)
			if err := st.Set(ctx, tc.name, sesh.Record{Data: []byte("x"), Expires: exp}); err != nil {
				t.Fatal(err)
			}
			ttl := time.Duration(serverTTL(t, addr, st.itemKey(tc.name))) * time.Second
			left := time.Until(exp)
			// Never before the deadline; at most the rounding, the margin
			// and memcached's clock later (its idea of Unix time lags by up
			// to two seconds: it starts from a whole second and ticks once
			// a second).
			if ttl < left || ttl > left+4*time.Second {
				t.Errorf("%s: memcached keeps the item %v more, the deadline is %v away: want between the deadline and 4 s past it", tc.name, ttl, left)
			}
		}
		far := time.Date(2200, 1, 2, 3, 4, 5, 6, time.UTC)
		if err := st.Set(ctx, "far", sesh.Record{Data: []byte("x"), Expires: far}); err != nil {
			t.Fatal(err)
		}
		if ttl := serverTTL(t, addr, st.itemKey("far")); ttl != -1 {
			t.Errorf("a deadline past 2038: memcached TTL %d, want -1 (no exptime)", ttl)
		}
		rec, err := st.Get(ctx, "far")
		if err != nil || rec.Expires.UnixMilli() != far.UnixMilli() {
			t.Fatalf("Get of a deadline past 2038 = %v, %v", rec.Expires, err)
		}
	})

	t.Run("EndedRecordsLeaveMemcached", func(t *testing.T) {
		st := newStore(t, c, Options{})
		past := time.Now().Add(-time.Second)
		hour := time.Now().Add(time.Hour)
		gone := func(key, how string) {
			t.Helper()
			if _, err := c.Get(st.itemKey(key)); !errors.Is(err, memcache.ErrCacheMiss) {
				t.Errorf("after %s, raw Get = %v, want a cache miss", how, err)
			}
		}
		for _, k := range []string{"set", "swap", "touch"} {
			if err := st.Set(ctx, k, sesh.Record{Data: []byte("x"), Expires: hour}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Set(ctx, "set", sesh.Record{Data: []byte("x"), Expires: past}); err != nil {
			t.Fatal(err)
		}
		gone("set", "a Set with a past deadline")
		rec, err := st.Get(ctx, "swap")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Swap(ctx, "swap", sesh.Record{Data: []byte("x"), Expires: past, Version: rec.Version}); err != nil {
			t.Fatal(err)
		}
		gone("swap", "a Swap with a past deadline")
		if err := st.Touch(ctx, "touch", past); err != nil {
			t.Fatal(err)
		}
		gone("touch", "a Touch into the past")
	})

	t.Run("LongestPrefix", func(t *testing.T) {
		p := longPrefix()
		st := newStore(t, c, Options{Prefix: p})
		key := strings.Repeat("K", sesh.MaxKeyLen)
		if err := st.Set(ctx, key, sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		ik := wantItemKey(p, key)
		if len(ik) != 250 {
			t.Fatalf("item key is %d bytes, want memcached's limit, 250", len(ik))
		}
		if _, err := c.Get(ik); err != nil {
			t.Fatalf("raw Get of the 250-byte key: %v", err)
		}
		if _, err := st.Get(ctx, key); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("PrefixIsolation", func(t *testing.T) {
		p := uniquePrefix()
		a := newStore(t, c, Options{Prefix: p + "a"})
		ab := newStore(t, c, Options{Prefix: p + "ab"})
		if err := a.Set(ctx, "k", sesh.Record{Data: []byte("a"), Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := ab.Get(ctx, "k"); !errors.Is(err, sesh.ErrNotFound) {
			t.Fatalf("a store with another prefix sees the record: %v", err)
		}
	})
}

// TestTooLarge: a record that cannot fit in a memcached item fails with a
// *TooLargeError, from the store before any I/O or from the server.
func TestTooLarge(t *testing.T) {
	addr := server(t)
	c := newClient(t, addr)
	ctx := t.Context()
	limit := itemSizeMax(t, addr)
	hour := time.Now().Add(time.Hour)

	for _, p := range []string{uniquePrefix(), longPrefix()} {
		t.Run(fmt.Sprintf("Prefix%d", len(p)), func(t *testing.T) {
			st := newStore(t, c, Options{Prefix: p, MaxItemSize: limit})
			ik := st.itemKey("big")
			maxV := st.maxValue(ik)
			if maxV != limit-len(ik)-itemOverhead {
				t.Fatalf("maxValue = %d", maxV)
			}
			// The reserve is enough: memcached stores a value of exactly
			// the largest size the store lets through.
			if err := c.Set(&memcache.Item{Key: ik, Value: bytes.Repeat([]byte("v"), maxV), Expiration: 60}); err != nil {
				t.Fatalf("memcached refused a %d-byte value under a %d-byte key (limit %d): the store's reserve is too small: %v", maxV, len(ik), limit, err)
			}
			// An envelope holds a version of at most 19 digits, 13 of
			// expiry, "0" for the user's length and three colons.
			fits := bytes.Repeat([]byte("f"), maxV-19-13-1-3)
			if err := st.Set(ctx, "big", sesh.Record{Data: fits, Expires: hour}); err != nil {
				t.Fatalf("Set of a record that fits: %v", err)
			}
			it, err := c.Get(ik)
			if err != nil || len(it.Value) > maxV || len(it.Value) < maxV-18 {
				t.Fatalf("raw value of the record that fits: %d bytes (max %d), %v", len(it.Value), maxV, err)
			}
			// One byte more than fits with the shortest envelope.
			over := bytes.Repeat([]byte("o"), maxV-1-13-1-3+1)
			var tl *TooLargeError
			err = st.Set(ctx, "big", sesh.Record{Data: over, Expires: hour})
			if !errors.As(err, &tl) || tl.Server || tl.Max != maxV || tl.Size <= maxV {
				t.Fatalf("Set of a record too large = %v, want a *TooLargeError from the store", err)
			}
			if !strings.Contains(err.Error(), "MaxItemSize") {
				t.Errorf("error %q does not say what limits it", err)
			}
			rec, err := st.Get(ctx, "big")
			if err != nil || !bytes.Equal(rec.Data, fits) {
				t.Fatalf("after the refused Set, Get = %d bytes, %v: the old record must stay", len(rec.Data), err)
			}
			_, err = st.Swap(ctx, "big", sesh.Record{Data: over, Expires: hour, Version: rec.Version})
			if !errors.As(err, &tl) {
				t.Fatalf("Swap of a record too large = %v, want a *TooLargeError", err)
			}
			_, err = st.Swap(ctx, "new", sesh.Record{Data: over, Expires: hour})
			if !errors.As(err, &tl) {
				t.Fatalf("Swap of a new record too large = %v, want a *TooLargeError", err)
			}
			if _, err := st.Get(ctx, "new"); !errors.Is(err, sesh.ErrNotFound) {
				t.Fatalf("Get after the refused Swap = %v, want ErrNotFound", err)
			}
		})
	}

	t.Run("RefusedByServer", func(t *testing.T) {
		// A store told the limit is larger than the server's: memcached
		// refuses, and the error says so.
		st := newStore(t, c, Options{MaxItemSize: 4 * limit})
		data := bytes.Repeat([]byte("s"), limit+1)
		var tl *TooLargeError
		err := st.Set(ctx, "big", sesh.Record{Data: data, Expires: hour})
		if !errors.As(err, &tl) || !tl.Server {
			t.Fatalf("Set refused by memcached = %v, want a *TooLargeError with Server set", err)
		}
		_, err = st.Swap(ctx, "big2", sesh.Record{Data: data, Expires: hour})
		if !errors.As(err, &tl) || !tl.Server {
			t.Fatalf("Swap refused by memcached = %v, want a *TooLargeError with Server set", err)
		}
		// The store goes on working.
		if err := st.Set(ctx, "small", sesh.Record{Data: []byte("x"), Expires: hour}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Get(ctx, "small"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestForeignValueIsCorrupt: a value under the store's key that is not its
// envelope reads as sesh.ErrCorrupt from every method that reads it.
func TestForeignValueIsCorrupt(t *testing.T) {
	c := newClient(t, server(t))
	ctx := t.Context()
	st := newStore(t, c, Options{})
	future := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	hour := time.Now().Add(time.Hour)
	for i, v := range []string{"", "garbage", "12:", "12:" + future + ":99:short", "0:" + future + ":0:", "-1:" + future + ":0:x",
		":" + future + ":0:x", "5:0:data", "5:x:0:data", "5:" + future + ":data", "\x00\xff\r\n"} {
		k := fmt.Sprintf("k%d", i)
		if err := c.Set(&memcache.Item{Key: st.itemKey(k), Value: []byte(v), Expiration: 3600}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Get(ctx, k); !errors.Is(err, sesh.ErrCorrupt) {
			t.Errorf("Get over %q = %v, want ErrCorrupt", v, err)
		}
		if err := st.Touch(ctx, k, hour); !errors.Is(err, sesh.ErrCorrupt) {
			t.Errorf("Touch over %q = %v, want ErrCorrupt", v, err)
		}
		for _, ver := range []int64{0, 5} {
			if _, err := st.Swap(ctx, k, sesh.Record{Data: []byte("x"), Expires: hour, Version: ver}); !errors.Is(err, sesh.ErrCorrupt) {
				t.Errorf("Swap (version %d) over %q = %v, want ErrCorrupt", ver, v, err)
			}
		}
	}
	// Set replaces it, Delete removes it.
	if err := st.Set(ctx, "k1", sesh.Record{Data: []byte("mine"), Expires: hour}); err != nil {
		t.Fatal(err)
	}
	if rec, err := st.Get(ctx, "k1"); err != nil || string(rec.Data) != "mine" {
		t.Fatalf("Get after Set over garbage = %q, %v", rec.Data, err)
	}
	if err := st.Delete(ctx, "k2"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "k2"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get after Delete of garbage = %v", err)
	}
}

// TestExpiryCheckedInCode: on the store's clock, the deadline itself is
// past, and a record past its deadline is gone for every method although
// memcached still holds the item.
func TestExpiryCheckedInCode(t *testing.T) {
	c := newClient(t, server(t))
	ctx := t.Context()
	var nowNs atomic.Int64
	nowNs.Store(time.Now().Truncate(time.Millisecond).UnixNano())
	clock := func() time.Time { return time.Unix(0, nowNs.Load()) }
	setClock := func(t time.Time) { nowNs.Store(t.UnixNano()) }
	st := newStore(t, c, Options{Now: clock})
	exp := clock().Add(time.Hour)
	if err := st.Set(ctx, "k", sesh.Record{Data: []byte("x"), Expires: exp}); err != nil {
		t.Fatal(err)
	}
	setClock(exp.Add(-time.Millisecond))
	old, err := st.Get(ctx, "k")
	if err != nil {
		t.Fatalf("Get a millisecond before the deadline: %v", err)
	}
	setClock(exp)
	if got, err := st.Get(ctx, "k"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get at the deadline = %+v, %v, want ErrNotFound", got, err)
	}
	if _, err := c.Get(st.itemKey("k")); err != nil {
		t.Fatalf("memcached no longer holds the item (it should, for an hour): %v", err)
	}
	setClock(exp.Add(time.Hour))
	if err := st.Touch(ctx, "k", clock().Add(time.Hour)); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Touch of an expired record = %v, want ErrNotFound", err)
	}
	if _, err := st.Swap(ctx, "k", sesh.Record{Data: []byte("y"), Expires: clock().Add(time.Hour), Version: old.Version}); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Swap with the expired record's version = %v, want ErrNotFound", err)
	}
	if _, err := st.Get(ctx, "k"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get after the lost Touch and Swap = %v: they revived the record", err)
	}
	v, err := st.Swap(ctx, "k", sesh.Record{Data: []byte("new"), Expires: clock().Add(time.Hour)})
	if err != nil {
		t.Fatalf("Swap with version 0 over an expired item: %v", err)
	}
	rec, err := st.Get(ctx, "k")
	if err != nil || string(rec.Data) != "new" || rec.Version != v {
		t.Fatalf("Get after the Swap = %+v, %v", rec, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	c := memcache.New("127.0.0.1:1")
	if _, err := New(nil, Options{}); err == nil {
		t.Error("nil client accepted")
	}
	for _, p := range []string{"a b", "a\tb", "a\nb", "a\x00", "a\x7f", "é", strings.Repeat("p", MaxPrefixLen+1)} {
		if _, err := New(c, Options{Prefix: p}); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
	if st, err := New(c, Options{Prefix: strings.Repeat("p", MaxPrefixLen)}); err != nil || st.prefix != strings.Repeat("p", MaxPrefixLen) {
		t.Errorf("longest prefix: %v", err)
	}
	for _, n := range []int{-1, 1, minItemSize - 1} {
		if _, err := New(c, Options{MaxItemSize: n}); err == nil || !strings.Contains(err.Error(), "MaxItemSize") {
			t.Errorf("MaxItemSize %d: err = %v", n, err)
		}
	}
	st, err := New(c, Options{})
	if err != nil || st.prefix != DefaultPrefix || st.maxItem != DefaultMaxItemSize || st.now == nil {
		t.Fatalf("defaults: %+v, %v", st, err)
	}
}

// TestClosed: every method fails with ErrClosed after Close, which does not
// close a client the caller passed in.
func TestClosed(t *testing.T) {
	c := newClient(t, server(t))
	ctx := t.Context()
	st, err := New(c, Options{Prefix: uniquePrefix()})
	if err != nil {
		t.Fatal(err)
	}
	hour := time.Now().Add(time.Hour)
	if err := st.Set(ctx, "k", sesh.Record{Data: []byte("x"), Expires: hour}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = st.Get(ctx, "k")
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", op, err)
		}
	}
	check("Get", err)
	check("Get without a deadline", func() error { _, err := st.Get(context.Background(), "k"); return err }())
	check("Set", st.Set(ctx, "k", sesh.Record{Data: []byte("y"), Expires: hour}))
	check("Delete", st.Delete(ctx, "k"))
	check("Touch", st.Touch(ctx, "k", hour))
	_, err = st.Swap(ctx, "k", sesh.Record{Data: []byte("y"), Expires: hour})
	check("Swap", err)
	// The caller's client still works, and the record is untouched.
	it, err := c.Get(st.itemKey("k"))
	if err != nil || !strings.HasSuffix(string(it.Value), ":0:x") {
		t.Fatalf("raw Get after Close = %v", err)
	}
}

func TestExpiration(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	maxAbs := time.Unix(math.MaxInt32-1, 0) // + 1 s margin = MaxInt32
	for _, tc := range []struct {
		exp  time.Time
		want int64
	}{
		{now.Add(1), 2},
		{now.Add(time.Second), 2},
		{now.Add(1500 * time.Millisecond), 3},
		{now.Add(time.Hour), 3601},
		{now.Add((maxRelative - 1) * time.Second), maxRelative},
		{now.Add(maxRelative * time.Second), now.Unix() + maxRelative + 1},
		{now.Add(400 * 24 * time.Hour), now.Unix() + 400*24*3600 + 1},
		{now.Add(400*24*time.Hour + 1), now.Unix() + 400*24*3600 + 2},
		{maxAbs, math.MaxInt32},
		{maxAbs.Add(1), 0},
		{time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), 0},
	} {
		if got := expiration(now, tc.exp); int64(got) != tc.want {
			t.Errorf("expiration(%v) = %d, want %d", tc.exp.Sub(now), got, tc.want)
		}
	}
}

// FuzzExpiration: memcached's exptime never ends an item before its
// deadline, and keeps it at most about two seconds longer.
func FuzzExpiration(f *testing.F) {
	for _, d := range []int64{1, int64(time.Second), int64(time.Hour), (maxRelative - 1) * int64(time.Second), maxRelative * int64(time.Second), math.MaxInt64} {
		f.Add(int64(1_700_000_000_123_456_789), d)
	}
	f.Fuzz(func(t *testing.T, nowNs, dNs int64) {
		if dNs <= 0 || nowNs < 0 || nowNs > math.MaxInt64-dNs {
			return
		}
		now, exp := time.Unix(0, nowNs), time.Unix(0, nowNs+dNs)
		d := exp.Sub(now)
		e := int64(expiration(now, exp))
		switch {
		case e == 0: // no exptime: only when no int32 Unix second is late enough
			if !time.Unix(math.MaxInt32, 0).Before(exp.Add(time.Second)) {
				t.Fatalf("no exptime for a deadline %v ahead (%v)", d, exp)
			}
		case e < 0:
			t.Fatalf("negative exptime %d", e)
		case e <= maxRelative: // relative seconds
			if time.Duration(e)*time.Second < d+time.Second || time.Duration(e)*time.Second > d+2*time.Second {
				t.Fatalf("relative exptime %d s for a deadline %v ahead", e, d)
			}
		default: // absolute Unix seconds
			if d < maxRelative*time.Second-2*time.Second {
				t.Fatalf("absolute exptime %d for a deadline only %v ahead", e, d)
			}
			at := time.Unix(e, 0)
			if at.Before(exp.Add(time.Second)) || at.After(exp.Add(2*time.Second)) {
				t.Fatalf("absolute exptime %v for the deadline %v", at, exp)
			}
		}
	})
}
