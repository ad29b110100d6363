package dynamostore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// TestConformance runs storetest on both layouts, each store under its own
// prefix of a shared table.
//
// Where dynalite 4.0.0 (the default engine here) differs from DynamoDB:
//   - it has no UpdateTimeToLive and deletes nothing by TTL: CreateTable
//     returns ErrTTLUnsupported (accepted by ensureTable) and expiry is only
//     ever the store's own check, which is what the suite tests anyway;
//   - it ignores ReturnValuesOnConditionCheckFailure: every lost condition
//     is explained by the store's fallback GetItem
//     (TestConditionFailureWithOldItem covers the path DynamoDB takes);
//   - its global secondary indexes are updated with the item, while
//     DynamoDB's lag (usually under a second): against real DynamoDB
//     (SESH_DYNAMODB_ENDPOINT) the UserIndex subtests, which query right
//     after writing, may miss a record; ByUser documents this;
//   - it evaluates no equality of whole maps in conditions, and it crashes
//     when a client aborts a request (testdata/dynalite/server.js survives
//     that); the store needs neither.
func TestConformance(t *testing.T) {
	// Every call is an HTTP request to a Node process: a quarter of the
	// concurrency load keeps the suite's checks at a busy machine's pace.
	opts := storetest.Options{Load: 0.25}
	t.Run("Native", func(t *testing.T) {
		storetest.RunWith(t, func(t *testing.T) sesh.Store { return newNative(t) }, storetest.Options{Load: opts.Load, Corrupt: nativeCorruptions})
	})
	t.Run("Arc", func(t *testing.T) {
		storetest.RunWith(t, func(t *testing.T) sesh.Store { return newArc(t) }, storetest.Options{Load: opts.Load, Corrupt: arcCorruptions})
	})
}

