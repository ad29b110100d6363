package sesh_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
	"github.com/sesh-go/sesh/memstore"
)

// The middleware: the session is just there, and is saved when it changed.
func ExampleManager_Handler() {
	store := memstore.New(memstore.Options{})
	defer store.Close()
	m, err := sesh.New(sesh.Config{Store: store})
	if err != nil {
		panic(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		n, _ := sesh.Get[int](s, "views")
		s.Set("views", n+1)
		fmt.Fprintf(w, "views: %d", n+1)
	}))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	fmt.Println(w.Body.String())
	fmt.Println(strings.Contains(w.Header().Get("Set-Cookie"), "HttpOnly; Secure; SameSite=Lax"))
	// Output:
	// views: 1
	// true
}

// The explicit style of Remix: load from the Cookie header, change, commit,
// and send back what Commit returns.
func ExampleManager_Commit() {
	store := memstore.New(memstore.Options{})
	defer store.Close()
	m, _ := sesh.New(sesh.Config{Store: store})
	ctx := context.Background()

	s, _ := m.Load(ctx, "") // no cookie yet
	s.Set("theme", "dark")
	setCookie, _ := m.Commit(ctx, s)
	fmt.Println(strings.HasPrefix(setCookie, "__Host-session="))

	cookieHeader := setCookie[:strings.IndexByte(setCookie, ';')]
	s2, _ := m.Load(ctx, cookieHeader)
	theme, _ := sesh.Get[string](s2, "theme")
	fmt.Println(theme)
	// Output:
	// true
	// dark
}

// Flash values are read once: the read removes them, and the commit makes
// the removal stick.
func ExampleSession_Flash() {
	store := memstore.New(memstore.Options{})
	defer store.Close()
	m, _ := sesh.New(sesh.Config{Store: store})
	ctx := context.Background()

	s, _ := m.Load(ctx, "")
	s.Flash("error", "wrong password")
	c, _ := m.Commit(ctx, s)
	hdr := c[:strings.IndexByte(c, ';')]

	s, _ = m.Load(ctx, hdr)
	msg, _ := sesh.Get[string](s, "error")
	m.Commit(ctx, s)
	fmt.Printf("%q\n", msg)

	s, _ = m.Load(ctx, hdr)
	msg, _ = sesh.Get[string](s, "error")
	fmt.Printf("%q\n", msg)
	// Output:
	// "wrong password"
	// ""
}

// Sign-in regenerates the ID (the session-fixation defence) and ties the
// session to the user; sign-out destroys it.
func ExampleSession_Regenerate() {
	store := memstore.New(memstore.Options{})
	defer store.Close()
	m, _ := sesh.New(sesh.Config{Store: store})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		s.Regenerate()
		s.Set("user", r.FormValue("user"))
		s.SetUserID(r.FormValue("user"))
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		sesh.From(r.Context()).Destroy()
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
	h := m.Handler(mux)

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/login?user=alice", nil))
	id := w.Result().Cookies()[0].Value

	r := httptest.NewRequest("POST", "/logout", nil)
	r.Header.Set("Cookie", m.Name()+"="+id)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Header().Get("Set-Cookie"))
	// Output:
	// __Host-session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Lax
}

// Typed values need no registration: any JSON-encodable type works.
func ExampleGet() {
	store := memstore.New(memstore.Options{})
	defer store.Close()
	m, _ := sesh.New(sesh.Config{Store: store})
	s, _ := m.Load(context.Background(), "")

	type Cart struct {
		Items []string `json:"items"`
	}
	s.Set("cart", Cart{Items: []string{"apple", "pear"}})
	cart, ok := sesh.Get[Cart](s, "cart")
	fmt.Println(cart.Items, ok)
	_, ok = sesh.Get[int](s, "cart") // wrong type: not ok (Lookup tells why)
	fmt.Println(ok)
	// Output:
	// [apple pear] true
	// false
}

// A value with its own lifetime, as Astro's set(key, value, {ttl}).
func ExampleSession_SetTTL() {
	store := memstore.New(memstore.Options{})
	defer store.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m, _ := sesh.New(sesh.Config{Store: store, Now: func() time.Time { return now }})
	s, _ := m.Load(context.Background(), "")

	s.SetTTL("otp", "123456", 5*time.Minute)
	fmt.Println(s.Has("otp"))
	now = now.Add(6 * time.Minute)
	fmt.Println(s.Has("otp"))
	// Output:
	// true
	// false
}

