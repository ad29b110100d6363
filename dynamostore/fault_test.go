package dynamostore

import (
	"testing"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// TestFaults cuts and slows the connection to the engine through a TCP
// proxy (storetest.Faults): every call must fail within a small multiple of
// its deadline although the SDK retries with backoff, the store must
// recover, and nothing may be left running after the client is closed.
func TestFaults(t *testing.T) {
	target := hostPort(t, endpoint(t))
	for name, arc := range map[string]bool{"Native": false, "Arc": true} {
		t.Run(name, func(t *testing.T) {
			// The table exists before Faults counts goroutines.
			if arc {
				newArc(t)
			} else {
				newNative(t)
			}
			storetest.Faults(t, target, func(t *testing.T, addr string) (sesh.Store, func()) {
				c, closeConns := newClient("http://" + addr)
				opts := Options{Table: nativeTable, Prefix: uniquePrefix()}
				var st *Store
				if arc {
					opts.Table = arcTable
					a, err := NewArc(c, opts)
					if err != nil {
						t.Fatal(err)
					}
					st = a.Store
				} else {
					s, err := New(c, opts)
					if err != nil {
						t.Fatal(err)
					}
					st = s
				}
				return st, closeConns
			})
		})
	}
}
