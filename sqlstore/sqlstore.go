// Package sqlstore is a sesh.Store over database/sql, shared by the SQL
// store modules (pgstore, mysqlstore, sqlitestore), which add their driver
// and register their URL scheme. It depends on the standard library only.
//
// # Schema
//
// One table (default name "sessions", configurable, optionally
// schema-qualified), created by CreateTable if missing. For PostgreSQL:
//
//	CREATE TABLE IF NOT EXISTS sessions (
//		id      TEXT PRIMARY KEY,
//		data    BYTEA NOT NULL,
//		expires BIGINT NOT NULL,          -- Unix microseconds
//		version BIGINT NOT NULL,          -- compare-and-set (sesh.Swapper)
//		user_id TEXT NOT NULL DEFAULT ''  -- sesh.UserIndex
//	);
//	CREATE INDEX IF NOT EXISTS sessions_expires_idx ON sessions (expires);
//	CREATE INDEX IF NOT EXISTS sessions_user_idx ON sessions (user_id) WHERE user_id <> '';
//
// MySQL uses VARBINARY for id and user_id (byte-exact comparison) and
// MEDIUMBLOB for data; SQLite uses TEXT, BLOB and INTEGER. The exact
// statements are Dialect.Schema.
//
// Expiry is an integer of Unix microseconds rather than a timestamp type:
// it is exact, free of time-zone settings, and the same on every engine.
// Every read filters expired rows; a background goroutine deletes them in
// batches and stops when the store is closed.
//
// Each write is one statement; the compare-and-set is an UPDATE … WHERE
// version = ? (or an insert that leaves an existing row alone), so no
// transaction is held across a round trip. Versions are random 62-bit
// numbers: a deleted and re-created key does not reuse one.
//
// # Rows the store cannot read
//
// A row the store could not have written — a NULL (in a table made
// without the NOT NULL constraints), a version that is not positive, or,
// in SQLite, which keeps any type in any column, a value of the wrong type
// such as text in expires — makes Get return an error wrapping
// sesh.ErrCorrupt. Range, Len and ByUser skip it (Dialect.Readable is the
// same test in SQL); Touch returns sesh.ErrNotFound and leaves it alone;
// Swap with version 0 replaces it only once its expires (if it is an
// integer) has passed, and otherwise returns sesh.ErrConflict, and with
// another version returns sesh.ErrConflict or sesh.ErrNotFound; Delete
// removes it. No error holds the key.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/storekit"
)

// Defaults for Options.
const (
	DefaultTable           = "sessions"
	DefaultCleanupInterval = 5 * time.Minute
	DefaultCleanupBatch    = 1000
	// MaxUserIDLen is the longest Record.UserID the SQL stores keep (the
	// MySQL column is VARBINARY(255)); a longer one is an error at Set.
	MaxUserIDLen = 255
)

// Options configures a Store. The zero value is usable.
type Options struct {
	// Table is the table name, "name" or "schema.name", made of plain
	// identifiers. Empty means DefaultTable.
	Table string
	// CleanupInterval is how often expired rows are deleted in the
	// background. Zero means DefaultCleanupInterval; negative disables the
	// goroutine (call Cleanup yourself, or rely on reads filtering expired
	// rows).
	CleanupInterval time.Duration
	// CleanupBatch is the most rows one DELETE removes, so that cleanup
	// never holds long locks. Zero means DefaultCleanupBatch.
	CleanupBatch int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnCleanupError, if set, receives errors of the background cleanup.
	OnCleanupError func(error)
}

// Store is a sesh.Store in one SQL table. It implements sesh.Toucher,
// sesh.Swapper, sesh.Lister and sesh.UserIndex, and is safe for concurrent
// use.
type Store struct {
	db    Conn
	d     Dialect
	table string
	bare  string
	now   func() time.Time
	batch int
	q     queries

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
	onClose   func() error // closes what the store opened (by URL)
}

var (
	_ sesh.Store     = (*Store)(nil)
	_ sesh.Toucher   = (*Store)(nil)
	_ sesh.Swapper   = (*Store)(nil)
	_ sesh.Lister    = (*Store)(nil)
	_ sesh.UserIndex = (*Store)(nil)
)

type queries struct {
	get, upsert, insertIfAbsent, replaceExpired, deleteExpiredKey, swap, touch, exists,
	del, rangePage, count, clear, byUser, cleanup string
}

const cols = `id, data, expires, version, user_id`

