package storetest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// testSessionConcurrency runs the request-level concurrency scenarios: real
// Managers over the store, behind real HTTP servers, hammered by parallel
// clients. They need sesh.Swapper.
func (s *suite) testSessionConcurrency(t *testing.T) {
	st := s.newStore(t)
	if _, ok := st.(sesh.Swapper); !ok {
		t.Skipf("store %T does not implement sesh.Swapper: concurrent requests may lose updates and a save may resurrect a destroyed session (documented)", st)
	}
	t.Run("UpdateIsExact", func(t *testing.T) { s.checkCounter(t, 1, false) })
	t.Run("UpdateIsExactTwoManagers", func(t *testing.T) { s.checkCounter(t, 2, false) })
	t.Run("SerializedSetIsExact", func(t *testing.T) { s.checkCounter(t, 1, true) })
	t.Run("SerializedSetIsExactTwoManagers", func(t *testing.T) { s.checkCounter(t, 2, true) })
	t.Run("RegenerateNeverResurrects", s.checkRegenerateVsDestroy)
	t.Run("NoSignOutBySignInRace", s.checkSignInRace)
	t.Run("TouchRaceNeverFails", s.checkTouchRace)
}

// client is an HTTP client for the scenarios: enough idle connections for
// every goroutine, and a bound on every request.
func httpClient(t *testing.T) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// call makes one request with the cookie (may be "") and returns the
// status, the body and the Set-Cookie lines for name.
func call(ctx context.Context, c *http.Client, url, cookie string) (int, string, []string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, "", nil, err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	var set []string
	for _, l := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(l, cookieName+"=") {
			set = append(set, l)
		}
	}
	return resp.StatusCode, string(b), set, err
}

// testIDSecret signs the IDs of stores that mint them (sesh.Creator),
// which sesh.New requires.
var testIDSecret = []byte("storetest: a 32-byte ID secret..")

// config is the Manager configuration the scenarios start from: quiet
// logs, and signed IDs for a store that mints them.
func (s *suite) config(t *testing.T, st sesh.Store) sesh.Config {
	c := sesh.Config{Store: st, Logger: testLogger(t)}
	if _, ok := st.(sesh.Creator); ok {
		cv, err := sesh.SignedIDs(testIDSecret)
		if err != nil {
			t.Fatal(err)
		}
		c.CookieValue = cv
	}
	return c
}

// testLogger logs the Manager's errors to the test log and drops the rest
// (the scenarios provoke warnings by design).
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
}

type tlogWriter struct{ t *testing.T }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// cookieName is the session cookie's default name, which the scenarios use.
const cookieName = sesh.DefaultHostCookieName

// cookieOf returns "<name>=<value>" from a Set-Cookie line, and whether
// the line sets a live cookie (not an expiry).
func cookieOf(line string) (string, bool) {
	v, _, _ := strings.Cut(line, ";")
	val := strings.TrimPrefix(v, cookieName+"=")
	expired := val == "" || strings.Contains(line, "Max-Age=0") || strings.Contains(line, "1970")
	return v, !expired
}

// serveManagers starts one HTTP server per Manager over st, each with the
// same handler, and returns their URLs.
func (s *suite) serveManagers(t *testing.T, st sesh.Store, n int, cfg func(*sesh.Config), h func(m *sesh.Manager) http.Handler) ([]string, []*sesh.Manager) {
	t.Helper()
	var urls []string
	var ms []*sesh.Manager
	for range n {
		c := s.config(t, st)
		if cfg != nil {
			cfg(&c)
		}
		m, err := sesh.New(c)
		if err != nil {
			t.Fatalf("sesh.New: %v", err)
		}
		srv := httptest.NewServer(m.Handler(h(m)))
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
		ms = append(ms, m)
	}
	return urls, ms
}

