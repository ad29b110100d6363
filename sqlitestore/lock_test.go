package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// lockWait is the deadline of each call made while another connection
// holds the lock it needs; the call must return within three times that.
const lockWait = 300 * time.Millisecond

// TestLockedDatabaseHonoursContext: while another *sql.DB on the same file
// holds the database's write lock (BEGIN IMMEDIATE; in rollback-journal
// mode BEGIN EXCLUSIVE, which also keeps readers out), every method that
// needs the lock gives up when its context ends, with an error wrapping
// context.DeadlineExceeded, within three times its deadline; SQLite's
// busy wait alone took the full 5 s busy timeout. Once the lock is
// released the store works again.
func TestLockedDatabaseHonoursContext(t *testing.T) {
	for _, mode := range []struct {
		name, journal, begin string
		readsWait            bool
	}{
		{"WAL", "WAL", "BEGIN IMMEDIATE", false},
		{"RollbackJournal", "DELETE", "BEGIN EXCLUSIVE", true},
	} {
		t.Run(mode.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.db")
			db, err := sql.Open("sqlite", dsn(path, mode.journal))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			st, err := New(db, Options{CleanupInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ctx := t.Context()
			if err := st.CreateTable(ctx); err != nil {
				t.Fatal(err)
			}
			hour := time.Now().Add(time.Hour)
			rec := sesh.Record{Data: []byte("x"), Expires: hour, UserID: "u"}
			if err := st.Set(ctx, "k", rec); err != nil {
				t.Fatal(err)
			}
			live, err := st.Get(ctx, "k")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO "sessions" (id, data, expires, version, user_id) VALUES ('stale', x'', 1, 1, '')`); err != nil {
				t.Fatal(err)
			}

			other, err := sql.Open("sqlite", dsn(path, mode.journal))
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			locker, err := other.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer locker.Close()
			if _, err := locker.ExecContext(ctx, mode.begin); err != nil {
				t.Fatal(err)
			}
			released := false
			release := func() {
				if !released {
					released = true
					if _, err := locker.ExecContext(context.Background(), "ROLLBACK"); err != nil {
						t.Fatal(err)
					}
				}
			}
			defer release()

			calls := []struct {
				name  string
				write bool
				call  func(ctx context.Context) error
			}{
				{"Get", false, func(ctx context.Context) error { _, err := st.Get(ctx, "k"); return err }},
				{"Len", false, func(ctx context.Context) error { _, err := st.Len(ctx); return err }},
				{"Range", false, func(ctx context.Context) error {
					return st.Range(ctx, func(string, sesh.Record) bool { return true })
				}},
				{"ByUser", false, func(ctx context.Context) error { _, err := st.ByUser(ctx, "u"); return err }},
				{"Set", true, func(ctx context.Context) error { return st.Set(ctx, "k", rec) }},
				{"Set of a new key", true, func(ctx context.Context) error { return st.Set(ctx, "new", rec) }},
				{"Swap", true, func(ctx context.Context) error {
					r := rec
					r.Version = live.Version
					_, err := st.Swap(ctx, "k", r)
					return err
				}},
				{"Swap(0)", true, func(ctx context.Context) error { _, err := st.Swap(ctx, "new", rec); return err }},
				{"Touch", true, func(ctx context.Context) error { return st.Touch(ctx, "k", hour.Add(time.Minute)) }},
				{"Delete", true, func(ctx context.Context) error { return st.Delete(ctx, "k") }},
				{"Cleanup", true, func(ctx context.Context) error { _, err := st.Cleanup(ctx); return err }},
			}
			for _, c := range calls {
				ctx, cancel := context.WithTimeout(context.Background(), lockWait)
				start := time.Now()
				err := c.call(ctx)
				took := time.Since(start)
				cancel()
				if c.write || mode.readsWait {
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("%s with the database locked = %v, want an error wrapping context.DeadlineExceeded", c.name, err)
					}
					if took > 3*lockWait {
						t.Errorf("%s with the database locked took %v; its context allowed %v", c.name, took, lockWait)
					}
				} else if err != nil {
					t.Errorf("%s while another connection writes = %v: in WAL mode readers do not wait", c.name, err)
				}
			}

			release()
			for _, c := range calls {
				if err := c.call(t.Context()); err != nil && !errors.Is(err, sesh.ErrConflict) {
					t.Errorf("%s after the lock was released: %v", c.name, err)
				}
			}
			if _, err := st.Get(ctx, "new"); err != nil {
				t.Errorf("Get of the key written after the lock was released: %v", err)
			}
		})
	}
}

// TestBusyRetriesUntilFree: a write that finds the database locked for a
// while (shorter than its context) waits and succeeds, instead of failing
// with SQLITE_BUSY after SQLite's short busy timeout.
func TestBusyRetriesUntilFree(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	ctx := t.Context()
	st, err := Open(ctx, path, Options{CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	other, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	locker, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	if _, err := locker.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	held := 200 * time.Millisecond
	go func() {
		time.Sleep(held)
		locker.ExecContext(context.Background(), "ROLLBACK")
	}()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	start := time.Now()
	if err := st.Set(wctx, "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatalf("Set while the lock was held for %v: %v", held, err)
	}
	if took := time.Since(start); took < held/2 {
		t.Fatalf("Set took %v although the lock was held for %v: it did not wait for it", took, held)
	}
}
