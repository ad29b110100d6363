package connectpg

import (
	"context"
	"io"
	"net/url"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// TestOpenURL: connectpg:// opens a store on connect-pg-simple's table in
// the database of SESH_POSTGRES_URL, and Close closes its pool.
func TestOpenURL(t *testing.T) {
	p := pool(t)
	made := newStore(t, p) // creates a fresh table
	name := made.Table()[1 : len(made.Table())-1]
	u, err := url.Parse(storetest.Service(t, "SESH_POSTGRES_URL"))
	if err != nil {
		t.Fatal(err)
	}
	u.Scheme = "connectpg"
	q := u.Query()
	q.Set("table", name)
	q.Set("schema", "public")
	u.RawQuery = q.Encode()
	ctx := t.Context()
	st, err := sesh.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Set(ctx, "abc", sesh.Record{Data: []byte(`{"n":1}`), Expires: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if rec, err := made.Get(ctx, "abc"); err != nil || string(rec.Data) != `{"n":1}` {
		t.Fatalf("row written through the URL's store: %q, %v", rec.Data, err)
	}
	if _, ok := st.(sesh.Purger); !ok {
		t.Fatalf("%T lost Purge", st)
	}
	if err := st.(sesh.Pinger).Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.(io.Closer).Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.(sesh.Pinger).Ping(context.Background()); err == nil {
		t.Fatal("Ping after Close succeeded: the pool is still open")
	}
}

func TestOpenURLErrors(t *testing.T) {
	storetest.OpenErrors(t, map[string]string{
		"connectpg://postgres@127.0.0.1:5432/test?table=":            "table",
		"connectpg://postgres@127.0.0.1:5432/test?schema=a&schema=b": "schema",
		"connectpg://postgres@127.0.0.1:5432/test?x=%zz":             "malformed",
		"connectpg://postgres@127.0.0.1:1/test":                      "127.0.0.1",
	})
}
