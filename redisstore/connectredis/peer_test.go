package connectredis

import (
	"path/filepath"
	"testing"

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