// checkCounter: 32 clients each increment one counter of one session 25
// times through the middleware, with Update (serialized false) or with a
// plain Get+Set under Config.Serialize. The counter must end at exactly
// 800. A 503 (a *sesh.ConflictError: nothing saved) is retried, as its
// Retry-After invites; any other failure fails the test.
func (s *suite) checkCounter(t *testing.T, managers int, serialized bool) {
	const clients, increments = 32, 25
	st := s.newStore(t)
	var cfg func(*sesh.Config)
	if serialized {
		cfg = func(c *sesh.Config) { c.Serialize = true }
	}
	urls, _ := s.serveManagers(t, st, managers, cfg, func(m *sesh.Manager) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sess := sesh.From(r.Context())
			switch r.URL.Path {
			case "/inc":
				if serialized {
					n, _ := sesh.Get[int](sess, "n")
					if err := sess.Set("n", n+1); err != nil {
						t.Errorf("Set: %v", err)
					}
					return
				}
				if _, err := sesh.Update(sess, "n", func(n int, _ bool) (int, error) { return n + 1, nil }); err != nil {
					t.Errorf("Update: %v", err)
				}
			case "/seed":
				sess.Set("n", 0)
			default:
				n, _ := sesh.Get[int](sess, "n")
				fmt.Fprint(w, n)
			}
		})
	})
	ctx := testCtx(t)
	c := httpClient(t)
	code, _, set, err := call(ctx, c, urls[0]+"/seed", "")
	if err != nil || code != http.StatusOK || len(set) != 1 {
		t.Fatalf("seed: %d %v %v", code, set, err)
	}
	cookie, _ := cookieOf(set[0])
	var busy atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			url := urls[g%len(urls)] + "/inc"
			for i := 0; i < increments; i++ {
				for retry := 0; ; retry++ {
					code, body, set, err := call(ctx, c, url, cookie)
					if err != nil {
						t.Errorf("client %d: %v", g, err)
						return
					}
					if len(set) != 0 {
						t.Errorf("client %d: an increment sent Set-Cookie %q", g, set)
						return
					}
					if code == http.StatusOK {
						break
					}
					if code != http.StatusServiceUnavailable || retry == 50 {
						t.Errorf("client %d: increment %d: %d %s", g, i, code, body)
						return
					}
					busy.Add(1)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	_, body, _, err := call(ctx, c, urls[0]+"/get", cookie)
	if err != nil {
		t.Fatal(err)
	}
	if body != strconv.Itoa(clients*increments) {
		t.Fatalf("%d clients x %d increments over %d Manager(s) ended at %s, want %d (%d answers were 503 and retried)",
			clients, increments, managers, body, clients*increments, busy.Load())
	}
	t.Logf("%d increments exact; %d answers were 503 (session busy) and retried", clients*increments, busy.Load())
}

// pausingStore lets the regenerate scenario stop a request between the
// insert of its new record and the compare-and-set on the old one (fault
// injection on timing only: every call reaches the real store).
type pausingStore struct {
	sesh.Store
	sw     sesh.Swapper
	armed  atomic.Bool   // the next insert pauses
	paused chan struct{} // closed when the pause begins
	resume chan struct{}
}

// arm makes the next insert (a Swap of version 0 with data, or a Create)
// pause until resume is closed.
func (p *pausingStore) arm() {
	p.paused, p.resume = make(chan struct{}), make(chan struct{})
	p.armed.Store(true)
}

func (p *pausingStore) pause(ctx context.Context) {
	if p.armed.CompareAndSwap(true, false) {
		close(p.paused)
		select {
		case <-p.resume:
		case <-ctx.Done():
		}
	}
}

func (p *pausingStore) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	v, err := p.sw.Swap(ctx, key, rec)
	if rec.Version == 0 && len(rec.Data) > 0 && !strings.HasPrefix(key, "lock:") {
		p.pause(ctx)
	}
	return v, err
}

type pausingCreator struct{ *pausingStore }

func (p pausingCreator) Create(ctx context.Context, rec sesh.Record) (string, error) {
	k, err := p.Store.(sesh.Creator).Create(ctx, rec)
	p.pause(ctx)
	return k, err
}

// withCapabilities returns ps with the optional capabilities of st the
// scenario relies on (Toucher, UserIndex, Creator), so the Manager treats
// it as it treats st.
func withCapabilities(st sesh.Store, ps *pausingStore) sesh.Store {
	to, isTo := st.(sesh.Toucher)
	ui, isUI := st.(sesh.UserIndex)
	if _, ok := st.(sesh.Creator); ok {
		pc := pausingCreator{ps}
		switch {
		case isTo && isUI:
			return struct {
				pausingCreator
				sesh.Toucher
				sesh.UserIndex
			}{pc, to, ui}
		case isTo:
			return struct {
				pausingCreator
				sesh.Toucher
			}{pc, to}
		case isUI:
			return struct {
				pausingCreator
				sesh.UserIndex
			}{pc, ui}
		}
		return pc
	}
	switch {
	case isTo && isUI:
		return struct {
			*pausingStore
			sesh.Toucher
			sesh.UserIndex
		}{ps, to, ui}
	case isTo:
		return struct {
			*pausingStore
			sesh.Toucher
		}{ps, to}
	case isUI:
		return struct {
			*pausingStore
			sesh.UserIndex
		}{ps, ui}
	}
	return ps
}

