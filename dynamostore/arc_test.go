package dynamostore

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/sesh-go/sesh"
)

// remixData is Record.Data as compat/remix.Codec writes it: members
// sorted, "__sesh" last; a nested object in a struct's field order; a
// number beyond JavaScript's safe integers.
const remixData = `{"cart":[1,2.5,"x",null,true,{"b":1,"a":2}],"n":12345678901234567890,"user":"alice","__sesh":{"c":1700000000000,"u":"alice"}}`

func meta(t *testing.T, item map[string]types.AttributeValue) map[string]types.AttributeValue {
	t.Helper()
	m, ok := item[attrMeta].(*types.AttributeValueMemberM)
	if !ok {
		t.Fatalf("_sesh = %#v, want a map", item[attrMeta])
	}
	return m.Value
}

// TestArcLayout checks the documented item: the session's values as
// top-level attributes of the DocumentClient's types, _idx, _ttl, and
// sesh's _sesh and _sesh_user.
func TestArcLayout(t *testing.T) {
	s := newArc(t)
	ctx := t.Context()
	exp := time.Now().Add(time.Hour).Add(654321)
	if err := s.Set(ctx, "0123456789abcdef", sesh.Record{Data: []byte(remixData), Expires: exp, UserID: "alice"}); err != nil {
		t.Fatal(err)
	}
	item := rawItem(t, s.Store, "0123456789abcdef")
	wantS(t, "_idx", item["_idx"], s.prefix+"0123456789abcdef")
	ttl := (exp.UnixMilli() + 999) / 1000
	wantN(t, "_ttl", item["_ttl"], ttl)
	wantS(t, "user", item["user"], "alice")
	if num, ok := item["n"].(*types.AttributeValueMemberN); !ok || num.Value != "12345678901234567890" {
		t.Fatalf("n = %#v, want N 12345678901234567890", item["n"])
	}
	cart, ok := item["cart"].(*types.AttributeValueMemberL)
	if !ok || len(cart.Value) != 6 {
		t.Fatalf("cart = %#v, want a list of 6", item["cart"])
	}
	if _, ok := cart.Value[3].(*types.AttributeValueMemberNULL); !ok {
		t.Fatalf("cart[3] = %#v, want NULL", cart.Value[3])
	}
	if b, ok := cart.Value[4].(*types.AttributeValueMemberBOOL); !ok || !b.Value {
		t.Fatalf("cart[4] = %#v, want BOOL true", cart.Value[4])
	}
	if m, ok := cart.Value[5].(*types.AttributeValueMemberM); !ok || len(m.Value) != 2 {
		t.Fatalf("cart[5] = %#v, want a map", cart.Value[5])
	}
	if m, ok := item["__sesh"].(*types.AttributeValueMemberM); !ok || len(m.Value) != 2 {
		t.Fatalf("__sesh = %#v, want the codec's metadata as a map", item["__sesh"])
	}
	wantS(t, "_sesh_user", item["_sesh_user"], "alice")
	m := meta(t, item)
	wantN(t, "_sesh.e", m["e"], exp.UnixMilli())
	wantN(t, "_sesh.t", m["t"], ttl)
	v, err := strconv.ParseInt(m["v"].(*types.AttributeValueMemberS).Value, 10, 64)
	if err != nil || v <= 0 {
		t.Fatalf("_sesh.v = %#v", m["v"])
	}
	if o, ok := m["o"].(*types.AttributeValueMemberL); !ok || len(o.Value) != 4 {
		t.Fatalf("_sesh.o = %#v, want the member order (__sesh is last, not sorted)", m["o"])
	}
	if r, ok := m["r"].(*types.AttributeValueMemberM); !ok || len(r.Value) != 1 || r.Value["cart"] == nil {
		t.Fatalf("_sesh.r = %#v, want the original text of cart only (its object is not sorted)", m["r"])
	}
	if _, ok := m["b"]; ok {
		t.Fatal("_sesh.b set for data that spreads")
	}
	if len(item) != 8 { // _idx _ttl _sesh _sesh_user + cart n user __sesh
		t.Fatalf("item has %d attributes: %v", len(item), slices.Sorted(maps.Keys(item)))
	}
	rec, err := s.Get(ctx, "0123456789abcdef")
	if err != nil || string(rec.Data) != remixData || rec.Version != v || rec.UserID != "alice" || rec.Expires.UnixMilli() != exp.UnixMilli() {
		t.Fatalf("Get = %s, %+v, %v", rec.Data, rec, err)
	}
}

