package connectredis

import (
	"context"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/express/expresstest"
)

// suiteStore runs the ported express-session suite on Redis in
// connect-redis's layout: what it checks in the store (the record's
// cookie object, expiry, reserved properties) is what a Node app reads.
func suiteStore(t *testing.T) expresstest.SuiteOptions {
	c := client(t)
	return expresstest.SuiteOptions{NewStore: func(t *testing.T, now func() time.Time) sesh.Store {
		st, err := New(c, Options{Prefix: prefix(), Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Clear(context.Background()) })
		return st
	}}
}

// TestExpressSession is express-session 1.19.0's test/session.js, ported
// (docs/express-session-parity.md), on connect-redis's layout.
func TestExpressSession(t *testing.T) { expresstest.Session(t, suiteStore(t)) }

// TestExpressCookie is express-session 1.19.0's test/cookie.js, ported, on
// connect-redis's layout.
func TestExpressCookie(t *testing.T) { expresstest.Cookie(t, suiteStore(t)) }
