package natsstore

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

func TestOpenURL(t *testing.T) {
	js := jetStream(t)
	ctx := t.Context()
	host, user := serverAddr(t)
	bucket := bucketName()
	dropBucket(t, js, bucket)
	u := url.URL{Scheme: "nats", User: user, Host: host, Path: "/" + bucket, RawQuery: "prefix=app1&max_age=90m"}
	st, err := sesh.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("Open(%s): %v", u.Redacted(), err)
	}
	ns := st.(*Store)
	if ns.prefix != "app1" || ns.bucket != bucket || ns.MaxAge() != 90*time.Minute || ns.nc == nil {
		t.Fatalf("opened store: bucket %q prefix %q max age %v owns %v", ns.bucket, ns.prefix, ns.MaxAge(), ns.nc != nil)
	}
	if err := st.Set(ctx, "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// The bucket was created with the URL's max age, and the record is
	// where the layout says.
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		t.Fatalf("bucket not created: %v", err)
	}
	if status, err := kv.Status(ctx); err != nil || status.TTL() != 90*time.Minute {
		t.Fatalf("bucket status: %v", err)
	}
	if _, err := kv.Get(ctx, "app1.s.k"); err != nil {
		t.Fatalf("the store opened by URL wrote elsewhere: %v", err)
	}
	if err := ns.Close(); err != nil {
		t.Fatal(err)
	}
	if !ns.nc.IsClosed() {
		t.Fatal("Close left the connection open")
	}
	if _, err := st.Get(ctx, "k"); err == nil || errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get after Close = %v, want a connection error", err)
	}
	ns.Close() // twice is fine

	// The bucket exists now: another max age is a configuration error.
	u.RawQuery = "max_age=2h"
	if _, err := sesh.Open(ctx, u.String()); err == nil || !strings.Contains(err.Error(), "max age") {
		t.Fatalf("Open with another max_age than the bucket's = %v", err)
	}
}

func TestOpenURLErrors(t *testing.T) {
	storetest.OpenErrors(t, map[string]string{
		"nats://127.0.0.1:1/b":                      "127.0.0.1:1", // nothing listens: the error names the server
		"nats://127.0.0.1:4222/b?bogus=1":           "bogus",
		"nats://127.0.0.1:4222/b?prefix=a.b":        "prefix", // more than one key token
		"nats://127.0.0.1:4222/b?prefix=a&prefix=b": "prefix",
		"nats://127.0.0.1:4222/b?prefix=":           "prefix",
		"nats://127.0.0.1:4222/b?max_age=soon":      "max_age",
		"nats://127.0.0.1:4222/b?max_age=-1h":       "max_age",
		"nats://127.0.0.1:4222/a/b":                 "bucket",
		"nats://127.0.0.1:4222/b.c":                 "bucket",
		"nats://127.0.0.1:4222,127.0.0.1:4223/b":    "one host",
		"nats:opaque":                               "malformed",
		"nats:///b":                                 "malformed",
		"nats://127.0.0.1:4222/b?prefix=%zz":        "malformed",
		"nats://127.0.0.1:4222/b?max_age=10ms":      "second",
	})
}