// remixRewrite puts the item as Remix's updateData would after reading
// it: every attribute but _idx and _ttl is session data to Remix and goes
// back as it was read, change applied, with _ttl from the new deadline.
func remixRewrite(t *testing.T, s *Store, key string, ttl int64, change func(item map[string]types.AttributeValue)) {
	t.Helper()
	item := rawItem(t, s, key)
	change(item)
	item[s.ttlAttr] = n(ttl)
	putRaw(t, s, item)
}

func TestArcRemixRewrite(t *testing.T) {
	s := newArc(t)
	ctx := t.Context()
	const key = "00000000000000aa"
	if err := s.Set(ctx, key, sesh.Record{Data: []byte(remixData), Expires: time.Now().Add(time.Hour), UserID: "alice"}); err != nil {
		t.Fatal(err)
	}
	v1 := versionOf(t, s, key)
	newTTL := time.Now().Add(2 * time.Hour).Unix()
	remixRewrite(t, s.Store, key, newTTL, func(item map[string]types.AttributeValue) {
		item["user"] = str("bob")
		item["theme"] = str("dark")
	})
	rec, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"cart":[1,2.5,"x",null,true,{"b":1,"a":2}],"n":12345678901234567890,"user":"bob","__sesh":{"c":1700000000000,"u":"alice"},"theme":"dark"}`
	if string(rec.Data) != want {
		t.Fatalf("Get after Remix's rewrite = %s\nwant %s", rec.Data, want)
	}
	if rec.Version == v1 || rec.Version < foreignBase {
		t.Fatalf("version after Remix's rewrite = %d (was %d): want a derived one", rec.Version, v1)
	}
	if got := rec.Expires.UnixMilli(); got != newTTL*1000-500 {
		t.Fatalf("Expires after Remix's rewrite = %d, want _ttl*1000-500 = %d", got, newTTL*1000-500)
	}
	if rec.UserID != "alice" {
		t.Fatalf("UserID after Remix's rewrite = %q (Remix carries _sesh_user)", rec.UserID)
	}
	// A Go request that read before Remix's write loses.
	if _, err := s.Swap(ctx, key, sesh.Record{Data: []byte(`{"stale":true}`), Expires: time.Now().Add(time.Hour), Version: v1}); !errors.Is(err, sesh.ErrConflict) {
		t.Fatalf("Swap with the version before Remix's write = %v, want ErrConflict", err)
	}
	// Touch keeps the (derived) version and makes the item the store's again.
	v2 := rec.Version
	if err := s.Touch(ctx, key, time.Now().Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if v := versionOf(t, s, key); v != v2 {
		t.Fatalf("Touch of a Remix-written item changed its version from %d to %d", v2, v)
	}
	item := rawItem(t, s.Store, key)
	if m := meta(t, item); m["t"].(*types.AttributeValueMemberN).Value != item["_ttl"].(*types.AttributeValueMemberN).Value {
		t.Fatalf("after Touch, _sesh.t %v != _ttl %v", m["t"], item["_ttl"])
	}
	// Once more as Remix, then a Swap with the version read after it wins.
	remixRewrite(t, s.Store, key, time.Now().Add(4*time.Hour).Unix(), func(item map[string]types.AttributeValue) {
		item["theme"] = str("light")
	})
	v3 := versionOf(t, s, key)
	if v3 == v2 {
		t.Fatal("second Remix rewrite kept the version")
	}
	v4, err := s.Swap(ctx, key, sesh.Record{Data: []byte(`{"fresh":1}`), Expires: time.Now().Add(time.Hour), Version: v3})
	if err != nil {
		t.Fatalf("Swap with the version read after Remix's write: %v", err)
	}
	if got, err := s.Get(ctx, key); err != nil || got.Version != v4 || string(got.Data) != `{"fresh":1}` {
		t.Fatalf("Get after Swap = %s, %d, %v", got.Data, got.Version, err)
	}
	// And that Swap's version is now the fast path's again.
	if _, err := s.Swap(ctx, key, sesh.Record{Data: []byte(`{"again":1}`), Expires: time.Now().Add(time.Hour), Version: v4}); err != nil {
		t.Fatal(err)
	}
}

// TestArcRemixCreated reads items as Remix's createData writes them: no
// _sesh, _ttl = Math.round(expires / 1000).
func TestArcRemixCreated(t *testing.T) {
	s := newArc(t)
	ctx := t.Context()
	now := time.Now()
	put := func(id string, attrs map[string]types.AttributeValue) {
		attrs["_idx"] = str(s.prefix + id)
		putRaw(t, s.Store, attrs)
	}
	ttl := now.Add(time.Hour).Unix()
	put("1111111111111111", map[string]types.AttributeValue{"_ttl": n(ttl), "user": str("carol"), "count": n(3),
		"blob": &types.AttributeValueMemberB{Value: []byte{1, 2, 3}}, "tags": &types.AttributeValueMemberSS{Value: []string{"a"}}})
	rec, err := s.Get(ctx, "1111111111111111")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"blob":"AQID","count":3,"tags":["a"],"user":"carol"}`; string(rec.Data) != want {
		t.Fatalf("Get = %s, want %s", rec.Data, want)
	}
	if rec.Expires.UnixMilli() != ttl*1000-500 || rec.Version < foreignBase || rec.UserID != "" {
		t.Fatalf("Get = %+v", rec)
	}
	if n, err := s.Len(ctx); err != nil || n != 1 {
		t.Fatalf("Len = %d, %v", n, err)
	}

	// Without _ttl (no expires in Remix): never expires, zero Expires.
	put("2222222222222222", map[string]types.AttributeValue{"k": str("v")})
	if rec, err := s.Get(ctx, "2222222222222222"); err != nil || !rec.Expires.IsZero() || string(rec.Data) != `{"k":"v"}` {
		t.Fatalf("Get of an item without _ttl = %s, %+v, %v", rec.Data, rec, err)
	}

	// Past _ttl: Remix would still read it; the store does not, and a
	// create over it succeeds.
	put("3333333333333333", map[string]types.AttributeValue{"_ttl": n(now.Add(-time.Minute).Unix()), "k": str("v")})
	if _, err := s.Get(ctx, "3333333333333333"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get of an item past its _ttl = %v", err)
	}
	if _, err := s.Swap(ctx, "3333333333333333", sesh.Record{Data: []byte("{}"), Expires: now.Add(time.Hour)}); err != nil {
		t.Fatalf("Swap(0) over an expired Remix item: %v", err)
	}

	// Within the half second before _ttl, Remix's deadline may have passed.
	ms := time.Now().UnixMilli()
	edge := (ms + 500) / 1000 // edge*1000 - 500 <= now
	put("4444444444444444", map[string]types.AttributeValue{"_ttl": n(edge), "k": str("v")})
	if _, err := s.Get(ctx, "4444444444444444"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get of an item whose rounded _ttl is %d ms away = %v, want ErrNotFound", edge*1000-time.Now().UnixMilli(), err)
	}
	if _, err := s.Swap(ctx, "4444444444444444", sesh.Record{Data: []byte("{}"), Expires: now.Add(time.Hour)}); err != nil {
		t.Fatalf("Swap(0) over it (the condition agrees with Get): %v", err)
	}

	// Touch and Swap work on Remix's items too.
	v := versionOf(t, s, "1111111111111111")
	if err := s.Touch(ctx, "1111111111111111", now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := versionOf(t, s, "1111111111111111"); got != v {
		t.Fatalf("Touch changed the version from %d to %d", v, got)
	}
	put("5555555555555555", map[string]types.AttributeValue{"_ttl": n(ttl)})
	v = versionOf(t, s, "5555555555555555")
	if _, err := s.Swap(ctx, "5555555555555555", sesh.Record{Data: []byte(`{"a":1}`), Expires: now.Add(time.Hour), Version: v + 1}); !errors.Is(err, sesh.ErrConflict) {
		t.Fatalf("Swap with a wrong version = %v", err)
	}
	if _, err := s.Swap(ctx, "5555555555555555", sesh.Record{Data: []byte(`{"a":1}`), Expires: now.Add(time.Hour), Version: v}); err != nil {
		t.Fatalf("Swap with the derived version: %v", err)
	}
}

