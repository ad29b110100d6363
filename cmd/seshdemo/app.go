package main

import (
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
	"ago": func(t time.Time) string { return time.Since(t).Round(time.Second).String() },
}).ParseFS(templateFS, "templates/*.html"))

// The demo's one user. A real application checks a password hash.
const (
	demoUser     = "alice"
	demoPassword = "wonderland"
)

// rememberFor is the cookie lifetime "remember me" asks for, and the
// absolute timeout. The 30-minute idle timeout still applies on the server:
// "remember me" survives a browser restart, not a month of inactivity.
const rememberFor = 30 * 24 * time.Hour

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
}

// newApp wires the routes behind the session middleware and Go's
// cross-origin protection (a state-changing request from another origin is
// refused before it reaches a handler).
func newApp(store sesh.Store, logger *slog.Logger) (http.Handler, error) {
	m, err := sesh.New(sesh.Config{
		Store:           store,
		IdleTimeout:     30 * time.Minute,
		AbsoluteTimeout: rememberFor, // a remembered sign-in lasts at most this long

		Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	a := &app{m: m, log: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.loginForm)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("GET /cart", a.showCart)
	mux.HandleFunc("POST /cart", a.addToCart)
	mux.HandleFunc("GET /sessions", a.sessions)
	mux.HandleFunc("POST /sessions/end", a.endSession)
	return http.NewCrossOriginProtection().Handler(m.Handler(mux)), nil
}

type page struct {
	User     string
	Flash    string
	Error    string
	Cart     cart
	Items    []string
	Sessions []sesh.SessionInfo
	Views    int
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
func base(s *sesh.Session) page {
	p := page{Items: items}
	p.User, _ = sesh.Get[string](s, "user")
	p.Flash, _ = sesh.Get[string](s, "notice") // a flash: read once
	p.Cart, _ = sesh.Get[cart](s, "cart")
	return p
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	s := sesh.From(r.Context())
	p := base(s)
	p.Views, _ = sesh.Get[int](s, "views") // a per-session view counter
	p.Views++
	s.Set("views", p.Views)
	a.render(w, "home.html", p)
}

func (a *app) loginForm(w http.ResponseWriter, r *http.Request) {
	s := sesh.From(r.Context())
	p := base(s)
	p.Error, _ = sesh.Get[string](s, "login_error")
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
		s.Persist(rememberFor) // a persistent cookie; otherwise it ends with the browser
	}
	s.Set("user", user)
	s.Flash("notice", "Welcome back, "+user+".")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	sesh.From(r.Context()).Destroy()
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (a *app) showCart(w http.ResponseWriter, r *http.Request) {
	a.render(w, "cart.html", base(sesh.From(r.Context())))
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
	s := sesh.From(r.Context())
	p := base(s)
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
	p.Sessions = list
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
	msg := "Session ended."
	if h := r.PostFormValue("handle"); h == "others" {
		var n int
		n, err = a.m.EndUserSessions(r.Context(), user, s)
		msg = "Signed out of " + strconv.Itoa(n) + " other session(s)."
	} else {
		err = a.m.EndSession(r.Context(), user, h)
	}
	if err != nil {
		a.log.Warn("end session", "err", err)
		msg = "Could not end that session."
	}
	s.Flash("notice", msg)
	http.Redirect(w, r, "/sessions", http.StatusSeeOther)
}
