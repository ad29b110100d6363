package dynamostore_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/remix"
	"github.com/sesh-go/sesh/dynamostore"
)

// A store over the client the application already has, in sesh's layout.
// Requests carry a deadline: the SDK has no overall timeout of its own.
func Example() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx) // credentials and region from the environment
	if err != nil {
		log.Fatal(err)
	}
	store, err := dynamostore.New(dynamodb.NewFromConfig(cfg), dynamostore.Options{Table: "sessions"})
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	h := http.TimeoutHandler(sessions.Handler(http.NotFoundHandler()), 10*time.Second, "timeout")
	http.ListenAndServe("127.0.0.1:8080", h)
}

// Sharing Architect's session table with a Remix app that uses
// createArcTableSessionStorage({cookie, table: "arc-sessions", idx: "_idx",
// ttl: "_ttl"}) and the same cookie secrets: the store mints Remix IDs, the
// cookie carries them signed as Remix signs them, and the data is Remix's
// session data.
func Example_remix() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	table := "MyAppStaging-ArcSessionsTable-1A2B3C" // the physical name Architect gave arc-sessions
	store, err := dynamostore.NewArc(dynamodb.NewFromConfig(cfg), dynamostore.Options{Table: table})
	if err != nil {
		log.Fatal(err)
	}
	var c sesh.Config
	if err := remix.ConfigureIDStorage(&c, store, []byte("the Remix app's cookie secret")); err != nil {
		log.Fatal(err)
	}
	sessions, err := sesh.New(c)
	if err != nil {
		log.Fatal(err)
	}
	http.ListenAndServe("127.0.0.1:8080", sessions.Handler(http.NotFoundHandler()))
}

// The same by URL: the import registers dynamodb://. This one points at a
// local dynalite or DynamoDB Local and creates the table for development.
func Example_url() {
	ctx := context.Background()
	st, err := sesh.Open(ctx, "dynamodb://sessions?region=us-east-1&endpoint=http://127.0.0.1:4567")
	if err != nil {
		log.Fatal(err)
	}
	store := st.(*dynamostore.Store)
	defer store.Close() // releases the HTTP client sesh.Open made
	if err := store.CreateTable(ctx); err != nil {
		log.Print(err) // dynalite: ErrTTLUnsupported (the table is ready)
	}
	if _, err := sesh.New(sesh.Config{Store: store}); err != nil {
		log.Fatal(err)
	}
}
