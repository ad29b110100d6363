package cfkvstore_test

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cfkvstore"
	"github.com/sesh-go/sesh/compat/remix"
)

// Sessions in a Workers KV namespace, in sesh's native layout. Keep the
// idle timeout short, and check logouts in a strongly consistent place
// (Config.Revoked): KV takes up to a minute to propagate a delete.
func Example() {
	store, err := cfkvstore.New(cfkvstore.Options{
		AccountID:   os.Getenv("CLOUDFLARE_ACCOUNT_ID"),
		NamespaceID: os.Getenv("SESSIONS_KV_NAMESPACE_ID"),
		APIToken:    os.Getenv("CLOUDFLARE_API_TOKEN"),
		Prefix:      "myapp:sess:",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if err := store.Ping(context.Background()); err != nil {
		log.Fatal(err) // a refused token matches cfkvstore.ErrAuth
	}
	sessions, err := sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	http.ListenAndServe("127.0.0.1:8080", sessions.Handler(http.NotFoundHandler()))
}

// Sharing sessions with a Remix app that uses
// createWorkersKVSessionStorage on the same namespace: Remix's layout, its
// signed ID cookie, its data codec, and IDs minted as Remix mints them.
func Example_remix() {
	store, err := cfkvstore.NewRemix(cfkvstore.Options{
		AccountID:   os.Getenv("CLOUDFLARE_ACCOUNT_ID"),
		NamespaceID: os.Getenv("SESSIONS_KV_NAMESPACE_ID"),
		APIToken:    os.Getenv("CLOUDFLARE_API_TOKEN"),
	})
	if err != nil {
		log.Fatal(err)
	}
	var cfg sesh.Config
	if err := remix.ConfigureIDStorage(&cfg, store, []byte(os.Getenv("SESSION_SECRET"))); err != nil {
		log.Fatal(err)
	}
	sessions, err := sesh.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	http.ListenAndServe("127.0.0.1:8080", sessions.Handler(http.NotFoundHandler()))
}

// The same by URL: the token comes from CLOUDFLARE_API_TOKEN when the URL
// has no password.
func Example_url() {
	store, err := sesh.Open(context.Background(), "cfkv://0123456789abcdef0123456789abcdef/fedcba9876543210fedcba9876543210?prefix=myapp:")
	if err != nil {
		log.Fatal(err)
	}
	defer store.(*cfkvstore.Store).Close()
	if _, err := sesh.New(sesh.Config{Store: store}); err != nil {
		log.Fatal(err)
	}
}
