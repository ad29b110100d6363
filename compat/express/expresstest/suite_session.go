package expresstest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/express"
	"github.com/sesh-go/sesh/cookie"
)

// sessionCases is test/session.js of express-session 1.19.0, case by case.
// Each case's comment names what it maps express's API to when that is not
// plain (req.session.x = v is Session.Set, and so on).
func sessionCases() []*node {
	return []*node{
		na("should export constructors"),

		// req.session set by something before the middleware: in Go, the
		// same Manager's Handler mounted twice.
		it("should do nothing if req.session exists", func(t *testing.T, e *env) {
			a := e.app(t, mount(func(m *sesh.Manager, h http.Handler) http.Handler { return m.Handler(h) }))
			r := a.get("/")
			expectCode(t, r, 200)
			// The inner middleware did nothing: one session, one cookie.
			if n := len(r.header.Values("Set-Cookie")); n != 1 || a.len() != 1 {
				t.Fatalf("%d Set-Cookie lines, %d sessions stored; want 1 and 1", n, a.len())
			}
		}),

		differs("should error without secret", func(t *testing.T, e *env) {
			c := sesh.Config{Store: e.opt.NewStore(t, time.Now)}
			if err := express.Configure(&c); err == nil {
				t.Fatal("Configure without a secret succeeded")
			}
		}),

		na("should get secret from req.secret"),

		it("should create a new session", func(t *testing.T, e *env) {
			a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
				sesh.From(r.Context()).Set("active", true)
				write(w, "session active")
			}))
			r := a.get("/")
			shouldSetCookie(t, r, "connect.sid")
			expect(t, r, 200, "session active")
			if a.len() != 1 {
				t.Fatalf("store length %d, want 1", a.len())
			}
		}),

		it("should load session from cookie sid", func(t *testing.T, e *env) {
			a := e.app(t, handler(numHandler()))
			r := a.get("/")
			shouldSetCookie(t, r, "connect.sid")
			expect(t, r, 200, "session 1")
			expect(t, a.get("/", withCookie(r.cookie())), 200, "session 1")
		}),

		it("should pass session fetch error", func(t *testing.T, e *env) {
			a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) { write(w, "hello, world") }))
			a.spy.getErr = errBoom
			r := a.get("/")
			shouldSetCookie(t, r, "connect.sid")
			expect(t, r, 200, "hello, world")
			expectCode(t, a.get("/", withCookie(r.cookie())), 500)
			if !errors.Is(a.lastErr(), errBoom) {
				t.Fatalf("the error handler got %v, want boom!", a.lastErr())
			}
		}),

		// ENOENT is sesh.ErrNotFound.
		it("should treat ENOENT session fetch error as not found", func(t *testing.T, e *env) {
			a := e.app(t, handler(numHandler()))
			a.spy.getErr = sesh.ErrNotFound
			r := a.get("/")
			shouldSetCookie(t, r, "connect.sid")
			expect(t, r, 200, "session 1")
			expect(t, a.get("/", withCookie(r.cookie())), 200, "session 2")
		}),

		it("should create multiple sessions", func(t *testing.T, e *env) {
			var count int
			var mu sync.Mutex
			a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
				s := sesh.From(r.Context())
				_, had := sesh.Get[int](s, "num")
				mu.Lock()
				count++
				s.Set("num", count)
				mu.Unlock()
				if had {
					write(w, "session updated")
				} else {
					write(w, "session created")
				}
			}))
			var wg sync.WaitGroup
			res := make([]*resp, 2)
			for i := range res {
				wg.Add(1)
				go func() { defer wg.Done(); res[i] = a.get("/") }()
			}
			wg.Wait()
			for _, r := range res {
				expect(t, r, 200, "session created")
			}
			if a.len() != 2 {
				t.Fatalf("%d sessions in the store, want 2", a.len())
			}
		}),

		it("should handle empty req.url", func(t *testing.T, e *env) {
			a := e.app(t, mount(func(_ *sesh.Manager, h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					r.URL.Path = ""
					h.ServeHTTP(w, r)
				})
			}))
			r := a.get("/")
			shouldSetCookie(t, r, "connect.sid")
			expectCode(t, r, 200)
		}),

		// res.end twice: a second, superfluous WriteHeader after the body.
		it("should handle multiple res.end calls", func(t *testing.T, e *env) {
			a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				write(w, "Hello, world!")
				w.WriteHeader(500)
			}))
			r := a.get("/")
			if r.header.Get("Content-Type") != "text/plain" {
				t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
			}
			expect(t, r, 200, "Hello, world!")
		}),

		// res.end(null): Write(nil).
		it("should handle res.end(null) calls", func(t *testing.T, e *env) {
			a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) { w.Write(nil) }))
			expect(t, a.get("/"), 200, "")
		}),

		it("should handle reserved properties in storage", func(t *testing.T, e *env) {
			var count int
			var keys []string
			a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
				s := sesh.From(r.Context())
				if _, ok := sesh.Get[int](s, "num"); !ok {
					count++
					s.Set("num", count)
				}
				keys = s.Keys()
				write(w, "session saved")
			}))
			r := a.get("/")
			expect(t, r, 200, "session saved")
			top := a.record(r.sid())
			top["save"] = json.RawMessage(`"nope"`) // save is reserved
			b, _ := json.Marshal(top)
			a.rewrite(r.sid(), string(b))
			expect(t, a.get("/", withCookie(r.cookie())), 200, "session saved")
			if count != 1 || strings.Join(keys, ",") != "num" {
				t.Fatalf("reloaded session: %d sessions made, keys %q", count, keys)
			}
		}),

		// Object.keys(req.session): Session.Keys (the cookie is not a value).
		it("should only have session data enumerable (and cookie)", func(t *testing.T, e *env) {
			a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
				s := sesh.From(r.Context())
				s.Set("test1", 1)
				s.Set("test2", "b")
				write(w, strings.Join(s.Keys(), ","))
			}))
			expect(t, a.get("/"), 200, "test1,test2")
		}),

		// A bogus req.sessionID: a genid(req) result that is not an ID.
		differs("should not save with bogus req.sessionID", func(t *testing.T, e *env) {
			a := e.app(t, cfg(func(c *sesh.Config) {
				c.GenIDRequest = func(*http.Request) string { return "not an ID!" }
			}), handler(func(w http.ResponseWriter, r *http.Request) {
				s := sesh.From(r.Context())
				s.Set("test1", 1)
				s.Set("test2", "b")
			}))
			r := a.get("/")
			shouldNotHaveSetCookie(t, r)
			expectCode(t, r, 500)
			if a.len() != 0 {
				t.Fatalf("store length %d, want 0", a.len())
			}
		}),

		it("should update cookie expiration when slow write", func(t *testing.T, e *env) {
			a := e.app(t, cfg(func(c *sesh.Config) { c.Rolling = true }), handler(func(w http.ResponseWriter, r *http.Request) {
				sesh.From(r.Context()).Set("user", "bob")
				write(w, "hello, ")
				http.NewResponseController(w).Flush()
				time.Sleep(200 * time.Millisecond)
				write(w, "world!")
			}))
			r := a.get("/")
			shouldSetCookie(t, r, "connect.sid")
			expectCode(t, r, 200)
			original := r.expires()
			a.clock.Advance(1200 * time.Millisecond) // the original waits for the next second
			r2 := a.get("/", withCookie(r.cookie()))
			shouldSetCookie(t, r2, "connect.sid")
			expectCode(t, r2, 200)
			if r2.expires() == original {
				t.Fatalf("Expires unchanged: %s", original)
			}
		}),

		describe("when response ended",
			it("should have saved session", func(t *testing.T, e *env) {
				a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
					sesh.From(r.Context()).Set("hit", true)
					write(w, "session saved")
				}))
				a.spy.writeDelay = 200 * time.Millisecond
				expect(t, a.get("/"), 200, "session saved")
				shouldWrite(t, a, 1)
			}),
			it("should have saved session even with empty response", func(t *testing.T, e *env) {
				a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
					sesh.From(r.Context()).Set("hit", true)
					w.Header().Set("Content-Length", "0")
				}))
				a.spy.writeDelay = 200 * time.Millisecond
				expectCode(t, a.get("/"), 200)
				shouldWrite(t, a, 1)
			}),
			it("should have saved session even with multi-write", func(t *testing.T, e *env) {
				a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
					sesh.From(r.Context()).Set("hit", true)
					w.Header().Set("Content-Length", "12")
					write(w, "hello, ")
					write(w, "world")
				}))
				a.spy.writeDelay = 200 * time.Millisecond
				expect(t, a.get("/"), 200, "hello, world")
				shouldWrite(t, a, 1)
			}),
			it("should have saved session even with non-chunked response", func(t *testing.T, e *env) {
				a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
					sesh.From(r.Context()).Set("hit", true)
					w.Header().Set("Content-Length", "13")
					write(w, "session saved")
				}))
				a.spy.writeDelay = 200 * time.Millisecond
				expect(t, a.get("/"), 200, "session saved")
				shouldWrite(t, a, 1)
			}),
			it("should have saved session with updated cookie expiration", func(t *testing.T, e *env) {
				a := e.app(t, maxAge(time.Minute), handler(func(w http.ResponseWriter, r *http.Request) {
					sesh.From(r.Context()).Set("user", "bob")
				}))
				r := a.get("/")
				shouldSetCookie(t, r, "connect.sid")
				expectCode(t, r, 200)
				id := r.sid()
				exp, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(a.cookieField(id, "expires")))
				if got := exp.UTC().Format(http.TimeFormat); got != r.expires() {
					t.Fatalf("stored cookie.expires %s, Set-Cookie Expires %s", got, r.expires())
				}
				a.clock.Advance(1200 * time.Millisecond)
				expectCode(t, a.get("/", withCookie(r.cookie())), 200)
				exp2, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(a.cookieField(id, "expires")))
				if exp2.UTC().Format(http.TimeFormat) == exp.UTC().Format(http.TimeFormat) {
					t.Fatal("session cookie expiration not updated in the store")
				}
			}),
		),

		describe("when sid not in store",
			it("should create a new session", func(t *testing.T, e *env) {
				a := e.app(t, handler(numHandler()))
				r := a.get("/")
				shouldSetCookie(t, r, "connect.sid")
				expect(t, r, 200, "session 1")
				a.clear()
				expect(t, a.get("/", withCookie(r.cookie())), 200, "session 2")
			}),
			it("should have a new sid", func(t *testing.T, e *env) {
				a := e.app(t, handler(numHandler()))
				r := a.get("/")
				shouldSetCookie(t, r, "connect.sid")
				expect(t, r, 200, "session 1")
				a.clear()
				r2 := a.get("/", withCookie(r.cookie()))
				shouldSetCookie(t, r2, "connect.sid")
				shouldSetCookieToDifferentSessionID(t, r2, r.sid())
				expect(t, r2, 200, "session 2")
			}),
		),

		describe("when sid not properly signed",
			it("should generate new session", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.Cookie.Name = "sessid" }), handler(activeHandler()))
				r := a.get("/")
				shouldSetCookie(t, r, "sessid")
				expect(t, r, 200, "session created")
				val := r.sid()
				if val == "" {
					t.Fatal("no sid")
				}
				r2 := a.get("/", withCookie("sessid="+val))
				shouldSetCookie(t, r2, "sessid")
				shouldSetCookieToDifferentSessionID(t, r2, val)
				expect(t, r2, 200, "session created")
			}),
			it("should not attempt fetch from store", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.Cookie.Name = "sessid" }), handler(activeHandler()))
				r := a.get("/")
				shouldSetCookie(t, r, "sessid")
				expect(t, r, 200, "session created")
				val := r.cookie()
				i := strings.IndexByte(val, '.') // cookie(res).replace(/...\./, '.')
				if i < 3 {
					t.Fatalf("cookie %q", val)
				}
				val = val[:i-3] + val[i:]
				a.spy.reset()
				r2 := a.get("/", withCookie(val))
				shouldSetCookie(t, r2, "sessid")
				expect(t, r2, 200, "session created")
				if n := a.spy.count(&a.spy.gets); n != 0 {
					t.Fatalf("a badly signed cookie cost %d store reads", n)
				}
			}),
		),

		describe("when session expired in store",
			it("should create a new session", func(t *testing.T, e *env) {
				a := e.app(t, maxAge(5*time.Millisecond), handler(numHandler()))
				r := a.get("/")
				shouldSetCookie(t, r, "connect.sid")
				expect(t, r, 200, "session 1")
				a.clock.Advance(2 * time.Second) // past the 5 ms, and past a store's one-second precision
				r2 := a.get("/", withCookie(r.cookie()))
				shouldSetCookie(t, r2, "connect.sid")
				expect(t, r2, 200, "session 2")
			}),
			it("should have a new sid", func(t *testing.T, e *env) {
				a := e.app(t, maxAge(5*time.Millisecond), handler(numHandler()))
				r := a.get("/")
				shouldSetCookie(t, r, "connect.sid")
				expect(t, r, 200, "session 1")
				a.clock.Advance(2 * time.Second)
				r2 := a.get("/", withCookie(r.cookie()))
				shouldSetCookie(t, r2, "connect.sid")
				shouldSetCookieToDifferentSessionID(t, r2, r.sid())
				expect(t, r2, 200, "session 2")
			}),
			it("should not exist in store", func(t *testing.T, e *env) {
				a := e.app(t, maxAge(5*time.Millisecond), handler(numHandler()))
				r := a.get("/")
				shouldSetCookie(t, r, "connect.sid")
				expect(t, r, 200, "session 1")
				a.clock.Advance(2 * time.Second)
				if a.len() != 0 {
					t.Fatalf("%d sessions in the store, want 0", a.len())
				}
			}),
		),

		describe("when session without cookie property in store",
			// express fails every request of that session (500); sesh
			// reads a record it cannot decode as no session, and logs it.
			differs("should pass error from inflate", func(t *testing.T, e *env) {
				a := e.app(t, handler(numHandler()))
				r := a.get("/")
				shouldSetCookie(t, r, "connect.sid")
				expect(t, r, 200, "session 1")
				a.rewrite(r.sid(), `{"foo":"bar"}`)
				r2 := a.get("/", withCookie(r.cookie()))
				expect(t, r2, 200, "session 2")
				shouldSetCookieToDifferentSessionID(t, r2, r.sid())
				if !strings.Contains(a.logs.String(), "session data decode failed") {
					t.Fatal("the undecodable record was not logged")
				}
			}),
		),

		describe("proxy option",
			describe("when enabled",
				it("should trust X-Forwarded-Proto when string", func(t *testing.T, e *env) {
					a := e.app(t, proxySecure(true))
					r := a.get("/", withHost("example.com"), withHeader("X-Forwarded-Proto", "https"))
					shouldSetCookie(t, r, "connect.sid")
					expectCode(t, r, 200)
					if a.warnedPlainHTTP() {
						t.Fatal("the request was not seen as https")
					}
				}),
				it("should trust X-Forwarded-Proto when comma-separated list", func(t *testing.T, e *env) {
					a := e.app(t, proxySecure(true))
					r := a.get("/", withHost("example.com"), withHeader("X-Forwarded-Proto", "https,http"))
					shouldSetCookie(t, r, "connect.sid")
					expectCode(t, r, 200)
					if a.warnedPlainHTTP() {
						t.Fatal("the request was not seen as https")
					}
				}),
				// express sends no cookie; sesh sends its Secure cookie
				// (SecureAlways) and warns.
				differs("should work when no header", func(t *testing.T, e *env) {
					a := e.app(t, proxySecure(true))
					r := a.get("/", withHost("example.com"))
					shouldSetCookieWithAttribute(t, r, "connect.sid", "Secure")
					expectCode(t, r, 200)
					if !a.warnedPlainHTTP() {
						t.Fatal("no warning for a Secure cookie sent over plain HTTP")
					}
				}),
			),
			describe("when disabled",
				differs("should not trust X-Forwarded-Proto", func(t *testing.T, e *env) {
					a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Secure = sesh.SecureAlways }),
						cfg(func(c *sesh.Config) { c.TrustProxy = false }))
					r := a.get("/", withHost("example.com"), withHeader("X-Forwarded-Proto", "https"))
					shouldSetCookieWithAttribute(t, r, "connect.sid", "Secure")
					expectCode(t, r, 200)
					if !a.warnedPlainHTTP() {
						t.Fatal("X-Forwarded-Proto was trusted")
					}
				}),
				na("should ignore req.secure"),
			),
			describe("when unspecified",
				differs("should not trust X-Forwarded-Proto", func(t *testing.T, e *env) {
					a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Secure = sesh.SecureAlways }))
					r := a.get("/", withHost("example.com"), withHeader("X-Forwarded-Proto", "https"))
					shouldSetCookieWithAttribute(t, r, "connect.sid", "Secure")
					expectCode(t, r, 200)
					if !a.warnedPlainHTTP() {
						t.Fatal("X-Forwarded-Proto was trusted by default")
					}
				}),
				// req.secure: a TLS request.
				it("should use req.secure", func(t *testing.T, e *env) {
					a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Secure = sesh.SecureAlways }), handler(secureHandler))
					r := a.get("/", overTLS(), withHeader("X-Forwarded-Proto", "https"))
					shouldSetCookie(t, r, "connect.sid")
					expect(t, r, 200, "true")
				}),
			),
		),

		describe("cookie option",
			describe(`when "path" set to "/foo/bar"`,
				it(`should not set cookie for "/" request`, func(t *testing.T, e *env) {
					a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Path = "/foo/bar" }))
					r := a.get("/")
					shouldNotHaveSetCookie(t, r)
					expectCode(t, r, 200)
				}),
				it(`should not set cookie for "http://foo/bar" request`, func(t *testing.T, e *env) {
					a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Path = "/foo/bar" }))
					r := a.get("/", withHost("http://foo/bar"))
					shouldNotHaveSetCookie(t, r)
					expectCode(t, r, 200)
				}),
				it(`should set cookie for "/foo/bar" request`, func(t *testing.T, e *env) {
					a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Path = "/foo/bar" }))
					r := a.get("/foo/bar/baz")
					shouldSetCookie(t, r, "connect.sid")
					expectCode(t, r, 200)
				}),
				it(`should set cookie for "/foo/bar/baz" request`, func(t *testing.T, e *env) {
					a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Path = "/foo/bar" }))
					r := a.get("/foo/bar/baz")
					shouldSetCookie(t, r, "connect.sid")
					expectCode(t, r, 200)
				}),
				// Mounted at /foo: the middleware under http.StripPrefix.
				describe(`when mounted at "/foo"`,
					it(`should set cookie for "/foo/bar" request`, func(t *testing.T, e *env) {
						a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Path = "/foo/bar" }), mountAt("/foo"))
						r := a.get("/foo/bar")
						shouldSetCookie(t, r, "connect.sid")
						expectCode(t, r, 200)
					}),
					it(`should not set cookie for "/foo/foo/bar" request`, func(t *testing.T, e *env) {
						a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Path = "/foo/bar" }), mountAt("/foo"))
						r := a.get("/foo/foo/bar")
						shouldNotHaveSetCookie(t, r)
						expectCode(t, r, 200)
					}),
				),
			),

			describe(`when "secure" set to "auto"`,
				describe(`when "proxy" is "true"`,
					it("should set secure when X-Forwarded-Proto is https", func(t *testing.T, e *env) {
						a := e.app(t, secureAuto(true))
						r := a.get("/", withHeader("X-Forwarded-Proto", "https"))
						shouldSetCookieWithAttribute(t, r, "connect.sid", "Secure")
						expectCode(t, r, 200)
					}),
				),
				describe(`when "proxy" is "false"`,
					it("should not set secure when X-Forwarded-Proto is https", func(t *testing.T, e *env) {
						a := e.app(t, secureAuto(false))
						r := a.get("/", withHeader("X-Forwarded-Proto", "https"))
						shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Secure")
						expectCode(t, r, 200)
					}),
				),
				describe(`when "proxy" is undefined`,
					it("should set secure if req.secure = true", func(t *testing.T, e *env) {
						a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Secure = sesh.SecureAuto }), handler(secureHandler))
						r := a.get("/", overTLS())
						shouldSetCookieWithAttribute(t, r, "connect.sid", "Secure")
						expect(t, r, 200, "true")
					}),
					it("should not set secure if req.secure = false", func(t *testing.T, e *env) {
						a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Secure = sesh.SecureAuto }), handler(secureHandler))
						r := a.get("/")
						shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Secure")
						expect(t, r, 200, "false")
					}),
				),
			),

			// The cookie option as a function of req: Config.CookieFor.
			describe(`when "cookie" is a function`,
				it("should call custom function and apply cookie options", func(t *testing.T, e *env) {
					called := false
					a := e.app(t, cookieOpts(nil), cfg(func(c *sesh.Config) {
						c.CookieFor = func(_ *http.Request, c *sesh.CookieConfig) {
							called = true
							c.Path, c.DisableHTTPOnly, c.Secure = "/test", false, sesh.SecureNever
						}
					}))
					r := a.get("/test")
					shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "Path", "/test")
					shouldSetCookieWithAttribute(t, r, "connect.sid", "HttpOnly")
					shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Secure")
					expectCode(t, r, 200)
					if !called {
						t.Fatal("should have called cookie callback")
					}
				}),
				it("should provide req argument", func(t *testing.T, e *env) {
					called := false
					a := e.app(t, cookieOpts(nil), cfg(func(c *sesh.Config) {
						c.CookieFor = func(r *http.Request, c *sesh.CookieConfig) {
							called = true
							c.Path, c.DisableHTTPOnly, c.Secure = r.URL.Path, false, sesh.SecureNever
						}
					}))
					r := a.get("/test")
					shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "Path", "/test")
					shouldSetCookieWithAttribute(t, r, "connect.sid", "HttpOnly")
					shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Secure")
					expectCode(t, r, 200)
					if !called {
						t.Fatal("should have called cookie callback")
					}
				}),
			),

			describe(`when "sameSite" set to "auto"`,
				describe("basic functionality",
					// express sends SameSite=None without Secure, which
					// browsers refuse; sesh sends None only with Secure.
					differs("should set SameSite=None for secure connections", func(t *testing.T, e *env) {
						a := e.app(t, sameSiteAuto(sesh.SecureNever), handler(secureHandler))
						r := a.get("/", overTLS())
						shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "SameSite", "Lax")
						shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Secure")
						expect(t, r, 200, "true")
					}),
					it("should set SameSite=Lax for insecure connections", func(t *testing.T, e *env) {
						a := e.app(t, sameSiteAuto(sesh.SecureNever), handler(secureHandler))
						r := a.get("/")
						shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "SameSite", "Lax")
						expect(t, r, 200, "false")
					}),
				),
				describe("with proxy settings",
					describe(`when "proxy" is "true"`,
						differs("should set SameSite=None when X-Forwarded-Proto is https", func(t *testing.T, e *env) {
							a := e.app(t, sameSiteAuto(sesh.SecureNever), cfg(func(c *sesh.Config) { c.TrustProxy = true }))
							r := a.get("/", withHeader("X-Forwarded-Proto", "https"))
							shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "SameSite", "Lax")
							shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Secure")
							expectCode(t, r, 200)
						}),
						it("should set SameSite=Lax when X-Forwarded-Proto is http", func(t *testing.T, e *env) {
							a := e.app(t, sameSiteAuto(sesh.SecureNever), cfg(func(c *sesh.Config) { c.TrustProxy = true }))
							r := a.get("/", withHeader("X-Forwarded-Proto", "http"))
							shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "SameSite", "Lax")
							expectCode(t, r, 200)
						}),
					),
					describe(`when "proxy" is "false"`,
						it("should set SameSite=Lax when X-Forwarded-Proto is https", func(t *testing.T, e *env) {
							a := e.app(t, sameSiteAuto(sesh.SecureNever), cfg(func(c *sesh.Config) { c.TrustProxy = false }))
							r := a.get("/", withHeader("X-Forwarded-Proto", "https"))
							shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "SameSite", "Lax")
							expectCode(t, r, 200)
						}),
					),
				),
				describe("combined with secure auto",
					describe(`when "secure" is "auto"`,
						it("should set both Secure and SameSite=None when secure", func(t *testing.T, e *env) {
							a := e.app(t, sameSiteAuto(sesh.SecureAuto), handler(secureHandler))
							r := a.get("/", overTLS())
							shouldSetCookieWithAttribute(t, r, "connect.sid", "Secure")
							shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "SameSite", "None")
							expect(t, r, 200, "true")
						}),
						it("should set neither Secure nor SameSite=None when insecure", func(t *testing.T, e *env) {
							a := e.app(t, sameSiteAuto(sesh.SecureAuto), handler(secureHandler))
							r := a.get("/")
							shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Secure")
							shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "SameSite", "Lax")
							expect(t, r, 200, "false")
						}),
					),
					describe(`when "secure" is "false"`,
						differs("should set SameSite=None without Secure when secure", func(t *testing.T, e *env) {
							a := e.app(t, sameSiteAuto(sesh.SecureNever), handler(secureHandler))
							r := a.get("/", overTLS())
							shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Secure")
							shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "SameSite", "Lax")
							expect(t, r, 200, "true")
						}),
						it("should set SameSite=Lax without Secure when insecure", func(t *testing.T, e *env) {
							a := e.app(t, sameSiteAuto(sesh.SecureNever), handler(secureHandler))
							r := a.get("/")
							shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Secure")
							shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "SameSite", "Lax")
							expect(t, r, 200, "false")
						}),
					),
					describe(`when "secure" is "true"`,
						it("should set both Secure and SameSite=None when secure", func(t *testing.T, e *env) {
							a := e.app(t, sameSiteAuto(sesh.SecureAlways), handler(secureHandler))
							r := a.get("/", overTLS())
							shouldSetCookieWithAttribute(t, r, "connect.sid", "Secure")
							shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "SameSite", "None")
							expect(t, r, 200, "true")
						}),
						// express sends no cookie; sesh sends its Secure
						// cookie and warns.
						differs("should not set cookie when insecure", func(t *testing.T, e *env) {
							a := e.app(t, sameSiteAuto(sesh.SecureAlways), handler(secureHandler))
							r := a.get("/", withHost("example.com"))
							shouldSetCookieWithAttribute(t, r, "connect.sid", "Secure")
							shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "SameSite", "None")
							expect(t, r, 200, "false")
							if !a.warnedPlainHTTP() {
								t.Fatal("no warning for a Secure cookie sent over plain HTTP")
							}
						}),
					),
				),
			),
		),

		describe("genid option",
			na("should reject non-function values"),
			it("should provide default generator", func(t *testing.T, e *env) {
				a := e.app(t)
				r := a.get("/")
				shouldSetCookie(t, r, "connect.sid")
				expectCode(t, r, 200)
				if len(r.sid()) != 32 { // uid-safe's 24 bytes
					t.Fatalf("sid %q is not express's shape", r.sid())
				}
			}),
			it("should allow custom function", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.GenID = func() string { return "apple" } }))
				r := a.get("/")
				shouldSetCookieToValue(t, r, "connect.sid", "s%3Aapple.D8Y%2BpkTAmeR0PobOhY4G97PRW%2Bj7bUnP%2F5m6%2FOn1MCU")
				expectCode(t, r, 200)
			}),
			// An ID that is no store key needs a ValidID that accepts it
			// and a hashing StoreKey.
			it("should encode unsafe chars", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) {
					c.GenID = func() string { return "%" }
					c.ValidID = func(id string) bool { return id == "%" }
					c.StoreKey = sesh.HashID
				}))
				r := a.get("/")
				shouldSetCookieToValue(t, r, "connect.sid", "s%3A%25.kzQ6x52kKVdF35Qh62AWk4ZekS28K5XYCXKa%2FOTZ01g")
				expectCode(t, r, 200)
			}),
			// genid(req): Config.GenIDRequest.
			it("should provide req argument", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) {
					c.GenIDRequest = func(r *http.Request) string { return r.URL.Path }
					c.ValidID = func(id string) bool { return id == "/foo" || express.ValidID(id) }
					c.StoreKey = sesh.HashID
				}))
				r := a.get("/foo")
				shouldSetCookieToValue(t, r, "connect.sid", "s%3A%2Ffoo.paEKBtAHbV5s1IB8B2zPnzAgYmmnRPIqObW4VRYj%2FMQ")
				expectCode(t, r, 200)
			}),
		),

		// key is the legacy spelling of name: CookieConfig.Name.
		describe("key option",
			it(`should default to "connect.sid"`, func(t *testing.T, e *env) {
				r := e.app(t).get("/")
				shouldSetCookie(t, r, "connect.sid")
				expectCode(t, r, 200)
			}),
			it("should allow overriding", func(t *testing.T, e *env) {
				r := e.app(t, cfg(func(c *sesh.Config) { c.Cookie.Name = "session_id" })).get("/")
				shouldSetCookie(t, r, "session_id")
				expectCode(t, r, 200)
			}),
		),

		describe("name option",
			it(`should default to "connect.sid"`, func(t *testing.T, e *env) {
				r := e.app(t).get("/")
				shouldSetCookie(t, r, "connect.sid")
				expectCode(t, r, 200)
			}),
			it("should set the cookie name", func(t *testing.T, e *env) {
				r := e.app(t, cfg(func(c *sesh.Config) { c.Cookie.Name = "session_id" })).get("/")
				shouldSetCookie(t, r, "session_id")
				expectCode(t, r, 200)
			}),
		),

		describe("rolling option",
			it("should default to false", func(t *testing.T, e *env) {
				a := e.app(t, handler(userBob))
				r := a.get("/")
				shouldSetCookie(t, r, "connect.sid")
				expectCode(t, r, 200)
				r2 := a.get("/", withCookie(r.cookie()))
				shouldNotHaveSetCookie(t, r2)
				expectCode(t, r2, 200)
			}),
			it("should force cookie on unmodified session", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.Rolling = true }), handler(userBob))
				r := a.get("/")
				shouldSetCookie(t, r, "connect.sid")
				r2 := a.get("/", withCookie(r.cookie()))
				shouldSetCookie(t, r2, "connect.sid")
				expectCode(t, r2, 200)
			}),
			it("should not force cookie on uninitialized session if saveUninitialized option is set to false", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.Rolling, c.SaveUninitialized = true, false }))
				r := a.get("/")
				shouldWrite(t, a, 0)
				shouldNotHaveSetCookie(t, r)
				expectCode(t, r, 200)
			}),
			it("should force cookie and save uninitialized session if saveUninitialized option is set to true", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.Rolling, c.SaveUninitialized = true, true }))
				r := a.get("/")
				shouldWrite(t, a, 1)
				shouldSetCookie(t, r, "connect.sid")
				expectCode(t, r, 200)
			}),
			it("should force cookie and save modified session even if saveUninitialized option is set to false", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.Rolling, c.SaveUninitialized = true, false }), handler(userBob))
				r := a.get("/")
				shouldWrite(t, a, 1)
				shouldSetCookie(t, r, "connect.sid")
				expectCode(t, r, 200)
			}),
		),

		describe("resave option",
			// express's resave left unset means true; sesh's default is
			// false.
			differs("should default to true", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.Resave = false }), handler(userBob))
				r := a.get("/")
				shouldWrite(t, a, 1)
				a.spy.reset()
				expectCode(t, a.get("/", withCookie(r.cookie())), 200)
				shouldWrite(t, a, 0)
			}),
			describe("when true",
				it("should force save on unmodified session", func(t *testing.T, e *env) {
					a := e.app(t, cfg(func(c *sesh.Config) { c.Resave = true }), handler(userBob))
					r := a.get("/")
					shouldWrite(t, a, 1)
					a.spy.reset()
					expectCode(t, a.get("/", withCookie(r.cookie())), 200)
					shouldWrite(t, a, 1)
				}),
			),
			describe("when false",
				it("should prevent save on unmodified session", func(t *testing.T, e *env) {
					a := e.app(t, cfg(func(c *sesh.Config) { c.Resave = false }), handler(userBob))
					r := a.get("/")
					shouldWrite(t, a, 1)
					a.spy.reset()
					expectCode(t, a.get("/", withCookie(r.cookie())), 200)
					shouldWrite(t, a, 0)
				}),
				it("should still save modified session", func(t *testing.T, e *env) {
					a := e.app(t, cfg(func(c *sesh.Config) { c.Resave = false }), handler(func(w http.ResponseWriter, r *http.Request) {
						s := sesh.From(r.Context())
						if r.Method == "PUT" {
							s.Set("token", r.URL.Path[1:])
						}
						tok, _ := sesh.Get[string](s, "token")
						write(w, "token="+tok)
					}))
					r := a.do("PUT", "/w6RHhwaA")
					expect(t, r, 200, "token=w6RHhwaA")
					shouldWrite(t, a, 1)
					sess := r.cookie()
					a.spy.reset()
					expect(t, a.get("/", withCookie(sess)), 200, "token=w6RHhwaA")
					shouldWrite(t, a, 0)
					expect(t, a.do("PUT", "/zfQ3rzM3", withCookie(sess)), 200, "token=zfQ3rzM3")
					shouldWrite(t, a, 1)
				}),
				it(`should detect a "cookie" property as modified`, func(t *testing.T, e *env) {
					a := e.app(t, cfg(func(c *sesh.Config) { c.Resave = false }), handler(func(w http.ResponseWriter, r *http.Request) {
						s := sesh.From(r.Context())
						user, _ := sesh.Get[map[string]any](s, "user")
						if user == nil {
							user = map[string]any{}
						}
						user["name"] = "bob"
						n, _ := user["cookie"].(float64)
						user["cookie"] = n + 1
						s.Set("user", user)
					}))
					r := a.get("/")
					shouldWrite(t, a, 1)
					a.spy.reset()
					expectCode(t, a.get("/", withCookie(r.cookie())), 200)
					shouldWrite(t, a, 1)
				}),
				// express reports it after a 200; sesh commits before the
				// response, so the failure answers through the
				// ErrorHandler. (sesh touches once the throttle allows,
				// express on every request.)
				differs("should pass session touch error", func(t *testing.T, e *env) {
					a := e.app(t, cfg(func(c *sesh.Config) { c.Resave = false }), handler(func(w http.ResponseWriter, r *http.Request) {
						sesh.From(r.Context()).Set("hit", true)
						write(w, "session saved")
					}))
					r := a.get("/")
					expect(t, r, 200, "session saved")
					a.spy.touchErr = errBoom
					a.clock.Advance(10 * time.Second) // past the touch throttle (a tenth of the idle timeout)
					expectCode(t, a.get("/", withCookie(r.cookie())), 500)
					if !errors.Is(a.lastErr(), errBoom) || a.spy.count(&a.spy.touches) != 1 {
						t.Fatalf("error %v after %d touches", a.lastErr(), a.spy.count(&a.spy.touches))
					}
				}),
			),
		),

		describe("saveUninitialized option",
			differs("should default to true", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.SaveUninitialized = false }))
				r := a.get("/")
				shouldWrite(t, a, 0)
				shouldNotHaveSetCookie(t, r)
				expectCode(t, r, 200)
			}),
			it("should force save of uninitialized session", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.SaveUninitialized = true }))
				r := a.get("/")
				shouldWrite(t, a, 1)
				shouldSetCookie(t, r, "connect.sid")
				expectCode(t, r, 200)
			}),
			it("should prevent save of uninitialized session", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.SaveUninitialized = false }))
				r := a.get("/")
				shouldWrite(t, a, 0)
				shouldNotHaveSetCookie(t, r)
				expectCode(t, r, 200)
			}),
			it("should still save modified session", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.SaveUninitialized = false }), handler(countHandler("")))
				r := a.get("/")
				shouldWrite(t, a, 1)
				shouldSetCookie(t, r, "connect.sid")
				expectCode(t, r, 200)
			}),
			differs("should pass session save error", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.SaveUninitialized = true }), handler(func(w http.ResponseWriter, r *http.Request) {
					write(w, "session saved")
				}))
				a.spy.writeErr = errBoom
				r := a.get("/")
				expectCode(t, r, 500)
				shouldNotHaveSetCookie(t, r)
				if !errors.Is(a.lastErr(), errBoom) {
					t.Fatalf("the error handler got %v", a.lastErr())
				}
			}),
			it("should prevent uninitialized session from being touched", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.SaveUninitialized = false }), maxAge(time.Minute))
				expectCode(t, a.get("/"), 200)
				if n := a.spy.count(&a.spy.touches) + a.spy.count(&a.spy.writes); n != 0 {
					t.Fatalf("%d touches and writes", n)
				}
			}),
		),

		describe("secret option",
			it("should reject empty arrays", func(t *testing.T, e *env) {
				c := sesh.Config{}
				if err := express.ConfigureWith(&c, express.SecretOptions{}, [][]byte{}...); err == nil {
					t.Fatal("Configure with no secret succeeded")
				}
			}),
			it("should sign and unsign with a string", func(t *testing.T, e *env) {
				a := e.app(t, secrets("awesome cat"), handler(setGetUser))
				r := a.get("/")
				shouldSetCookie(t, r, "connect.sid")
				expect(t, r, 200, "set")
				expect(t, a.get("/", withCookie(r.cookie())), 200, `get:"bob"`)
			}),
			it("should sign and unsign with a Buffer", func(t *testing.T, e *env) {
				b := make([]byte, 32)
				rand.Read(b)
				a := e.app(t, secretBytes(b), handler(setGetUser))
				r := a.get("/")
				shouldSetCookie(t, r, "connect.sid")
				expect(t, r, 200, "set")
				expect(t, a.get("/", withCookie(r.cookie())), 200, `get:"bob"`)
			}),
			describe("when an array",
				it("should sign cookies", func(t *testing.T, e *env) {
					a := e.app(t, secrets("keyboard cat", "nyan cat"), handler(setUserEcho))
					r := a.get("/")
					shouldSetCookie(t, r, "connect.sid")
					expect(t, r, 200, "bob")
				}),
				it("should sign cookies with first element", func(t *testing.T, e *env) {
					a1 := e.app(t, secrets("keyboard cat", "nyan cat"), handler(setUserEcho))
					a2 := e.app(t, secrets("nyan cat"), share(a1), handler(echoUser))
					r := a1.get("/")
					shouldSetCookie(t, r, "connect.sid")
					expect(t, r, 200, "bob")
					expect(t, a2.get("/", withCookie(r.cookie())), 200, "undefined")
				}),
				it("should read cookies using all elements", func(t *testing.T, e *env) {
					a1 := e.app(t, secrets("nyan cat"), handler(setUserEcho))
					a2 := e.app(t, secrets("keyboard cat", "nyan cat"), share(a1), handler(echoUser))
					r := a1.get("/")
					shouldSetCookie(t, r, "connect.sid")
					expect(t, r, 200, "bob")
					expect(t, a2.get("/", withCookie(r.cookie())), 200, "bob")
				}),
			),
		),

		// req.session = null is Session.Clear: Config.Unset decides what
		// happens to a stored session left with no values.
		describe("unset option",
			it("should reject unknown values", func(t *testing.T, e *env) {
				_, err := sesh.New(sesh.Config{Store: e.opt.NewStore(t, time.Now), Unset: sesh.UnsetMode(7)})
				if !errors.Is(err, sesh.ErrConfig) {
					t.Fatalf("New with an unknown Unset: %v", err)
				}
			}),
			it("should default to keep", func(t *testing.T, e *env) {
				a := e.app(t, handler(countHandler("unset")))
				r := a.get("/")
				expectCode(t, r, 200)
				if a.len() != 1 {
					t.Fatalf("store length %d", a.len())
				}
				expectCode(t, a.get("/", withCookie(r.cookie())), 200)
				if a.len() != 1 {
					t.Fatalf("store length %d after the session was unset, want 1", a.len())
				}
			}),
			it("should allow destroy on req.session = null", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.Unset = sesh.UnsetDestroy }), handler(countHandler("unset")))
				r := a.get("/")
				expectCode(t, r, 200)
				if a.len() != 1 {
					t.Fatalf("store length %d", a.len())
				}
				expectCode(t, a.get("/", withCookie(r.cookie())), 200)
				if a.len() != 0 {
					t.Fatalf("store length %d after the session was unset, want 0", a.len())
				}
			}),
			// Unset concerns a stored session; a new one with nothing in it
			// is saved if SaveUninitialized asks for it, and Clear on it
			// changes nothing. Destroy is how a new session is dropped.
			differs("should not set cookie if initial session destroyed", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.Unset = sesh.UnsetDestroy }), handler(func(w http.ResponseWriter, r *http.Request) {
					s := sesh.From(r.Context())
					if r.URL.Path == "/destroy" {
						s.Destroy()
					} else {
						s.Clear()
					}
				}))
				r := a.get("/")
				shouldSetCookie(t, r, "connect.sid")
				if a.len() != 1 {
					t.Fatalf("store length %d, want the uninitialized session saved", a.len())
				}
				a.clear()
				r = a.get("/destroy")
				shouldNotHaveSetCookie(t, r)
				expectCode(t, r, 200)
				if a.len() != 0 {
					t.Fatalf("store length %d after Destroy", a.len())
				}
			}),
			// express reports it after a 200; sesh's commit answers
			// through the ErrorHandler. (The session is a stored one: a new
			// session has nothing to delete.)
			differs("should pass session destroy error", func(t *testing.T, e *env) {
				a := e.app(t, cfg(func(c *sesh.Config) { c.Unset = sesh.UnsetDestroy }), handler(countHandler("unset")))
				r := a.get("/")
				expectCode(t, r, 200)
				a.spy.deleteErr = errBoom
				expectCode(t, a.get("/", withCookie(r.cookie())), 500)
				if !errors.Is(a.lastErr(), errBoom) {
					t.Fatalf("the error handler got %v", a.lastErr())
				}
			}),
		),

		// res.write and res.end patched: a ResponseWriter wrapped around
		// the middleware, or inside the handler.
		describe("res.end patch",
			it("should correctly handle res.end/res.write patched prior", func(t *testing.T, e *env) {
				p := &patched{}
				a := e.app(t, mount(func(_ *sesh.Manager, h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						p.ResponseWriter = w
						h.ServeHTTP(p, r)
					})
				}), handler(hitHelloWorld))
				r := a.get("/")
				expect(t, r, 200, "hello, world")
				shouldSetCookie(t, r, "connect.sid")
				if string(p.seen) != "hello, world" {
					t.Fatalf("the outer writer saw %q", p.seen)
				}
			}),
			it("should correctly handle res.end/res.write patched after", func(t *testing.T, e *env) {
				p := &patched{}
				a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
					p.ResponseWriter = w
					hitHelloWorld(p, r)
				}))
				r := a.get("/")
				expect(t, r, 200, "hello, world")
				shouldSetCookie(t, r, "connect.sid")
				if string(p.seen) != "hello, world" {
					t.Fatalf("the inner writer saw %q", p.seen)
				}
			}),
			// The middleware changes nothing in what a late header change
			// and a second write do: the same as without it.
			it("should error when res.end is called twice", func(t *testing.T, e *env) {
				var errs [2]error
				twice := func(i int) http.HandlerFunc {
					return func(w http.ResponseWriter, r *http.Request) {
						w.WriteHeader(200)
						w.Header().Set("Content-Length", "3")
						_, errs[i] = w.Write([]byte("foo"))
					}
				}
				plain := e.app(t, mount(func(*sesh.Manager, http.Handler) http.Handler { return twice(0) }))
				want := plain.get("/")
				a := e.app(t, handler(twice(1)))
				got := a.get("/")
				if fmt.Sprint(errs[0]) != fmt.Sprint(errs[1]) || got.code != want.code || got.body != want.body {
					t.Fatalf("with the middleware: %d %q %v; without: %d %q %v", got.code, got.body, errs[1], want.code, want.body, errs[0])
				}
			}),
		),

		describe("req.session",
			it("should persist", func(t *testing.T, e *env) {
				a := e.app(t, handler(countHandler("hits: ")))
				r := a.get("/")
				expect(t, r, 200, "hits: 1")
				// store.load(sid): Manager.LoadID.
				if s, err := a.m.LoadID(context.Background(), r.sid()); err != nil || s.Status() != sesh.StatusUnmodified {
					t.Fatalf("LoadID: %v", err)
				}
				expect(t, a.get("/", withCookie(r.cookie())), 200, "hits: 2")
			}),
			it("should only set-cookie when modified", func(t *testing.T, e *env) {
				modify := true
				a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
					s := sesh.From(r.Context())
					n, _ := sesh.Get[int](s, "count")
					if modify {
						n++
						s.Set("count", n)
					}
					write(w, fmt.Sprint(n))
				}))
				r := a.get("/")
				expect(t, r, 200, "1")
				r = a.get("/", withCookie(r.cookie()))
				expect(t, r, 200, "2")
				val := r.cookie()
				modify = false
				r = a.get("/", withCookie(val))
				shouldNotHaveSetCookie(t, r)
				expect(t, r, 200, "2")
				modify = true
				r = a.get("/", withCookie(val))
				shouldSetCookie(t, r, "connect.sid")
				expect(t, r, 200, "3")
			}),
			// for…in over req.session: Session.Keys.
			it("should not have enumerable methods", func(t *testing.T, e *env) {
				a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
					s := sesh.From(r.Context())
					s.Set("foo", "foo")
					s.Set("bar", "bar")
					write(w, strings.Join(s.Keys(), ","))
				}))
				expect(t, a.get("/"), 200, "bar,foo")
			}),
			// A store that cannot answer: express goes on without a
			// session; sesh fails closed.
			differs("should not be set if store is disconnected", func(t *testing.T, e *env) {
				a := e.app(t, handler(typeofSession))
				a.spy.down = true
				r := a.get("/")
				shouldNotHaveSetCookie(t, r)
				expectCode(t, r, 500)
			}),
			differs("should be set when store reconnects", func(t *testing.T, e *env) {
				a := e.app(t, handler(typeofSession))
				a.spy.down = true
				r := a.get("/")
				shouldNotHaveSetCookie(t, r)
				expectCode(t, r, 500)
				a.spy.down = false
				expect(t, a.get("/"), 200, "object")
			}),
			describe(".destroy()",
				it("should destroy the previous session", func(t *testing.T, e *env) {
					a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
						s := sesh.From(r.Context())
						if err := s.Destroy(); err != nil {
							w.WriteHeader(500)
						}
						typeofSession(w, r)
					}))
					r := a.get("/")
					shouldNotHaveSetCookie(t, r)
					expect(t, r, 200, "undefined")
				}),
			),
			describe(".regenerate()",
				it("should destroy/replace the previous session", func(t *testing.T, e *env) {
					a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
						s := sesh.From(r.Context())
						id := s.ID()
						if err := s.Regenerate(); err != nil {
							w.WriteHeader(500)
						}
						write(w, fmt.Sprint(s.ID() == id && id != ""))
					}))
					r := a.get("/")
					shouldSetCookie(t, r, "connect.sid")
					expectCode(t, r, 200)
					r2 := a.get("/", withCookie(r.cookie()))
					shouldSetCookie(t, r2, "connect.sid")
					shouldSetCookieToDifferentSessionID(t, r2, r.sid())
					expect(t, r2, 200, "false")
				}),
			),
			// req.session.reload(): Manager.Reload.
			describe(".reload()",
				it("should reload session from store", func(t *testing.T, e *env) {
					var a *app
					var val string
					a = e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
						s := sesh.From(r.Context())
						if r.URL.Path == "/" {
							s.Set("active", true)
							write(w, "session created")
							return
						}
						s.Set("url", r.URL.Path)
						if r.URL.Path == "/bar" {
							write(w, "saw "+r.URL.Path)
							return
						}
						if got := a.get("/bar", withCookie(val)); got.body != "saw /bar" {
							t.Errorf("/bar: %d %q", got.code, got.body)
						}
						if err := a.m.Reload(r.Context(), s); err != nil {
							t.Error(err)
						}
						u, _ := sesh.Get[string](s, "url")
						write(w, "saw "+u)
					}))
					r := a.get("/")
					expect(t, r, 200, "session created")
					val = r.cookie()
					expect(t, a.get("/foo", withCookie(val)), 200, "saw /bar")
				}),
				// express fails the request ('failed to load session');
				// sesh's Reload of a session gone from the store leaves a
				// new, empty session.
				differs("should error is session missing", func(t *testing.T, e *env) {
					var a *app
					a = e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
						s := sesh.From(r.Context())
						if r.URL.Path == "/" {
							s.Set("active", true)
							write(w, "session created")
							return
						}
						a.clear()
						err := a.m.Reload(r.Context(), s)
						write(w, fmt.Sprint(err, " ", s.Status(), " ", s.Len()))
					}))
					r := a.get("/")
					expect(t, r, 200, "session created")
					expect(t, a.get("/foo", withCookie(r.cookie())), 200, "<nil> new 0")
				}),
				it("should not override an overridden `reload` in case of errors", func(t *testing.T, e *env) {
					var a *app
					a = e.app(t, cfg(func(c *sesh.Config) { c.Resave = false }), handler(func(w http.ResponseWriter, r *http.Request) {
						s := sesh.From(r.Context())
						if r.URL.Path == "/" {
							s.Set("active", true)
							write(w, "session created")
							return
						}
						a.clear()
						for range 19 { // reload way too many times on top of each other
							if err := a.m.Reload(r.Context(), s); err != nil {
								w.WriteHeader(500)
								write(w, err.Error())
								return
							}
						}
						write(w, "ok")
					}))
					r := a.get("/")
					expect(t, r, 200, "session created")
					expect(t, a.get("/foo", withCookie(r.cookie())), 200, "ok")
				}),
			),
			// req.session.save(): Manager.Save.
			describe(".save()",
				it("should save session to store", func(t *testing.T, e *env) {
					var a *app
					a = e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
						s := sesh.From(r.Context())
						s.Set("hit", true)
						if err := a.m.Save(r.Context(), s); err != nil {
							write(w, err.Error())
							return
						}
						if _, err := a.spy.st.Get(r.Context(), s.ID()); err != nil {
							write(w, "empty")
							return
						}
						write(w, "stored")
					}))
					expect(t, a.get("/"), 200, "stored")
				}),
				it("should prevent end-of-request save", func(t *testing.T, e *env) {
					var a *app
					a = e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
						s := sesh.From(r.Context())
						s.Set("hit", true)
						if err := a.m.Save(r.Context(), s); err != nil {
							write(w, err.Error())
							return
						}
						write(w, "saved")
					}))
					r := a.get("/")
					shouldWrite(t, a, 1)
					expect(t, r, 200, "saved")
					a.spy.reset()
					expect(t, a.get("/", withCookie(r.cookie())), 200, "saved")
					shouldWrite(t, a, 1)
				}),
				it("should prevent end-of-request save on reloaded session", func(t *testing.T, e *env) {
					var a *app
					a = e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
						s := sesh.From(r.Context())
						s.Set("hit", true)
						if err := a.m.Reload(r.Context(), s); err != nil {
							write(w, err.Error())
							return
						}
						if err := a.m.Save(r.Context(), s); err != nil {
							write(w, err.Error())
							return
						}
						write(w, "saved")
					}))
					r := a.get("/")
					shouldWrite(t, a, 1)
					expect(t, r, 200, "saved")
					a.spy.reset()
					expect(t, a.get("/", withCookie(r.cookie())), 200, "saved")
					shouldWrite(t, a, 1)
				}),
				describe("when saveUninitialized is false",
					it("should prevent end-of-request save", func(t *testing.T, e *env) {
						var a *app
						a = e.app(t, cfg(func(c *sesh.Config) { c.SaveUninitialized = false }), handler(func(w http.ResponseWriter, r *http.Request) {
							s := sesh.From(r.Context())
							s.Set("hit", true)
							if err := a.m.Save(r.Context(), s); err != nil {
								write(w, err.Error())
								return
							}
							write(w, "saved")
						}))
						r := a.get("/")
						shouldWrite(t, a, 1)
						expect(t, r, 200, "saved")
						a.spy.reset()
						expect(t, a.get("/", withCookie(r.cookie())), 200, "saved")
						shouldWrite(t, a, 1)
					}),
				),
			),
			// The session's expiry in MemoryStore is its cookie.expires;
			// in a sesh store it is the record's expiry.
			describe(".touch()",
				it("should reset session expiration", func(t *testing.T, e *env) {
					a := e.app(t, cfg(func(c *sesh.Config) { c.Resave = false }), maxAge(time.Minute), handler(func(w http.ResponseWriter, r *http.Request) {
						s := sesh.From(r.Context())
						s.Set("hit", true)
						s.Touch()
					}))
					r := a.get("/")
					expectCode(t, r, 200)
					exp := a.expiry(r.sid())
					time.Sleep(100 * time.Millisecond)
					expectCode(t, a.get("/", withCookie(r.cookie())), 200)
					if got := a.expiry(r.sid()); got.Equal(exp) {
						t.Fatalf("session expiry still %v", exp)
					}
				}),
			),
			describe(".cookie",
				describe(".*",
					// req.session.cookie.x = v in the handler: Config.CookieFor.
					it("should serialize as parameters", func(t *testing.T, e *env) {
						a := e.app(t, cfg(func(c *sesh.Config) {
							c.TrustProxy = true
							c.CookieFor = func(_ *http.Request, c *sesh.CookieConfig) {
								c.DisableHTTPOnly = true
								c.Secure = sesh.SecureAlways
							}
						}))
						r := a.get("/", withHeader("X-Forwarded-Proto", "https"))
						shouldSetCookieWithoutAttribute(t, r, "connect.sid", "HttpOnly")
						shouldSetCookieWithAttribute(t, r, "connect.sid", "Secure")
						expectCode(t, r, 200)
					}),
					it("should default to a browser-session length cookie", func(t *testing.T, e *env) {
						a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Path = "/admin" }))
						r := a.get("/admin")
						shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Expires")
						expectCode(t, r, 200)
					}),
					it("should Set-Cookie only once for browser-session cookies", func(t *testing.T, e *env) {
						a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Path = "/admin" }))
						r := a.get("/admin/foo")
						shouldSetCookie(t, r, "connect.sid")
						expectCode(t, r, 200)
						r2 := a.get("/admin", withCookie(r.cookie()))
						shouldNotHaveSetCookie(t, r2)
						expectCode(t, r2, 200)
					}),
					it("should override defaults", func(t *testing.T, e *env) {
						a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) {
							c.DisableHTTPOnly = true
							c.MaxAge = 5 * time.Second
							c.Path = "/admin"
							c.Priority = cookie.PriorityHigh
							c.Secure = sesh.SecureAlways
						}), cfg(func(c *sesh.Config) {
							c.CookieFor = func(_ *http.Request, c *sesh.CookieConfig) { c.Secure = sesh.SecureNever }
						}))
						r := a.get("/admin")
						shouldSetCookieWithAttribute(t, r, "connect.sid", "Expires")
						shouldSetCookieWithoutAttribute(t, r, "connect.sid", "HttpOnly")
						shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "Path", "/admin")
						shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Secure")
						shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "Priority", "High")
						expectCode(t, r, 200)
					}),
					// express reports a cookie it cannot serialize after a
					// 200; sesh refuses an invalid cookie configuration at
					// New, and an invalid CookieFor result fails the request.
					differs("should forward errors setting cookie", func(t *testing.T, e *env) {
						_, err := sesh.New(sesh.Config{Store: e.opt.NewStore(t, time.Now), Cookie: sesh.CookieConfig{MaxAge: -time.Second}})
						if !errors.Is(err, sesh.ErrConfig) {
							t.Fatalf("New with an invalid cookie: %v", err)
						}
						a := e.app(t, cfg(func(c *sesh.Config) {
							c.CookieFor = func(_ *http.Request, c *sesh.CookieConfig) { c.MaxAge = -time.Second }
						}))
						expectCode(t, a.get("/admin"), 500)
						if !errors.Is(a.lastErr(), sesh.ErrConfig) {
							t.Fatalf("the error handler got %v", a.lastErr())
						}
					}),
					it("should preserve cookies set before writeHead is called", func(t *testing.T, e *env) {
						a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
							w.Header().Add("Set-Cookie", "previous=cookieValue; Path=/; HttpOnly")
						}))
						r := a.get("/")
						shouldSetCookieToValue(t, r, "previous", "cookieValue")
						expectCode(t, r, 200)
					}),
					// res.writeHead(200, {'Set-Cookie': …}): the header set,
					// then WriteHeader.
					it("should preserve cookies set in writeHead", func(t *testing.T, e *env) {
						a := e.app(t, handler(func(w http.ResponseWriter, r *http.Request) {
							w.Header().Add("Set-Cookie", "previous=cookieValue; Path=/; HttpOnly")
							w.WriteHeader(200)
						}))
						r := a.get("/")
						shouldSetCookieToValue(t, r, "previous", "cookieValue")
						expectCode(t, r, 200)
					}),
				),
				// req.session.cookie.originalMaxAge is the record's
				// cookie.originalMaxAge, and Meta().Persist of a loaded
				// session.
				describe(".originalMaxAge",
					it("should equal original maxAge", func(t *testing.T, e *env) {
						a := e.app(t, maxAge(2000*time.Millisecond))
						r := a.get("/")
						expectCode(t, r, 200)
						if got := a.cookieField(r.sid(), "originalMaxAge"); got != 2000.0 {
							t.Fatalf("originalMaxAge %v, want 2000", got)
						}
					}),
					it("should equal original maxAge for all requests", func(t *testing.T, e *env) {
						a := e.app(t, maxAge(2000*time.Millisecond), handler(func(w http.ResponseWriter, r *http.Request) {
							write(w, fmt.Sprint(sesh.From(r.Context()).Meta().Persist.Milliseconds()))
						}))
						r := a.get("/")
						expectCode(t, r, 200)
						if got := a.cookieField(r.sid(), "originalMaxAge"); got != 2000.0 {
							t.Fatalf("originalMaxAge %v, want 2000", got)
						}
						a.clock.Advance(100 * time.Millisecond)
						expect(t, a.get("/", withCookie(r.cookie())), 200, "2000")
						if got := a.cookieField(r.sid(), "originalMaxAge"); got != 2000.0 {
							t.Fatalf("originalMaxAge %v after the second request, want 2000", got)
						}
					}),
					na("should equal original maxAge for all requests"),
				),
				describe(".secure",
					it("should set cookie when secure", func(t *testing.T, e *env) {
						a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Secure = sesh.SecureAlways }))
						r := a.get("/", overTLS())
						shouldSetCookie(t, r, "connect.sid")
						expectCode(t, r, 200)
					}),
					differs("should not set-cookie when insecure", func(t *testing.T, e *env) {
						a := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Secure = sesh.SecureAlways }))
						r := a.get("/", withHost("example.com"))
						shouldSetCookieWithAttribute(t, r, "connect.sid", "Secure")
						expectCode(t, r, 200)
						if !a.warnedPlainHTTP() {
							t.Fatal("no warning for a Secure cookie sent over plain HTTP")
						}
					}),
				),
				// req.session.cookie.maxAge = n: Session.Persist.
				describe(".maxAge",
					it("should set cookie expires relative to maxAge", func(t *testing.T, e *env) {
						r := maxAgeSequence(t, e, 1)
						shouldSetCookieToExpireIn(t, r, "connect.sid", 2000*time.Millisecond)
						expect(t, r, 200, "1")
					}),
					it("should modify cookie expires when changed", func(t *testing.T, e *env) {
						r := maxAgeSequence(t, e, 2)
						shouldSetCookieToExpireIn(t, r, "connect.sid", 5000*time.Millisecond)
						expect(t, r, 200, "2")
					}),
					it("should modify cookie expires when changed to large value", func(t *testing.T, e *env) {
						r := maxAgeSequence(t, e, 3)
						shouldSetCookieToExpireIn(t, r, "connect.sid", 3000000000*time.Millisecond)
						expect(t, r, 200, "3")
					}),
				),
				describe(".expires",
					// req.session.cookie.expires = date: the explicit API's
					// Manager.CommitWith with Expires.
					describe("when given a Date",
						it("should set absolute", func(t *testing.T, e *env) {
							a := e.app(t, mount(func(m *sesh.Manager, _ http.Handler) http.Handler {
								return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
									s, err := m.LoadRequest(r)
									if err == nil {
										var line string
										if line, err = m.CommitWith(r.Context(), s, sesh.CommitOptions{Expires: time.Unix(0, 0)}); err == nil {
											w.Header().Add("Set-Cookie", line)
										}
									}
									if err != nil {
										http.Error(w, err.Error(), 500)
									}
								})
							}))
							r := a.get("/")
							shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "Expires", "Thu, 01 Jan 1970 00:00:00 GMT")
							expectCode(t, r, 200)
						}),
					),
					// req.session.cookie.expires = null:
					// Session.Persist(sesh.BrowserSession).
					describe("when null",
						it("should be a browser-session cookie", func(t *testing.T, e *env) {
							a := e.app(t, handler(browserSession(false)))
							r := a.get("/")
							shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Expires")
							expectCode(t, r, 200)
						}),
						it("should not reset cookie", func(t *testing.T, e *env) {
							a := e.app(t, handler(browserSession(false)))
							r := a.get("/")
							shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Expires")
							expectCode(t, r, 200)
							r2 := a.get("/", withCookie(r.cookie()))
							shouldNotHaveSetCookie(t, r2)
							expectCode(t, r2, 200)
						}),
						it("should not reset cookie when modified", func(t *testing.T, e *env) {
							a := e.app(t, handler(browserSession(true)))
							r := a.get("/")
							shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Expires")
							expectCode(t, r, 200)
							r2 := a.get("/", withCookie(r.cookie()))
							shouldNotHaveSetCookie(t, r2)
							expectCode(t, r2, 200)
						}),
					),
				),
				describe(".partitioned",
					describe("by default",
						it("should not set partitioned attribute", func(t *testing.T, e *env) {
							r := e.app(t).get("/")
							shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Partitioned")
							expectCode(t, r, 200)
						}),
					),
					describe(`when "false"`,
						it("should not set partitioned attribute", func(t *testing.T, e *env) {
							r := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Partitioned = false })).get("/")
							shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Partitioned")
							expectCode(t, r, 200)
						}),
					),
					// express sends Partitioned without Secure (browsers
					// drop such a cookie); sesh requires Secure for it.
					describe(`when "true"`,
						differs("should set partitioned attribute", func(t *testing.T, e *env) {
							_, err := sesh.New(sesh.Config{Store: e.opt.NewStore(t, time.Now),
								Cookie: sesh.CookieConfig{Partitioned: true, Secure: sesh.SecureNever}})
							if !errors.Is(err, sesh.ErrConfig) {
								t.Fatalf("Partitioned without Secure: %v", err)
							}
							r := e.app(t, cookieOpts(func(c *sesh.CookieConfig) { c.Partitioned, c.Secure = true, sesh.SecureAlways })).get("/")
							shouldSetCookieWithAttribute(t, r, "connect.sid", "Partitioned")
							shouldSetCookieWithAttribute(t, r, "connect.sid", "Secure")
							expectCode(t, r, 200)
						}),
					),
				),
			),
		),

		describe("synchronous store",
			na("should respond correctly on save"),
			na("should respond correctly on destroy"),
		),

		describe("cookieParser()",
			na("should read from req.cookies"),
			na("should reject unsigned from req.cookies"),
			na("should reject invalid signature from req.cookies"),
			na("should read from req.signedCookies"),
		),
	}
}

