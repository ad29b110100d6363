package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// jar is a browser's cookie jar for the remember-me scenarios: it applies
// Set-Cookie lines and can drop the browser-session cookies (a restart).
type jar struct {
	mu      sync.Mutex
	vals    map[string]string
	session map[string]bool // no Max-Age: dropped when the browser restarts
}

func newJar() *jar { return &jar{vals: map[string]string{}, session: map[string]bool{}} }

func (j *jar) apply(lines []string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, l := range lines {
		nv, attrs, _ := strings.Cut(l, ";")
		name, val, _ := strings.Cut(nv, "=")
		if val == "" || strings.Contains(attrs, "Max-Age=0") {
			delete(j.vals, name)
			continue
		}
		j.vals[name] = val
		j.session[name] = !strings.Contains(attrs, "Max-Age=")
	}
}

func (j *jar) header() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var parts []string
	for k, v := range j.vals {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, "; ")
}

func (j *jar) get(name string) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.vals[name]
}

// restart drops the browser-session cookies.
func (j *jar) restart() {
	j.mu.Lock()
	defer j.mu.Unlock()
	for k := range j.vals {
		if j.session[k] {
			delete(j.vals, k)
		}
	}
}

func (j *jar) clone() *jar {
	j.mu.Lock()
	defer j.mu.Unlock()
	c := newJar()
	for k, v := range j.vals {
		c.vals[k], c.session[k] = v, j.session[k]
	}
	return c
}

// browse makes one request with the jar's cookies, applies the response's
// Set-Cookie lines to it, and returns the status and body.
func browse(ctx context.Context, c *http.Client, url string, j *jar) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, "", err
	}
	if h := j.header(); h != "" {
		req.Header.Set("Cookie", h)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	j.apply(resp.Header.Values("Set-Cookie"))
	return resp.StatusCode, string(b), err
}

// whoami is what the scenarios' /me answers.
type whoami struct {
	User     string
	Restored bool
	AuthTime int64 // Unix ms
}

// testRemember runs the persistent-login scenarios through the
// middleware: restore after the session is gone, rotation on every use,
// theft detection, the multi-tab grace window, revocation with
// EndUserSessions and EndSession, the sign-in time kept across restores
// and Regenerate, and no token in any log line.
func (s *suite) testRemember(t *testing.T) {
	st := s.newStore(t)
	_, sw := st.(sesh.Swapper)
	_, ui := st.(sesh.UserIndex)
	if !sw || !ui {
		t.Skipf("store %T lacks sesh.Swapper or sesh.UserIndex: Remember refuses it (sesh.New says so)", st)
	}
	t.Run("RestoreRotateTheft", func(t *testing.T) { s.checkRememberTheft(t) })
	t.Run("MultiTabGrace", func(t *testing.T) { s.checkRememberGrace(t) })
	t.Run("Revocation", func(t *testing.T) { s.checkRememberRevocation(t) })
}

// rememberServer serves the scenarios' routes over st with grace.
func (s *suite) rememberServer(t *testing.T, grace time.Duration, logs io.Writer, thefts *[]sesh.RememberTheft) (string, *sesh.Manager) {
	st := s.newStore(t)
	var mu sync.Mutex
	urls, ms := s.serveManagers(t, st, 1, func(c *sesh.Config) {
		if logs != nil {
			c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
		c.Remember = &sesh.RememberConfig{Grace: grace,
			OnRestore: func(ctx context.Context, sess *sesh.Session, user string) error {
				return sess.Set("name", strings.ToUpper(user))
			},
			OnTheft: func(ctx context.Context, th sesh.RememberTheft) {
				mu.Lock()
				defer mu.Unlock()
				if thefts != nil {
					*thefts = append(*thefts, th)
				}
			},
		}
	}, func(m *sesh.Manager) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sess := sesh.From(r.Context())
			switch r.URL.Path {
			case "/login":
				if err := sess.SetUserID("u"); err != nil {
					t.Errorf("SetUserID: %v", err)
				}
				if r.URL.Query().Get("remember") != "" {
					if err := sess.Remember(); err != nil {
						t.Errorf("Remember: %v", err)
					}
				}
			case "/regen":
				sess.Regenerate()
			case "/logout":
				sess.Destroy()
			case "/end":
				if _, err := m.EndUserSessions(r.Context(), "u", nil); err != nil {
					t.Errorf("EndUserSessions: %v", err)
				}
			case "/sessions":
				list, err := m.UserSessions(r.Context(), "u", sess)
				if err != nil {
					t.Errorf("UserSessions: %v", err)
				}
				json.NewEncoder(w).Encode(list)
			case "/end-token":
				list, _ := m.UserSessions(r.Context(), "u", sess)
				for _, in := range list {
					if in.Remembered {
						if err := m.EndSession(r.Context(), "u", in.Handle); err != nil {
							t.Errorf("EndSession: %v", err)
						}
					}
				}
			default:
				md := sess.Meta()
				json.NewEncoder(w).Encode(whoami{User: md.UserID, Restored: md.Restored, AuthTime: md.AuthTime.UnixMilli()})
			}
		})
	})
	return urls[0], ms[0]
}

