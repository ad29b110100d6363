// Package pgstore is a sesh.Store on PostgreSQL, over a pgx v5 pool the
// application passes in (github.com/jackc/pgx/v5/pgxpool).
//
// The schema, the expiry cleanup and the compare-and-set are those of
// package sqlstore, run on the pool directly (not through database/sql):
// each statement is one round trip on a cached prepared statement. With the
// default table name, CreateTable runs:
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

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
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
	return sqlstore.NewConn(conn{pool}, dialect, opts)
}

// conn is sqlstore.Conn on a pgx pool.
type conn struct{ p *pgxpool.Pool }

func (c conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := c.p.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (c conn) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return c.p.QueryRow(ctx, q, args...) // pgx.ErrNoRows wraps sql.ErrNoRows
}

// QueryRecord scans into typed values: pgx plans such a scan once per
// statement, where a scan into any is planned on every row. A NULL or a
// column of another type is a pgx.ScanArgError.
func (c conn) QueryRecord(ctx context.Context, q string, args ...any) (sqlstore.RecordRow, error) {
	var r sqlstore.RecordRow
	err := c.p.QueryRow(ctx, q, args...).Scan(&r.Data, &r.Expires, &r.Version, &r.UserID)
	if err != nil {
		if scanErr := (pgx.ScanArgError{}); errors.As(err, &scanErr) {
			err = fmt.Errorf("%w: %w", sqlstore.ErrUnreadableRow, err)
		}
		return sqlstore.RecordRow{}, err
	}
	return r, nil
}

func (c conn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	return c.p.Query(ctx, q, args...)
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
	st, err := sqlstore.OpenConn(ctx, conn{pool}, dialect, qo.Options, func() error {
		pool.Close()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", u.Redacted(), err)
	}
	return st, nil
}

// dialect is sqlstore's PostgreSQL dialect with pgx's view of a statement
// the server rolled back for a concurrent one: a serialization failure
// (40001) or a deadlock (40P01).
var dialect = func() sqlstore.Dialect {
	d := sqlstore.Postgres
	d.Retryable = func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
	}
	return d
}()
