package memstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memstore"
)

func ExampleNew() {
	store := memstore.New(memstore.Options{
		MaxEntries:    100_000,         // evict the session nearest to expiry beyond this
		SweepInterval: 5 * time.Minute, // free expired sessions every five minutes
	})
	defer store.Close()

	ctx := context.Background()
	_ = store.Set(ctx, "k1", sesh.Record{Data: []byte(`{"user":"alice"}`), Expires: time.Now().Add(time.Hour)})
	rec, err := store.Get(ctx, "k1")
	fmt.Println(string(rec.Data), err)

	// Compare-and-set: only one of two writers that read the same version wins.
	_, err = store.Swap(ctx, "k1", sesh.Record{Data: []byte(`{}`), Expires: time.Now().Add(time.Hour), Version: rec.Version})
	fmt.Println(err)
	_, err = store.Swap(ctx, "k1", sesh.Record{Data: []byte(`{}`), Expires: time.Now().Add(time.Hour), Version: rec.Version})
	fmt.Println(err)
	// Output:
	// {"user":"alice"} <nil>
	// <nil>
	// sesh: version conflict
}

func Example_open() {
	// Importing memstore registers the "memory" scheme with sesh.Open.
	store, err := sesh.Open(context.Background(), "memory://?max=1000&sweep=1m")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.(*memstore.Store).Close()
	fmt.Printf("%T\n", store)
	// Output: *memstore.Store
}
