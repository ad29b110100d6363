package sqlstore

import (
	"context"
	"database/sql"
	"errors"
)

// Conn is what the store needs of a database. SQLConn adapts a *sql.DB;
// pgstore implements it on a pgx pool directly, so PostgreSQL requests skip
// database/sql. QueryRow's Scan must return an error for which
// errors.Is(err, sql.ErrNoRows) holds when there is no row.
type Conn interface {
	Exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	QueryRow(ctx context.Context, query string, args ...any) Row
	Query(ctx context.Context, query string, args ...any) (Rows, error)
}

// Row is one row of a query (*sql.Row, pgx.Row).
type Row interface {
	Scan(dest ...any) error
}

// Rows iterates over the rows of a query.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// SQLConn adapts a *sql.DB to Conn.
func SQLConn(db *sql.DB) Conn { return sqlConn{db} }

type sqlConn struct{ db *sql.DB }

func (c sqlConn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := c.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c sqlConn) QueryRow(ctx context.Context, q string, args ...any) Row {
	return c.db.QueryRowContext(ctx, q, args...)
}

func (c sqlConn) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

// RecordConn is implemented by a Conn that scans a record's row into typed
// values itself, where its driver does that faster than into any (pgx:
// pgstore). QueryRecord runs query, whose one row is (data, expires,
// version, user_id), with args. When there is no row it returns an error
// for which errors.Is(err, sql.ErrNoRows) holds; when a column is NULL or
// cannot be read as its Go type, one for which errors.Is(err,
// ErrUnreadableRow) holds. A NULL data must come back as a nil Data, and
// an empty one as a non-nil empty slice.
type RecordConn interface {
	QueryRecord(ctx context.Context, query string, args ...any) (RecordRow, error)
}

// RecordRow is a record's row as RecordConn reads it.
type RecordRow struct {
	Data    []byte
	Expires int64 // Unix microseconds
	Version int64
	UserID  string
}

// ErrUnreadableRow is what a RecordConn reports for a row whose column is
// NULL or of another type than the store writes. The store turns it into
// an error wrapping sesh.ErrCorrupt.
var ErrUnreadableRow = errors.New("sqlstore: a column is NULL or of the wrong type")
