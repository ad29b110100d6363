package main

import (
	"context"
	"crypto/subtle"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/sesh-go/sesh"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"rel": relTime,
	// iso and utc write t for <time datetime> and for a tooltip.
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"utc": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
}).ParseFS(templateFS, "templates/*.html"))

// The demo's one user. A real application checks a password hash.
const (
	demoUser     = "alice"
	demoPassword = "wonderland"
)

// The demo's timeouts, sesh's defaults written out because the sign-in page
// states them: a session ends after idleTimeout without a visit, and
// absoluteTimeout after it started whatever happens.
const (
	idleTimeout     = 30 * time.Minute
	absoluteTimeout = 12 * time.Hour
)

// Items are what the cart can hold.
var items = []string{"apple", "pear", "plum"}

// cart is kept in the session as JSON: no registration, typed on the way out.
type cart struct {
	Items map[string]int `json:"items"`
}

func (c cart) Count() int {
	n := 0
	for _, q := range c.Items {
		n += q
	}
	return n
}

type app struct {
	m   *sesh.Manager
	log *slog.Logger
	now func() time.Time
}

// newApp wires the routes behind the session middleware and Go's
// cross-origin protection (a state-changing request from another origin is
// refused before it reaches a handler).
func newApp(store sesh.Store, logger *slog.Logger) (http.Handler, error) {
	return newAppWithClock(store, logger, time.Now)
}

// newAppWithClock is newApp on the clock now (tests move time forward).
func newAppWithClock(store sesh.Store, logger *slog.Logger, now func() time.Time) (http.Handler, error) {
	m, err := sesh.New(sesh.Config{
		Store:           store,
		IdleTimeout:     idleTimeout,
		AbsoluteTimeout: absoluteTimeout,
		Logger:          logger,
		Now:             now,
	})
	if err != nil {
		return nil, err
	}
	a := &app{m: m, log: logger, now: now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.loginForm)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("GET /cart", a.showCart)
	mux.HandleFunc("POST /cart", a.addToCart)
	mux.HandleFunc("GET /sessions", a.sessions)
	mux.HandleFunc("POST /sessions/end", a.endSession)
	return http.NewCrossOriginProtection().Handler(m.Handler(a.noticeEnded(mux))), nil
}

type endedKey struct{}

// noticeEnded finds a page visit that brought the cookie of a session the
// store no longer has: it was signed out from another device or timed out
// (or the store lost it). The page says so once: the dead cookie is expired
// with this response (or replaced, if the page starts a new session).
func (a *app) noticeEnded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			s := sesh.From(r.Context())
			if _, err := r.Cookie(a.m.Name()); err == nil && s.Status() == sesh.StatusNew {
				s.Destroy()
				r = r.WithContext(context.WithValue(r.Context(), endedKey{}, true))
			}
		}
		next.ServeHTTP(w, r)
	})
}

type page struct {
	Section   string // the current entry of the navigation
	Now       time.Time
	User      string
	Flash     string // a one-time notice
	Alert     string // a one-time notice that something failed
	Error     string
	SignedOut bool // the sign-in page right after signing out
	Ended     bool // the browser's session ended elsewhere or timed out
	Cart      cart
	Items     []string
	Sessions  []sessionRow
	Others    int // how many of Sessions are not this one
	Views     int
	This      thisSession
	// The timeouts in words, for what the sign-in page promises.
	Idle, Absolute string
}

// sessionRow is one line of "Your sessions".
type sessionRow struct {
	sesh.SessionInfo
	Agent agent
}

// thisSession is what the home page shows of the current session.
type thisSession struct {
	Agent      agent
	New        bool      // no record yet: this response creates it
	Started    time.Time // zero if New
	SignedIn   time.Time // zero if not signed in
	Deadline   time.Time // the absolute deadline
	Remembered bool      // the cookie outlives the browser
}

func (a *app) render(w http.ResponseWriter, name string, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Every page shows session data: no cache may keep it, and the back
	// button after sign-out must ask the server again.
	w.Header().Set("Cache-Control", "no-store")
	if err := pages.ExecuteTemplate(w, name, p); err != nil {
		a.log.Error("render", "page", name, "err", err)
	}
}

