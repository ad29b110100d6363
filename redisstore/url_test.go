package redisstore

import (
	"io"
	"net/url"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

func TestOpenURL(t *testing.T) {
	c := client(t) // skips without SESH_REDIS_URL
	u, _ := url.Parse(storetest.Service(t, "SESH_REDIS_URL"))
	q := u.Query()
	q.Set("prefix", uniquePrefix(t))
	u.RawQuery = q.Encode()
	st, err := sesh.Open(t.Context(), u.String())
	if err != nil {
		t.Fatalf("Open(%s): %v", u.Redacted(), err)
	}
	defer st.(io.Closer).Close()
	rs := st.(*Store)
	if rs.prefix != q.Get("prefix") || !rs.owns {
		t.Fatalf("prefix %q owns %v", rs.prefix, rs.owns)
	}
	if err := st.Set(t.Context(), "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Exists(t.Context(), rs.sessionKey("k")).Result(); n != 1 {
		t.Fatal("the store opened by URL wrote elsewhere")
	}
	rs.Clear(t.Context())
}

func TestOpenURLErrors(t *testing.T) {
	storetest.OpenErrors(t, map[string]string{
		"redis://127.0.0.1:1/0":                      "127.0.0.1:1", // nothing listens: the error names the server
		"redis://127.0.0.1:6379/0?bogus=1":           "bogus",       // go-redis rejects unknown options
		"redis://127.0.0.1:6379/0?prefix=a*":         "prefix",      // a SCAN pattern character
		"redis://127.0.0.1:6379/0?prefix=a&prefix=b": "prefix",      // given twice
		"redis+sentinel://127.0.0.1:26379":           "master",      // no master name
		"redis+sentinel://127.0.0.1:26379/m?x=1":     "unknown",     // unknown parameter
		"redis+sentinel://127.0.0.1:26379/m?db=-1":   "db",          // bad db
		"redis://127.0.0.1:6379/notanumber":          "invalid",     // bad db
		"redis://127.0.0.1:6379/0?pool_size=2000000": "pool_size",   // sized at construction: bounded
		"redis://127.0.0.1:6379/0?min_idle_conns=-1": "min_idle",    // not a count
	})
}
