package expresstest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/express"
)

// SuiteOptions configure the ported express-session suite.
type SuiteOptions struct {
	// NewStore returns an empty store for one case, keyed as express's
	// stores key sessions (the raw ID; Configure's StoreKey), whose clock is
	// now (the case moves it forward instead of sleeping). It must implement
	// sesh.Toucher and sesh.Lister, as express's MemoryStore has touch, all,
	// length and clear.
	NewStore func(t *testing.T, now func() time.Time) sesh.Store
}

// Kind is how sesh stands on one case of express-session's suite.
type Kind uint8

const (
	// Follows: sesh behaves as express-session; the Go test asserts what the
	// original asserts (through sesh's equivalent API where the original
	// uses Node's).
	Follows Kind = iota
	// Differs: sesh does otherwise on purpose; the Go test asserts sesh's
	// documented behaviour (docs/express-session-parity.md says why).
	Differs
	// NotApplicable: the case tests Node's API shape; there is no Go test
	// (docs/express-session-parity.md says why).
	NotApplicable
)

func (k Kind) String() string {
	switch k {
	case Follows:
		return "follows"
	case Differs:
		return "differs"
	}
	return "n/a"
}

// Case is one case of express-session's test/session.js or test/cookie.js.
type Case struct {
	File string // "test/session.js" or "test/cookie.js"
	Name string // the describe titles and the it title, joined by " > "
	Kind Kind
}

// node is a describe block or an it case.
type node struct {
	name string
	kind Kind
	run  func(t *testing.T, e *env) // nil for a describe block and for n/a
	kids []*node
}

func describe(name string, kids ...*node) *node { return &node{name: name, kids: kids} }

// it is a case sesh follows.
func it(name string, run func(t *testing.T, e *env)) *node {
	return &node{name: name, kind: Follows, run: run}
}

// differs is a case sesh does not follow on purpose: run asserts sesh's
// behaviour.
func differs(name string, run func(t *testing.T, e *env)) *node {
	return &node{name: name, kind: Differs, run: run}
}

// na is a case of Node's API shape, with no Go counterpart.
func na(name string) *node { return &node{name: name, kind: NotApplicable} }

// runTree runs the cases under n as nested subtests named after the
// describe and it titles.
func runTree(t *testing.T, e *env, kids []*node) {
	for _, n := range kids {
		switch {
		case n.kids != nil:
			t.Run(n.name, func(t *testing.T) { runTree(t, e, n.kids) })
		case n.run != nil:
			t.Run(n.name, func(t *testing.T) { n.run(t, e) })
		}
	}
}

func collect(file, prefix string, kids []*node, out []Case) []Case {
	for _, n := range kids {
		name := n.name
		if prefix != "" {
			name = prefix + " > " + n.name
		}
		if n.kids != nil {
			out = collect(file, name, n.kids, out)
			continue
		}
		out = append(out, Case{File: file, Name: name, Kind: n.kind})
	}
	return out
}

// Cases lists every case of express-session 1.19.0's test/session.js and
// test/cookie.js, in file order, with how sesh stands on it.
func Cases() []Case {
	out := collect("test/session.js", "session()", sessionCases(), nil)
	return collect("test/cookie.js", "new Cookie()", cookieCases(), out)
}

// Session runs test/session.js, ported. Its subtests are named after the
// original's describe and it titles.
func Session(t *testing.T, opt SuiteOptions) {
	runTree(t, &env{opt: opt}, sessionCases())
}

// Cookie runs test/cookie.js, ported.
func Cookie(t *testing.T, opt SuiteOptions) {
	runTree(t, &env{opt: opt}, cookieCases())
}

// env is what every case gets: the store factory.
type env struct{ opt SuiteOptions }

// errBoom is the store failure the cases inject (the original's "boom!").
var errBoom = errors.New("boom")

