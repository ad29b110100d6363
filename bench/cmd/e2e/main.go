// Command e2e serves one benchmark configuration on loopback for wrk:
//
//	e2e -mode sesh-memory -addr 127.0.0.1:18080
//
// Modes: none, sesh-memory, sesh-redis, scs-memory, scs-redis. GET /seed
// creates a session (count=1) and returns its Set-Cookie; GET / reads the
// count from the session named in the Cookie header (a read-only request).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/v2"
	scsmem "github.com/alexedwards/scs/v2/memstore"
	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memstore"
	"github.com/sesh-go/sesh/redisstore"
)

func main() {
	mode := flag.String("mode", "none", "none, sesh-memory, sesh-redis, scs-memory or scs-redis")
	addr := flag.String("addr", "127.0.0.1:18080", "listen address (loopback)")
	redisURL := flag.String("redis", os.Getenv("SESH_REDIS_URL"), "Redis URL for the redis modes")
	flag.Parse()
	h, closeFn, err := handler(*mode, *redisURL)
	if err != nil {
		log.Fatal(err)
	}
	defer closeFn()
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

func redisClient(url string) (*redis.Client, error) {
	if url == "" {
		return nil, fmt.Errorf("no Redis URL (-redis or SESH_REDIS_URL)")
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	o.ContextTimeoutEnabled = true
	return redis.NewClient(o), nil
}

func handler(mode, redisURL string) (http.Handler, func(), error) {
	noop := func() {}
	switch mode {
	case "none":
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "1") }), noop, nil
	case "sesh-memory", "sesh-redis":
		var st sesh.Store
		closeFn := noop
		if mode == "sesh-memory" {
			ms := memstore.New(memstore.Options{})
			st, closeFn = ms, func() { ms.Close() }
		} else {
			c, err := redisClient(redisURL)
			if err != nil {
				return nil, nil, err
			}
			rs, err := redisstore.New(c, redisstore.Options{Prefix: "bench:e2e:sesh:"})
			if err != nil {
				return nil, nil, err
			}
			st, closeFn = rs, func() { rs.Clear(context.Background()); c.Close() }
		}
		m, err := sesh.New(sesh.Config{Store: st})
		if err != nil {
			return nil, nil, err
		}
		return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := sesh.From(r.Context())
			if r.URL.Path == "/seed" {
				s.Set("count", 1)
			}
			n, _ := sesh.Get[int](s, "count")
			io.WriteString(w, strconv.Itoa(n))
		})), closeFn, nil
	case "scs-memory", "scs-redis":
		sm := scs.New()
		closeFn := noop
		if mode == "scs-memory" {
			sm.Store = scsmem.New()
		} else {
			c, err := redisClient(redisURL)
			if err != nil {
				return nil, nil, err
			}
			sm.Store = goredisstore.NewWithPrefix(c, "bench:e2e:scs:")
			closeFn = func() {
				ctx := context.Background()
				for iter := c.Scan(ctx, 0, "bench:e2e:scs:*", 100).Iterator(); iter.Next(ctx); {
					c.Unlink(ctx, iter.Val())
				}
				c.Close()
			}
		}
		return sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/seed" {
				sm.Put(r.Context(), "count", 1)
			}
			io.WriteString(w, strconv.Itoa(sm.GetInt(r.Context(), "count")))
		})), closeFn, nil
	}
	return nil, nil, fmt.Errorf("unknown mode %q", mode)
}
