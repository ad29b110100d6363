package natsstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// farMaxAge lets the conformance suite store its far expiries (the year
// 2200); TestMaxAgeRefusal checks what a short MaxAge refuses.
const farMaxAge = 200 * 365 * 24 * time.Hour

func TestConformance(t *testing.T) {
	js := jetStream(t)
	bucket := testBucket(t, js, farMaxAge)
	storetest.RunWith(t, func(t *testing.T) sesh.Store {
		return newStore(t, js, Options{Bucket: bucket})
	}, storetest.Options{Precision: time.Millisecond, Corrupt: corruptions}) // the record keeps Unix milliseconds
}

// subjects lists the subjects of the bucket's stream that hold messages.
func subjects(t *testing.T, js jetstream.JetStream, bucket string) []string {
	t.Helper()
	st, err := js.Stream(t.Context(), "KV_"+bucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context(), jetstream.WithSubjectFilter(">"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for s := range info.State.Subjects {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func TestLayout(t *testing.T) {
	js := jetStream(t)
	ctx := t.Context()
	bucket := testBucket(t, js, time.Hour)
	st := newStore(t, js, Options{Bucket: bucket, Prefix: "app"})
	other := newStore(t, js, Options{Bucket: bucket, Prefix: "other"})
	exp := time.Now().Add(30 * time.Minute).Truncate(time.Millisecond)
	if err := st.Set(ctx, "sid:1", sesh.Record{Data: []byte("hello"), Expires: exp, UserID: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := other.Set(ctx, "sid:1", sesh.Record{Data: []byte("x"), Expires: exp}); err != nil {
		t.Fatal(err)
	}
	rec, err := st.Get(ctx, "sid:1")
	if err != nil {
		t.Fatal(err)
	}
	// The documented layout: the envelope under <prefix>.s.<key with ':' as '='>.
	e, err := st.kv.Get(ctx, "app.s.sid=1")
	if err != nil {
		t.Fatalf("raw record: %v", err)
	}
	if want := fmt.Sprintf("%d:%d:5:alicehello", rec.Version, exp.UnixMilli()); string(e.Value()) != want {
		t.Fatalf("raw value %q, want %q", e.Value(), want)
	}
	// The user index entry: <prefix>.u.<base64url(user)>.<key>, empty.
	ie, err := st.kv.Get(ctx, "app.u.YWxpY2U.sid=1")
	if err != nil || len(ie.Value()) != 0 {
		t.Fatalf("user index entry: %v, %q", err, ie.Value())
	}
	want := []string{"$KV." + bucket + ".app.s.sid=1", "$KV." + bucket + ".app.u.YWxpY2U.sid=1", "$KV." + bucket + ".other.s.sid=1"}
	if got := subjects(t, js, bucket); !slices.Equal(got, want) {
		t.Fatalf("bucket subjects %q, want %q", got, want)
	}
	status, err := st.kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.TTL() != time.Hour || status.History() != 1 || st.MaxAge() != time.Hour {
		t.Fatalf("bucket max age %v history %d, store max age %v", status.TTL(), status.History(), st.MaxAge())
	}

	// Delete purges: no delete marker is left; the other prefix keeps its
	// record; the index entry stays until MaxAge (ByUser ignores it).
	if err := st.Delete(ctx, "sid:1"); err != nil {
		t.Fatal(err)
	}
	want = []string{"$KV." + bucket + ".app.u.YWxpY2U.sid=1", "$KV." + bucket + ".other.s.sid=1"}
	if got := subjects(t, js, bucket); !slices.Equal(got, want) {
		t.Fatalf("bucket subjects after Delete %q, want %q", got, want)
	}
	if recs, err := st.ByUser(ctx, "alice"); err != nil || len(recs) != 0 {
		t.Fatalf("ByUser after Delete = %v, %v", recs, err)
	}
	// Deleting an absent key writes nothing either.
	if err := st.Delete(ctx, "never-set"); err != nil {
		t.Fatal(err)
	}
	if got := subjects(t, js, bucket); !slices.Equal(got, want) {
		t.Fatalf("bucket subjects after Delete of an absent key %q, want %q", got, want)
	}
	// Clear takes this prefix only.
	if err := st.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	want = []string{"$KV." + bucket + ".other.s.sid=1"}
	if got := subjects(t, js, bucket); !slices.Equal(got, want) {
		t.Fatalf("bucket subjects after Clear %q, want %q", got, want)
	}
}

func TestForeignValueIsCorrupt(t *testing.T) {
	js := jetStream(t)
	ctx := t.Context()
	st := newStore(t, js, Options{Bucket: testBucket(t, js, time.Hour)})
	future := fmt.Sprint(time.Now().Add(30 * time.Minute).UnixMilli())
	values := []string{"", "garbage", "12:", "12:" + future + ":99:short", "0:" + future + ":0:", "-1:" + future + ":0:x",
		":" + future + ":0:x", "5:0:data", "5:x:0:data", "5:" + future + ":data"}
	for i, v := range values {
		if _, err := st.kv.Put(ctx, st.recordKey(fmt.Sprintf("k%d", i)), []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Set(ctx, "good", sesh.Record{Data: []byte("ok"), Expires: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for i, v := range values {
		k := fmt.Sprintf("k%d", i)
		if _, err := st.Get(ctx, k); !errors.Is(err, sesh.ErrCorrupt) {
			t.Errorf("Get over %q = %v, want ErrCorrupt", v, err)
		}
	}
	exp := time.Now().Add(time.Minute)
	if err := st.Touch(ctx, "k1", exp); !errors.Is(err, sesh.ErrCorrupt) {
		t.Errorf("Touch over garbage = %v, want ErrCorrupt", err)
	}
	for _, v := range []int64{0, 5} {
		if _, err := st.Swap(ctx, "k1", sesh.Record{Data: []byte("x"), Expires: exp, Version: v}); !errors.Is(err, sesh.ErrCorrupt) {
			t.Errorf("Swap (version %d) over garbage = %v, want ErrCorrupt", v, err)
		}
	}
	// Listing skips what it cannot read; Set and Delete still work.
	if n, err := st.Len(ctx); err != nil || n != 1 {
		t.Fatalf("Len with %d malformed values = %d, %v; want 1", len(values), n, err)
	}
	if err := st.Set(ctx, "k1", sesh.Record{Data: []byte("fixed"), Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if rec, err := st.Get(ctx, "k1"); err != nil || string(rec.Data) != "fixed" {
		t.Fatalf("Get after Set over garbage = %q, %v", rec.Data, err)
	}
	if err := st.Delete(ctx, "k2"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "k2"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get after Delete of garbage = %v", err)
	}
}

func TestMaxAgeRefusal(t *testing.T) {
	js := jetStream(t)
	ctx := t.Context()
	st := newStore(t, js, Options{Bucket: testBucket(t, js, time.Hour)})
	// MaxAge 1 h, margin 1 min: records may expire up to 59 min from now.
	ok := time.Now().Add(58 * time.Minute)
	tooFar := time.Now().Add(61 * time.Minute)
	wantRefused := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, ErrBeyondMaxAge) || !strings.Contains(err.Error(), "max age") {
			t.Fatalf("%s beyond MaxAge = %v, want an error wrapping ErrBeyondMaxAge", op, err)
		}
	}
	wantRefused("Set", st.Set(ctx, "new", sesh.Record{Data: []byte("x"), Expires: tooFar}))
	if _, err := st.Get(ctx, "new"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get after a refused Set = %v, want ErrNotFound", err)
	}
	_, err := st.Swap(ctx, "new", sesh.Record{Data: []byte("x"), Expires: tooFar})
	wantRefused("Swap", err)
	if _, err := st.Get(ctx, "new"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get after a refused Swap = %v, want ErrNotFound", err)
	}

	if err := st.Set(ctx, "k", sesh.Record{Data: []byte("kept"), Expires: ok, UserID: "u"}); err != nil {
		t.Fatalf("Set within MaxAge: %v", err)
	}
	before, err := st.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	wantRefused("Set over a record", st.Set(ctx, "k", sesh.Record{Data: []byte("lost"), Expires: tooFar}))
	wantRefused("Touch", st.Touch(ctx, "k", tooFar))
	_, err = st.Swap(ctx, "k", sesh.Record{Data: []byte("lost"), Expires: tooFar, Version: before.Version})
	wantRefused("Swap over a record", err)
	after, err := st.Get(ctx, "k")
	if err != nil || string(after.Data) != "kept" || !after.Expires.Equal(before.Expires) || after.Version != before.Version || after.UserID != "u" {
		t.Fatalf("after refused writes: %+v, %v; want %+v unchanged", after, err, before)
	}
	if err := st.Touch(ctx, "k", ok.Add(30*time.Second)); err != nil {
		t.Fatalf("Touch within MaxAge: %v", err)
	}
}

func TestBucketCreation(t *testing.T) {
	js := jetStream(t)
	ctx := t.Context()

	name := bucketName()
	dropBucket(t, js, name)
	if _, err := js.KeyValue(ctx, name); !errors.Is(err, jetstream.ErrBucketNotFound) {
		t.Fatalf("bucket %s exists before the test: %v", name, err)
	}
	st := newStore(t, js, Options{Bucket: name, MaxAge: 2 * time.Hour})
	kv, err := js.KeyValue(ctx, name)
	if err != nil {
		t.Fatalf("New did not create the bucket: %v", err)
	}
	status, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.TTL() != 2*time.Hour || status.History() != 1 || st.MaxAge() != 2*time.Hour {
		t.Fatalf("created bucket: max age %v, history %d; store max age %v", status.TTL(), status.History(), st.MaxAge())
	}
	if cfg := status.(*jetstream.KeyValueBucketStatus).StreamInfo().Config; cfg.Storage != jetstream.FileStorage {
		t.Fatalf("created bucket storage %v, want file", cfg.Storage)
	}
	if err := st.Set(ctx, "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// An existing bucket: MaxAge 0 accepts its max age, another one fails.
	again := newStore(t, js, Options{Bucket: name, Prefix: st.prefix})
	if again.MaxAge() != 2*time.Hour {
		t.Fatalf("reopened store max age %v", again.MaxAge())
	}
	if rec, err := again.Get(ctx, "k"); err != nil || string(rec.Data) != "x" {
		t.Fatalf("Get through the reopened store = %q, %v", rec.Data, err)
	}
	if _, err := New(ctx, js, Options{Bucket: name, MaxAge: 3 * time.Hour}); err == nil || !strings.Contains(err.Error(), "max age") {
		t.Fatalf("New with another MaxAge than the bucket's = %v", err)
	}

	// Created with the default max age.
	def := bucketName()
	dropBucket(t, js, def)
	if st := newStore(t, js, Options{Bucket: def}); st.MaxAge() != DefaultMaxAge {
		t.Fatalf("default max age %v, want %v", st.MaxAge(), DefaultMaxAge)
	}

	// Buckets the store cannot live in.
	forever := bucketName()
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: forever}); err != nil {
		t.Fatal(err)
	}
	dropBucket(t, js, forever)
	if _, err := New(ctx, js, Options{Bucket: forever}); err == nil || !strings.Contains(err.Error(), "no max age") {
		t.Fatalf("New on a bucket without max age = %v", err)
	}
	noRollup := testBucket(t, js, time.Hour)
	s, err := js.Stream(ctx, "KV_"+noRollup)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.AllowRollup = false
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := New(ctx, js, Options{Bucket: noRollup}); err == nil || !strings.Contains(err.Error(), "roll-ups") {
		t.Fatalf("New on a bucket that denies roll-ups = %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(t.Context(), nil, Options{}); err == nil {
		t.Fatal("nil JetStream accepted")
	}
	for _, opts := range []Options{
		{Bucket: "a.b"}, {Bucket: "a*"}, {Bucket: "a b"}, {Bucket: strings.Repeat("b", 256)},
		{Prefix: "a.b"}, {Prefix: "a>"}, {Prefix: "a*"}, {Prefix: "a:b"}, {Prefix: "é"}, {Prefix: strings.Repeat("p", 65)},
		{MaxAge: -time.Hour}, {MaxAge: time.Millisecond}, {Replicas: -1},
	} {
		if _, err := checkOptions(opts); err == nil {
			t.Errorf("options %+v accepted", opts)
		}
	}
	opts, err := checkOptions(Options{})
	if err != nil || opts.Bucket != DefaultBucket || opts.Prefix != DefaultPrefix || opts.Now == nil {
		t.Fatalf("defaults: %+v, %v", opts, err)
	}
}

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestExpiredButStored checks records the server still holds after their
// Expires: absent to every method, replaced by Swap with Version 0.
func TestExpiredButStored(t *testing.T) {
	js := jetStream(t)
	ctx := t.Context()
	c := &clock{t: time.Now()}
	st := newStore(t, js, Options{Bucket: testBucket(t, js, time.Hour), Now: c.Now})
	v1, err := st.Swap(ctx, "k", sesh.Record{Data: []byte("old"), Expires: c.Now().Add(10 * time.Minute), UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	c.Add(10 * time.Minute) // the instant itself is expired
	if _, err := st.kv.Get(ctx, st.recordKey("k")); err != nil {
		t.Fatalf("the server no longer holds the record: %v", err)
	}
	if _, err := st.Get(ctx, "k"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get of an expired record = %v, want ErrNotFound", err)
	}
	if err := st.Touch(ctx, "k", c.Now().Add(time.Minute)); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Touch of an expired record = %v, want ErrNotFound", err)
	}
	if _, err := st.Swap(ctx, "k", sesh.Record{Data: []byte("x"), Expires: c.Now().Add(time.Minute), Version: v1}); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Swap with the version of an expired record = %v, want ErrNotFound", err)
	}
	if n, err := st.Len(ctx); err != nil || n != 0 {
		t.Fatalf("Len = %d, %v; want 0", n, err)
	}
	if recs, err := st.ByUser(ctx, "u"); err != nil || len(recs) != 0 {
		t.Fatalf("ByUser = %v, %v; want none", recs, err)
	}
	v2, err := st.Swap(ctx, "k", sesh.Record{Data: []byte("new"), Expires: c.Now().Add(time.Minute)})
	if err != nil {
		t.Fatalf("Swap with Version 0 over an expired record: %v", err)
	}
	rec, err := st.Get(ctx, "k")
	if err != nil || string(rec.Data) != "new" || rec.Version != v2 || v2 == v1 {
		t.Fatalf("Get after Swap = %+v, %v (versions %d then %d)", rec, err, v1, v2)
	}
}

// TestSwapSurvivesTouch swaps with the current version while another
// goroutine keeps touching the record: every touch moves the revision but
// not the version, so no swap may report a conflict.
func TestSwapSurvivesTouch(t *testing.T) {
	js := jetStream(t)
	ctx := t.Context()
	st := newStore(t, js, Options{Bucket: testBucket(t, js, time.Hour)})
	exp := time.Now().Add(30 * time.Minute)
	v, err := st.Swap(ctx, "k", sesh.Record{Data: []byte("0"), Expires: exp, UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var touches int
	wg.Go(func() {
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if err := st.Touch(ctx, "k", exp.Add(time.Duration(touches)*time.Millisecond)); err != nil {
				t.Errorf("Touch: %v", err)
				return
			}
			touches++
		}
	})
	for i := range 30 {
		nv, err := st.Swap(ctx, "k", sesh.Record{Data: []byte(fmt.Sprint(i + 1)), Expires: exp, UserID: "u", Version: v})
		if err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("Swap %d with the current version while touched: %v", i, err)
		}
		v = nv
	}
	close(stop)
	wg.Wait()
	rec, err := st.Get(ctx, "k")
	if err != nil || string(rec.Data) != "30" || rec.Version != v {
		t.Fatalf("Get = %+v, %v; want data 30, version %d", rec, err, v)
	}
	t.Logf("30 swaps, %d concurrent touches", touches)
}

// TestTouchRenewsIndexEntry checks that a Touch rewrites the user index
// entry, so that the entry does not age out of the bucket before the
// record it indexes.
func TestTouchRenewsIndexEntry(t *testing.T) {
	js := jetStream(t)
	ctx := t.Context()
	st := newStore(t, js, Options{Bucket: testBucket(t, js, time.Hour)})
	if err := st.Set(ctx, "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(10 * time.Minute), UserID: "bob"}); err != nil {
		t.Fatal(err)
	}
	ik := st.userPrefix("bob") + "k"
	before, err := st.kv.Get(ctx, ik)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := st.kv.Get(ctx, st.recordKey("k"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Touch(ctx, "k", time.Now().Add(20*time.Minute)); err != nil {
		t.Fatal(err)
	}
	after, err := st.kv.Get(ctx, ik)
	if err != nil {
		t.Fatal(err)
	}
	ra, err := st.kv.Get(ctx, st.recordKey("k"))
	if err != nil {
		t.Fatal(err)
	}
	if after.Revision() <= rb.Revision() || after.Revision() >= ra.Revision() || ra.Revision() <= before.Revision() {
		t.Fatalf("revisions: index %d -> %d, record %d -> %d; want the index rewritten after the old record and before the new one",
			before.Revision(), after.Revision(), rb.Revision(), ra.Revision())
	}
	if recs, err := st.ByUser(ctx, "bob"); err != nil || len(recs) != 1 {
		t.Fatalf("ByUser after Touch = %v, %v", recs, err)
	}
}

func TestLongUserID(t *testing.T) {
	js := jetStream(t)
	ctx := t.Context()
	st := newStore(t, js, Options{Bucket: testBucket(t, js, time.Hour)})
	exp := time.Now().Add(time.Minute)
	long := strings.Repeat("u", MaxUserIDLen)
	if err := st.Set(ctx, "k", sesh.Record{Data: []byte("x"), Expires: exp, UserID: long}); err != nil {
		t.Fatalf("Set with a %d-byte UserID: %v", len(long), err)
	}
	if recs, err := st.ByUser(ctx, long); err != nil || len(recs) != 1 {
		t.Fatalf("ByUser(long) = %d records, %v", len(recs), err)
	}
	if err := st.Set(ctx, "k2", sesh.Record{Data: []byte("x"), Expires: exp, UserID: long + "u"}); err == nil || !strings.Contains(err.Error(), "UserID") {
		t.Fatalf("Set with a UserID over MaxUserIDLen = %v", err)
	}
	if _, err := st.Get(ctx, "k2"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get after a refused Set = %v", err)
	}
}

func TestKeyMapping(t *testing.T) {
	for _, c := range []struct{ key, tok string }{{"abc", "abc"}, {"a:b", "a=b"}, {"::", "=="}, {"sess:X-_9", "sess=X-_9"}} {
		if got := mapKey(c.key); got != c.tok {
			t.Errorf("mapKey(%q) = %q, want %q", c.key, got, c.tok)
		}
		if got, ok := unmapKey(c.tok); !ok || got != c.key {
			t.Errorf("unmapKey(%q) = %q, %v", c.tok, got, ok)
		}
	}
	for _, tok := range []string{"", "a.b", "a/b", "a:b", "a b", "é", strings.Repeat("k", sesh.MaxKeyLen+1)} {
		if k, ok := unmapKey(tok); ok {
			t.Errorf("unmapKey(%q) = %q, accepted", tok, k)
		}
	}
}

// kvKeyByte is what a JetStream KV key may hold, the dot aside (a token).
func kvKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-/_=", c) >= 0
}

func FuzzKeyMapping(f *testing.F) {
	for _, s := range []string{"a:b", "a=b", "", "x.y", "::==", "abc", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if sesh.ValidateKey(s) == nil {
			tok := mapKey(s)
			for i := 0; i < len(tok); i++ {
				if !kvKeyByte(tok[i]) {
					t.Fatalf("mapKey(%q) = %q: byte %q is not a KV key token byte", s, tok, tok[i])
				}
			}
			if back, ok := unmapKey(tok); !ok || back != s {
				t.Fatalf("unmapKey(mapKey(%q)) = %q, %v", s, back, ok)
			}
		}
		if key, ok := unmapKey(s); ok {
			if sesh.ValidateKey(key) != nil || mapKey(key) != s {
				t.Fatalf("unmapKey(%q) = %q, which maps back to %q", s, key, mapKey(key))
			}
		}
	})
}

// New honours its context: a cancelled one fails it.
func TestNewHonoursContext(t *testing.T) {
	js := jetStream(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(ctx, js, Options{Bucket: bucketName()}); !errors.Is(err, context.Canceled) {
		t.Fatalf("New with a cancelled context = %v, want context.Canceled", err)
	}
}