// clock is a case's clock: the real time plus an offset the case moves
// forward, or frozen.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
	frozen time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen.IsZero() {
		return c.frozen.Add(c.offset)
	}
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Freeze stops the clock on a whole second (so that a lifetime shows
// exactly in Expires against Date, both of second precision).
func (c *clock) Freeze() {
	c.mu.Lock()
	c.frozen = time.Now().Truncate(time.Second).Add(time.Second)
	c.mu.Unlock()
}

// spy wraps a case's store: it counts the calls express's tests count and
// fails them on demand.
type spy struct {
	st sesh.Store
	mu sync.Mutex
	// counts
	gets, writes, touches, deletes int
	// failures
	getErr, writeErr, touchErr, deleteErr error
	down                                  bool // every call fails
	writeDelay                            time.Duration
}

func (s *spy) fail(which error) error {
	if s.down {
		return errBoom
	}
	return which
}

func (s *spy) Get(ctx context.Context, key string) (sesh.Record, error) {
	s.mu.Lock()
	s.gets++
	err := s.fail(s.getErr)
	s.mu.Unlock()
	if err != nil {
		return sesh.Record{}, err
	}
	return s.st.Get(ctx, key)
}

// wrote counts a write of session data (a Regenerate's tombstone, with no
// data, is not express's store.set).
func (s *spy) wrote(rec sesh.Record) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(rec.Data) > 0 {
		s.writes++
	}
	return s.writeDelay, s.fail(s.writeErr)
}

func (s *spy) Set(ctx context.Context, key string, rec sesh.Record) error {
	d, err := s.wrote(rec)
	if err != nil {
		return err
	}
	time.Sleep(d)
	return s.st.Set(ctx, key, rec)
}

func (s *spy) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	s.deletes++
	err := s.fail(s.deleteErr)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.st.Delete(ctx, key)
}

func (s *spy) Touch(ctx context.Context, key string, exp time.Time) error {
	s.mu.Lock()
	s.touches++
	err := s.fail(s.touchErr)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.st.(sesh.Toucher).Touch(ctx, key, exp)
}

func (s *spy) Range(ctx context.Context, fn func(string, sesh.Record) bool) error {
	return s.st.(sesh.Lister).Range(ctx, fn)
}

func (s *spy) Len(ctx context.Context) (int, error) { return s.st.(sesh.Lister).Len(ctx) }

func (s *spy) Clear(ctx context.Context) error { return s.st.(sesh.Lister).Clear(ctx) }

func (s *spy) reset() {
	s.mu.Lock()
	s.gets, s.writes, s.touches, s.deletes = 0, 0, 0, 0
	s.mu.Unlock()
}

func (s *spy) count(p *int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *p
}

// swapSpy is spy over a store with compare-and-set.
type swapSpy struct{ *spy }

func (s swapSpy) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	d, err := s.wrote(rec)
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	return s.st.(sesh.Swapper).Swap(ctx, key, rec)
}

