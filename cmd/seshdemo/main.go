// Command seshdemo is a small site that shows sesh at work: sign-in with a
// flash message and a regenerated ID, a cart kept in the session, "remember
// me for 30 days", the list of a user's sessions and remembered devices
// (browser and system read from each one's User-Agent) with "sign out
// everywhere else", an account page that asks for the password again, and
// sign-out. Its pages are plain HTML and CSS: no JavaScript.
//
// It runs on an embedded SQLite file (./.seshdemo/sessions.db, created on
// first run) by default, so it needs nothing but Go:
//
//	make demo                              # http://127.0.0.1:8080, alice / wonderland
//	ADDR=127.0.0.1:9000 make demo          # another address
//	STORE=memory:// make demo              # any store URL sesh.Open knows:
//	STORE=redis://127.0.0.1:6379/0 make demo
//	STORE=postgres://postgres@127.0.0.1:5432/test make demo
//	STORE=nats://127.0.0.1:4222/seshdemo make demo
//	STORE=memcache://127.0.0.1:11211 make demo
//	STORE='dynamodb://sessions?region=us-east-1&endpoint=http://127.0.0.1:8000' make demo
//	STORE='cfkv://ACCOUNT_ID/NAMESPACE_ID' make demo  # token in CLOUDFLARE_API_TOKEN
//
// The default build compiles the sqlite, memory and file stores only, so
// that a first build stays short. The other drivers (the AWS SDK among them)
// come with the build tag allstores, which make demo adds when $STORE names
// another scheme; without make, run go run -tags allstores . here. A build
// without the tag refuses such a $STORE with an error that says so.
//
// Sessions end after about 30 minutes without a visit (sesh records a visit
// at most once a minute) and 12 hours after they started: sesh's defaults.
// "Remember me for 30 days" does not lengthen the session: it gives the
// browser a second cookie, a remember-me token (sesh.RememberConfig), that
// starts a new session without the password, across browser restarts, for 30
// days after it was last used. The account page asks for the password again
// when it was typed more than 10 minutes ago (Manager.RequireRecentAuth):
// a session a token started keeps the time of the sign-in that ticked the
// box. A copied remember-me cookie is caught when both copies are used: the
// user is signed out everywhere; the browser that used the older copy is
// told so on the sign-in page, and the user's next sign-in from any other
// browser says it too. See docs/remember-me.md. The stores without a user
// index or compare-and-set (memcached, Cloudflare KV) cannot keep the
// tokens: with them the demo runs without the box.
//
// The demo is served over plain HTTP on loopback. Its cookies are Secure all
// the same (sesh's default), which browsers accept from localhost and
// 127.0.0.1; in production, put it behind TLS.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	_ "github.com/sesh-go/sesh/filestore"   // file:///dir
	_ "github.com/sesh-go/sesh/memstore"    // memory://
	_ "github.com/sesh-go/sesh/sqlitestore" // sqlite:///file.db (the default)
)

// The other stores (their drivers, the AWS SDK among them, take most of a
// cold build) are compiled in by the build tag allstores: see stores_all.go.

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "seshdemo:", err)
		os.Exit(1)
	}
}

// run serves the demo until ctx is done. getenv supplies ADDR and STORE.
func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	addr := getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	storeURL := getenv("STORE")
	if storeURL == "" {
		dir, err := filepath.Abs(".seshdemo")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		storeURL = (&url.URL{Scheme: "sqlite", Path: filepath.ToSlash(filepath.Join(dir, "sessions.db"))}).String()
	}
	store, err := openStore(ctx, storeURL)
	if err != nil {
		return err
	}
	if c, ok := store.(io.Closer); ok {
		defer c.Close()
	}
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h, err := newApp(store, logger)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(out, "seshdemo: http://%s  (sign in as alice / wonderland; store %s)\n", ln.Addr(), storeURL)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			return err
		}
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
