package bench

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	scsmem "github.com/alexedwards/scs/v2/memstore"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memstore"
)

// Session size (memory store). Each session holds "count" (an integer) and
// "blob", a string of the given size; the shapes are
//
//	read       read blob, write its length out
//	untouched  read count only: the blob rides along unread
//	write      set blob to a new string of the same size (a store write)
//
// BenchmarkPayload/<size>/<shape>/<library>.
var payloadSizes = []struct {
	name  string
	n     int
	scale float64 // of the callgrind window's minimum
}{{"100B", 100, 1}, {"2KB", 2048, 1}, {"32KB", 32768, 0.25}}

var payloadShapes = []string{"read", "untouched", "write"}

// payloads returns two different ASCII strings of n bytes (JSON needs no
// escapes for them, gob none either).
func payloads(n int) [2]string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	s := strings.Repeat(alphabet, n/len(alphabet)+1)[:n]
	return [2]string{s, "X" + s[1:]}
}

func payloadSesh(b *testing.B, size int) lib {
	st := memstore.New(memstore.Options{})
	m := seshManager(b, sesh.Config{Store: st})
	p := payloads(size)
	var i int
	return lib{cookie: m.Name(), close: func() { st.Close() },
		seed: m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := sesh.From(r.Context())
			if err := s.Set("count", 1); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			if err := s.Set("blob", p[0]); err != nil {
				http.Error(w, err.Error(), 500)
			}
		})),
		handler: func(shape string) http.Handler {
			return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := sesh.From(r.Context())
				switch shape {
				case "read":
					v, _ := sesh.Get[string](s, "blob")
					io.WriteString(w, strconv.Itoa(len(v)))
				case "untouched":
					n, _ := sesh.Get[int](s, "count")
					io.WriteString(w, strconv.Itoa(n))
				case "write":
					i++
					if err := s.Set("blob", p[i%2]); err != nil {
						http.Error(w, err.Error(), 500)
						return
					}
					io.WriteString(w, "1")
				}
			}))
		}}
}

func payloadSCS(size int) lib {
	sm := scs.New()
	sm.Store = scsmem.New()
	p := payloads(size)
	var i int
	return lib{cookie: sm.Cookie.Name,
		seed: sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sm.Put(r.Context(), "count", 1)
			sm.Put(r.Context(), "blob", p[0])
		})),
		handler: func(shape string) http.Handler {
			return sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx := r.Context()
				switch shape {
				case "read":
					io.WriteString(w, strconv.Itoa(len(sm.GetString(ctx, "blob"))))
				case "untouched":
					io.WriteString(w, strconv.Itoa(sm.GetInt(ctx, "count")))
				case "write":
					i++
					sm.Put(ctx, "blob", p[i%2])
					io.WriteString(w, "1")
				}
			}))
		}}
}

func BenchmarkPayload(b *testing.B) {
	for _, size := range payloadSizes {
		b.Run(size.name, func(b *testing.B) {
			for _, shape := range payloadShapes {
				b.Run(shape, func(b *testing.B) {
					b.Run("sesh", func(b *testing.B) { runShape(b, payloadSesh(b, size.n), shape, size.scale) })
					b.Run("scs", func(b *testing.B) { runShape(b, payloadSCS(size.n), shape, size.scale) })
				})
			}
		})
	}
}
