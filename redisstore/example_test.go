package redisstore_test

import (
	"context"
	"log"
	"net/http"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/redisstore"
)

// A store over a client the application already has. The same code serves
// a Cluster (redis.NewClusterClient) or a Sentinel group
// (redis.NewFailoverClient).
func Example() {
	client := redis.NewClient(&redis.Options{
		Addr:                  "127.0.0.1:6379",
		ContextTimeoutEnabled: true, // required: request deadlines bound Redis calls
	})
	defer client.Close()
	store, err := redisstore.New(client, redisstore.Options{Prefix: "myapp:sess:"})
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	http.ListenAndServe("127.0.0.1:8080", sessions.Handler(http.NotFoundHandler()))
}

// The same by URL: the import registers redis://, rediss://,
// redis+cluster:// and redis+sentinel://.
func Example_url() {
	store, err := sesh.Open(context.Background(), "redis://127.0.0.1:6379/0?prefix=myapp:sess:")
	if err != nil {
		log.Fatal(err)
	}
	defer store.(*redisstore.Store).Close() // closes the client it opened
	_, err = sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
}
