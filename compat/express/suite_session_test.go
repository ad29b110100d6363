package express_test

import (
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/express/expresstest"
	"github.com/sesh-go/sesh/memstore"
)

// memStore is the ported suite's store here: memstore, as express's own
// suite runs on its MemoryStore. redisstore/connectredis runs the suite on
// Redis in connect-redis's layout.
var memStore = expresstest.SuiteOptions{NewStore: func(t *testing.T, now func() time.Time) sesh.Store {
	st := memstore.New(memstore.Options{Now: now})
	t.Cleanup(func() { st.Close() })
	return st
}}

// TestExpressSession is express-session 1.19.0's test/session.js, ported
// case by case (docs/express-session-parity.md).
func TestExpressSession(t *testing.T) { expresstest.Session(t, memStore) }