// expiry is the store's expiry of session id.
func (a *app) expiry(id string) time.Time {
	a.t.Helper()
	rec, err := a.spy.st.Get(context.Background(), id)
	if err != nil {
		a.t.Fatal(err)
	}
	return rec.Expires
}

// The original's handlers.

// numHandler: req.session.num = req.session.num || ++count.
func numHandler() http.HandlerFunc {
	var mu sync.Mutex
	count := 0
	return func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		n, ok := sesh.Get[int](s, "num")
		if !ok {
			mu.Lock()
			count++
			n = count
			mu.Unlock()
			s.Set("num", n)
		}
		write(w, fmt.Sprint("session ", n))
	}
}

// activeHandler: created or read, by whether active was set.
func activeHandler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		isNew := !s.Has("active")
		s.Set("active", true)
		if isNew {
			write(w, "session created")
		} else {
			write(w, "session read")
		}
	}
}

// countHandler: count++ and res.end(prefix + count); with prefix "unset",
// the session is unset (Clear) on the second request and nothing written.
func countHandler(prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		n, _ := sesh.Get[int](s, "count")
		n++
		s.Set("count", n)
		if prefix == "unset" {
			if n == 2 {
				s.Clear()
			}
			return
		}
		if prefix != "" {
			write(w, fmt.Sprint(prefix, n))
		}
	}
}