// app is one express-session server of a case: a Manager configured as
// the original's createServer options say, serving a handler over HTTP
// (and HTTPS on demand).
type app struct {
	t      *testing.T
	clock  *clock
	spy    *spy
	store  sesh.Store // what the Manager uses (the spy)
	m      *sesh.Manager
	h      http.Handler
	srv    *httptest.Server
	tlsSrv *httptest.Server
	logs   *syncBuffer

	mu   sync.Mutex
	errs []error // what the ErrorHandler got
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// appOpts are a case's createServer arguments.
type appOpts struct {
	cfg     []func(*sesh.Config)
	secrets [][]byte
	handler http.HandlerFunc
	mount   func(m *sesh.Manager, h http.Handler) http.Handler
	share   *app
}

type appOpt func(*appOpts)

// cfg changes the configuration after Configure.
func cfg(f func(*sesh.Config)) appOpt { return func(o *appOpts) { o.cfg = append(o.cfg, f) } }

// cookieOpts is express's cookie option given explicitly: it replaces the
// harness's {maxAge: 60000}, so the lifetime is express's default (none)
// unless f sets one (with maxAge).
func cookieOpts(f func(*sesh.CookieConfig)) appOpt {
	return cfg(func(c *sesh.Config) {
		c.Cookie.MaxAge = 0
		c.IdleTimeout = 0
		if f != nil {
			f(&c.Cookie)
		}
		if c.Cookie.MaxAge > 0 {
			c.IdleTimeout = c.Cookie.MaxAge
		}
	})
}

// maxAge is express's cookie.maxAge: the cookie's lifetime, and the
// store's expiry, which express's stores take from the cookie.
func maxAge(d time.Duration) appOpt {
	return cfg(func(c *sesh.Config) { c.Cookie.MaxAge = d; c.IdleTimeout = d })
}

func secrets(s ...string) appOpt {
	return func(o *appOpts) {
		o.secrets = nil
		for _, x := range s {
			o.secrets = append(o.secrets, []byte(x))
		}
	}
}

func secretBytes(b []byte) appOpt { return func(o *appOpts) { o.secrets = [][]byte{b} } }

func handler(h http.HandlerFunc) appOpt { return func(o *appOpts) { o.handler = h } }

// mount puts something around (or instead of) the middleware: f gets the
// Manager and the middleware-wrapped handler.
func mount(f func(m *sesh.Manager, h http.Handler) http.Handler) appOpt {
	return func(o *appOpts) { o.mount = f }
}

// share makes the app use another app's store and clock (two servers, one
// store).
func share(a *app) appOpt { return func(o *appOpts) { o.share = a } }

// harness is the original's createSession defaults, in sesh's terms:
// cookie {maxAge: 60000} (the store's expiry following it, as express's
// stores do), the cookie's secure unset (never Secure), resave and
// saveUninitialized unset (both true in express), no absolute timeout (express
// has none), secret 'keyboard cat'.
func harness(c *sesh.Config) {
	c.Cookie.MaxAge = time.Minute
	c.IdleTimeout = time.Minute
	c.AbsoluteTimeout = sesh.NoTimeout
	c.Cookie.Secure = sesh.SecureNever
	c.Resave = true
	c.SaveUninitialized = true
}

// app builds a case's server.
func (e *env) app(t *testing.T, opts ...appOpt) *app {
	t.Helper()
	o := appOpts{secrets: [][]byte{[]byte("keyboard cat")}}
	for _, f := range opts {
		f(&o)
	}
	a := &app{t: t, logs: &syncBuffer{}}
	if o.share != nil {
		a.clock, a.spy, a.store = o.share.clock, o.share.spy, o.share.store
	} else {
		a.clock = &clock{}
		st := e.opt.NewStore(t, a.clock.Now)
		if _, ok := st.(sesh.Toucher); !ok {
			t.Fatalf("the suite's store %T is no sesh.Toucher", st)
		}
		if _, ok := st.(sesh.Lister); !ok {
			t.Fatalf("the suite's store %T is no sesh.Lister", st)
		}
		a.spy = &spy{st: st}
		a.store = a.spy
		if _, ok := st.(sesh.Swapper); ok {
			a.store = swapSpy{a.spy}
		}
	}
	c := sesh.Config{
		Store:  a.store,
		Now:    a.clock.Now,
		Logger: slog.New(slog.NewTextHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			a.mu.Lock()
			a.errs = append(a.errs, err)
			a.mu.Unlock()
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		},
	}
	harness(&c)
	if err := express.ConfigureWith(&c, express.SecretOptions{AllowShortSecrets: true}, o.secrets...); err != nil {
		t.Fatal(err)
	}
	for _, f := range o.cfg {
		f(&c)
	}
	m, err := sesh.New(c)
	if err != nil {
		t.Fatalf("sesh.New: %v", err)
	}
	a.m = m
	h := o.handler
	if h == nil {
		h = func(http.ResponseWriter, *http.Request) {} // res.end()
	}
	a.h = m.Handler(h)
	if o.mount != nil {
		a.h = o.mount(m, a.h)
	}
	a.srv = httptest.NewUnstartedServer(a.h)
	a.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // superfluous WriteHeader calls are the point of some cases
	a.srv.Start()
	t.Cleanup(a.srv.Close)
	return a
}

// lastErr is the error the ErrorHandler got last.
func (a *app) lastErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.errs) == 0 {
		return nil
	}
	return a.errs[len(a.errs)-1]
}

