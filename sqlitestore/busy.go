package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sesh-go/sesh/sqlstore"
)

// busyTimeoutMs is the busy_timeout DSN sets: how long SQLite itself waits
// for a lock before it reports SQLITE_BUSY. SQLite's wait cannot be
// cancelled (its busy handler never looks at the context), so it is kept
// short and the waiting happens in Go, between attempts, where the
// context can end it.
const busyTimeoutMs = 10

// BusyTimeout is how long a statement keeps retrying a locked database
// when its context has no earlier deadline; then it fails with the
// SQLITE_BUSY error. It was SQLite's own busy timeout before the wait moved
// to Go.
const BusyTimeout = 5 * time.Second

// Backoff between attempts on a locked database: jittered, doubling from
// busyMinWait to busyMaxWait.
const (
	busyMinWait = 2 * time.Millisecond
	busyMaxWait = 50 * time.Millisecond
)

// sqliteBusy is SQLITE_BUSY, the primary result code of every "database
// is locked" error (extended codes keep it in the low byte).
const sqliteBusy = 5

// isBusy reports a "database is locked" error of modernc.org/sqlite.
func isBusy(err error) bool {
	var c interface{ Code() int }
	return errors.As(err, &c) && c.Code()&0xff == sqliteBusy
}

// retryBusy runs op until it succeeds, fails with anything but
// SQLITE_BUSY, ctx ends or BusyTimeout has passed. A statement that failed
// with SQLITE_BUSY changed nothing (each is its own transaction), so it
// may run again.
func retryBusy(ctx context.Context, op func() error) error {
	var giveUp time.Time
	wait := busyMinWait
	for {
		err := op()
		if err == nil || !isBusy(err) {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%w (%w)", cerr, err)
		}
		if giveUp.IsZero() {
			giveUp = time.Now().Add(BusyTimeout)
		} else if time.Now().After(giveUp) {
			return err
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (%w)", ctx.Err(), err)
		case <-t.C:
		}
		wait = min(2*wait, busyMaxWait)
	}
}

// busyConn is sqlstore.Conn over a *sql.DB, retrying statements that find
// the database locked (retryBusy). SQLite lets one connection write at a
// time, so the store's own writes (every Exec: the store reads with
// QueryRow and Query) take turns in Go, first come first served, instead
// of polling against each other; only writers outside the store (another
// process, another *sql.DB) are met with retries.
type busyConn struct {
	db     *sql.DB
	writer chan struct{} // one token: the store's turn to write
}

func newBusyConn(db *sql.DB) *busyConn {
	return &busyConn{db: db, writer: make(chan struct{}, 1)}
}

func (c *busyConn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	select {
	case c.writer <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-c.writer }()
	var n int64
	err := retryBusy(ctx, func() error {
		res, err := c.db.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// QueryRow's row runs the query in Scan, where database/sql reports its
// errors, so that Scan can retry it.
func (c *busyConn) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return busyRow{c.db, ctx, q, args}
}

type busyRow struct {
	db   *sql.DB
	ctx  context.Context
	q    string
	args []any
}

func (r busyRow) Scan(dest ...any) error {
	return retryBusy(r.ctx, func() error { return r.db.QueryRowContext(r.ctx, r.q, r.args...).Scan(dest...) })
}

// Query retries the query itself: modernc.org/sqlite takes its locks on
// the first step, which QueryContext runs.
func (c *busyConn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	var rows *sql.Rows
	err := retryBusy(ctx, func() error {
		var err error
		rows, err = c.db.QueryContext(ctx, q, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }
