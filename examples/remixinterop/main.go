// Command remixinterop is a Go server that shares a cookie-only session
// with a Remix app (createCookieSessionStorage). See README.md.
package main

import (
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/remix"
)

func newHandler(getenv func(string) string) (http.Handler, error) {
	var secrets [][]byte
	for _, s := range strings.Split(getenv("SECRET"), ",") {
		if s != "" {
			secrets = append(secrets, []byte(s))
		}
	}
	if len(secrets) == 0 {
		return nil, errors.New("SECRET is required: the Remix cookie's secrets, comma-separated, the first signs")
	}
	var cfg sesh.Config
	if err := remix.Configure(&cfg, secrets...); err != nil {
		return nil, err
	}
	m, err := sesh.New(cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	// GET /dump: the session's data as JSON; flash values are read (and so
	// removed, as Remix does) and the session is committed.
	mux.HandleFunc("GET /dump", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		out := map[string]json.RawMessage{}
		for _, k := range s.Keys() {
			out[k], _ = s.Raw(k)
		}
		for _, k := range s.FlashKeys() {
			out[k], _ = s.Raw(k) // reading a flash value removes it
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	// GET /set?k=K&v=V stores the string V under K.
	mux.HandleFunc("GET /set", func(w http.ResponseWriter, r *http.Request) {
		k := r.URL.Query().Get("k")
		if k == "" {
			http.Error(w, "k is required", http.StatusBadRequest)
			return
		}
		if err := sesh.From(r.Context()).Set(k, r.URL.Query().Get("v")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write([]byte("ok\n"))
	})
	return m.Handler(mux), nil
}

func main() {
	h, err := newHandler(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:3002"
	}
	log.Printf("remixinterop on http://%s", addr)
	log.Fatal(http.ListenAndServe(addr, h))
}
