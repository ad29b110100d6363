package sqlitestore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/sqlitestore"
)

// An embedded session database: one file, no server.
func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	store, err := sqlitestore.Open(ctx, filepath.Join(dir, "sessions.db"), sqlitestore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	m, err := sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	s, _ := m.Load(ctx, "")
	s.Set("cart", []string{"apple"})
	c, _ := m.Commit(ctx, s)
	n, _ := store.Len(ctx)
	fmt.Println(len(c) > 0, n)
	// Output: true 1
}

// The same by URL, as a configuration file would give it.
func Example_url() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	store, err := sesh.Open(context.Background(), "sqlite://"+filepath.ToSlash(dir)+"/sessions.db?table=web_sessions")
	if err != nil {
		log.Fatal(err)
	}
	defer store.(*sqlitestore.Store).Close()
	fmt.Println(store.(*sqlitestore.Store).Table())
	// Output: "web_sessions"
}
