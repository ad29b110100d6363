package main

import (
	"context"
	"crypto/subtle"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
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

// Remember me: a browser whose user ticks the box keeps a second cookie
// that starts a new session, without the password, for rememberFor after it
// was last used (sesh's default). Pages that change the account want a
// password typed within recentAuth.
const (
	rememberFor = sesh.DefaultRememberMaxAge
	recentAuth  = 10 * time.Minute
)

// accountPath is the demo's sensitive page: the one place the sign-in form
// sends a user back to (?next=).
const accountPath = "/account"

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
	m        *sesh.Manager
	log      *slog.Logger
	now      func() time.Time
	remember bool // the store can keep remember-me tokens
	thefts   *theftLog
}

// newApp wires the routes behind the session middleware and Go's
// cross-origin protection (a state-changing request from another origin is
// refused before it reaches a handler).
func newApp(store sesh.Store, logger *slog.Logger) (http.Handler, error) {
	return newAppWithClock(store, logger, time.Now)
}

// newAppWithClock is newApp on the clock now (tests move time forward; give
// the store the same clock, since it decides when a token has expired).
func newAppWithClock(store sesh.Store, logger *slog.Logger, now func() time.Time) (http.Handler, error) {
	a := &app{log: logger, now: now, thefts: &theftLog{byUser: map[string]time.Time{}}}
	cfg := sesh.Config{
		Store:           store,
		IdleTimeout:     idleTimeout,
		AbsoluteTimeout: absoluteTimeout,
		Logger:          logger,
		Now:             now,
	}
	// Remember me keeps its tokens in the session store, which must be able
	// to list a user's records and compare-and-set them. The stores without
	// (memcached, Cloudflare KV) run the demo without it.
	_, swapper := store.(sesh.Swapper)
	_, indexed := store.(sesh.UserIndex)
	if a.remember = swapper && indexed; a.remember {
		cfg.Remember = &sesh.RememberConfig{
			MaxAge:    rememberFor,
			OnRestore: a.restored,
			OnTheft:   a.theft,
		}
	}
	m, err := sesh.New(cfg)
	if err != nil {
		return nil, err
	}
	a.m = m
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.loginForm)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("GET /cart", a.showCart)
	mux.HandleFunc("POST /cart", a.addToCart)
	mux.HandleFunc("GET /sessions", a.sessions)
	mux.HandleFunc("POST /sessions/end", a.endSession)
	// The account page wants the password typed in the last 10 minutes: a
	// session a remember-me cookie started keeps the time of the sign-in
	// that ticked the box, so it is sent back to the sign-in form.
	recent := m.RequireRecentAuth(recentAuth, http.HandlerFunc(a.reauth))
	mux.Handle("GET "+accountPath, recent(http.HandlerFunc(a.account)))
	mux.Handle("POST "+accountPath+"/end-all", recent(http.HandlerFunc(a.endAll)))
	return http.NewCrossOriginProtection().Handler(catchTheft(m.Handler(a.noticeEnded(mux)))), nil
}

// restored is Remember.OnRestore: a session a remember-me cookie started
// holds only the user ID; the pages expect the user's name under "user".
func (a *app) restored(ctx context.Context, s *sesh.Session, userID string) error {
	if err := s.Set("user", userID); err != nil {
		return err
	}
	if err := s.Set("remembered", true); err != nil {
		return err
	}
	return s.Flash("notice", "Welcome back, "+userID+". This browser remembered you, so no password was needed.")
}

// theftLog keeps, per user, when a copied remember-me cookie was last
// caught, until that user next signs in (the demo keeps it in memory; an
// application would store it, or mail the user).
type theftLog struct {
	mu     sync.Mutex
	byUser map[string]time.Time
}

func (l *theftLog) add(user string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byUser[user] = at
}

func (l *theftLog) take(user string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.byUser[user]
	delete(l.byUser, user)
	return at, ok
}

type theftKey struct{}

