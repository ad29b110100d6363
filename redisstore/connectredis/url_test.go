package connectredis

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// TestOpenURL: connectredis:// opens a store in connect-redis's layout on
// the server of SESH_REDIS_URL, with its prefix, and Close closes it.
func TestOpenURL(t *testing.T) {
	c := client(t)
	base := storetest.Service(t, "SESH_REDIS_URL")
	p := prefix()
	raw := strings.Replace(base, "redis://", "connectredis://", 1)
	sep := "?"
	if strings.Contains(raw, "?") {
		sep = "&"
	}
	ctx := t.Context()
	st, err := sesh.Open(ctx, raw+sep+"prefix="+p+"&nottl=1h")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Set(ctx, "abc", sesh.Record{Data: []byte(`{"n":1}`), Expires: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Del(context.Background(), p+"abc") })
	if v, err := c.Get(ctx, p+"abc").Result(); err != nil || v != `{"n":1}` {
		t.Fatalf("value under %sabc: %q, %v", p, v, err)
	}
	// A value without a TTL (unstorage's) reads with nottl.
	if err := c.Set(ctx, p+"nottl", `{"n":2}`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Del(context.Background(), p+"nottl") })
	if rec, err := st.Get(ctx, "nottl"); err != nil || time.Until(rec.Expires) < 50*time.Minute {
		t.Fatalf("record without TTL: %v, %v", rec.Expires, err)
	}
	for _, capability := range []bool{
		func() bool { _, ok := st.(sesh.Toucher); return ok }(),
		func() bool { _, ok := st.(sesh.Lister); return ok }(),
		func() bool { _, ok := st.(sesh.Pinger); return ok }(),
	} {
		if !capability {
			t.Fatalf("%T lost a capability of *Store", st)
		}
	}
	if err := st.(io.Closer).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "abc"); err == nil {
		t.Fatal("Get after Close succeeded: the client is still open")
	}
}

func TestOpenURLErrors(t *testing.T) {
	storetest.OpenErrors(t, map[string]string{
		"connectredis://127.0.0.1:6379/0?prefix=":           "prefix",
		"connectredis://127.0.0.1:6379/0?nottl=soon":        "nottl",
		"connectredis://127.0.0.1:6379/0?nottl=-1s":         "nottl",
		"connectredis://127.0.0.1:6379/0?prefix=a&prefix=b": "prefix",
		"connectredis://127.0.0.1:6379/0?x=%zz":             "malformed",
		"connectredis://127.0.0.1:1/0":                      "127.0.0.1:1",
	})
}