// record is the stored JSON of session id.
func (a *app) record(id string) map[string]json.RawMessage {
	a.t.Helper()
	rec, err := a.spy.st.Get(context.Background(), id)
	if err != nil {
		a.t.Fatalf("the store has no session %s: %v", shortID(id), err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(rec.Data, &top); err != nil {
		a.t.Fatalf("stored record: %v", err)
	}
	return top
}

// cookieField is one field of a stored session's cookie object.
func (a *app) cookieField(id, field string) any {
	a.t.Helper()
	var c map[string]any
	if err := json.Unmarshal(a.record(id)["cookie"], &c); err != nil {
		a.t.Fatal(err)
	}
	return c[field]
}

// rewrite replaces the stored data of session id, keeping its expiry.
func (a *app) rewrite(id string, data string) {
	a.t.Helper()
	rec, err := a.spy.st.Get(context.Background(), id)
	if err != nil {
		a.t.Fatal(err)
	}
	rec.Data, rec.Version = []byte(data), 0
	if err := a.spy.st.Set(context.Background(), id, rec); err != nil {
		a.t.Fatal(err)
	}
}

func (a *app) len() int {
	a.t.Helper()
	n, err := a.spy.Len(context.Background())
	if err != nil {
		a.t.Fatal(err)
	}
	return n
}

func (a *app) clear() {
	a.t.Helper()
	if err := a.spy.Clear(context.Background()); err != nil {
		a.t.Fatal(err)
	}
}

func shortID(id string) string {
	if len(id) > 6 {
		return id[:6] + "…"
	}
	return id
}

// reqOpt changes one request.
type reqOpt func(*http.Request, *bool)

// withCookie sends a Cookie header as supertest's .set('Cookie', v) does:
// v is often a whole Set-Cookie line (attributes and all), as the
// original's cookie(res) returns it.
func withCookie(v string) reqOpt {
	return func(r *http.Request, _ *bool) { r.Header.Set("Cookie", v) }
}

func withHeader(k, v string) reqOpt {
	return func(r *http.Request, _ *bool) { r.Header.Set(k, v) }
}

func withHost(h string) reqOpt { return func(r *http.Request, _ *bool) { r.Host = h } }

// overTLS sends the request over HTTPS: express's req.secure = true and
// a TLS socket are both a TLS request in Go.
func overTLS() reqOpt { return func(_ *http.Request, tls *bool) { *tls = true } }

// resp is a response as supertest sees it.
type resp struct {
	code   int
	body   string
	header http.Header
}

func (a *app) get(path string, opts ...reqOpt) *resp {
	a.t.Helper()
	return a.do("GET", path, opts...)
}

func (a *app) do(method, path string, opts ...reqOpt) *resp {
	a.t.Helper()
	useTLS := false
	req, err := http.NewRequest(method, "http://placeholder"+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	for _, f := range opts {
		f(req, &useTLS)
	}
	srv := a.srv
	if useTLS {
		srv = a.tls()
	}
	u, _ := url.Parse(srv.URL)
	req.URL.Scheme, req.URL.Host = u.Scheme, u.Host
	res, err := srv.Client().Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatalf("%s %s: body: %v", method, path, err)
	}
	return &resp{code: res.StatusCode, body: string(body), header: res.Header}
}

// tls starts the HTTPS server of the app on first use.
func (a *app) tls() *httptest.Server {
	if a.tlsSrv == nil {
		a.tlsSrv = httptest.NewUnstartedServer(a.h)
		a.tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
		a.tlsSrv.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		a.tlsSrv.StartTLS()
		a.t.Cleanup(a.tlsSrv.Close)
	}
	return a.tlsSrv
}

// cookie is the original's cookie(res): the first Set-Cookie line, "" if
// none.
func (r *resp) cookie() string {
	if v := r.header.Values("Set-Cookie"); len(v) > 0 {
		return v[0]
	}
	return ""
}

// setCookie is the original's utils.parseSetCookie of cookie(res): name,
// value and the attributes by lower-case name ("" for a flag).
func (r *resp) setCookie() (name, value string, attrs map[string]string, ok bool) {
	line := r.cookie()
	if line == "" {
		return "", "", nil, false
	}
	parts := strings.Split(line, ";")
	name, value, _ = strings.Cut(strings.TrimSpace(parts[0]), "=")
	attrs = map[string]string{}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		attrs[strings.ToLower(k)] = v
	}
	return name, value, attrs, true
}

// sid is the original's sid(res): the ID in the cookie's s:<id>.<sig>.
func (r *resp) sid() string {
	_, v, _, ok := r.setCookie()
	if !ok {
		return ""
	}
	if u, err := url.PathUnescape(v); err == nil {
		v = u
	}
	if !strings.HasPrefix(v, "s:") {
		return ""
	}
	v = v[2:]
	if i := strings.IndexByte(v, '.'); i >= 0 {
		v = v[:i]
	}
	return v
}

// expires is the original's expires(res).
func (r *resp) expires() string {
	_, _, attrs, _ := r.setCookie()
	return attrs["expires"]
}

// The original's assertions.

func expect(t *testing.T, r *resp, code int, body string) {
	t.Helper()
	if r.code != code || r.body != body {
		t.Fatalf("response %d %q, want %d %q", r.code, r.body, code, body)
	}
}

func expectCode(t *testing.T, r *resp, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("response %d %q, want %d", r.code, r.body, code)
	}
}

