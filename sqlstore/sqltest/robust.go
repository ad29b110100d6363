package sqltest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/sqlstore"
	"github.com/sesh-go/sesh/storetest"
)

// Corruptions returns the kinds of unreadable row a table of dialect d
// can hold, as storetest.CorruptFunc values for storetest.Options.Corrupt.
// Every engine takes a row with version 0 (the store never writes one).
// PostgreSQL and MySQL enforce the column types, so their other kinds
// need a table made without NOT NULL (the hook drops the constraint
// first): a NULL user ID, NULL data. SQLite keeps any value in any column:
// text in expires or version, a real expires, an integer as data.
func Corruptions(d sqlstore.Dialect) map[string]storetest.CorruptFunc {
	m := map[string]storetest.CorruptFunc{
		"version-zero": plantRow("''", future(), "0", userLit, nil),
	}
	switch d.Name {
	case sqlstore.SQLite.Name:
		m["text-expires"] = plantRow("x'64'", "'abc'", "7", userLit, nil)
		m["text-version"] = plantRow("x'64'", future(), "'v7'", userLit, nil)
		m["real-expires"] = plantRow("x'64'", future()+".5", "7", userLit, nil)
		m["integer-data"] = plantRow("42", future(), "7", userLit, nil)
	case sqlstore.Postgres.Name:
		m["null-user"] = plantRow("''", future(), "7", "NULL", []string{`ALTER TABLE %s ALTER COLUMN user_id DROP NOT NULL`})
		m["null-data"] = plantRow("NULL", future(), "7", userLit, []string{`ALTER TABLE %s ALTER COLUMN data DROP NOT NULL`})
	case sqlstore.MySQL.Name:
		m["null-user"] = plantRow("''", future(), "7", "NULL", []string{"ALTER TABLE %s MODIFY user_id VARBINARY(255) NULL DEFAULT ''"})
		m["null-data"] = plantRow("NULL", future(), "7", userLit, []string{"ALTER TABLE %s MODIFY data MEDIUMBLOB NULL"})
	}
	return m
}

// userLit ties a planted row to storetest.CorruptUser.
const userLit = "'" + storetest.CorruptUser + "'"

// future is an expires an hour ahead, as an SQL literal.
func future() string { return fmt.Sprint(time.Now().Add(time.Hour).UnixMicro()) }

// plantRow returns a CorruptFunc that runs prep (each with %s the table),
// then replaces key's row with the given SQL literals. Keys hold only
// [A-Za-z0-9_:-], so they are safe between quotes.
func plantRow(data, expires, version, user string, prep []string) storetest.CorruptFunc {
	return func(t *testing.T, st sesh.Store, key string) {
		t.Helper()
		s := st.(*sqlstore.Store)
		if sesh.ValidateKey(key) != nil {
			t.Fatalf("plant: invalid key %q", key)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		stmts := make([]string, 0, len(prep)+2)
		for _, p := range prep {
			stmts = append(stmts, fmt.Sprintf(p, s.Table()))
		}
		stmts = append(stmts,
			"DELETE FROM "+s.Table()+" WHERE id = '"+key+"'",
			"INSERT INTO "+s.Table()+" (id, data, expires, version, user_id) VALUES ('"+key+"', "+data+", "+expires+", "+version+", "+user+")")
		for _, q := range stmts {
			if _, err := s.Conn().Exec(ctx, q); err != nil {
				t.Fatalf("plant: %s: %v", q, err)
			}
		}
	}
}

// lockWait is the deadline each call gets while another transaction holds
// the lock it needs; it must return within three times that.
const lockWait = 300 * time.Millisecond

// checkLockedRow holds a row lock (and, on SQLite, the database's write
// lock) in a transaction of db and checks that every write that needs it
// gives up when its context ends, with an error wrapping
// context.DeadlineExceeded, within three times its deadline; that reads do
// not wait; and that the store works once the lock is released.
func checkLockedRow(t *testing.T, db *sql.DB, newStore NewFunc) {
	st := NewStore(t, db, newStore, sqlstore.Options{CleanupInterval: -1})
	ctx := t.Context()
	hour := time.Now().Add(time.Hour)
	for _, k := range []string{"locked", "stale"} {
		if err := st.Set(ctx, k, sesh.Record{Data: []byte(k), Expires: hour}); err != nil {
			t.Fatal(err)
		}
	}
	// An expired row for the cleanup to want (Set deletes instead of
	// writing a past expiry).
	if _, err := st.Conn().Exec(ctx, "UPDATE "+st.Table()+" SET expires = 1 WHERE id = 'stale'"); err != nil {
		t.Fatal(err)
	}
	live, err := st.Get(ctx, "locked")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "UPDATE "+st.Table()+" SET version = version WHERE id IN ('locked', 'stale')"); err != nil {
		t.Fatal(err)
	}

	rec := sesh.Record{Data: []byte("blocked"), Expires: hour}
	writes := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Set", func(ctx context.Context) error { return st.Set(ctx, "locked", rec) }},
		{"Swap", func(ctx context.Context) error {
			r := rec
			r.Version = live.Version
			_, err := st.Swap(ctx, "locked", r)
			return err
		}},
		{"Swap(0)", func(ctx context.Context) error { _, err := st.Swap(ctx, "locked", rec); return err }},
		{"Touch", func(ctx context.Context) error { return st.Touch(ctx, "locked", hour.Add(time.Minute)) }},
		{"Delete", func(ctx context.Context) error { return st.Delete(ctx, "locked") }},
		{"Cleanup", func(ctx context.Context) error { _, err := st.Cleanup(ctx); return err }},
	}
	for _, w := range writes {
		ctx, cancel := context.WithTimeout(context.Background(), lockWait)
		start := time.Now()
		err := w.call(ctx)
		took := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s of a locked row = %v, want an error wrapping context.DeadlineExceeded", w.name, err)
		}
		if took > 3*lockWait {
			t.Errorf("%s of a locked row took %v; its context allowed %v", w.name, took, lockWait)
		}
	}
	rctx, cancel := context.WithTimeout(context.Background(), 10*lockWait)
	if got, err := st.Get(rctx, "locked"); err != nil || string(got.Data) != "locked" {
		t.Errorf("Get of a row another transaction has locked = (%q, %v): reads must not wait for writers", got.Data, err)
	}
	cancel()

	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	// A server may still run a statement its client gave up on once the
	// lock is free; these keys are not the locked ones.
	if err := st.Set(ctx, "after", rec); err != nil {
		t.Fatalf("Set after the lock was released: %v", err)
	}
	v, err := st.Swap(ctx, "after2", rec)
	if err != nil {
		t.Fatalf("Swap after the lock was released: %v", err)
	}
	if err := st.Touch(ctx, "after2", hour.Add(time.Minute)); err != nil {
		t.Fatalf("Touch after the lock was released: %v", err)
	}
	if got, err := st.Get(ctx, "after2"); err != nil || got.Version != v {
		t.Fatalf("Get after the lock was released = %+v, %v", got, err)
	}
	if _, err := st.Cleanup(ctx); err != nil {
		t.Fatalf("Cleanup after the lock was released: %v", err)
	}
	if err := st.Delete(ctx, "after"); err != nil {
		t.Fatalf("Delete after the lock was released: %v", err)
	}
}