func me(t *testing.T, ctx context.Context, c *http.Client, url string, j *jar) whoami {
	t.Helper()
	code, body, err := browse(ctx, c, url+"/me", j)
	if err != nil || code != http.StatusOK {
		t.Fatalf("/me: %d %s %v", code, body, err)
	}
	var w whoami
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		t.Fatalf("/me: %q: %v", body, err)
	}
	if w.User == "" {
		w.AuthTime = 0
	}
	return w
}

func (s *suite) checkRememberTheft(t *testing.T) {
	var logs bytes.Buffer
	var lmu sync.Mutex
	var thefts []sesh.RememberTheft
	url, m := s.rememberServer(t, 50*time.Millisecond, lockedWriter{&lmu, &logs}, &thefts)
	ctx := testCtx(t)
	c := httpClient(t)
	rname := "__Host-remember"
	b := newJar()
	browse(ctx, c, url+"/login?remember=1", b)
	r1 := b.get(rname)
	if r1 == "" || b.get(m.Name()) == "" {
		t.Fatalf("sign-in with Remember set no remember cookie: %v", b.vals)
	}
	signedIn := me(t, ctx, c, url, b)
	if signedIn.User != "u" || signedIn.Restored || signedIn.AuthTime == 0 {
		t.Fatalf("signed in: %+v", signedIn)
	}
	// The browser restarts: the session cookie is gone, the remember
	// cookie restores a session, and its verifier rotates.
	b.restart()
	got := me(t, ctx, c, url, b)
	if got.User != "u" || !got.Restored || got.AuthTime != signedIn.AuthTime {
		t.Fatalf("after a restart: %+v, want user u, restored, the original sign-in time %d", got, signedIn.AuthTime)
	}
	r2 := b.get(rname)
	if r2 == "" || r2 == r1 || b.get(m.Name()) == "" {
		t.Fatalf("restore: remember %q → %q, session cookie %q: want a rotated token and a new session", r1, r2, b.get(m.Name()))
	}
	// Regenerate keeps the sign-in time.
	browse(ctx, c, url+"/regen", b)
	if got := me(t, ctx, c, url, b); got.AuthTime != signedIn.AuthTime || got.User != "u" {
		t.Fatalf("after Regenerate: %+v", got)
	}
	// The session ends on the server (as if expired): the token restores
	// again, once per use.
	b.restart()
	if got := me(t, ctx, c, url, b); !got.Restored {
		t.Fatalf("second restore: %+v", got)
	}
	r3 := b.get(rname)
	if r3 == r2 {
		t.Fatal("the token did not rotate on its second use")
	}
	// A copy of an old token, used after the grace window: theft. The
	// series and every session it started are revoked.
	time.Sleep(100 * time.Millisecond)
	thief := newJar()
	thief.apply([]string{rname + "=" + r1 + "; Max-Age=100"})
	if got := me(t, ctx, c, url, thief); got.User != "" {
		t.Fatalf("a stolen, rotated token signed in: %+v", got)
	}
	if thief.get(rname) != "" {
		t.Fatal("the stolen token's cookie was not expired")
	}
	if got := me(t, ctx, c, url, b); got.User != "" {
		t.Fatalf("the session the series started survived the theft: %+v", got)
	}
	b.restart()
	if got := me(t, ctx, c, url, b); got.User != "" {
		t.Fatalf("the revoked series still restores: %+v", got)
	}
	if len(thefts) != 1 || thefts[0].UserID != "u" || thefts[0].Sessions < 1 {
		t.Fatalf("OnTheft saw %+v", thefts)
	}
	lmu.Lock()
	defer lmu.Unlock()
	for _, tok := range []string{r1, r2, r3} {
		sel, ver, _ := strings.Cut(tok, ".")
		if strings.Contains(logs.String(), sel) || strings.Contains(logs.String(), ver) {
			t.Fatalf("a log line holds a token's selector or verifier:\n%s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), "wrong verifier") {
		t.Fatalf("the theft was not logged:\n%s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (s *suite) checkRememberGrace(t *testing.T) {
	var thefts []sesh.RememberTheft
	url, _ := s.rememberServer(t, time.Minute, nil, &thefts)
	ctx := testCtx(t)
	c := httpClient(t)
	b := newJar()
	browse(ctx, c, url+"/login?remember=1", b)
	b.restart()
	// A browser reopening four tabs at once, all with the same token.
	const tabs = 4
	var wg sync.WaitGroup
	results := make([]whoami, tabs)
	jars := make([]*jar, tabs)
	for i := range tabs {
		jars[i] = b.clone()
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, body, err := browse(ctx, c, url+"/me", jars[i])
			if err != nil || code != http.StatusOK {
				t.Errorf("tab %d: %d %s %v", i, code, body, err)
				return
			}
			json.Unmarshal([]byte(body), &results[i])
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.User != "u" || !r.Restored {
			t.Fatalf("tab %d: %+v: a tab that arrived with the just-rotated token was refused", i, r)
		}
	}
	if len(thefts) != 0 {
		t.Fatalf("parallel tabs tripped the theft check: %+v", thefts)
	}
	// Whichever rotated cookie the browser kept still works.
	for i, j := range jars {
		j.restart()
		if got := me(t, ctx, c, url, j); got.User != "u" && j.get("__Host-remember") != "" {
			t.Fatalf("tab %d's jar no longer restores: %+v", i, got)
		}
	}
}

func (s *suite) checkRememberRevocation(t *testing.T) {
	url, _ := s.rememberServer(t, time.Minute, nil, nil)
	ctx := testCtx(t)
	c := httpClient(t)
	list := func(j *jar) []sesh.SessionInfo {
		_, body, _ := browse(ctx, c, url+"/sessions", j)
		var l []sesh.SessionInfo
		json.Unmarshal([]byte(body), &l)
		return l
	}
	// The "your sessions" page shows the remembered device beside the
	// live session; EndSession ends the token.
	a := newJar()
	browse(ctx, c, url+"/login?remember=1", a)
	l := list(a)
	var live, remembered int
	for _, in := range l {
		if in.Remembered {
			remembered++
		} else {
			live++
		}
	}
	if live != 1 || remembered != 1 {
		t.Fatalf("UserSessions: %d live, %d remembered; want 1 and 1 (%+v)", live, remembered, l)
	}
	browse(ctx, c, url+"/end-token", a)
	a.restart()
	if got := me(t, ctx, c, url, a); got.User != "" {
		t.Fatalf("an ended token still restores: %+v", got)
	}
	// Sign out everywhere ends every token too.
	b := newJar()
	browse(ctx, c, url+"/login?remember=1", b)
	d := newJar()
	browse(ctx, c, url+"/login?remember=1", d)
	browse(ctx, c, url+"/end", b)
	for name, j := range map[string]*jar{"b": b, "d": d} {
		j.restart()
		if got := me(t, ctx, c, url, j); got.User != "" {
			t.Fatalf("after EndUserSessions, browser %s restores: %+v", name, got)
		}
	}
	// Logout ends this device's token.
	e := newJar()
	browse(ctx, c, url+"/login?remember=1", e)
	tok := e.get("__Host-remember")
	browse(ctx, c, url+"/logout", e)
	if e.get("__Host-remember") != "" {
		t.Fatal("logout left the remember cookie")
	}
	e.apply([]string{"__Host-remember=" + tok + "; Max-Age=100"})
	if got := me(t, ctx, c, url, e); got.User != "" {
		t.Fatalf("the token of a device that signed out still restores: %+v", got)
	}
}
