// Package connectpg is a sesh.Store in connect-pg-simple's table, so a sesh
// Manager configured with compat/express shares live sessions with an
// Express app using express-session and connect-pg-simple (10):
//
//	CREATE TABLE "session" (
//		"sid" varchar NOT NULL COLLATE "default" PRIMARY KEY,
//		"sess" json NOT NULL,
//		"expire" timestamp(6) NOT NULL
//	);
//	CREATE INDEX "IDX_session_expire" ON "session" ("expire");
//
// Times go through to_timestamp(epoch seconds) from the application's
// clock, never the database's now(), as connect-pg-simple does; expiry has
// its one-second precision, rounded up. Node and Go connections must use
// the same TimeZone setting, since "expire" is a timestamp without time
// zone. Records are express-session's JSON and are stored verbatim (the
// json type keeps the text); bytes that are not JSON — never written by
// compat/express — are wrapped as {"__sesh_bytes":"<base64>"} so the store
// still keeps any record. There is no compare-and-set, as in Node.
package connectpg

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/jsonwrap"
	"github.com/sesh-go/sesh/internal/storekit"
)

// DefaultTable is connect-pg-simple's default table name.
const DefaultTable = "session"

// Options configures a Store.
type Options struct {
	// Schema and Table as connect-pg-simple's schemaName and tableName;
	// Table defaults to "session".
	Schema, Table string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store is a sesh.Store, sesh.Toucher and sesh.Lister in
// connect-pg-simple's table.
type Store struct {
	p     *pgxpool.Pool
	table string
	now   func() time.Time
}

var (
	_ sesh.Store   = (*Store)(nil)
	_ sesh.Toucher = (*Store)(nil)
	_ sesh.Lister  = (*Store)(nil)
)

// New returns a store over pool. It does not create the table (see
// CreateTable) and does not close pool.
func New(pool *pgxpool.Pool, opts Options) (*Store, error) {
	if pool == nil {
		return nil, errors.New("connectpg: nil pool")
	}
	name := opts.Table
	if name == "" {
		name = DefaultTable
	}
	table := pgx.Identifier{name}.Sanitize()
	if opts.Schema != "" {
		table = pgx.Identifier{opts.Schema, name}.Sanitize()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Store{p: pool, table: table, now: now}, nil
}

// Table returns the quoted table name.
func (s *Store) Table() string { return s.table }

// CreateTable runs connect-pg-simple's table.sql if the table is missing.
func (s *Store) CreateTable(ctx context.Context) error {
	idx := pgx.Identifier{"IDX_" + strings.Trim(s.table[strings.LastIndexByte(s.table, '.')+1:], `"`) + "_expire"}.Sanitize()
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS ` + s.table + ` ("sid" varchar NOT NULL COLLATE "default" PRIMARY KEY, "sess" json NOT NULL, "expire" timestamp(6) NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS ` + idx + ` ON ` + s.table + ` ("expire")`,
	} {
		if _, err := s.p.Exec(ctx, q); err != nil {
			return wrap(ctx, "create table", err)
		}
	}
	return nil
}

func check(ctx context.Context, key string) error { return storekit.CheckKey(ctx, key) }

func wrap(ctx context.Context, op string, err error) error {
	return storekit.Wrap(ctx, "connectpg", op, err)
}

// seconds is connect-pg-simple's Math.ceil(ms / 1000).
func seconds(t time.Time) int64 { return int64(math.Ceil(float64(t.UnixMilli()) / 1000)) }

// readable is the SQL condition on a row that Get can read: no NULL (a
// table made by hand may allow them), a finite expire, and a sess that is
// not a damaged {"__sesh_bytes":…} wrapper (jsonwrap.Unwrap's rule: a
// wrapper is what starts with its prefix and ends with "}, and its
// content must be standard base64; json text holds no raw line breaks,
// the only other bytes the decoder skips).
const readable = `(sess IS NOT NULL AND expire IS NOT NULL AND isfinite(expire) AND NOT (position('{"__sesh_bytes":"' in sess::text) = 1 AND ` +
	`right(sess::text, 2) = '"}' AND sess::text !~ '^\{"__sesh_bytes":"([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"\}$'))`

// errCorrupt is the error of a row Get cannot read; it holds no key.
var errCorrupt = fmt.Errorf("connectpg: a row the store cannot read: %w", sesh.ErrCorrupt)

// Get returns the record whose expire has not passed, or sesh.ErrNotFound.
// A row it cannot read (a NULL, an infinite expire, a damaged wrapper of
// bytes that are not JSON) yields an error wrapping sesh.ErrCorrupt.
func (s *Store) Get(ctx context.Context, key string) (sesh.Record, error) {
	if err := check(ctx, key); err != nil {
		return sesh.Record{}, err
	}
	var text *string
	var exp *float64
	err := s.p.QueryRow(ctx, `SELECT sess::text, extract(epoch from expire::timestamptz)::float8 FROM `+s.table+
		` WHERE sid = $1`, key).Scan(&text, &exp)
	if errors.Is(err, pgx.ErrNoRows) {
		return sesh.Record{}, sesh.ErrNotFound
	}
	if err != nil {
		return sesh.Record{}, wrap(ctx, "get", err)
	}
	if text == nil || exp == nil || math.IsInf(*exp, 0) || math.IsNaN(*exp) {
		return sesh.Record{}, errCorrupt
	}
	rec := sesh.Record{Expires: time.UnixMilli(int64(math.Round(*exp * 1000)))}
	if !s.now().Before(rec.Expires) {
		return sesh.Record{}, sesh.ErrNotFound
	}
	if rec.Data, err = jsonwrap.Unwrap([]byte(*text)); err != nil {
		return sesh.Record{}, errCorrupt
	}
	return rec, nil
}

// Set is connect-pg-simple's upsert; a record already expired is deleted.
func (s *Store) Set(ctx context.Context, key string, rec sesh.Record) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	if !s.now().Before(rec.Expires) {
		return s.Delete(ctx, key)
	}
	_, err := s.p.Exec(ctx, `INSERT INTO `+s.table+` (sess, expire, sid) SELECT $1::json, to_timestamp($2), $3
		ON CONFLICT (sid) DO UPDATE SET sess = $1::json, expire = to_timestamp($2)`, string(jsonwrap.Wrap(rec.Data)), seconds(rec.Expires), key)
	if err != nil {
		return wrap(ctx, "set", err)
	}
	return nil
}

// Touch updates expire only, as connect-pg-simple's touch. It returns
// sesh.ErrNotFound for a row that is absent, expired or that Get cannot
// read.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	tag, err := s.p.Exec(ctx, `UPDATE `+s.table+` SET expire = to_timestamp($1) WHERE sid = $2 AND expire >= to_timestamp($3) AND `+readable,
		seconds(expires), key, seconds(s.now()))
	if err != nil {
		return wrap(ctx, "touch", err)
	}
	if tag.RowsAffected() == 0 {
		return sesh.ErrNotFound
	}
	return nil
}

// Delete removes the row. An absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	if _, err := s.p.Exec(ctx, `DELETE FROM `+s.table+` WHERE sid = $1`, key); err != nil {
		return wrap(ctx, "delete", err)
	}
	return nil
}

// Prune deletes expired rows, as connect-pg-simple's pruning does.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	tag, err := s.p.Exec(ctx, `DELETE FROM `+s.table+` WHERE expire < to_timestamp($1)`, seconds(s.now()))
	if err != nil {
		return 0, wrap(ctx, "prune", err)
	}
	return tag.RowsAffected(), nil
}

// Range calls fn for each live row, a page at a time (no rows are open
// while fn runs).
func (s *Store) Range(ctx context.Context, fn func(key string, rec sesh.Record) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	after := ""
	for {
		rows, err := s.p.Query(ctx, `SELECT sid FROM `+s.table+` WHERE sid > $1 AND expire >= to_timestamp($2) ORDER BY sid LIMIT 500`,
			after, seconds(s.now()))
		if err != nil {
			return wrap(ctx, "range", err)
		}
		keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return wrap(ctx, "range", err)
		}
		for _, k := range keys {
			if sesh.ValidateKey(k) != nil {
				continue
			}
			rec, err := s.Get(ctx, k)
			if errors.Is(err, sesh.ErrNotFound) || errors.Is(err, sesh.ErrCorrupt) {
				continue
			}
			if err != nil {
				return err
			}
			if !fn(k, rec) {
				return nil
			}
		}
		if len(keys) < 500 {
			return nil
		}
		after = keys[len(keys)-1]
	}
}

// Len counts the live rows that Get can read.
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int
	if err := s.p.QueryRow(ctx, `SELECT count(*) FROM `+s.table+` WHERE expire >= to_timestamp($1) AND `+readable, seconds(s.now())).Scan(&n); err != nil {
		return 0, wrap(ctx, "len", err)
	}
	return n, nil
}

// Clear deletes every row of the table.
func (s *Store) Clear(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.p.Exec(ctx, `DELETE FROM `+s.table); err != nil {
		return wrap(ctx, "clear", err)
	}
	return nil
}
