package storetest

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// OpenErrors checks that sesh.Open refuses each URL of cases with an error
// whose text contains the case's value (a parameter name, "malformed", the
// unreachable address), and never returns a store for it.
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
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want an error mentioning %q", raw, err, want)
		}
	}
}