// theftNote is where Remember.OnTheft leaves, for the page of the request
// that caught it, whose remember-me cookie was copied.
type theftNote struct{ user string }

// catchTheft gives each request a theftNote. It wraps the session
// middleware, which calls OnTheft with the request's context.
func catchTheft(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), theftKey{}, &theftNote{})))
	})
}

// theft is Remember.OnTheft: this request brought a remember-me cookie whose
// token another browser had already used (one of the two was a copy).
// sesh has revoked the token and every session it started. The demo goes
// further, as Spring Security does: whoever holds the copy may hold more, so
// every session and remembered device of the user ends.
func (a *app) theft(ctx context.Context, t sesh.RememberTheft) {
	n, err := a.m.EndUserSessions(ctx, t.UserID, nil)
	if err != nil {
		a.log.Error("end the sessions of a user whose remember-me cookie was copied", "user", t.UserID, "err", err)
	}
	a.log.Warn("a copied remember-me cookie was used: the user is signed out everywhere",
		"user", t.UserID, "token", t.Handle, "series_sessions", t.Sessions, "other_ended", n)
	a.thefts.add(t.UserID, a.now())
	if note, ok := ctx.Value(theftKey{}).(*theftNote); ok {
		note.user = t.UserID
	}
}

type endedKey struct{}

