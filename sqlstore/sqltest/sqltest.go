// Package sqltest runs the conformance suite and the SQL-specific checks
// against a sqlstore.Store on a real database. Each SQL store module calls
// Run from one test, with its driver's *sql.DB:
//
//	func TestConformance(t *testing.T) {
//		sqltest.Run(t, db, sqlstore.MySQL, mysqlstore.New)
//	}
package sqltest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/sqlstore"
	"github.com/sesh-go/sesh/storetest"
)

// NewFunc builds a store over db, as the module's New does.
type NewFunc func(db *sql.DB, opts sqlstore.Options) (*sqlstore.Store, error)

var seq atomic.Int64

// uniqueTable returns a table name no other test uses.
func uniqueTable() string {
	return fmt.Sprintf("seshtest_%d_%d", time.Now().UnixNano()%1_000_000_000, seq.Add(1))
}

// NewStore creates a store on a fresh table, dropped when the test ends.
func NewStore(t *testing.T, db *sql.DB, newStore NewFunc, opts sqlstore.Options) *sqlstore.Store {
	t.Helper()
	if opts.Table == "" {
		opts.Table = uniqueTable()
	}
	st, err := newStore(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.CreateTable(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := st.DropTable(ctx); err != nil {
			t.Errorf("drop table: %v", err)
		}
		st.Close()
	})
	return st
}

// Run runs storetest (microsecond precision, with the dialect's
// Corruptions) and the SQL checks.
func Run(t *testing.T, db *sql.DB, newStore NewFunc) {
	t.Helper()
	probe, err := newStore(db, sqlstore.Options{CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	probe.Close()
	storetest.RunWith(t, func(t *testing.T) sesh.Store {
		return NewStore(t, db, newStore, sqlstore.Options{})
	}, storetest.Options{Precision: time.Microsecond, Corrupt: Corruptions(probe.Dialect())})

	t.Run("SQL", func(t *testing.T) {
		t.Run("LockedRowHonoursContext", func(t *testing.T) { checkLockedRow(t, db, newStore) })
		t.Run("CreateTableIsIdempotent", func(t *testing.T) {
			st := NewStore(t, db, newStore, sqlstore.Options{})
			ctx := t.Context()
			if err := st.Set(ctx, "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if err := st.CreateTable(ctx); err != nil {
				t.Fatalf("second CreateTable: %v", err)
			}
			if _, err := st.Get(ctx, "k"); err != nil {
				t.Fatalf("CreateTable on an existing table lost a row: %v", err)
			}
		})
		t.Run("BadConfig", func(t *testing.T) {
			for _, name := range []string{"a;drop", "1abc", "a.b.c", `x"y`, "a-b", strings.Repeat("a", 64), " a"} {
				if st, err := newStore(db, sqlstore.Options{Table: name}); err == nil {
					st.Close()
					t.Errorf("table name %q accepted", name)
				}
			}
			if _, err := newStore(nil, sqlstore.Options{}); err == nil {
				t.Error("nil *sql.DB accepted")
			}
			if _, err := newStore(db, sqlstore.Options{CleanupBatch: -1}); err == nil {
				t.Error("negative CleanupBatch accepted")
			}
		})
		t.Run("LongUserIDRejected", func(t *testing.T) {
			st := NewStore(t, db, newStore, sqlstore.Options{})
			rec := sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour), UserID: strings.Repeat("u", sqlstore.MaxUserIDLen+1)}
			if err := st.Set(t.Context(), "k", rec); err == nil {
				t.Fatal("over-long user ID accepted")
			}
			rec.UserID = rec.UserID[1:]
			if err := st.Set(t.Context(), "k", rec); err != nil {
				t.Fatalf("user ID of %d bytes: %v", len(rec.UserID), err)
			}
		})
		t.Run("CleanupInBatches", func(t *testing.T) {
			var mu sync.Mutex
			now := time.Now()
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			st := NewStore(t, db, newStore, sqlstore.Options{Now: clock, CleanupBatch: 3, CleanupInterval: -1})
			ctx := t.Context()
			for i := range 10 {
				if err := st.Set(ctx, fmt.Sprintf("old%d", i), sesh.Record{Data: []byte("x"), Expires: now.Add(time.Minute)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Set(ctx, "live", sesh.Record{Data: []byte("x"), Expires: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			now = now.Add(2 * time.Minute)
			mu.Unlock()
			// Reads filter expired rows before any cleanup ran.
			if _, err := st.Get(ctx, "old1"); !errors.Is(err, sesh.ErrNotFound) {
				t.Fatalf("expired row returned before cleanup: %v", err)
			}
			if rows := countRows(t, st); rows != 11 {
				t.Fatalf("%d rows before cleanup, want 11", rows)
			}
			n, err := st.Cleanup(ctx)
			if err != nil || n != 10 {
				t.Fatalf("Cleanup = %d, %v; want 10", n, err)
			}
			if rows := countRows(t, st); rows != 1 {
				t.Fatalf("%d rows after cleanup, want 1", rows)
			}
		})
		t.Run("BackgroundCleanupStopsOnClose", func(t *testing.T) {
			before := runtime.NumGoroutine()
			// The table exists before the store with the fast cleanup opens
			// (as it does after a deployment's migration): on a busy machine
			// the first tick could otherwise run before CreateTable did.
			table := uniqueTable()
			setup, err := newStore(db, sqlstore.Options{Table: table, CleanupInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			// Dropped through the test's own handle: the store is closed first.
			defer db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+setup.Table())
			if err := setup.CreateTable(t.Context()); err != nil {
				t.Fatal(err)
			}
			var (
				errMu       sync.Mutex
				cleanupErrs []error
			)
			st, err := newStore(db, sqlstore.Options{Table: table, CleanupInterval: 10 * time.Millisecond,
				OnCleanupError: func(err error) { errMu.Lock(); cleanupErrs = append(cleanupErrs, err); errMu.Unlock() }})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Set(t.Context(), "gone", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(50 * time.Millisecond)}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for countRows(t, st) != 0 {
				if time.Now().After(deadline) {
					t.Fatal("the background cleanup did not delete an expired row")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > before {
				t.Fatalf("%d goroutines after Close, %d before", n, before)
			}
			errMu.Lock()
			defer errMu.Unlock()
			if len(cleanupErrs) != 0 {
				t.Fatalf("%d cleanup errors, the first: %v", len(cleanupErrs), cleanupErrs[0])
			}
		})
	})
}

func countRows(t *testing.T, st *sqlstore.Store) int {
	t.Helper()
	var n int
	if err := st.Conn().QueryRow(t.Context(), "SELECT COUNT(*) FROM "+st.Table()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Faults runs storetest.Faults on a store whose database connects to
// target through the fault proxy: openDB opens a pool on the given
// "host:port" and returns it with a function that closes it and anything
// under it.
func Faults(t *testing.T, target string, openDB func(t *testing.T, addr string) (*sql.DB, func()), newStore NewFunc) {
	t.Helper()
	storetest.Faults(t, target, func(t *testing.T, addr string) (sesh.Store, func()) {
		db, closeDB := openDB(t, addr)
		st, err := newStore(db, sqlstore.Options{Table: uniqueTable(), CleanupInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := st.CreateTable(ctx); err != nil {
			t.Fatal(err)
		}
		return st, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := st.DropTable(ctx); err != nil {
				t.Errorf("drop table: %v", err)
			}
			st.Close()
			closeDB()
		}
	})
}