// New returns a Store over db in dialect d. It does not create the table
// (see CreateTable) and does not close db on Close unless opened by a
// store module's URL. The background cleanup starts now.
func New(db *sql.DB, d Dialect, opts Options) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil *sql.DB")
	}
	return NewConn(SQLConn(db), d, opts)
}

// NewConn is New over any Conn (pgstore passes its pgx pool).
func NewConn(db Conn, d Dialect, opts Options) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil Conn")
	}
	if d.Quote == nil || d.Schema == nil || d.Upsert == "" || d.InsertIfAbsent == "" || d.DeleteExpired == "" {
		return nil, fmt.Errorf("sqlstore: dialect %q is incomplete", d.Name)
	}
	name := opts.Table
	if name == "" {
		name = DefaultTable
	}
	table, bare, err := d.qualified(name)
	if err != nil {
		return nil, err
	}
	if opts.CleanupBatch < 0 {
		return nil, fmt.Errorf("sqlstore: negative CleanupBatch %d", opts.CleanupBatch)
	}
	s := &Store{db: db, d: d, table: table, bare: bare, now: opts.Now, batch: opts.CleanupBatch}
	if s.now == nil {
		s.now = time.Now
	}
	if s.batch == 0 {
		s.batch = DefaultCleanupBatch
	}
	t := table
	ok := d.Readable
	if ok == "" {
		ok = DefaultReadable
	}
	ok = " AND (" + ok + ")"
	s.q = queries{
		get:              `SELECT data, expires, version, user_id FROM ` + t + ` WHERE id = ?`,
		upsert:           `INSERT INTO ` + t + ` (` + cols + `) VALUES (?, ?, ?, ?, ?) ` + d.Upsert,
		insertIfAbsent:   `INSERT INTO ` + t + ` (` + cols + `) VALUES (?, ?, ?, ?, ?) ` + d.InsertIfAbsent,
		replaceExpired:   "",
		deleteExpiredKey: `DELETE FROM ` + t + ` WHERE id = ? AND expires <= ?`,
		swap:             `UPDATE ` + t + ` SET data = ?, expires = ?, version = ?, user_id = ? WHERE id = ? AND version = ? AND expires > ?`,
		touch:            `UPDATE ` + t + ` SET expires = ? WHERE id = ? AND expires > ?` + ok,
		exists:           `SELECT 1 FROM ` + t + ` WHERE id = ? AND expires > ?` + ok,
		del:              `DELETE FROM ` + t + ` WHERE id = ?`,
		rangePage:        `SELECT ` + cols + ` FROM ` + t + ` WHERE id > ? AND expires > ? ORDER BY id LIMIT ?`,
		count:            `SELECT COUNT(*) FROM ` + t + ` WHERE expires > ?` + ok,
		clear:            `DELETE FROM ` + t,
		byUser:           `SELECT ` + cols + ` FROM ` + t + ` WHERE user_id = ? AND expires > ?`,
		cleanup:          fmt.Sprintf(d.DeleteExpired, t),
	}
	if d.ReplaceExpired != "" {
		s.q.replaceExpired = `INSERT INTO ` + t + ` (` + cols + `) VALUES (?, ?, ?, ?, ?) ` + fmt.Sprintf(d.ReplaceExpired, t)
	}
	for _, p := range []*string{&s.q.get, &s.q.upsert, &s.q.insertIfAbsent, &s.q.replaceExpired, &s.q.deleteExpiredKey, &s.q.swap,
		&s.q.touch, &s.q.exists, &s.q.del, &s.q.rangePage, &s.q.count, &s.q.clear, &s.q.byUser, &s.q.cleanup} {
		*p = d.bind(*p)
	}
	every := opts.CleanupInterval
	if every == 0 {
		every = DefaultCleanupInterval
	}
	s.done = make(chan struct{})
	if every < 0 {
		close(s.done)
		s.stop = func() {}
		return s, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go s.cleanupLoop(ctx, every, opts.OnCleanupError)
	return s, nil
}

// SetCloser makes Close also call fn, after the cleanup goroutine has
// stopped: store modules use it to close a pool they opened by URL.
func (s *Store) SetCloser(fn func() error) { s.onClose = fn }

// Close stops the background cleanup and waits for it. It closes the
// database only if the store opened it. Close is idempotent.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.stop()
		<-s.done
		if s.onClose != nil {
			err = s.onClose()
		}
	})
	return err
}

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.d }

// Conn returns the database connection the store uses.
func (s *Store) Conn() Conn { return s.db }

// Table returns the quoted table name.
func (s *Store) Table() string { return s.table }

