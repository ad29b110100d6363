package mysqlstore_test

import (
	"context"
	"database/sql"
	"log"
	"net/http"

	_ "github.com/go-sql-driver/mysql"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/mysqlstore"
)

// A store on a MySQL or MariaDB pool.
func Example() {
	db, err := sql.Open("mysql", "app:secret@tcp(127.0.0.1:3306)/app")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	store, err := mysqlstore.New(db, mysqlstore.Options{Table: "web_sessions"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if err := store.CreateTable(context.Background()); err != nil {
		log.Fatal(err)
	}
	m, err := sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	http.ListenAndServe("127.0.0.1:8080", m.Handler(http.NotFoundHandler()))
}

// By URL.
func Example_url() {
	store, err := sesh.Open(context.Background(), "mysql://app:secret@127.0.0.1:3306/app?table=web_sessions")
	if err != nil {
		log.Fatal(err)
	}
	defer store.(*mysqlstore.Store).Close()
}
