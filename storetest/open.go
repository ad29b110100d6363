package storetest

import (
	"context"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// OpenErrors checks that sesh.Open refuses each URL of cases with an error
// whose text contains the case's value (a parameter name, "malformed", the
// unreachable address), and never returns a store for it. The URL itself,
// which sesh.Open repeats in its error, is left out of the match, so a
// case cannot pass on the echo of its own query.
func OpenErrors(t *testing.T, cases map[string]string) {
	t.Helper()
	for raw, want := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		st, err := sesh.Open(ctx, raw)
		cancel()
		if err == nil {
			if c, ok := st.(io.Closer); ok {
				c.Close()
			}
			t.Errorf("Open(%q) succeeded", raw)
			continue
		}
		msg := err.Error()
		if u, perr := url.Parse(raw); perr == nil {
			msg = strings.ReplaceAll(msg, u.Redacted(), "<url>")
		}
		msg = strings.ReplaceAll(msg, raw, "<url>")
		if !strings.Contains(msg, want) {
			t.Errorf("Open(%q) = %v, want an error mentioning %q", raw, err, want)
		}
	}
}
