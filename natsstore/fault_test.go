package natsstore

import (
	"net/url"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// TestFaults cuts and slows the connection to the real server through a
// proxy (storetest.Faults). The store is opened by URL, so that it owns its
// connection (no reconnect buffer, endless reconnects) and Close must leave
// no goroutine behind.
func TestFaults(t *testing.T) {
	js := jetStream(t)
	bucket := testBucket(t, js, 2*time.Hour) // Faults writes records that expire in an hour
	target, user := serverAddr(t)
	storetest.Faults(t, target, func(t *testing.T, addr string) (sesh.Store, func()) {
		u := url.URL{Scheme: "nats", User: user, Host: addr, Path: "/" + bucket, RawQuery: "prefix=" + uniquePrefix()}
		st, err := sesh.Open(t.Context(), u.String())
		if err != nil {
			t.Fatalf("Open(%s): %v", u.Redacted(), err)
		}
		return st, func() { st.(*Store).Close() }
	})
}