// noticeEnded finds a page visit that brought the cookie of a session the
// store no longer has: it was signed out from another device or timed out
// (or the store lost it). The page says so once: the dead cookie is expired
// with this response (or replaced, if the page starts a new session). A
// session this browser's remember-me cookie just started is no such thing.
//
// A visit whose remember-me cookie turned out to be a copy (see theft) goes
// to the sign-in page, which says what happened.
func (a *app) noticeEnded(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			s := sesh.From(r.Context())
			ended := false
			if _, err := r.Cookie(a.m.Name()); err == nil && s.Status() == sesh.StatusNew && !s.Meta().Restored {
				s.Destroy()
				ended = true
			}
			if note, _ := r.Context().Value(theftKey{}).(*theftNote); note != nil && note.user != "" {
				s.Flash("theft", note.user)
				// This browser was told: its next sign-in need not say it
				// again.
				s.Set("theft_seen", note.user)
				if r.URL.Path != "/login" {
					http.Redirect(w, r, "/login", http.StatusSeeOther)
					return
				}
				ended = false // the theft notice says more
			}
			if ended {
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
	Theft     string // the user whose remember-me cookie this browser brought was a copy
	Error     string
	SignedOut bool // the sign-in page right after signing out
	Ended     bool // the browser's session ended elsewhere or timed out
	Cart      cart
	Items     []string
	Sessions  []sessionRow
	Others    int // how many of Sessions are not this one
	Views     int
	This      thisSession
	// The sign-in form: whether it offers "remember me", where it goes
	// after, and why it asks again.
	RememberOn bool
	Next       string
	Reauth     string
	// The timeouts in words, for what the sign-in page promises.
	Idle, Absolute, RememberFor, RecentAuth string
}

// sessionRow is one line of "Your sessions": a live session or a
// remembered device (SessionInfo.Remembered).
type sessionRow struct {
	sesh.SessionInfo
	Agent agent
}

// thisSession is what the home and account pages show of the current
// session.
type thisSession struct {
	Agent      agent
	New        bool      // no record yet: this response creates it
	Started    time.Time // zero if New
	AuthTime   time.Time // when the password was last typed; zero if not signed in
	Deadline   time.Time // the absolute deadline
	Restored   bool      // a remember-me cookie started this session
	Remembered bool      // "remember me" was ticked on this browser
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
	p := page{Section: section, Now: a.now(), Items: items, RememberOn: a.remember,
		Idle: durationWords(idleTimeout), Absolute: durationWords(absoluteTimeout),
		RememberFor: durationWords(rememberFor), RecentAuth: durationWords(recentAuth)}
	p.User, _ = sesh.Get[string](s, "user")
	p.Flash, _ = sesh.Get[string](s, "notice") // a flash: read once
	p.Alert, _ = sesh.Get[string](s, "alert")
	p.Theft, _ = sesh.Get[string](s, "theft")
	p.Cart, _ = sesh.Get[cart](s, "cart")
	p.Ended, _ = r.Context().Value(endedKey{}).(bool)
	return s, p
}

func (a *app) thisSession(r *http.Request, s *sesh.Session) thisSession {
	meta := s.Meta()
	t := thisSession{
		Agent:    parseUA(r.UserAgent()),
		New:      meta.Created.IsZero(),
		Started:  meta.Created,
		AuthTime: meta.AuthTime,
		Deadline: meta.Absolute,
		Restored: meta.Restored,
	}
	t.Remembered, _ = sesh.Get[bool](s, "remembered")
	if t.New {
		t.Deadline = a.now().Add(absoluteTimeout)
	}
	return t
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	s, p := a.base(r, "home")
	p.Views, _ = sesh.Get[int](s, "views") // a per-session view counter
	p.Views++
	s.Set("views", p.Views)
	p.This = a.thisSession(r, s)
	a.render(w, "home.html", p)
}

// safeNext is where the sign-in form may send the user after: the account
// page or nowhere (an open redirect is a phishing tool).
func safeNext(next string) string {
	if next == accountPath {
		return next
	}
	return ""
}

func (a *app) loginForm(w http.ResponseWriter, r *http.Request) {
	s, p := a.base(r, "login")
	p.Error, _ = sesh.Get[string](s, "login_error")
	// The sign-out redirect asks for the notice; it is shown only while it
	// is true.
	p.SignedOut = p.User == "" && r.URL.Query().Has("signed_out")
	p.Next = safeNext(r.URL.Query().Get("next"))
	p.This.Remembered, _ = sesh.Get[bool](s, "remembered")
	if p.Next != "" && p.User != "" {
		// Sent here by RequireRecentAuth: say how old the sign-in is.
		if at := s.Meta().AuthTime; !at.IsZero() {
			p.Reauth = "You signed in " + relTime(at, p.Now) + " — sign in again to continue."
		}
	}
	a.render(w, "login.html", p)
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	s := sesh.From(r.Context())
	user, pass := r.PostFormValue("username"), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	okUser := subtle.ConstantTimeCompare([]byte(user), []byte(demoUser))
	okPass := subtle.ConstantTimeCompare([]byte(pass), []byte(demoPassword))
	if okUser&okPass != 1 {
		s.Flash("login_error", "Wrong user name or password.")
		to := "/login"
		if next != "" {
			to += "?next=" + url.QueryEscape(next)
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	s.Regenerate() // a new ID at sign-in: a planted cookie is worth nothing
	// SetUserID also records the time of this sign-in (Meta.AuthTime),
	// which RequireRecentAuth reads.
	s.SetUserID(user)
	if a.remember && r.PostFormValue("remember") == "on" {
		// A remember-me token for this browser, sent at commit in its own
		// cookie: when this session has ended, it starts a new one.
		if err := s.Remember(); err != nil {
			a.log.Error("remember me", "err", err)
		} else {
			s.Set("remembered", true)
		}
	}
	s.Set("user", user)
	s.Flash("notice", "Welcome back, "+user+".")
	// A copied remember-me cookie was caught since this user last signed
	// in, and this browser was not the one told: say so now.
	seen, _ := sesh.Get[string](s, "theft_seen")
	s.Delete("theft_seen")
	if at, ok := a.thefts.take(user); ok && seen != user {
		s.Flash("alert", "A copy of your remember-me cookie was used "+relTime(at, a.now())+
			", after the real one (or the other way round). To be safe, every session of "+user+
			" was ended and every remembered device forgotten. If you did not copy it yourself, "+
			"someone else had it: change your password.")
	}
	to := "/"
	if next != "" {
		to = next
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// logout ends the session and, if this browser was remembered, its token.
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
	// This device first, then the other sessions newest first
	// (UserSessions' order), then the remembered devices.
	p.Sessions = make([]sessionRow, 0, len(list))
	for _, info := range list {
		if info.Current && !info.Remembered {
			p.Sessions = append(p.Sessions, sessionRow{SessionInfo: info, Agent: parseUA(info.UserAgent)})
		}
	}
	for _, remembered := range []bool{false, true} {
		for _, info := range list {
			if info.Current && !info.Remembered || info.Remembered != remembered {
				continue
			}
			// This browser's own token is listed with the remembered
			// devices, and can be forgotten like them.
			info.Current = false
			p.Sessions = append(p.Sessions, sessionRow{SessionInfo: info, Agent: parseUA(info.UserAgent)})
			p.Others++
		}
	}
	a.render(w, "sessions.html", p)
}

// endSession ends one session or remembered device by its handle, or every
// other one when the handle is "others".
func (a *app) endSession(w http.ResponseWriter, r *http.Request) {
	s := sesh.From(r.Context())
	user, _ := sesh.Get[string](s, "user")
	if user == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	list, err := a.m.UserSessions(r.Context(), user, s)
	if err != nil {
		a.log.Error("list sessions", "err", err)
		http.Error(w, "cannot list sessions", http.StatusInternalServerError)
		return
	}
	msg := "That session is signed out."
	if h := r.PostFormValue("handle"); h == "others" {
		sessions, devices := 0, 0
		for _, info := range list {
			switch {
			case info.Remembered && !info.Current:
				devices++
			case !info.Current:
				sessions++
			}
		}
		// EndUserSessions spares the current session and this browser's
		// remember-me token; a remembered browser then gets a new token
		// (below), which deletes the old one, so a copy of its cookie is
		// worthless too.
		_, err = a.m.EndUserSessions(r.Context(), user, s)
		msg = "Signed out of " + plural(int64(sessions), "other session") + "."
		if devices > 0 {
			msg += " Every remembered device is forgotten."
		}
		if remembered, _ := sesh.Get[bool](s, "remembered"); remembered && err == nil {
			// This browser was remembered: it is again, with a new token.
			if err = s.Remember(); err == nil {
				msg += " This browser stays remembered, with a new remember-me cookie."
			}
		}
	} else {
		for _, info := range list {
			if info.Handle == h && info.Remembered {
				msg = "That device is forgotten: it no longer signs in by itself."
			}
		}
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

// reauth answers for the account page when the password was typed too long
// ago (RequireRecentAuth): the sign-in form, which comes back here.
func (a *app) reauth(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/login?next="+url.QueryEscape(accountPath), http.StatusSeeOther)
}

// account is the sensitive page: only a recent password sign-in sees it.
func (a *app) account(w http.ResponseWriter, r *http.Request) {
	s, p := a.base(r, "account")
	if p.User == "" {
		a.reauth(w, r)
		return
	}
	p.This = a.thisSession(r, s)
	a.render(w, "account.html", p)
}

// endAll signs the user out everywhere, this browser too, and forgets every
// remembered device: what an application does when the password changes.
func (a *app) endAll(w http.ResponseWriter, r *http.Request) {
	s := sesh.From(r.Context())
	user, _ := sesh.Get[string](s, "user")
	if user == "" {
		a.reauth(w, r)
		return
	}
	n, err := a.m.EndUserSessions(r.Context(), user, nil)
	if err != nil {
		a.log.Error("end user sessions", "err", err)
		http.Error(w, "could not sign out everywhere", http.StatusInternalServerError)
		return
	}
	s.Destroy()
	// Written after Destroy, the notice starts a new, anonymous session.
	s.Flash("notice", "Signed out everywhere: every session of "+user+" ended, this one included, and every "+
		"remembered device is forgotten ("+strconv.Itoa(n)+" in all).")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
