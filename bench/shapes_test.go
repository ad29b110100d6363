package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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
// and the floor is the bare handler with no session at all. Requests are
// served one after another (the benchmarks run with GOMAXPROCS=1).
var scenarios = []string{"read", "write", "new"}

// sessionsPerBench is how many sessions the read and write benchmarks
// take turns on, request after request: the cost of an ID that depends on
// its characters (validation, decoding) is then an average, not the luck
// of one random ID.
const sessionsPerBench = 64

// lib is one library set up on one backend.
type lib struct {
	handler func(scenario string) http.Handler
	cookie  string       // cookie name
	seed    http.Handler // creates a session; nil means handler("write")
	close   func()
	probe   *probe        // counts the backend's commands (native runs); may be nil
	manager *sesh.Manager // sesh's libraries only
}

func floorHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "0")
	})
}

// --- sesh ---

func seshManager(b *testing.B, cfg sesh.Config) *sesh.Manager {
	m, err := sesh.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// seshCounter is the handler of the three shapes on a sesh Manager.
func seshCounter(m *sesh.Manager, sc string) http.Handler {
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
}

func seshLib(b *testing.B, cfg sesh.Config) lib {
	m := seshManager(b, cfg)
	return lib{cookie: m.Name(), manager: m, handler: func(sc string) http.Handler { return seshCounter(m, sc) }}
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

func seshSealer(b *testing.B) *cookie.Sealer {
	s, err := cookie.NewSealer(cookie.Key{ID: "k1", Secret: sealKey})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// --- backends ---

type backend struct {
	name string
	libs map[string]func(b *testing.B) lib // by library name
}

// libOrder is the order of the libraries in every table.
var libOrder = []string{"sesh", "scs", "gorilla", "raw", "getset", "luafloor"}

func memorySesh(b *testing.B, cfg sesh.Config) lib {
	st := memstore.New(memstore.Options{})
	cfg.Store = st
	l := seshLib(b, cfg)
	l.close = func() { st.Close() }
	return l
}

func redisSesh(b *testing.B, cfg sesh.Config, prefix string) lib {
	c, p := redisClient(b)
	st, err := redisstore.New(c, redisstore.Options{Prefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	cfg.Store = st
	l := seshLib(b, cfg)
	l.probe = p
	l.close = func() { st.Clear(context.Background()); c.Close(); p.close() }
	return l
}

func backends() []backend {
	return []backend{
		{"memory", map[string]func(b *testing.B) lib{
			"sesh": func(b *testing.B) lib { return memorySesh(b, sesh.Config{}) },
			"scs":  func(b *testing.B) lib { return scsLib(scsmem.New()) },
		}},
		{"cookie", map[string]func(b *testing.B) lib{
			"sesh":    func(b *testing.B) lib { return seshLib(b, sesh.Config{Sealer: seshSealer(b)}) },
			"gorilla": func(b *testing.B) lib { return gorillaLib(gorillaCookieStore()) },
		}},
		{"redis", map[string]func(b *testing.B) lib{
			"sesh": func(b *testing.B) lib { return redisSesh(b, sesh.Config{}, "bench:sesh:") },
			"scs": func(b *testing.B) lib {
				c, p := redisClient(b)
				l := scsLib(goredisstore.NewWithPrefix(c, "bench:scs:"))
				l.probe = p
				l.close = func() { unlinkPrefix(c, "bench:scs:"); c.Close(); p.close() }
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
					c, p := redisClient(b)
					unlinkPrefix(c, "bench:gorilla:")
					c.Close()
					p.close()
				}
				return l
			},
			"raw":      func(b *testing.B) lib { return rawRedisLib(b, writeCAS) },
			"getset":   func(b *testing.B) lib { return rawRedisLib(b, writePlain) },
			"luafloor": func(b *testing.B) lib { return rawRedisLib(b, writeLuaFloor) },
		}},
		{"postgres", map[string]func(b *testing.B) lib{
			"sesh": func(b *testing.B) lib {
				p, pr := pgPool(b)
				st, err := pgstore.New(p, pgstore.Options{Table: "bench_sesh_sessions"})
				if err != nil {
					b.Fatal(err)
				}
				if err := st.CreateTable(context.Background()); err != nil {
					b.Fatal(err)
				}
				st.Clear(context.Background())
				l := seshLib(b, sesh.Config{Store: st})
				l.probe = pr
				l.close = func() { st.Clear(context.Background()); st.Close(); p.Close() }
				return l
			},
			"scs": func(b *testing.B) lib {
				p, pr := pgPool(b)
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
				l.probe = pr
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

// redisClient returns a client and, on native runs with SESH_BENCH_EXTRA,
// a probe counting what the client sends (nil otherwise; its methods
// accept nil).
func redisClient(b *testing.B) (*redis.Client, *probe) {
	o, err := redis.ParseURL(redisURL(b))
	if err != nil {
		b.Fatal(err)
	}
	o.ContextTimeoutEnabled = true
	c := redis.NewClient(o)
	if !probing() {
		return c, nil
	}
	rc := &redisCounter{}
	c.AddHook(rc)
	return c, &probe{redis: rc, srv: redis.NewClient(o)}
}

func (p *probe) close() {
	if p != nil && p.srv != nil {
		p.srv.Close()
	}
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

func pgPool(b *testing.B) (*pgxpool.Pool, *probe) {
	u := storetest.Service(b, "SESH_POSTGRES_URL") // or the local default, as redisURL
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		b.Fatal(err)
	}
	var pr *probe
	if probing() {
		pr = &probe{pg: &pgCounter{}}
		cfg.ConnConfig.Tracer = pr.pg
	}
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return p, pr
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

// seed creates n sessions through h and returns their Cookie headers.
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

// serve measures h: request i carries cookies[i % len(cookies)] (none if
// cookies is empty). Each response is checked, so a broken setup cannot
// report a cheap request.
func serve(b *testing.B, h http.Handler, cookies []string, wantCookie string, scale float64, p *probe) {
	measure(b, scale, p, func(i int) {
		// A fresh request each time: gorilla caches sessions in the
		// request, and a real server never reuses one.
		r := httptest.NewRequest("GET", "/", nil)
		if len(cookies) > 0 {
			r.Header.Set("Cookie", cookies[i%len(cookies)])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			panic(fmt.Sprintf("status %d: %s", w.Code, w.Body))
		}
		if wantCookie != "" && cookieOf(w.Header(), wantCookie) == "" {
			panic("no session cookie on a new-session response")
		}
	})
}

// runShape sets up l and measures scenario sc on it.
func runShape(b *testing.B, l lib, sc string, scale float64) {
	if l.close != nil {
		defer l.close()
	}
	h := l.handler(sc)
	if sc == "new" {
		serve(b, h, nil, l.cookie, scale, l.probe)
		return
	}
	seeder := l.seed
	if seeder == nil {
		seeder = l.handler("write")
	}
	serve(b, h, seed(b, seeder, l.cookie, sessionsPerBench), "", scale, l.probe)
}

// BenchmarkSession runs every scenario for every library on every
// backend: BenchmarkSession/<backend>/<scenario>/<library>, and the floor
// as BenchmarkSession/floor. "getset" (Redis, write only) is a plain GET
// then SET, without compare-and-set: the baseline of the Redis server-CPU
// goal, not a library. "luafloor" (Redis, write only) is a GET then an
// EVALSHA of a script that only SETs: what any Lua compare-and-set costs
// the server at least.
func BenchmarkSession(b *testing.B) {
	b.Run("floor", func(b *testing.B) { serve(b, floorHandler(), nil, "", 1, nil) })
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			for _, sc := range scenarios {
				b.Run(sc, func(b *testing.B) {
					for _, name := range libOrder {
						mk, ok := be.libs[name]
						if !ok || ((name == "getset" || name == "luafloor") && sc != "write") {
							continue
						}
						b.Run(name, func(b *testing.B) { runShape(b, mk(b), sc, 1) })
					}
				})
			}
		})
	}
}
