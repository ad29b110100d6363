package connectredis

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sesh-go/sesh/compat/express/expresstest"
	"github.com/sesh-go/sesh/internal/nodepeer"
	"github.com/sesh-go/sesh/storetest"
)

// TestExpressPeer shares live sessions with a real Express app
// (express 5, express-session 1.19, connect-redis 9 from the committed
// lockfile in testdata/node) on one Redis, both ways.
func TestExpressPeer(t *testing.T) {
	c := client(t)
	p := prefix()
	st := newStore(t, c, p)
	nodeURL := nodepeer.Start(t, filepath.Join("testdata", "node"), "server.js",
		"REDIS_URL="+storetest.Service(t, "SESH_REDIS_URL"), "PREFIX="+p, "SECRET="+expresstest.Secrets)
	expresstest.Run(t, nodeURL, st)
}

// TestExpressPeerDisableTTL: connect-redis with disableTTL: true writes
// records without a TTL; a sesh server reads them, puts its idle deadline on
// them, and Node keeps reading Go's writes.
func TestExpressPeerDisableTTL(t *testing.T) {
	c := client(t)
	p := prefix()
	st := newStore(t, c, p)
	nodeURL := nodepeer.Start(t, filepath.Join("testdata", "node"), "server.js",
		"REDIS_URL="+storetest.Service(t, "SESH_REDIS_URL"), "PREFIX="+p, "SECRET="+expresstest.Secrets, "DISABLE_TTL=1")
	expresstest.RunNoTTL(t, nodeURL, st, func(id string) time.Duration {
		d, err := c.TTL(t.Context(), p+id).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}