func userBob(w http.ResponseWriter, r *http.Request) { sesh.From(r.Context()).Set("user", "bob") }

func setUserEcho(w http.ResponseWriter, r *http.Request) {
	sesh.From(r.Context()).Set("user", "bob")
	write(w, "bob")
}

func echoUser(w http.ResponseWriter, r *http.Request) {
	u, ok := sesh.Get[string](sesh.From(r.Context()), "user")
	if !ok {
		u = "undefined"
	}
	write(w, u)
}

func setGetUser(w http.ResponseWriter, r *http.Request) {
	s := sesh.From(r.Context())
	raw, err := s.Raw("user")
	if err != nil {
		s.Set("user", "bob")
		write(w, "set")
		return
	}
	write(w, "get:"+string(raw))
}

// secureHandler: res.end(String(req.secure)).
func secureHandler(w http.ResponseWriter, r *http.Request) { write(w, fmt.Sprint(r.TLS != nil)) }

// typeofSession: res.end(typeof req.session).
func typeofSession(w http.ResponseWriter, r *http.Request) {
	s := sesh.From(r.Context())
	if s.Err() != nil || s.Status() == sesh.StatusDestroyed {
		write(w, "undefined")
		return
	}
	write(w, "object")
}

func hitHelloWorld(w http.ResponseWriter, r *http.Request) {
	sesh.From(r.Context()).Set("hit", true)
	write(w, "hello, ")
	write(w, "world")
}

