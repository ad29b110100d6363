package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	scsmem "github.com/alexedwards/scs/v2/memstore"
	"github.com/boj/redistore"
	"github.com/gorilla/sessions"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
	"github.com/sesh-go/sesh/memstore"
	"github.com/sesh-go/sesh/pgstore"
	"github.com/sesh-go/sesh/redisstore"
	"github.com/sesh-go/sesh/storetest"
)

// The request shapes. Every library gets the same ones:
//
//	read   an existing session; read one integer and write it out
//	write  an existing session; increment the integer (a store write)
//	new    no cookie; set the integer (a new session and a Set-Cookie)
//
// and the floor is the bare handler with no session at all.
var scenarios = []string{"read", "write", "new"}

// sessionsPerBench is how many sessions the read and write benchmarks
// spread over: one per parallel worker, so that a write never races
// another worker's write of the same session (which would measure lock or
// conflict handling, not the session layer).
const sessionsPerBench = 64

// lib is one library set up on one backend.
type lib struct {
	handler func(scenario string) http.Handler
	cookie  string       // cookie name
	seed    http.Handler // creates a session; nil means handler("write")
	close   func()
}

func floorHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "0")
	})
}

// --- sesh ---

func seshLib(b *testing.B, store sesh.Store, sealer *cookie.Sealer) lib {
	m, err := sesh.New(sesh.Config{Store: store, Sealer: sealer})
	if err != nil {
		b.Fatal(err)
	}
	return lib{cookie: "session", handler: func(sc string) http.Handler {
		return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := sesh.From(r.Context())
			n, _ := sesh.Get[int](s, "count")
			if sc != "read" {
				n++
				if err := s.Set("count", n); err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
			}
			io.WriteString(w, strconv.Itoa(n))
		}))
	}}
}

// --- scs ---

func scsLib(store scs.Store) lib {
	sm := scs.New()
	sm.Store = store
	return lib{cookie: sm.Cookie.Name, handler: func(sc string) http.Handler {
		return sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := sm.GetInt(r.Context(), "count")
			if sc != "read" {
				n++
				sm.Put(r.Context(), "count", n)
			}
			io.WriteString(w, strconv.Itoa(n))
		}))
	}}
}

// --- gorilla ---

func gorillaLib(store sessions.Store) lib {
	return lib{cookie: "session", handler: func(sc string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := store.Get(r, "session")
			if err != nil && !s.IsNew {
				http.Error(w, err.Error(), 500)
				return
			}
			n, _ := s.Values["count"].(int)
			if sc != "read" {
				n++
				s.Values["count"] = n
				if err := s.Save(r, w); err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
			}
			io.WriteString(w, strconv.Itoa(n))
		})
	}}
}

// Keys for the cookie backends: fixed, so every run seals the same way.
var (
	sealKey     = []byte("0123456789abcdef0123456789abcdeX")
	gorillaHash = []byte("hash-key-hash-key-hash-key-hash-key-hash-key-hash-key-hash-key-0")
	gorillaBlk  = []byte("block-key-32-bytes-block-key-32!")
)

func gorillaCookieStore() *sessions.CookieStore {
	s := sessions.NewCookieStore(gorillaHash, gorillaBlk)
	s.Options.HttpOnly = true
	s.Options.SameSite = http.SameSiteLaxMode
	return s
}

// --- backends ---

type backend struct {
	name string
	libs map[string]func(b *testing.B) lib // by library name
}

