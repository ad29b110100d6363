package memcachestore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memcachestore"
)

// A store over a client the application already has; several servers
// share the sessions by key.
func Example() {
	client := memcache.New("10.0.0.1:11211", "10.0.0.2:11211")
	client.Timeout = time.Second // bounds a call a request abandoned
	client.MaxIdleConns = 64     // above the peak of parallel requests
	store, err := memcachestore.New(client, memcachestore.Options{Prefix: "myapp:sess:"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close() // waits for abandoned calls; the client stays open
	sessions, err := sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	http.ListenAndServe("127.0.0.1:8080", sessions.Handler(http.NotFoundHandler()))
}

// The same by URL: the import registers memcache://.
func Example_url() {
	store, err := sesh.Open(context.Background(), "memcache://127.0.0.1:11211?prefix=myapp:sess:&timeout=1s")
	if err != nil {
		log.Fatal(err)
	}
	defer store.(*memcachestore.Store).Close() // closes the client it opened
	_, err = sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
}

// A record over memcached's item size limit fails before any I/O (no
// server needs to listen for this example).
func ExampleTooLargeError() {
	store, err := memcachestore.New(memcache.New("127.0.0.1:11211"), memcachestore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	err = store.Set(context.Background(), "key", sesh.Record{Data: make([]byte, 2<<20), Expires: time.Now().Add(time.Hour)})
	var tl *memcachestore.TooLargeError
	if errors.As(err, &tl) {
		fmt.Printf("session too large: at most %d bytes fit\n", tl.Max)
	}
	// Output: session too large: at most 1048400 bytes fit
}
