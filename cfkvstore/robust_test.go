package cfkvstore

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// nativeCorruptions are pairs under a native store's key that it did not
// write: JSON, and an envelope whose header lies about the user's length.
// Like any pair another writer leaves, they carry a KV expiration but not
// the store's metadata (Len counts by that metadata; see Len).
var nativeCorruptions = map[string]storetest.CorruptFunc{
	"not-an-envelope": plant(func() []byte { return []byte(`{"cookie":{},"user":"alice"}`) }),
	"short-user": plant(func() []byte {
		return []byte("7:" + strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10) + ":99:" + storetest.CorruptUser)
	}),
}

// plant PUTs value under key's KV key, bypassing the store.
func plant(value func() []byte) storetest.CorruptFunc {
	return func(t *testing.T, st sesh.Store, key string) {
		t.Helper()
		s := st.(*Store)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		u := s.valueURL(key) + "?expiration=" + strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, bytes.NewReader(value()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", s.auth)
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("plant: HTTP %d", resp.StatusCode)
		}
	}
}

// TestErrorsHoldNoKey: a transport failure (net/http's error quotes the
// request's URL, which holds the key) and an API answer that quotes the
// request's path both reach the caller without the key. In Remix's layout
// the key is the raw session ID.
func TestErrorsHoldNoKey(t *testing.T) {
	key := "7f3a9c2e5b1d4f6a" // a Remix ID
	ctx := t.Context()
	rec := sesh.Record{Data: []byte(`{"a":1}`), Expires: time.Now().Add(time.Hour)}
	check := func(t *testing.T, s sesh.Store) {
		t.Helper()
		_, getErr := s.Get(ctx, key)
		for op, err := range map[string]error{"Get": getErr, "Set": s.Set(ctx, key, rec), "Delete": s.Delete(ctx, key)} {
			if err == nil {
				t.Errorf("%s succeeded", op)
			} else if strings.Contains(err.Error(), key) {
				t.Errorf("%s: the error holds the key: %v", op, err)
			}
		}
	}
	t.Run("Transport", func(t *testing.T) {
		s, err := NewRemix(Options{AccountID: testAccount, NamespaceID: testNamespace, APIToken: testToken,
			BaseURL: "http://127.0.0.1:1/client/v4", Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		check(t, s)
	})
	t.Run("APIQuotesPath", func(t *testing.T) {
		e := testEngine(t)
		o := e.options()
		o.BaseURL += "/misrouted" // the test Worker answers "Could not route to <path>", as Cloudflare does
		s, err := NewRemix(o)
		if err != nil {
			t.Fatal(err)
		}
		check(t, s)
	})
}
