package bench

import (
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/sesh-go/sesh"
)

// Options of the root package and what they cost on an uncontended
// session (requests one after another, so no compare-and-set is lost).
//
//	BenchmarkUpdate/<backend>/set      the write shape: Get, then Set(n+1)
//	BenchmarkUpdate/<backend>/update   the same change through sesh.Update
//	BenchmarkSerialize/<backend>/<scenario>/off|on
//	                                   the read and write shapes without and
//	                                   with Config.Serialize (a lock taken
//	                                   and released around each request)
//
// A benchmark of the observability hooks' no-op overhead belongs here too
// (BenchmarkHooks/<backend>/<scenario>/off|on, say); the report's "Option
// costs" table takes any such pair (see optionTables in report/main.go).

var optionBackends = []string{"memory", "redis"}

func optionLib(b *testing.B, backend string, cfg sesh.Config) lib {
	if backend == "redis" {
		return redisSesh(b, cfg, "bench:opt:")
	}
	return memorySesh(b, cfg)
}

// updateHandler is the write shape through sesh.Update.
func updateHandler(m *sesh.Manager) http.Handler {
	return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := sesh.Update(sesh.From(r.Context()), "count", func(old int, _ bool) (int, error) { return old + 1, nil })
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		io.WriteString(w, strconv.Itoa(n))
	}))
}

func BenchmarkUpdate(b *testing.B) {
	for _, be := range optionBackends {
		b.Run(be, func(b *testing.B) {
			b.Run("set", func(b *testing.B) { runShape(b, optionLib(b, be, sesh.Config{}), "write", 1) })
			b.Run("update", func(b *testing.B) {
				l := optionLib(b, be, sesh.Config{})
				seeder := l.handler("write")
				l.handler = func(string) http.Handler { return updateHandler(l.manager) }
				l.seed = seeder
				runShape(b, l, "write", 1)
			})
		})
	}
}

func BenchmarkSerialize(b *testing.B) {
	for _, be := range optionBackends {
		b.Run(be, func(b *testing.B) {
			for _, sc := range []string{"read", "write"} {
				b.Run(sc, func(b *testing.B) {
					b.Run("off", func(b *testing.B) { runShape(b, optionLib(b, be, sesh.Config{}), sc, 1) })
					b.Run("on", func(b *testing.B) { runShape(b, optionLib(b, be, sesh.Config{Serialize: true}), sc, 1) })
				})
			}
		})
	}
}
