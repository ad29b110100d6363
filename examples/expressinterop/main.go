// Command expressinterop is a Go server that shares live sessions with an
// Express app using express-session and connect-redis. See README.md.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/express"
	"github.com/sesh-go/sesh/redisstore/connectredis"
)

// config is read from the environment.
type config struct {
	addr, redisURL, prefix string
	secrets                [][]byte
}

func fromEnv(getenv func(string) string) (config, error) {
	c := config{addr: getenv("ADDR"), redisURL: getenv("REDIS_URL"), prefix: getenv("PREFIX")}
	if c.addr == "" {
		c.addr = "127.0.0.1:3001"
	}
	if c.redisURL == "" {
		c.redisURL = "redis://127.0.0.1:6379/0"
	}
	if c.prefix == "" {
		c.prefix = connectredis.DefaultPrefix
	}
	for _, s := range strings.Split(getenv("SECRET"), ",") {
		if s != "" {
			c.secrets = append(c.secrets, []byte(s))
		}
	}
	if len(c.secrets) == 0 {
		return c, fmt.Errorf("SECRET is required: express-session's secret(s), comma-separated, the first signs")
	}
	return c, nil
}

// newHandler builds the server: GET /views, GET /dump, GET /logout.
func newHandler(c config) (http.Handler, func(), error) {
	o, err := redis.ParseURL(c.redisURL)
	if err != nil {
		return nil, nil, err
	}
	o.ContextTimeoutEnabled = true
	client := redis.NewClient(o)
	st, err := connectredis.New(client, connectredis.Options{Prefix: c.prefix})
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	cfg := sesh.Config{Store: st, Cookie: sesh.CookieConfig{Secure: sesh.SecureAuto}}
	if err := express.Configure(&cfg, c.secrets...); err != nil {
		client.Close()
		return nil, nil, err
	}
	m, err := sesh.New(cfg)
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /views", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		n, _ := sesh.Get[float64](s, "views") // a JavaScript number
		s.Set("views", n+1)
		fmt.Fprint(w, n+1)
	})
	mux.HandleFunc("GET /dump", func(w http.ResponseWriter, r *http.Request) {
		s := sesh.From(r.Context())
		out := map[string]json.RawMessage{}
		for _, k := range s.Keys() {
			out[k], _ = s.Raw(k)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		sesh.From(r.Context()).Destroy()
		fmt.Fprint(w, "bye")
	})
	return m.Handler(mux), func() { client.Close() }, nil
}

func main() {
	c, err := fromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	h, done, err := newHandler(c)
	if err != nil {
		log.Fatal(err)
	}
	defer done()
	log.Printf("expressinterop on http://%s (prefix %q)", c.addr, c.prefix)
	srv := &http.Server{Addr: c.addr, Handler: h}
	log.Fatal(srv.ListenAndServe())
}
