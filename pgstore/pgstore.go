// Package pgstore is a sesh.Store on PostgreSQL, over a pgx v5 pool the
// application passes in (github.com/jackc/pgx/v5/pgxpool).
//
// The schema, the expiry cleanup and the compare-and-set are those of
// package sqlstore, reached through pgx's database/sql adapter on the same
// pool (stdlib.OpenDBFromPool: the adapter keeps no idle connections of its
// own). With the default table name, CreateTable runs:
//
//	CREATE TABLE IF NOT EXISTS "sessions" (
//		id      TEXT PRIMARY KEY,
//		data    BYTEA NOT NULL,
//		expires BIGINT NOT NULL,          -- Unix microseconds
//		version BIGINT NOT NULL,
//		user_id TEXT NOT NULL DEFAULT ''
//	);
//	CREATE INDEX IF NOT EXISTS "sessions_expires_idx" ON "sessions" (expires);
//	CREATE INDEX IF NOT EXISTS "sessions_user_idx" ON "sessions" (user_id) WHERE user_id <> '';
//
// Options.Table may name a schema: "auth.sessions".
//
// Importing the package registers the URL schemes postgres and postgresql
// with sesh.Open:
//
//	postgres://user:password@host:5432/dbname[?table=sessions&cleanup=5m&<pgx parameters>]
//
// Other parameters are pgx's (sslmode, pool_max_conns, …). The store opened
// by URL creates its table if missing and closes its pool in Close.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/sqlstore"
)

// Store is the SQL store; see package sqlstore for its methods.
type Store = sqlstore.Store

// Options are sqlstore's.
type Options = sqlstore.Options

// New returns a store over pool. It does not create the table (call
// CreateTable) and does not close pool in Close.
func New(pool *pgxpool.Pool, opts Options) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: nil pool")
	}
	db := stdlib.OpenDBFromPool(pool)
	st, err := sqlstore.New(db, sqlstore.Postgres, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	st.SetCloser(db.Close) // the adapter only; the pool stays open
	return st, nil
}

func init() {
	sesh.Register("postgres", openURL)
	sesh.Register("postgresql", openURL)
}

func openURL(ctx context.Context, u *url.URL) (sesh.Store, error) {
	qo, err := sqlstore.OptionsFromQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	v := *u
	v.RawQuery = qo.Query.Encode()
	cfg, err := pgxpool.ParseConfig(v.String())
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	st, err := sqlstore.Open(ctx, db, sqlstore.Postgres, qo.Options, func() error {
		err := db.Close()
		pool.Close()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", u.Redacted(), err)
	}
	return st, nil
}
