package filestore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/filestore"
)

func ExampleNew() {
	tmp, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	// The directory is created (mode 0700) if it does not exist.
	store, err := filestore.New(filepath.Join(tmp, "sessions"), filestore.Options{
		SweepInterval: 10 * time.Minute, // delete expired files every ten minutes
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	ctx := context.Background()
	err = store.Set(ctx, "q3XvRa9kY2", sesh.Record{Data: []byte(`{"user":"alice"}`), Expires: time.Now().Add(time.Hour)})
	fmt.Println(err)

	// One file per record: <dir>/<first 4 bytes of the key>/<the rest>.
	_, err = os.Stat(filepath.Join(store.Dir(), "q3Xv", "Ra9kY2"))
	fmt.Println(err)

	rec, err := store.Get(ctx, "q3XvRa9kY2")
	fmt.Println(string(rec.Data), err)

	// Keys that could name a path are refused before any file is touched.
	_, err = store.Get(ctx, "../../etc/passwd")
	fmt.Println(err)
	// Output:
	// <nil>
	// <nil>
	// {"user":"alice"} <nil>
	// sesh: invalid store key: bad character
}