// TestArcOpaque: data that cannot be spread is kept in _sesh.b, and round
// trips exactly.
func TestArcOpaque(t *testing.T) {
	s := newArc(t)
	ctx := t.Context()
	for i, data := range []string{
		"not json",
		`["an","array"]`,
		`{"_idx":"collides with the key attribute"}`,
		`{"_sesh":1}`,
		`{"big":1e200}`,
		`{"deep":` + nest(40) + `}`,
		`{ "spaced": 1 }`,
		`{"a":1,"a":2}`,
		`{"":"empty name"}`,
		"{\"bad\":\"\xff\"}",
		"",
	} {
		key := "k" + strconv.Itoa(i)
		if err := s.Set(ctx, key, sesh.Record{Data: []byte(data), Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatalf("Set(%q): %v", data, err)
		}
		item := rawItem(t, s.Store, key)
		if _, ok := meta(t, item)["b"].(*types.AttributeValueMemberB); !ok || len(item) != 3 {
			t.Errorf("%q: item %v, want only _idx, _ttl and _sesh with b", data, slices.Sorted(maps.Keys(item)))
		}
		if rec, err := s.Get(ctx, key); err != nil || string(rec.Data) != data {
			t.Errorf("Get = %q, %v; want %q", rec.Data, err, data)
		}
	}
}

func nest(n int) string {
	s := "1"
	for range n {
		s = "[" + s + "]"
	}
	return s
}

func TestArcCorrupt(t *testing.T) {
	s := newArc(t)
	ctx := t.Context()
	ttl := n(time.Now().Add(time.Hour).Unix())
	for key, item := range map[string]map[string]types.AttributeValue{
		"strttl":    {"_ttl": str("soon")},
		"fracttl":   {"_ttl": &types.AttributeValueMemberN{Value: "1.5"}},
		"metanomap": {"_ttl": ttl, "_sesh": str("x")},
		"oursnover": {"_ttl": ttl, "_sesh": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"t": ttl, "e": n(1)}}},
		"oursnoexp": {"_ttl": ttl, "_sesh": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"t": ttl, "v": str("5")}}},
		// _sesh.b is read from the store's own items only (a foreign one's
		// is stale: TestArcTombstoneRewrittenByRemix).
		"badbytes": {"_ttl": ttl, "_sesh": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"t": ttl, "v": str("5"), "e": n(time.Now().Add(time.Hour).UnixMilli()), "b": str("x")}}},
	} {
		item["_idx"] = str(s.prefix + key)
		putRaw(t, s.Store, item)
		if _, err := s.Get(ctx, key); !errors.Is(err, sesh.ErrCorrupt) {
			t.Errorf("Get of %s = %v, want ErrCorrupt", key, err)
		}
	}
}