// CreateTable creates the table and its indexes if they are missing (the
// statements of Dialect.Schema).
func (s *Store) CreateTable(ctx context.Context) error {
	for _, stmt := range s.d.Schema(s.table, s.bare) {
		if _, err := s.db.Exec(ctx, stmt); err != nil {
			return s.wrap(ctx, "create table", err)
		}
	}
	return nil
}

// DropTable drops the table. Tests use it; applications rarely should.
func (s *Store) DropTable(ctx context.Context) error {
	if _, err := s.db.Exec(ctx, `DROP TABLE IF EXISTS `+s.table); err != nil {
		return s.wrap(ctx, "drop table", err)
	}
	return nil
}

func (s *Store) wrap(ctx context.Context, op string, err error) error {
	return storekit.Wrap(ctx, "sqlstore("+s.d.Name+")", op, err)
}

// retryable reports an error the engine gave because a concurrent
// statement won (Dialect.Retryable).
func (s *Store) retryable(err error) bool {
	return err != nil && s.d.Retryable != nil && s.d.Retryable(err)
}

// lost wraps a retryable error of a compare-and-set as the lost race it is.
func (s *Store) lost(ctx context.Context, op string, err error) error {
	return fmt.Errorf("%w (%w)", sesh.ErrConflict, s.wrap(ctx, op, err))
}

// execRetry runs a plain write again, a few times, while the engine rolls
// it back for a concurrent one.
func (s *Store) execRetry(ctx context.Context, query string, args ...any) (int64, error) {
	for attempt := 0; ; attempt++ {
		n, err := s.db.Exec(ctx, query, args...)
		if !s.retryable(err) || attempt == 4 || ctx.Err() != nil {
			return n, err
		}
	}
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func (s *Store) nowMicros() int64 { return s.now().UnixMicro() }

// check validates key and ctx before any I/O.
func check(ctx context.Context, key string) error { return storekit.CheckKey(ctx, key) }

func checkUser(u string) error {
	if len(u) > MaxUserIDLen {
		return fmt.Errorf("sqlstore: user ID of %d bytes: the SQL stores keep at most %d", len(u), MaxUserIDLen)
	}
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Get returns the record under key, or sesh.ErrNotFound if it is absent or
// expired. A row the store cannot have written (a NULL, a value of the
// wrong type, a version that is not positive) yields an error wrapping
// sesh.ErrCorrupt.
func (s *Store) Get(ctx context.Context, key string) (sesh.Record, error) {
	if err := check(ctx, key); err != nil {
		return sesh.Record{}, err
	}
	rec, ok, err := s.getRow(ctx, key)
	if errors.Is(err, sql.ErrNoRows) {
		return sesh.Record{}, sesh.ErrNotFound
	}
	if errors.Is(err, ErrUnreadableRow) {
		return sesh.Record{}, s.corrupt("get")
	}
	if err != nil {
		return sesh.Record{}, s.wrap(ctx, "get", err)
	}
	if !ok {
		return sesh.Record{}, s.corrupt("get")
	}
	if rec.Expires.UnixMicro() <= s.nowMicros() {
		return sesh.Record{}, sesh.ErrNotFound
	}
	return rec, nil
}

// getRow reads key's row, through RecordConn when the Conn has it. ok is
// false for a row the store could not have written.
func (s *Store) getRow(ctx context.Context, key string) (rec sesh.Record, ok bool, err error) {
	if rc, typed := s.db.(RecordConn); typed {
		row, err := rc.QueryRecord(ctx, s.q.get, key)
		if err != nil {
			return sesh.Record{}, false, err
		}
		rec, ok = row.record()
		return rec, ok, nil
	}
	var raw rawRow
	if err := s.db.QueryRow(ctx, s.q.get, key).Scan(raw.dest()...); err != nil {
		return sesh.Record{}, false, err
	}
	rec, ok = raw.record()
	return rec, ok, nil
}

// Set inserts or replaces the record under key, with a new version. A
// record whose Expires has passed is deleted instead.
func (s *Store) Set(ctx context.Context, key string, rec sesh.Record) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	if err := checkUser(rec.UserID); err != nil {
		return err
	}
	if !s.now().Before(rec.Expires) {
		return s.Delete(ctx, key)
	}
	_, err := s.execRetry(ctx, s.q.upsert, key, nonNil(rec.Data), micros(rec.Expires), storekit.NewVersion(), rec.UserID)
	if err != nil {
		return s.wrap(ctx, "set", err)
	}
	return nil
}

// Swap is the compare-and-set of sesh.Swapper.
func (s *Store) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	if err := check(ctx, key); err != nil {
		return 0, err
	}
	if err := checkUser(rec.UserID); err != nil {
		return 0, err
	}
	now := s.nowMicros()
	ver := storekit.NewVersion()
	if rec.Version == 0 && s.q.replaceExpired != "" && s.now().Before(rec.Expires) {
		// One statement: insert, or replace an expired row, or nothing.
		n, err := s.db.Exec(ctx, s.q.replaceExpired, key, nonNil(rec.Data), micros(rec.Expires), ver, rec.UserID, now)
		if s.retryable(err) {
			return 0, s.lost(ctx, "swap", err)
		}
		if err != nil {
			return 0, s.wrap(ctx, "swap", err)
		}
		if n == 0 {
			return 0, sesh.ErrConflict
		}
		return ver, nil
	}
	if rec.Version == 0 {
		// Absent or expired: clear an expired row, then insert unless a
		// live row is there (one statement, atomic on the primary key).
		if _, err := s.db.Exec(ctx, s.q.deleteExpiredKey, key, now); s.retryable(err) {
			return 0, s.lost(ctx, "swap", err)
		} else if err != nil {
			return 0, s.wrap(ctx, "swap", err)
		}
		if !s.now().Before(rec.Expires) {
			// An already-expired record is as good as deleted; it still
			// loses to a live one.
			if _, err := s.Get(ctx, key); err == nil {
				return 0, sesh.ErrConflict
			} else if errors.Is(err, sesh.ErrCorrupt) {
				return 0, fmt.Errorf("%w (%w)", sesh.ErrConflict, err)
			} else if !errors.Is(err, sesh.ErrNotFound) {
				return 0, err
			}
			return ver, nil
		}
		n, err := s.db.Exec(ctx, s.q.insertIfAbsent, key, nonNil(rec.Data), micros(rec.Expires), ver, rec.UserID)
		if s.retryable(err) {
			return 0, s.lost(ctx, "swap", err)
		}
		if err != nil {
			return 0, s.wrap(ctx, "swap", err)
		}
		if n == 0 {
			return 0, sesh.ErrConflict
		}
		return ver, nil
	}
	n, err := s.db.Exec(ctx, s.q.swap, nonNil(rec.Data), micros(rec.Expires), ver, rec.UserID, key, rec.Version, now)
	if s.retryable(err) {
		return 0, s.lost(ctx, "swap", err)
	}
	if err != nil {
		return 0, s.wrap(ctx, "swap", err)
	}
	if n == 1 {
		return ver, nil
	}
	// Lost: tell absent from another version.
	if ok, err := s.exists(ctx, key, now); err != nil {
		return 0, err
	} else if !ok {
		return 0, sesh.ErrNotFound
	}
	return 0, sesh.ErrConflict
}