// checkRegenerateVsDestroy: a request that loaded the session and then
// regenerates it must not bring it back when, while it is in flight, the
// session is destroyed by a logout or by EndUserSessions. 60 trials over
// two interleavings: the destroy completes before the regenerating request
// commits, or between its insert of the new record and the move.
func (s *suite) checkRegenerateVsDestroy(t *testing.T) {
	st := s.newStore(t)
	_, hasIndex := st.(sesh.UserIndex)
	ps := &pausingStore{Store: st, sw: st.(sesh.Swapper)}
	store := withCapabilities(st, ps)
	loaded := make(chan struct{}, 1)
	var proceed chan struct{}
	var m *sesh.Manager
	urls, ms := s.serveManagers(t, store, 1, nil, func(mm *sesh.Manager) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sess := sesh.From(r.Context())
			switch r.URL.Path {
			case "/login":
				sess.Set("user", "u")
				if err := sess.SetUserID("u"); err != nil {
					t.Errorf("SetUserID: %v", err)
				}
			case "/regen":
				sess.Has("user")
				loaded <- struct{}{}
				<-proceed
				if err := sess.Regenerate(); err != nil {
					t.Errorf("Regenerate: %v", err)
				}
				sess.Set("regenerated", true)
			case "/logout":
				sess.Destroy()
			case "/end":
				if _, err := m.EndUserSessions(r.Context(), "u", nil); err != nil {
					t.Errorf("EndUserSessions: %v", err)
				}
			default:
				u, _ := sesh.Get[string](sess, "user")
				fmt.Fprint(w, u)
			}
		})
	})
	m = ms[0]
	url := urls[0]
	ctx := testCtx(t)
	c := httpClient(t)
	const trials = 60
	for trial := range trials {
		byEnd := trial%2 == 1 && hasIndex
		midway := trial%4 >= 2
		_, _, set, err := call(ctx, c, url+"/login", "")
		if err != nil || len(set) != 1 {
			t.Fatalf("trial %d: login: %v %v", trial, set, err)
		}
		cookie, _ := cookieOf(set[0])
		proceed = make(chan struct{})
		type result struct {
			set []string
			err error
		}
		done := make(chan result, 1)
		go func() {
			_, _, set, err := call(ctx, c, url+"/regen", cookie)
			done <- result{set, err}
		}()
		<-loaded
		destroy := func() {
			path := "/logout"
			if byEnd {
				path = "/end"
			}
			if code, body, _, err := call(ctx, c, url+path, cookie); err != nil || code != http.StatusOK {
				t.Errorf("trial %d: %s: %d %s %v", trial, path, code, body, err)
			}
		}
		if midway {
			ps.arm()
			close(proceed)
			select {
			case <-ps.paused:
			case r := <-done:
				t.Fatalf("trial %d: the regenerating request finished without inserting a new record: %v %v", trial, r.set, r.err)
			}
			destroy()
			close(ps.resume)
		} else {
			destroy()
			close(proceed)
		}
		r := <-done
		ps.armed.Store(false)
		if r.err != nil {
			t.Fatalf("trial %d: regen: %v", trial, r.err)
		}
		for _, l := range r.set {
			if ck, live := cookieOf(l); live {
				if _, who, _, _ := call(ctx, c, url+"/me", ck); who != "" {
					t.Fatalf("trial %d (destroy by %s, midway %v): the regenerated session survived the destroy (user %q)", trial, map[bool]string{true: "EndUserSessions", false: "logout"}[byEnd], midway, who)
				}
			}
		}
		if _, who, _, _ := call(ctx, c, url+"/me", cookie); who != "" {
			t.Fatalf("trial %d: the old cookie still reads user %q after the destroy", trial, who)
		}
		if hasIndex {
			if list, err := m.UserSessions(ctx, "u", nil); err != nil || len(list) != 0 {
				t.Fatalf("trial %d: user still has %d sessions after the destroy (%v)", trial, len(list), err)
			}
		}
	}
}

