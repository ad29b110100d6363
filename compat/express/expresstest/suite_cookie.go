package expresstest

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
)

// cookieCases is test/cookie.js of express-session 1.19.0: express's
// Cookie class, whose sesh counterparts are CookieConfig (what the
// Manager sends) and the record's cookie object (what it stores). Every
// case configures the cookie explicitly (no harness lifetime), as
// new Cookie(options) does.
func cookieCases() []*node {
	return []*node{
		na("should create a new cookie object"),
		it("should default expires to null", func(t *testing.T, e *env) {
			a, r := newCookie(t, e, nil)
			shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Expires")
			if v := a.cookieField(r.sid(), "expires"); v != nil {
				t.Fatalf("stored expires %v, want null", v)
			}
		}),
		it("should default httpOnly to true", func(t *testing.T, e *env) {
			a, r := newCookie(t, e, nil)
			shouldSetCookieWithAttribute(t, r, "connect.sid", "HttpOnly")
			if v := a.cookieField(r.sid(), "httpOnly"); v != true {
				t.Fatalf("stored httpOnly %v", v)
			}
		}),
		it(`should default path to "/"`, func(t *testing.T, e *env) {
			a, r := newCookie(t, e, nil)
			shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "Path", "/")
			if v := a.cookieField(r.sid(), "path"); v != "/" {
				t.Fatalf("stored path %v", v)
			}
		}),
		it("should default maxAge to null", func(t *testing.T, e *env) {
			a, r := newCookie(t, e, nil)
			shouldSetCookieWithoutAttribute(t, r, "connect.sid", "Max-Age")
			if v := a.cookieField(r.sid(), "originalMaxAge"); v != nil {
				t.Fatalf("stored originalMaxAge %v, want null", v)
			}
		}),

		describe("with options",
			na("should create a new cookie object"),
			na("should reject non-objects"),
			na(`should ignore "data" option`),

			// expires: a lifetime fixed for one commit, Manager.CommitWith.
			describe("expires",
				it("should set expires", func(t *testing.T, e *env) {
					a, r, want := commitUntil(t, e, time.Minute)
					shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "Expires", want.UTC().Format(http.TimeFormat))
					if v := a.cookieField(r.sid(), "expires"); v != want.UTC().Format("2006-01-02T15:04:05.000Z") {
						t.Fatalf("stored expires %v, want %v", v, want)
					}
				}),
				it("should set maxAge", func(t *testing.T, e *env) {
					a, r, want := commitUntil(t, e, time.Minute)
					got, ok := a.cookieField(r.sid(), "originalMaxAge").(float64)
					left := float64(time.Until(want).Milliseconds())
					if !ok || math.Abs(got-left) > 1000 {
						t.Fatalf("stored originalMaxAge %v, want about %v", got, left)
					}
				}),
			),

			describe("httpOnly",
				it("should set httpOnly", func(t *testing.T, e *env) {
					a, r := newCookie(t, e, func(c *sesh.CookieConfig) { c.DisableHTTPOnly = true })
					shouldSetCookieWithoutAttribute(t, r, "connect.sid", "HttpOnly")
					if v := a.cookieField(r.sid(), "httpOnly"); v != false {
						t.Fatalf("stored httpOnly %v", v)
					}
				}),
			),

			describe("maxAge",
				it("should set expires", func(t *testing.T, e *env) {
					_, r := newCookie(t, e, func(c *sesh.CookieConfig) { c.MaxAge = time.Minute })
					exp, err := http.ParseTime(r.expires())
					if err != nil {
						t.Fatalf("Expires %q: %v", r.expires(), err)
					}
					if d := time.Until(exp) - time.Minute; d.Abs() > 1500*time.Millisecond { // Expires has second precision
						t.Fatalf("Expires %v is %v off now + maxAge", exp, d)
					}
				}),
				it("should set maxAge", func(t *testing.T, e *env) {
					a, r := newCookie(t, e, func(c *sesh.CookieConfig) { c.MaxAge = time.Minute })
					got, ok := a.cookieField(r.sid(), "originalMaxAge").(float64)
					if !ok || math.Abs(got-60000) > 1000 {
						t.Fatalf("stored originalMaxAge %v, want a number about 60000", a.cookieField(r.sid(), "originalMaxAge"))
					}
				}),
				na("should accept Date object"),
				// '42', true, a function: Go's types refuse them; the value
				// sesh refuses is a negative lifetime.
				it("should reject invalid types", func(t *testing.T, e *env) {
					for _, d := range []time.Duration{-time.Millisecond, -time.Hour} {
						_, err := sesh.New(sesh.Config{Store: e.opt.NewStore(t, time.Now), Cookie: sesh.CookieConfig{MaxAge: d}})
						if !errors.Is(err, sesh.ErrConfig) {
							t.Fatalf("MaxAge %v: %v", d, err)
						}
					}
				}),
			),

			// Partitioned requires Secure in sesh (browsers ignore it
			// without).
			describe("partitioned",
				it("should set partitioned", func(t *testing.T, e *env) {
					a, r := newCookie(t, e, func(c *sesh.CookieConfig) { c.Partitioned, c.Secure = true, sesh.SecureAlways })
					shouldSetCookieWithAttribute(t, r, "connect.sid", "Partitioned")
					if v := a.cookieField(r.sid(), "partitioned"); v != true {
						t.Fatalf("stored partitioned %v", v)
					}
				}),
			),

			describe("path",
				it("should set path", func(t *testing.T, e *env) {
					a, r := newCookieAt(t, e, "/foo", func(c *sesh.CookieConfig) { c.Path = "/foo" })
					shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "Path", "/foo")
					if v := a.cookieField(r.sid(), "path"); v != "/foo" {
						t.Fatalf("stored path %v", v)
					}
				}),
			),

			describe("priority",
				it("should set priority", func(t *testing.T, e *env) {
					a, r := newCookie(t, e, func(c *sesh.CookieConfig) { c.Priority = cookie.PriorityHigh })
					shouldSetCookieWithAttributeAndValue(t, r, "connect.sid", "Priority", "High")
					if v := a.cookieField(r.sid(), "priority"); v != "high" {
						t.Fatalf("stored priority %v", v)
					}
				}),
			),
		),
	}
}

// newCookie is new Cookie(options): a session whose cookie is configured
// by f alone, created by one request; it returns the app and the response.
func newCookie(t *testing.T, e *env, f func(*sesh.CookieConfig)) (*app, *resp) {
	t.Helper()
	return newCookieAt(t, e, "/", f)
}

func newCookieAt(t *testing.T, e *env, path string, f func(*sesh.CookieConfig)) (*app, *resp) {
	t.Helper()
	a := e.app(t, cookieOpts(f))
	r := a.get(path)
	shouldSetCookie(t, r, "connect.sid")
	expectCode(t, r, 200)
	return a, r
}

// commitUntil commits a new session with Manager.CommitWith, expiring d
// from now; it returns the app, the response and the expiry.
func commitUntil(t *testing.T, e *env, d time.Duration) (*app, *resp, time.Time) {
	t.Helper()
	var want time.Time
	a := e.app(t, cookieOpts(nil), mount(func(m *sesh.Manager, _ http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := m.LoadRequest(r)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			want = time.Now().Add(d).Truncate(time.Millisecond)
			line, err := m.CommitWith(r.Context(), s, sesh.CommitOptions{Expires: want})
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.Header().Add("Set-Cookie", line)
			fmt.Fprint(w, "ok")
		})
	}))
	r := a.get("/")
	shouldSetCookie(t, r, "connect.sid")
	expectCode(t, r, 200)
	return a, r, want
}