// base fills what every page shows: the user and a one-time notice.
func (a *app) base(r *http.Request, section string) (*sesh.Session, page) {
	s := sesh.From(r.Context())
	p := page{Section: section, Now: a.now(), Items: items,
		Idle: durationWords(idleTimeout), Absolute: durationWords(absoluteTimeout)}
	p.User, _ = sesh.Get[string](s, "user")
	p.Flash, _ = sesh.Get[string](s, "notice") // a flash: read once
	p.Alert, _ = sesh.Get[string](s, "alert")
	p.Cart, _ = sesh.Get[cart](s, "cart")
	p.Ended, _ = r.Context().Value(endedKey{}).(bool)
	return s, p
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	s, p := a.base(r, "home")
	p.Views, _ = sesh.Get[int](s, "views") // a per-session view counter
	p.Views++
	s.Set("views", p.Views)
	meta := s.Meta()
	p.This = thisSession{
		Agent:      parseUA(r.UserAgent()),
		New:        meta.Created.IsZero(),
		Started:    meta.Created,
		SignedIn:   meta.SignedIn,
		Deadline:   meta.Absolute,
		Remembered: meta.Persist > 0,
	}
	if p.This.New {
		p.This.Deadline = p.Now.Add(absoluteTimeout)
	}
	a.render(w, "home.html", p)
}

func (a *app) loginForm(w http.ResponseWriter, r *http.Request) {
	s, p := a.base(r, "login")
	p.Error, _ = sesh.Get[string](s, "login_error")
	// The sign-out redirect asks for the notice; it is shown only while it
	// is true.
	p.SignedOut = p.User == "" && r.URL.Query().Has("signed_out")
	a.render(w, "login.html", p)
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	s := sesh.From(r.Context())
	user, pass := r.PostFormValue("username"), r.PostFormValue("password")
	okUser := subtle.ConstantTimeCompare([]byte(user), []byte(demoUser))
	okPass := subtle.ConstantTimeCompare([]byte(pass), []byte(demoPassword))
	if okUser&okPass != 1 {
		s.Flash("login_error", "Wrong user name or password.")
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.Regenerate() // a new ID at sign-in: a planted cookie is worth nothing
	s.SetUserID(user)
	if r.PostFormValue("remember") == "on" {
		// A persistent cookie, whose lifetime sesh caps at the session's
		// absolute deadline: it survives a browser restart, not the
		// timeouts. Without it the cookie ends with the browser.
		s.Persist(absoluteTimeout)
	}
	s.Set("user", user)
	s.Flash("notice", "Welcome back, "+user+".")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	sesh.From(r.Context()).Destroy()
	http.Redirect(w, r, "/login?signed_out", http.StatusSeeOther)
}

func (a *app) showCart(w http.ResponseWriter, r *http.Request) {
	_, p := a.base(r, "cart")
	a.render(w, "cart.html", p)
}

func (a *app) addToCart(w http.ResponseWriter, r *http.Request) {
	s := sesh.From(r.Context())
	item := r.PostFormValue("item")
	known := false
	for _, it := range items {
		known = known || it == item
	}
	if !known {
		http.Error(w, "unknown item", http.StatusBadRequest)
		return
	}
	c, _ := sesh.Get[cart](s, "cart")
	if c.Items == nil {
		c.Items = map[string]int{}
	}
	c.Items[item]++
	if err := s.Set("cart", c); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.Flash("notice", "Added one "+item+" ("+strconv.Itoa(c.Count())+" in the cart).")
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
}

func (a *app) sessions(w http.ResponseWriter, r *http.Request) {
	s, p := a.base(r, "sessions")
	if p.User == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	list, err := a.m.UserSessions(r.Context(), p.User, s)
	if err != nil {
		http.Error(w, "cannot list sessions", http.StatusInternalServerError)
		a.log.Error("list sessions", "err", err)
		return
	}
	// This device first, then the others newest first (UserSessions' order).
	p.Sessions = make([]sessionRow, 0, len(list))
	for _, info := range list {
		if info.Current {
			p.Sessions = append(p.Sessions, sessionRow{SessionInfo: info, Agent: parseUA(info.UserAgent)})
		}
	}
	for _, info := range list {
		if !info.Current {
			p.Sessions = append(p.Sessions, sessionRow{SessionInfo: info, Agent: parseUA(info.UserAgent)})
			p.Others++
		}
	}
	a.render(w, "sessions.html", p)
}

// endSession ends one session by its handle, or every other one when the
// handle is "others".
func (a *app) endSession(w http.ResponseWriter, r *http.Request) {
	s := sesh.From(r.Context())
	user, _ := sesh.Get[string](s, "user")
	if user == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	var err error
	msg := "That session is signed out."
	if h := r.PostFormValue("handle"); h == "others" {
		var n int
		n, err = a.m.EndUserSessions(r.Context(), user, s)
		msg = "Signed out of " + plural(int64(n), "other session") + "."
	} else {
		err = a.m.EndSession(r.Context(), user, h)
	}
	if err != nil {
		a.log.Warn("end session", "err", err)
		s.Flash("alert", "Could not end that session: it may have ended already.")
	} else {
		s.Flash("notice", msg)
	}
	http.Redirect(w, r, "/sessions", http.StatusSeeOther)
}
