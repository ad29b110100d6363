// Package sqlitestore is a sesh.Store in an SQLite database file, on
// modernc.org/sqlite (pure Go, no cgo): the embedded database a new
// application gets without running a server.
//
// Open configures the connection for a web server: WAL journal (readers
// never wait for the writer), synchronous=NORMAL, and a short busy timeout
// (10 ms): a statement that finds the database locked by another
// connection (another process, a long transaction) is retried in Go, with
// jittered backoff, until it gets the lock, its context ends (the error
// then wraps ctx.Err()) or BusyTimeout has passed. SQLite's own busy wait
// ignores cancellation, so a long busy timeout would hold a request past
// its deadline. The store's own writes take turns in Go rather than
// polling against each other. Open creates the table if it is missing. The schema, the expiry cleanup and the compare-and-set
// are those of package sqlstore; with its default table name:
//
//	CREATE TABLE IF NOT EXISTS "sessions" (
//		id      TEXT NOT NULL PRIMARY KEY,
//		data    BLOB NOT NULL,
//		expires INTEGER NOT NULL,          -- Unix microseconds
//		version INTEGER NOT NULL,
//		user_id TEXT NOT NULL DEFAULT ''
//	) WITHOUT ROWID;
//	CREATE INDEX IF NOT EXISTS "sessions_expires_idx" ON "sessions" (expires);
//	CREATE INDEX IF NOT EXISTS "sessions_user_idx" ON "sessions" (user_id) WHERE user_id <> '';
//
// Importing the package registers the URL scheme sqlite with sesh.Open:
//
//	sqlite:///var/lib/myapp/sessions.db[?table=sessions&cleanup=5m]
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/sqlstore"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Store is the SQL store; see package sqlstore for its methods.
type Store = sqlstore.Store

// Options are sqlstore's.
type Options = sqlstore.Options

// New returns a store over db, an SQLite database opened by the caller. It
// does not create the table: call CreateTable, or use Open. Statements that
// find the database locked are retried as Open's are; open db with DSN
// (or a busy_timeout of a few milliseconds), or each attempt waits out
// SQLite's own busy timeout, which no context can shorten.
func New(db *sql.DB, opts Options) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlitestore: nil *sql.DB")
	}
	return sqlstore.NewConn(newBusyConn(db), sqlstore.SQLite, opts)
}

// DSN returns the modernc.org/sqlite data source name Open uses for path.
func DSN(path string) string { return dsn(path, "WAL") }

func dsn(path, journal string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(busyTimeoutMs)+")")
	q.Add("_pragma", "journal_mode("+journal+")")
	q.Add("_pragma", "synchronous(NORMAL)")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Open opens (creating if needed) the database file at path, creates the
// table if it is missing, and returns a store that closes the database in
// Close.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlitestore: empty path")
	}
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	st, err := sqlstore.OpenConn(ctx, newBusyConn(db), sqlstore.SQLite, opts, db.Close)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %s: %w", path, err)
	}
	return st, nil
}

func init() {
	sesh.Register("sqlite", openURL)
}

func openURL(ctx context.Context, u *url.URL) (sesh.Store, error) {
	const form = "want sqlite:///absolute/path.db[?table=name&cleanup=5m]"
	if u.Opaque != "" || (u.Host != "" && u.Host != "localhost") || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("sqlitestore: %s", form)
	}
	if u.Path == "" || !filepath.IsAbs(filepath.FromSlash(u.Path)) {
		return nil, fmt.Errorf("sqlitestore: no absolute path in the URL: %s", form)
	}
	opts, err := sqlstore.OptionsFromQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	if len(opts.Rest) > 0 {
		return nil, fmt.Errorf("sqlitestore: unknown parameter %q (known: table, cleanup)", opts.Rest[0])
	}
	return Open(ctx, filepath.FromSlash(u.Path), opts.Options)
}