func TestArcCreate(t *testing.T) {
	s := newArc(t)
	ctx := t.Context()
	id, err := s.Create(ctx, sesh.Record{Data: []byte(`{"a":1}`), Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 16 || strconv.Quote(id) != `"`+id+`"` {
		t.Fatalf("Create returned %q, want 16 hex digits", id)
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			t.Fatalf("Create returned %q, want lower-case hex", id)
		}
	}
	wantS(t, "_idx", rawItem(t, s.Store, id)["_idx"], s.prefix+id)
}

// TestArcTombstoneRewrittenByRemix: a Regenerate's tombstone (empty data,
// kept in _sesh.b) reads as a tombstone while the item is the store's; once
// Remix rewrites it (a request still carrying the old cookie, which Remix
// reads as an empty session), the item is Remix's live session, read from
// its attributes as Remix reads it, and a Touch that adopts it keeps it so.
func TestArcTombstoneRewrittenByRemix(t *testing.T) {
	s := newArc(t)
	ctx := t.Context()
	const key = "00000000000000bb"
	v, err := s.Swap(ctx, key, sesh.Record{Data: []byte(remixData), Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Swap(ctx, key, sesh.Record{Data: []byte{}, Expires: time.Now().Add(2 * time.Minute), Version: v}); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.Get(ctx, key); err != nil || len(rec.Data) != 0 {
		t.Fatalf("tombstone reads as %q, %v", rec.Data, err)
	}
	remixRewrite(t, s.Store, key, time.Now().Add(30*24*time.Hour).Unix(), func(item map[string]types.AttributeValue) {
		item["theme"] = str("dark")
	})
	rec, err := s.Get(ctx, key)
	if err != nil || string(rec.Data) != `{"theme":"dark"}` || rec.Version < foreignBase {
		t.Fatalf("Remix's rewrite of a tombstone reads as %q (version %d), %v; want Remix's session", rec.Data, rec.Version, err)
	}
	if err := s.Touch(ctx, key, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, ok := meta(t, rawItem(t, s.Store, key))["b"]; ok {
		t.Fatal("Touch adopted Remix's item with the tombstone's _sesh.b")
	}
	if rec, err := s.Get(ctx, key); err != nil || string(rec.Data) != `{"theme":"dark"}` {
		t.Fatalf("after Touch: %q, %v", rec.Data, err)
	}
	// Opaque data the store wrote itself still round-trips through _sesh.b.
	if err := s.Set(ctx, key, sesh.Record{Data: []byte("not json"), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.Get(ctx, key); err != nil || string(rec.Data) != "not json" {
		t.Fatalf("opaque data: %q, %v", rec.Data, err)
	}
}
