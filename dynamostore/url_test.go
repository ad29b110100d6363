package dynamostore

import (
	"io"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// sdkEnv gives the SDK's default chain dummy credentials and no config
// files, as a developer's machine pointed at dynalite would.
func sdkEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "sesh")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "sesh-test-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestOpenURL(t *testing.T) {
	e := endpoint(t)
	newNative(t) // the tables exist
	newArc(t)
	sdkEnv(t)
	prefix := uniquePrefix()
	raw := "dynamodb://" + nativeTable + "?region=us-east-1&endpoint=" + url.QueryEscape(e) + "&prefix=" + url.QueryEscape(prefix)
	st, err := sesh.Open(t.Context(), raw)
	if err != nil {
		t.Fatalf("Open(%s): %v", raw, err)
	}
	defer st.(io.Closer).Close()
	s := st.(*Store)
	clearOnCleanup(t, s)
	if s.prefix != prefix || s.table != nativeTable || s.arc || s.close == nil {
		t.Fatalf("opened %+v", s)
	}
	if err := st.Set(t.Context(), "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if item := rawItem(t, s, "k"); item == nil {
		t.Fatal("the store opened by URL wrote elsewhere")
	}

	// The Arc layout, with the names spelled out, in the region of the
	// environment.
	t.Setenv("AWS_REGION", "us-east-1")
	raw = "dynamodb://" + arcTable + "?layout=arc&idx=_idx&ttl=_ttl&index=user&endpoint=" + url.QueryEscape(e) + "&prefix=" + url.QueryEscape(prefix)
	st2, err := sesh.Open(t.Context(), raw)
	if err != nil {
		t.Fatalf("Open(%s): %v", raw, err)
	}
	defer st2.(io.Closer).Close()
	a, ok := st2.(*ArcStore)
	if !ok {
		t.Fatalf("layout=arc opened a %T, want *ArcStore (a sesh.Creator)", st2)
	}
	clearOnCleanup(t, a.Store)
	id, err := a.Create(t.Context(), sesh.Record{Data: []byte(`{"a":1}`), Expires: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := a.Get(t.Context(), id); err != nil || string(rec.Data) != `{"a":1}` {
		t.Fatalf("Get = %q, %v", rec.Data, err)
	}
}

func TestOpenURLErrors(t *testing.T) {
	e := url.QueryEscape(endpoint(t))
	newNative(t)
	sdkEnv(t)
	base := "dynamodb://" + nativeTable + "?region=us-east-1&endpoint=" + e
	storetest.OpenErrors(t, map[string]string{
		"dynamodb://" + nativeTable + "?region=us-east-1&endpoint=http://127.0.0.1:1": "connection refused", // nothing listens
		"dynamodb://no_such_table?region=us-east-1&endpoint=" + e:                     "ResourceNotFoundException",
		base + "&layout=arc":        `"_idx"`, // the table's key is id
		base + "&bogus=1":           "bogus",
		base + "&layout=zip":        "layout",
		base + "&prefix=a&prefix=b": "prefix",
		base + "&prefix=":           "prefix",
		base + "&prefix=a%20b":      "prefix",
		base + "&ttl=id":            "key and TTL",
		base + "&idx=d":             "own attributes",
		base + "&index=x":           "index name",
		"dynamodb://" + nativeTable + "?region=us-east-1&endpoint=ftp://x": "endpoint",
		"dynamodb://ab?region=us-east-1":                                   "table name",
		"dynamodb://" + nativeTable + ":8000?region=us-east-1":             "want dynamodb://",
		"dynamodb://" + nativeTable + "/more?region=us-east-1":             "want dynamodb://",
		"dynamodb://user@" + nativeTable + "?region=us-east-1":             "want dynamodb://",
		"dynamodb://" + nativeTable + "?endpoint=" + e:                     "no region",
	})
}