// Stores can be named by URL once their package is imported.
func ExampleOpen() {
	store, err := sesh.Open(context.Background(), "memory://")
	if err != nil {
		panic(err)
	}
	defer store.(io.Closer).Close()
	m, err := sesh.New(sesh.Config{Store: store})
	fmt.Println(m != nil, err)
	_, err = sesh.Open(context.Background(), "nosuch://x")
	fmt.Println(err != nil)
	// Output:
	// true <nil>
	// true
}

// Cookie-only sessions: the same Manager and Session API, no store. The
// session is sealed (XChaCha20-Poly1305) into the cookie under a key ID;
// list older keys after the first to rotate.
func ExampleConfig_sealer() {
	sealer, err := cookie.NewSealer(cookie.Key{ID: "k2", Secret: []byte("a 32-byte secret from your vault")})
	if err != nil {
		panic(err)
	}
	m, err := sesh.New(sesh.Config{Sealer: sealer})
	if err != nil {
		panic(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		n, _ := sesh.Get[int](s, "views")
		s.Set("views", n+1)
		fmt.Fprint(w, n+1)
	}))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	c := w.Header().Get("Set-Cookie")
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", c[:strings.IndexByte(c, ';')])
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Body.String())
	// Output: 2
}

// Sign-out in the explicit style: Destroy deletes the record and returns
// the Set-Cookie line that expires the cookie. (Without a request to look
// at, the explicit API assumes HTTPS and marks the cookie Secure.)
func ExampleManager_Destroy() {
	store := memstore.New(memstore.Options{})
	defer store.Close()
	m, _ := sesh.New(sesh.Config{Store: store})
	ctx := context.Background()

	s, _ := m.Load(ctx, "")
	s.Set("user", "alice")
	c, _ := m.Commit(ctx, s)
	hdr := c[:strings.IndexByte(c, ';')]

	s, _ = m.Load(ctx, hdr)
	expire, _ := m.Destroy(ctx, s)
	fmt.Println(expire)

	s, _ = m.Load(ctx, hdr) // the old cookie finds nothing
	fmt.Println(s.Status())
	// Output:
	// __Host-session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Secure; SameSite=Lax
	// new
}

// A counter that stays exact when requests of one session run in parallel:
// Update's function runs again on the fresh value whenever another request
// wrote the session first.
func ExampleUpdate() {
	store := memstore.New(memstore.Options{})
	defer store.Close()
	m, _ := sesh.New(sesh.Config{Store: store})
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := sesh.Update(sesh.From(r.Context()), "cart", func(n int, _ bool) (int, error) {
			if n >= 10 {
				return n, errors.New("cart full")
			}
			return n + 1, nil
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		fmt.Fprint(w, n)
	}))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/", nil))
	c := w.Header().Get("Set-Cookie")
	cookie := c[:strings.IndexByte(c, ';')]
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := httptest.NewRequest("POST", "/", nil)
			r.Header.Set("Cookie", cookie)
			h.ServeHTTP(httptest.NewRecorder(), r)
		}()
	}
	wg.Wait()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", cookie)
	s, _ := m.LoadRequest(r)
	n, _ := sesh.Get[int](s, "cart")
	fmt.Println(n)
	// Output: 6
}

// CSRF: SameSite=Lax keeps the cookie off cross-site POSTs, and
// http.CrossOriginProtection rejects cross-origin state-changing requests
// whatever cookies they carry.
func ExampleManager_Handler_crossOriginProtection() {
	store := memstore.New(memstore.Options{})
	defer store.Close()
	m, _ := sesh.New(sesh.Config{Store: store})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /transfer", func(w http.ResponseWriter, r *http.Request) {
		sesh.From(r.Context()).Set("done", true)
		io.WriteString(w, "ok")
	})
	h := http.NewCrossOriginProtection().Handler(m.Handler(mux))

	forged := httptest.NewRequest("POST", "https://bank.example/transfer", nil)
	forged.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, forged)
	fmt.Println(w.Code)

	same := httptest.NewRequest("POST", "https://bank.example/transfer", nil)
	same.Header.Set("Sec-Fetch-Site", "same-origin")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, same)
	fmt.Println(w.Code)
	// Output:
	// 403
	// 200
}