// browserSession: req.session.cookie.expires = null (and hit++ when
// modify).
func browserSession(modify bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		s.Persist(sesh.BrowserSession)
		if modify {
			n, _ := sesh.Get[int](s, "hit")
			s.Set("hit", n+1)
		}
	}
}

// patched is utils.writePatch's place in Go: a ResponseWriter of another
// layer, noting what goes through it.
type patched struct {
	http.ResponseWriter
	seen []byte
}

func (p *patched) Write(b []byte) (int, error) {
	p.seen = append(p.seen, b...)
	return p.ResponseWriter.Write(b)
}

// proxySecure is {proxy: true, cookie: {secure: true, maxAge: 5}}.
func proxySecure(trust bool) appOpt {
	return cfg(func(c *sesh.Config) {
		c.TrustProxy = trust
		c.Cookie.Secure = sesh.SecureAlways
		c.Cookie.MaxAge = 5 * time.Millisecond
		c.IdleTimeout = 5 * time.Millisecond
	})
}

// secureAuto is {proxy: trust, cookie: {maxAge: 5, secure: 'auto'}}.
func secureAuto(trust bool) appOpt {
	return cfg(func(c *sesh.Config) {
		c.TrustProxy = trust
		c.Cookie.Secure = sesh.SecureAuto
		c.Cookie.MaxAge = 5 * time.Millisecond
		c.IdleTimeout = 5 * time.Millisecond
	})
}

