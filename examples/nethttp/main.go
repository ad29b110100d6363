// Command nethttp: sesh with the standard library's router only.
//
//	go run ./nethttp   # http://127.0.0.1:8081
package main

import (
	"fmt"
	"log"
	"net/http"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memstore"
)

func newHandler() (http.Handler, func()) {
	store := memstore.New(memstore.Options{})
	m, err := sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		n, _ := sesh.Get[int](s, "views")
		s.Set("views", n+1)
		fmt.Fprintf(w, "views: %d", n+1)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		s.Regenerate()
		s.SetUserID(r.PostFormValue("user"))
		s.Set("user", r.PostFormValue("user"))
		fmt.Fprint(w, "signed in")
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		sesh.From(r.Context()).Destroy()
		fmt.Fprint(w, "signed out")
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		u, _ := sesh.Get[string](sesh.From(r.Context()), "user")
		fmt.Fprintf(w, "user: %q", u)
	})
	return http.NewCrossOriginProtection().Handler(m.Handler(mux)), func() { store.Close() }
}

func main() {
	h, done := newHandler()
	defer done()
	log.Println("http://127.0.0.1:8081")
	log.Fatal(http.ListenAndServe("127.0.0.1:8081", h))
}
