// Command chi: sesh as chi middleware (sessions.Handler is a plain
// func(http.Handler) http.Handler).
package main

import (
	"fmt"
	"log"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memstore"
)

func newHandler() (http.Handler, func()) {
	store := memstore.New(memstore.Options{})
	m, err := sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(m.Handler)
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		n, _ := sesh.Get[int](s, "views")
		s.Set("views", n+1)
		fmt.Fprintf(w, "views: %d", n+1)
	})
	r.Post("/login", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		s.Regenerate()
		s.Set("user", r.PostFormValue("user"))
		fmt.Fprint(w, "signed in")
	})
	r.Get("/me", func(w http.ResponseWriter, r *http.Request) {
		u, _ := sesh.Get[string](sesh.From(r.Context()), "user")
		fmt.Fprintf(w, "user: %q", u)
	})
	return r, func() { store.Close() }
}

func main() {
	h, done := newHandler()
	defer done()
	log.Fatal(http.ListenAndServe("127.0.0.1:8082", h))
}