func (s *Store) exists(ctx context.Context, key string, now int64) (bool, error) {
	var one int
	err := s.db.QueryRow(ctx, s.q.exists, key, now).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.wrap(ctx, "exists", err)
	}
	return true, nil
}

// Touch moves the record's expiry without rewriting its data or version.
// It returns sesh.ErrNotFound if the key is absent or expired.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	now := s.nowMicros()
	n, err := s.db.Exec(ctx, s.q.touch, micros(expires), key, now)
	if s.retryable(err) {
		return s.lost(ctx, "touch", err)
	}
	if err != nil {
		return s.wrap(ctx, "touch", err)
	}
	if n == 0 {
		// MySQL counts a row whose value did not change as unaffected.
		if ok, err := s.exists(ctx, key, now); err != nil {
			return err
		} else if !ok {
			return sesh.ErrNotFound
		}
	}
	return nil
}

// Delete removes the record under key. An absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	if _, err := s.execRetry(ctx, s.q.del, key); err != nil {
		return s.wrap(ctx, "delete", err)
	}
	return nil
}

// Open is what a store module's URL scheme does once it has a pool: it
// builds the store, makes Close call closeDB, and creates the table if
// it is missing. On any error it calls closeDB itself.
func Open(ctx context.Context, db *sql.DB, d Dialect, opts Options, closeDB func() error) (*Store, error) {
	return OpenConn(ctx, SQLConn(db), d, opts, closeDB)
}

// OpenConn is Open over any Conn.
func OpenConn(ctx context.Context, db Conn, d Dialect, opts Options, closeDB func() error) (*Store, error) {
	st, err := NewConn(db, d, opts)
	if err != nil {
		closeDB()
		return nil, err
	}
	st.SetCloser(closeDB)
	if err := st.CreateTable(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
