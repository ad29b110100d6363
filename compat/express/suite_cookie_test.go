package express_test

import (
	"testing"

	"github.com/sesh-go/sesh/compat/express/expresstest"
)

// TestExpressCookie is express-session 1.19.0's test/cookie.js, ported
// case by case (docs/express-session-parity.md).
func TestExpressCookie(t *testing.T) { expresstest.Cookie(t, memStore) }
