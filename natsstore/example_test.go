package natsstore_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/natsstore"
)

// A store on a connection the application already has. New creates the
// bucket if it is missing, with a max age that outlasts every session.
func Example() {
	nc, err := nats.Connect("nats://127.0.0.1:4222",
		nats.ReconnectBufSize(-1), // a call during a reconnect fails now, not replayed later
		nats.MaxReconnects(-1))
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store, err := natsstore.New(ctx, js, natsstore.Options{Bucket: "sessions", Prefix: "myapp", MaxAge: 24 * time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := sesh.New(sesh.Config{Store: store, AbsoluteTimeout: 12 * time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	http.ListenAndServe("127.0.0.1:8080", sessions.Handler(http.NotFoundHandler()))
}

// The same by URL: the import registers nats://. The store owns the
// connection it opened.
func Example_url() {
	store, err := sesh.Open(context.Background(), "nats://127.0.0.1:4222/sessions?prefix=myapp&max_age=24h")
	if err != nil {
		log.Fatal(err)
	}
	defer store.(*natsstore.Store).Close() // drains and closes the connection
	_, err = sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
}