// checkSignInRace: a request that loaded the session before a concurrent
// sign-in regenerated it, and then changes the session, must not send a
// Set-Cookie that replaces or expires the signed-in cookie, whichever
// response reaches the browser last. 40 trials, half of them with the
// racing request loading the session only after the sign-in committed.
func (s *suite) checkSignInRace(t *testing.T) {
	st := s.newStore(t)
	loaded := make(chan struct{}, 1)
	var proceed chan struct{}
	urls, _ := s.serveManagers(t, st, 1, nil, func(m *sesh.Manager) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sess := sesh.From(r.Context())
			switch r.URL.Path {
			case "/visit":
				sess.Set("cart", 1)
			case "/login":
				if err := sess.SetUserID("u"); err != nil {
					t.Errorf("SetUserID: %v", err)
				}
				sess.Set("user", "u")
			case "/slow":
				sess.Has("cart")
				loaded <- struct{}{}
				<-proceed
				sess.Set("seen", time.Now().UnixNano())
			default:
				u, _ := sesh.Get[string](sess, "user")
				fmt.Fprint(w, u)
			}
		})
	})
	url := urls[0]
	ctx := testCtx(t)
	c := httpClient(t)
	for trial := range 40 {
		_, _, set, err := call(ctx, c, url+"/visit", "")
		if err != nil || len(set) != 1 {
			t.Fatalf("trial %d: visit: %v %v", trial, set, err)
		}
		anon, _ := cookieOf(set[0])
		proceed = make(chan struct{})
		type result struct {
			code int
			set  []string
			err  error
		}
		slow := make(chan result, 1)
		loadFirst := trial%2 == 0
		goSlow := func() {
			go func() {
				code, _, set, err := call(ctx, c, url+"/slow", anon)
				slow <- result{code, set, err}
			}()
			<-loaded
		}
		if loadFirst {
			goSlow()
		}
		_, _, set, err = call(ctx, c, url+"/login", anon)
		if err != nil || len(set) != 1 {
			t.Fatalf("trial %d: login: %v %v", trial, set, err)
		}
		signedIn, live := cookieOf(set[0])
		if !live || signedIn == anon {
			t.Fatalf("trial %d: sign-in did not set a new cookie: %q", trial, set)
		}
		if !loadFirst {
			goSlow()
		}
		close(proceed)
		r := <-slow
		if r.err != nil || r.code != http.StatusOK {
			t.Fatalf("trial %d: the racing request: %d %v", trial, r.code, r.err)
		}
		// The browser applies the racing response last.
		jar := signedIn
		for _, l := range r.set {
			jar, _ = cookieOf(l)
		}
		if _, who, _, _ := call(ctx, c, url+"/me", jar); who != "u" {
			t.Fatalf("trial %d (racing request loaded %s the sign-in): signed out by its response %q", trial, map[bool]string{true: "before", false: "after"}[loadFirst], r.set)
		}
	}
}

// checkTouchRace: with the idle deadline pushed on every request, read-only
// requests racing writers on one session never fail: a touch that loses to
// a write is not an error.
func (s *suite) checkTouchRace(t *testing.T) {
	st := s.newStore(t)
	urls, _ := s.serveManagers(t, st, 1, func(c *sesh.Config) { c.TouchInterval = time.Nanosecond }, func(m *sesh.Manager) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sess := sesh.From(r.Context())
			switch r.URL.Path {
			case "/write":
				if _, err := sesh.Update(sess, "n", func(n int, _ bool) (int, error) { return n + 1, nil }); err != nil {
					t.Errorf("Update: %v", err)
				}
			default:
				sess.Has("n")
			}
		})
	})
	url := urls[0]
	ctx := testCtx(t)
	c := httpClient(t)
	_, _, set, err := call(ctx, c, url+"/write", "")
	if err != nil || len(set) != 1 {
		t.Fatalf("first write: %v %v", set, err)
	}
	cookie, _ := cookieOf(set[0])
	var reads, failed atomic.Int64
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := "/read"
			if g%4 == 0 {
				path = "/write"
			}
			for i := 0; i < 30; i++ {
				code, body, set, err := call(ctx, c, url+path, cookie)
				if err != nil {
					t.Errorf("%s: %v", path, err)
					return
				}
				if path == "/read" {
					reads.Add(1)
				}
				if code == http.StatusServiceUnavailable && path == "/write" {
					continue // a writer that ran out of replays: not this test's subject
				}
				if code != http.StatusOK || len(set) != 0 {
					failed.Add(1)
					t.Errorf("%s %d: %d %q, Set-Cookie %q", path, i, code, body, set)
					return
				}
				if rand.IntN(4) == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() == 0 && reads.Load() == 0 {
		t.Fatal("no read ran")
	}
}