// rawItem reads an item as DynamoDB holds it.
func rawItem(t *testing.T, s *Store, key string) map[string]types.AttributeValue {
	t.Helper()
	out, err := client(t).GetItem(t.Context(), &dynamodb.GetItemInput{TableName: &s.table, Key: s.keyOf(key), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

// putRaw writes an item as another program would.
func putRaw(t *testing.T, s *Store, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := client(t).PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		t.Fatal(err)
	}
}

func n(v int64) types.AttributeValue    { return numAV(v) }
func str(v string) types.AttributeValue { return strAV(v) }

func wantN(t *testing.T, what string, av types.AttributeValue, want int64) {
	t.Helper()
	if got, ok := intAttr(av); !ok || got != want {
		t.Fatalf("%s = %#v, want N %d", what, av, want)
	}
}

func wantS(t *testing.T, what string, av types.AttributeValue, want string) {
	t.Helper()
	if s, ok := av.(*types.AttributeValueMemberS); !ok || s.Value != want {
		t.Fatalf("%s = %#v, want S %q", what, av, want)
	}
}

// TestNativeLayout checks the documented item: id, d, e, ttl, v, u.
func TestNativeLayout(t *testing.T) {
	s := newNative(t)
	ctx := t.Context()
	exp := time.Now().Add(time.Hour).Add(123456789) // sub-millisecond digits
	if err := s.Set(ctx, "k", sesh.Record{Data: []byte("hello"), Expires: exp, UserID: "alice"}); err != nil {
		t.Fatal(err)
	}
	item := rawItem(t, s, "k")
	wantS(t, "id", item["id"], s.prefix+"k")
	if d, ok := item["d"].(*types.AttributeValueMemberB); !ok || string(d.Value) != "hello" {
		t.Fatalf("d = %#v", item["d"])
	}
	wantN(t, "e", item["e"], exp.UnixMilli())
	wantN(t, "ttl", item["ttl"], (exp.UnixMilli()+999)/1000) // rounded up: never deleted early
	wantS(t, "u", item["u"], "alice")
	v, _ := intAttr(item["v"])
	if got, _ := s.Get(ctx, "k"); got.Version != v || v <= 0 {
		t.Fatalf("v = %d, Get's version %d", v, got.Version)
	}
	if len(item) != 6 {
		t.Fatalf("item has %d attributes, want 6: %v", len(item), item)
	}
	// No user, no u: the user index stays sparse.
	if err := s.Set(ctx, "anon", sesh.Record{Data: []byte("x"), Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if _, ok := rawItem(t, s, "anon")["u"]; ok {
		t.Fatal("an anonymous session has a u attribute")
	}
	// Touch rewrites e and ttl only.
	exp2 := exp.Add(time.Hour)
	if err := s.Touch(ctx, "k", exp2); err != nil {
		t.Fatal(err)
	}
	item = rawItem(t, s, "k")
	wantN(t, "e after Touch", item["e"], exp2.UnixMilli())
	wantN(t, "ttl after Touch", item["ttl"], (exp2.UnixMilli()+999)/1000)
	wantN(t, "v after Touch", item["v"], v)
}

// TestExpiryCheckedInCode: an item whose deadline has passed is not
// returned even though its TTL attribute still lies ahead (DynamoDB
// deletes lazily; dynalite never does).
func TestExpiryCheckedInCode(t *testing.T) {
	for _, st := range []*Store{newNative(t), newArc(t).Store} {
		ctx := t.Context()
		if err := st.Set(ctx, "k", sesh.Record{Data: []byte(`{"a":1}`), Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		item := rawItem(t, st, "k")
		past := time.Now().Add(-time.Second).UnixMilli()
		if st.arc {
			item[attrMeta].(*types.AttributeValueMemberM).Value[metaExp] = n(past)
		} else {
			item[attrExp] = n(past)
		}
		putRaw(t, st, item)
		if _, err := st.Get(ctx, "k"); !errors.Is(err, sesh.ErrNotFound) {
			t.Fatalf("arc=%v: Get of an item past its deadline, TTL ahead = %v, want ErrNotFound", st.arc, err)
		}
		if err := st.Touch(ctx, "k", time.Now().Add(time.Hour)); !errors.Is(err, sesh.ErrNotFound) {
			t.Fatalf("arc=%v: Touch revived an expired item: %v", st.arc, err)
		}
		if n, err := st.Len(ctx); err != nil || n != 0 {
			t.Fatalf("arc=%v: Len = %d, %v", st.arc, n, err)
		}
	}
}

// TestSwapVersionZeroOverExpiredItem: "absent or expired" is decided by
// the deadline, not by the item's presence.
func TestSwapVersionZeroOverExpiredItem(t *testing.T) {
	for _, st := range []*Store{newNative(t), newArc(t).Store} {
		ctx := t.Context()
		if err := st.Set(ctx, "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		item := rawItem(t, st, "k")
		past := time.Now().Add(-time.Minute).UnixMilli()
		if st.arc {
			item[attrMeta].(*types.AttributeValueMemberM).Value[metaExp] = n(past)
		} else {
			item[attrExp] = n(past)
		}
		putRaw(t, st, item)
		if _, err := st.Swap(ctx, "k", sesh.Record{Data: []byte("new"), Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatalf("arc=%v: Swap(0) over an expired item: %v", st.arc, err)
		}
	}
}

func TestForeignItemsAreCorrupt(t *testing.T) {
	s := newNative(t)
	ctx := t.Context()
	future := time.Now().Add(time.Hour).UnixMilli()
	for key, item := range map[string]map[string]types.AttributeValue{
		"nodata":    {"e": n(future), "v": n(1)},
		"strdata":   {"d": str("x"), "e": n(future), "v": n(1)},
		"noexp":     {"d": &types.AttributeValueMemberB{Value: []byte("x")}, "v": n(1)},
		"badexp":    {"d": &types.AttributeValueMemberB{Value: []byte("x")}, "e": str("soon"), "v": n(1)},
		"noversion": {"d": &types.AttributeValueMemberB{Value: []byte("x")}, "e": n(future)},
		"zerover":   {"d": &types.AttributeValueMemberB{Value: []byte("x")}, "e": n(future), "v": n(0)},
	} {
		item["id"] = str(s.prefix + key)
		putRaw(t, s, item)
		if _, err := s.Get(ctx, key); !errors.Is(err, sesh.ErrCorrupt) {
			t.Errorf("Get of %s = %v, want ErrCorrupt", key, err)
		}
	}
	if err := s.Touch(ctx, "noversion", time.Now().Add(time.Hour)); !errors.Is(err, sesh.ErrCorrupt) {
		t.Errorf("Touch of an unreadable item = %v, want ErrCorrupt", err)
	}
	if _, err := s.Swap(ctx, "noversion", sesh.Record{Data: []byte("y"), Expires: time.Now().Add(time.Hour), Version: 5}); !errors.Is(err, sesh.ErrConflict) {
		t.Errorf("Swap over an unreadable item = %v, want ErrConflict", err)
	}
	// Range and Len skip what they cannot read.
	if n, err := s.Len(ctx); err != nil || n != 0 {
		t.Errorf("Len = %d, %v; want 0 (it counts what Range reports)", n, err)
	}
	calls := 0
	if err := s.Range(ctx, func(string, sesh.Record) bool { calls++; return true }); err != nil || calls != 0 {
		t.Errorf("Range made %d calls, %v; want none", calls, err)
	}
}

func TestPrefixIsolation(t *testing.T) {
	a, b := newNative(t), newNative(t)
	ctx := t.Context()
	exp := time.Now().Add(time.Hour)
	if err := a.Set(ctx, "k", sesh.Record{Data: []byte("a"), Expires: exp, UserID: "u"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("another prefix sees the record: %v", err)
	}
	if recs, err := b.ByUser(ctx, "u"); err != nil || len(recs) != 0 {
		t.Fatalf("ByUser through another prefix = %v, %v", recs, err)
	}
	if recs, err := a.ByUser(ctx, "u"); err != nil || len(recs) != 1 {
		t.Fatalf("ByUser = %v, %v", recs, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	c, closeConns := newClient("http://127.0.0.1:1")
	defer closeConns()
	good := Options{Table: "sessions"}
	if _, err := New(nil, good); err == nil {
		t.Error("nil client accepted")
	}
	for name, o := range map[string]Options{
		"no table":         {},
		"short table":      {Table: "ab"},
		"table with slash": {Table: "a/b/c"},
		"space in prefix":  {Table: "sessions", Prefix: "a b"},
		"long prefix":      {Table: "sessions", Prefix: strings.Repeat("p", 513)},
		"key is d":         {Table: "sessions", KeyAttribute: "d"},
		"ttl is v":         {Table: "sessions", TTLAttribute: "v"},
		"key is ttl":       {Table: "sessions", KeyAttribute: "x", TTLAttribute: "x"},
		"bad index":        {Table: "sessions", UserIndex: "a b"},
	} {
		if _, err := New(c, o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewArc(c, Options{Table: "sessions", KeyAttribute: "_sesh"}); err == nil {
		t.Error("arc: key attribute _sesh accepted")
	}
	if _, err := NewArc(c, Options{Table: "sessions", TTLAttribute: "_sesh_user"}); err == nil {
		t.Error("arc: TTL attribute _sesh_user accepted")
	}
	s, err := NewArc(c, good)
	if err != nil || s.keyAttr != "_idx" || s.ttlAttr != "_ttl" || s.index != "user" || s.prefix != "" {
		t.Fatalf("NewArc defaults: %+v, %v", s, err)
	}
}

// TestCreateTableChecksKey: an existing table whose key is not the
// store's is refused rather than written to.
func TestCreateTableChecksKey(t *testing.T) {
	newNative(t) // the native table exists
	a, err := NewArc(client(t), Options{Table: nativeTable})
	if err != nil {
		t.Fatal(err)
	}
	err = a.CreateTable(t.Context())
	if err == nil || !strings.Contains(err.Error(), `"_idx"`) {
		t.Fatalf("CreateTable over a table keyed on id = %v, want an error naming _idx", err)
	}
	// And CreateTable is idempotent over the right table.
	if err := newNative(t).CreateTable(t.Context()); err != nil && !errors.Is(err, ErrTTLUnsupported) {
		t.Fatalf("second CreateTable: %v", err)
	}
}

// TestContextDeadlineOnSlowCalls is covered by storetest.Faults; this
// checks the error of a cancelled call names the context.
func TestCancelledContext(t *testing.T) {
	s := newNative(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ByUser(ctx, "u"); !errors.Is(err, context.Canceled) {
		t.Fatalf("ByUser: %v", err)
	}
	if _, err := newArc(t).Create(ctx, sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Create: %v", err)
	}
}

// versionOf reads the version Get reports.
func versionOf(t *testing.T, st sesh.Store, key string) int64 {
	t.Helper()
	rec, err := st.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	return rec.Version
}
