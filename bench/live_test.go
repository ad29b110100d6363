package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	scsmem "github.com/alexedwards/scs/v2/memstore"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memstore"
)

// A new in-memory session while the store already holds many live ones:
// the collector then marks every live session on each cycle, so its share
// of a request grows with what a session keeps on the heap.
//
//	BenchmarkLive/<count>/<library>  new-session requests on a store that
//	                                 holds count sessions
//	BenchmarkHeap/<count>/<library>  heap bytes per live session: count
//	                                 sessions made through the handler,
//	                                 runtime.MemStats.HeapAlloc after
//	                                 collecting (native runs, -benchtime 1x)
//
// count is the number of live sessions when the measurement starts; each
// request adds one. Under callgrind, instructions per request are the
// requests' own plus one collection's divided by the requests in a
// collection period (see measureLive).
var liveCounts = []struct {
	name string
	n    int
}{{"1e3", 1_000}, {"1e6", 1_000_000}}

// liveLib is a library whose store can be filled without the handler:
// BenchmarkLive fills 10^6 sessions that way (through the handler, under
// callgrind, it would take most of the run). fill copies a session the
// handler made, under n new keys of the same length.
type liveLib struct {
	lib
	fill func(n int)
}

// liveKey returns the i-th made-up key: 43 characters, as the keys of
// both libraries (sesh's SHA-256 store key, scs's token).
func liveKey(i int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var k [43]byte
	for j := range k {
		k[j] = 'k'
	}
	for j := 42; i > 0; j-- {
		k[j] = alphabet[i%64]
		i /= 64
	}
	return string(k[:])
}

// newSession serves one new-session request through h and checks that it
// set the cookie named name.
func newSession(h http.Handler, name string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 200 || cookieOf(w.Header(), name) == "" {
		panic(fmt.Sprintf("new session: status %d, no %s cookie", w.Code, name))
	}
}

func liveSesh(b *testing.B) liveLib {
	st := memstore.New(memstore.Options{})
	l := seshLib(b, sesh.Config{Store: st})
	l.close = func() { st.Close() }
	return liveLib{lib: l, fill: func(n int) {
		ctx := context.Background()
		newSession(l.handler("new"), l.cookie)
		var tmpl sesh.Record
		st.Range(ctx, func(_ string, rec sesh.Record) bool { tmpl = rec; return false })
		for i := range n {
			rec := tmpl
			rec.Expires = tmpl.Expires.Add(time.Duration(i) * time.Microsecond)
			if err := st.Set(ctx, liveKey(i), rec); err != nil {
				b.Fatal(err)
			}
		}
	}}
}

func liveSCS() liveLib {
	st := scsmem.NewWithCleanupInterval(time.Minute)
	sm := scs.New()
	sm.Store = st
	l := scsLib(st)
	l.close = func() { st.StopCleanup() }
	return liveLib{lib: l, fill: func(n int) {
		newSession(l.handler("new"), l.cookie)
		all, _ := st.All()
		var tmpl []byte
		for _, v := range all {
			tmpl = v
		}
		exp := time.Now().Add(sm.Lifetime)
		for i := range n {
			// scs keeps the slice its codec returned: same length and
			// capacity here.
			d := append(make([]byte, 0, cap(tmpl)), tmpl...)
			st.Commit(liveKey(i), d, exp.Add(time.Duration(i)*time.Microsecond))
		}
	}}
}

var liveLibs = []struct {
	name string
	mk   func(b *testing.B) liveLib
}{{"sesh", liveSesh}, {"scs", func(*testing.B) liveLib { return liveSCS() }}}

// liveCache keeps one filled store across the calls the testing package
// makes to one benchmark (b.N = 1, then more), so 10^6 sessions are
// filled once per benchmark.
var liveCache struct {
	name string
	l    liveLib
}

func BenchmarkLive(b *testing.B) {
	for _, c := range liveCounts {
		b.Run(c.name, func(b *testing.B) {
			for _, ll := range liveLibs {
				b.Run(ll.name, func(b *testing.B) {
					if liveCache.name != b.Name() {
						if liveCache.l.close != nil {
							liveCache.l.close()
						}
						liveCache.name, liveCache.l = "", liveLib{}
						runtime.GC()
						l := ll.mk(b)
						l.fill(c.n)
						liveCache.name, liveCache.l = b.Name(), l
					}
					l := liveCache.l
					h := l.handler("new")
					measureLive(b, 0.5, func(int) { newSession(h, l.cookie) })
				})
			}
		})
	}
	dropLiveCache()
}

// dropLiveCache frees the last filled store, so that the benchmarks after
// BenchmarkLive do not run with its heap.
func dropLiveCache() {
	if liveCache.l.close != nil {
		liveCache.l.close()
	}
	liveCache.name, liveCache.l = "", liveLib{}
	runtime.GC()
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func BenchmarkHeap(b *testing.B) {
	if underCallgrind() {
		b.Skip("heap sizes are measured natively")
	}
	dropLiveCache()
	for _, c := range liveCounts {
		b.Run(c.name, func(b *testing.B) {
			for _, ll := range liveLibs {
				b.Run(ll.name, func(b *testing.B) {
					// Through the handler: what a live session costs.
					l := ll.mk(b)
					h := l.handler("new")
					before := heapAlloc()
					for range c.n {
						newSession(h, l.cookie)
					}
					perSession := float64(int64(heapAlloc())-int64(before)) / float64(c.n)
					runtime.KeepAlive(h)
					l.close()
					h, l = nil, liveLib{}
					// Filled as BenchmarkLive fills it: the same, if the
					// copy is faithful.
					l = ll.mk(b)
					before = heapAlloc()
					l.fill(c.n)
					perFilled := float64(int64(heapAlloc())-int64(before)) / float64(c.n)
					l.close()
					runtime.KeepAlive(l)
					b.ReportMetric(perSession, "B/session")
					b.ReportMetric(perFilled, "B/filled-session")
					b.ReportMetric(0, "ns/op")
				})
			}
		})
	}
}