func shouldNotHaveSetCookie(t *testing.T, r *resp) {
	t.Helper()
	if v := r.header.Values("Set-Cookie"); len(v) > 0 {
		t.Fatalf("should not have Set-Cookie header, got %q", v)
	}
}

func shouldSetCookie(t *testing.T, r *resp, name string) {
	t.Helper()
	n, _, _, ok := r.setCookie()
	if !ok {
		t.Fatal("should have a cookie header")
	}
	if n != name {
		t.Fatalf("should set cookie %s, got %q", name, r.cookie())
	}
}

func shouldSetCookieToValue(t *testing.T, r *resp, name, val string) {
	t.Helper()
	shouldSetCookie(t, r, name)
	if _, v, _, _ := r.setCookie(); v != val {
		t.Fatalf("should set cookie %s to %s, got %s", name, val, v)
	}
}

func shouldSetCookieWithAttribute(t *testing.T, r *resp, name, attr string) {
	t.Helper()
	shouldSetCookie(t, r, name)
	if _, _, attrs, _ := r.setCookie(); !hasKey(attrs, strings.ToLower(attr)) {
		t.Fatalf("should set cookie with attribute %s: %q", attr, r.cookie())
	}
}

func shouldSetCookieWithoutAttribute(t *testing.T, r *resp, name, attr string) {
	t.Helper()
	shouldSetCookie(t, r, name)
	if _, _, attrs, _ := r.setCookie(); hasKey(attrs, strings.ToLower(attr)) {
		t.Fatalf("should set cookie without attribute %s: %q", attr, r.cookie())
	}
}

func shouldSetCookieWithAttributeAndValue(t *testing.T, r *resp, name, attr, value string) {
	t.Helper()
	shouldSetCookie(t, r, name)
	if _, _, attrs, _ := r.setCookie(); attrs[strings.ToLower(attr)] != value || !hasKey(attrs, strings.ToLower(attr)) {
		t.Fatalf("should set cookie with attribute %s set to %s: %q", attr, value, r.cookie())
	}
}

func shouldSetCookieToDifferentSessionID(t *testing.T, r *resp, id string) {
	t.Helper()
	if got := r.sid(); got == "" || got == id {
		t.Fatalf("should set cookie to a different session ID: %q", r.cookie())
	}
}

// shouldSetCookieToExpireIn: Expires - Date is exactly delta.
func shouldSetCookieToExpireIn(t *testing.T, r *resp, name string, delta time.Duration) {
	t.Helper()
	shouldSetCookie(t, r, name)
	exp, err1 := http.ParseTime(r.expires())
	date, err2 := http.ParseTime(r.header.Get("Date"))
	if err1 != nil || err2 != nil {
		t.Fatalf("Expires %q, Date %q", r.expires(), r.header.Get("Date"))
	}
	if got := exp.Sub(date); got != delta {
		t.Fatalf("should set cookie %s to expire in %v, got %v", name, delta, got)
	}
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// shouldWrite checks the number of session writes (express's store.set
// calls) since the spy's last reset.
func shouldWrite(t *testing.T, a *app, n int) {
	t.Helper()
	if got := a.spy.count(&a.spy.writes); got != n {
		t.Fatalf("%d session writes to the store, want %d", got, n)
	}
}

// warnedPlainHTTP reports whether the Manager logged its warning about a
// Secure cookie sent over plain HTTP.
func (a *app) warnedPlainHTTP() bool {
	return strings.Contains(a.logs.String(), "the session cookie is Secure but this request came over plain HTTP")
}

// write is res.end(body) for a handler.
func write(w http.ResponseWriter, s string) { io.WriteString(w, s) }