func backends() []backend {
	return []backend{
		{"memory", map[string]func(b *testing.B) lib{
			"sesh": func(b *testing.B) lib {
				st := memstore.New(memstore.Options{})
				l := seshLib(b, st, nil)
				l.close = func() { st.Close() }
				return l
			},
			"scs": func(b *testing.B) lib { return scsLib(scsmem.New()) },
		}},
		{"cookie", map[string]func(b *testing.B) lib{
			"sesh": func(b *testing.B) lib {
				s, err := cookie.NewSealer(cookie.Key{ID: "k1", Secret: sealKey})
				if err != nil {
					b.Fatal(err)
				}
				return seshLib(b, nil, s)
			},
			"gorilla": func(b *testing.B) lib { return gorillaLib(gorillaCookieStore()) },
		}},
		{"redis", map[string]func(b *testing.B) lib{
			"sesh": func(b *testing.B) lib {
				c := redisClient(b)
				st, err := redisstore.New(c, redisstore.Options{Prefix: "bench:sesh:"})
				if err != nil {
					b.Fatal(err)
				}
				l := seshLib(b, st, nil)
				l.close = func() { st.Clear(context.Background()); c.Close() }
				return l
			},
			"scs": func(b *testing.B) lib {
				c := redisClient(b)
				l := scsLib(goredisstore.NewWithPrefix(c, "bench:scs:"))
				l.close = func() { unlinkPrefix(c, "bench:scs:"); c.Close() }
				return l
			},
			"gorilla": func(b *testing.B) lib {
				st, err := redistore.NewRediStoreWithURL(16, redisURL(b), gorillaHash)
				if err != nil {
					b.Fatal(err)
				}
				st.SetKeyPrefix("bench:gorilla:")
				l := gorillaLib(st)
				l.close = func() {
					st.Close()
					c := redisClient(b)
					unlinkPrefix(c, "bench:gorilla:")
					c.Close()
				}
				return l
			},
			"raw": func(b *testing.B) lib { return rawRedisLib(b) },
		}},
		{"postgres", map[string]func(b *testing.B) lib{
			"sesh": func(b *testing.B) lib {
				p := pgPool(b)
				st, err := pgstore.New(p, pgstore.Options{Table: "bench_sesh_sessions"})
				if err != nil {
					b.Fatal(err)
				}
				if err := st.CreateTable(context.Background()); err != nil {
					b.Fatal(err)
				}
				st.Clear(context.Background())
				l := seshLib(b, st, nil)
				l.close = func() { st.Clear(context.Background()); st.Close(); p.Close() }
				return l
			},
			"scs": func(b *testing.B) lib {
				p := pgPool(b)
				ctx := context.Background()
				for _, q := range []string{
					`CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL)`,
					`CREATE INDEX IF NOT EXISTS sessions_expiry_idx ON sessions (expiry)`,
					`TRUNCATE sessions`,
				} {
					if _, err := p.Exec(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
				st := pgxstore.NewWithCleanupInterval(p, 0)
				l := scsLib(st)
				l.close = func() { p.Exec(ctx, `DROP TABLE IF EXISTS sessions`); p.Close() }
				return l
			},
			"raw": func(b *testing.B) lib { return rawPostgresLib(b) },
		}},
	}
}

// redisURL is the benchmarks' Redis: SESH_REDIS_URL, or the local default
// when it answers; otherwise the benchmark skips (fails under
// SESH_REQUIRE_SERVICES=1).
func redisURL(b *testing.B) string { return storetest.Service(b, "SESH_REDIS_URL") }

func redisClient(b *testing.B) *redis.Client {
	o, err := redis.ParseURL(redisURL(b))
	if err != nil {
		b.Fatal(err)
	}
	o.ContextTimeoutEnabled = true
	return redis.NewClient(o)
}

// unlinkPrefix deletes the keys a peer left behind (scs and gorilla keep
// sessions for a day or more), so that one run does not slow the next.
func unlinkPrefix(c *redis.Client, prefix string) {
	ctx := context.Background()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 1000 {
			c.Unlink(ctx, batch...)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		c.Unlink(ctx, batch...)
	}
}

func pgPool(b *testing.B) *pgxpool.Pool {
	u := storetest.Service(b, "SESH_POSTGRES_URL") // or the local default; as redisURL
	p, err := pgxpool.New(context.Background(), u)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// cookieOf returns "name=value" of the Set-Cookie named name.
func cookieOf(h http.Header, name string) string {
	for _, l := range h.Values("Set-Cookie") {
		if strings.HasPrefix(l, name+"=") {
			if i := strings.IndexByte(l, ';'); i >= 0 {
				return l[:i]
			}
			return l
		}
	}
	return ""
}

// seed creates n sessions through the write handler and returns their
// Cookie headers.
func seed(b *testing.B, h http.Handler, name string, n int) []string {
	out := make([]string, n)
	for i := range out {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		c := cookieOf(w.Header(), name)
		if w.Code != 200 || c == "" {
			b.Fatalf("seeding: status %d, no %s cookie (%q)", w.Code, name, w.Header())
		}
		out[i] = c
	}
	return out
}

// serve runs h in parallel; cookies, if given, are spread one per worker.
// Each response is checked, so a broken setup cannot report a fast time.
func serve(b *testing.B, h http.Handler, cookies []string, wantCookie string) {
	var worker atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var hdr string
		if len(cookies) > 0 {
			hdr = cookies[int(worker.Add(1)-1)%len(cookies)]
		}
		for pb.Next() {
			// A fresh request each time: gorilla caches sessions in the
			// request, and a real server never reuses one.
			r := httptest.NewRequest("GET", "/", nil)
			if hdr != "" {
				r.Header.Set("Cookie", hdr)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				panic(fmt.Sprintf("status %d: %s", w.Code, w.Body))
			}
			if wantCookie != "" && cookieOf(w.Header(), wantCookie) == "" {
				panic("no session cookie on a new-session response")
			}
		}
	})
}

// BenchmarkSession runs every scenario for every library on every
// backend: BenchmarkSession/<backend>/<scenario>/<library>, and the floor
// as BenchmarkSession/floor.
func BenchmarkSession(b *testing.B) {
	b.Run("floor", func(b *testing.B) { serve(b, floorHandler(), nil, "") })
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			for _, sc := range scenarios {
				b.Run(sc, func(b *testing.B) {
					for _, name := range []string{"sesh", "scs", "gorilla", "raw"} {
						mk, ok := be.libs[name]
						if !ok || (name == "raw" && sc == "new") {
							continue
						}
						b.Run(name, func(b *testing.B) {
							l := mk(b)
							if l.close != nil {
								defer l.close()
							}
							h := l.handler(sc)
							switch sc {
							case "new":
								serve(b, h, nil, l.cookie)
							default:
								seeder := l.seed
								if seeder == nil {
									seeder = l.handler("write")
								}
								cookies := seed(b, seeder, l.cookie, sessionsPerBench)
								serve(b, h, cookies, "")
							}
						})
					}
				})
			}
		})
	}
}