// sameSiteAuto is {cookie: {sameSite: 'auto', secure: …}}.
func sameSiteAuto(secure sesh.SecureMode) appOpt {
	return cookieOpts(func(c *sesh.CookieConfig) { c.SameSite, c.Secure = sesh.SameSiteAuto, secure })
}

// mountAt is the original's mountAt: the middleware under a path prefix.
func mountAt(prefix string) appOpt {
	return mount(func(_ *sesh.Manager, h http.Handler) http.Handler { return http.StripPrefix(prefix, h) })
}

// maxAgeSequence replays the .maxAge block's shared server up to request
// n (its before hook is request 0) and returns request n's response.
// The clock is frozen on a whole second, and the response's Date comes
// from it, so that Expires - Date is exact.
func maxAgeSequence(t *testing.T, e *env, n int) *resp {
	t.Helper()
	var a *app
	a = e.app(t, maxAge(2000*time.Millisecond), cfg(func(c *sesh.Config) {
		c.IdleTimeout = time.Minute // the server-side lifetime is not what these cases test
	}), handler(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		count, ok := sesh.Get[int](s, "count")
		count++
		switch {
		case !ok: // ++undefined is NaN: the default branch
			count = 0
		case count == 1:
		case count == 2:
			s.Persist(5000 * time.Millisecond)
		case count == 3:
			s.Persist(3000000000 * time.Millisecond)
		default:
			count = 0
		}
		s.Set("count", count)
		w.Header().Set("Date", a.clock.Now().UTC().Format(http.TimeFormat))
		write(w, fmt.Sprint(count))
	}))
	a.clock.Freeze()
	r := a.get("/")
	c := r.cookie()
	for i := 1; i <= n; i++ {
		r = a.get("/", withCookie(c))
	}
	return r
}
