package connectpg

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesh-go/sesh/compat/express/expresstest"
	"github.com/sesh-go/sesh/internal/nodepeer"
	"github.com/sesh-go/sesh/storetest"
)

// TestExpressPeer shares live sessions with a real Express app
// (express 5, express-session 1.19, connect-pg-simple 10 from the committed
// lockfile in testdata/node) in one PostgreSQL table, both ways.
func TestExpressPeer(t *testing.T) {
	p := pool(t)
	st := newStore(t, p)
	table := strings.Trim(st.Table(), `"`)
	nodeURL := nodepeer.Start(t, filepath.Join("testdata", "node"), "server.js",
		"DATABASE_URL="+storetest.Service(t, "SESH_POSTGRES_URL"), "TABLE="+table, "SECRET="+expresstest.Secrets)
	expresstest.Run(t, nodeURL, st)
}
