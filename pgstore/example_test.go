package pgstore_test

import (
	"context"
	"log"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/pgstore"
)

// A store on the application's own pgx pool, in a table of its choosing.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://app@127.0.0.1:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store, err := pgstore.New(pool, pgstore.Options{Table: "auth.sessions"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close() // stops the expiry cleanup; the pool stays open
	if err := store.CreateTable(ctx); err != nil {
		log.Fatal(err)
	}
	m, err := sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	http.ListenAndServe("127.0.0.1:8080", m.Handler(http.NotFoundHandler()))
}

// By URL: the pool, the table and the cleanup come from one string.
func Example_url() {
	store, err := sesh.Open(context.Background(), "postgres://app@127.0.0.1:5432/app?table=sessions&cleanup=10m")
	if err != nil {
		log.Fatal(err)
	}
	defer store.(*pgstore.Store).Close() // closes the pool it opened
}
