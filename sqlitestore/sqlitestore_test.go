package sqlitestore

import (
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/sqlstore/sqltest"
	"github.com/sesh-go/sesh/storetest"
)

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", DSN(filepath.Join(t.TempDir(), "sessions.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	db := openDB(t)
	var version string
	if err := db.QueryRowContext(t.Context(), "SELECT sqlite_version()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	storetest.Engine(t, "SQLite", version, "in-process (modernc.org/sqlite)")
	sqltest.Run(t, db, New)
}

func TestPragmas(t *testing.T) {
	ctx := t.Context()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mode string
	var busy int
	st.Conn().QueryRow(ctx, "PRAGMA journal_mode").Scan(&mode)
	st.Conn().QueryRow(ctx, "PRAGMA busy_timeout").Scan(&busy)
	if mode != "wal" || busy != busyTimeoutMs {
		t.Fatalf("journal_mode=%q busy_timeout=%d, want wal and %d", mode, busy, busyTimeoutMs)
	}
}

// TestConcurrentWriters: many goroutines writing through several
// connections get no SQLITE_BUSY, thanks to WAL and the retries.
func TestConcurrentWriters(t *testing.T) {
	ctx := t.Context()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				k := fmt.Sprintf("g%d-%d", g, i)
				if err := st.Set(ctx, k, sesh.Record{Data: []byte(k), Expires: time.Now().Add(time.Hour)}); err != nil {
					errs <- err
				}
				if _, err := st.Get(ctx, k); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n, err := st.Len(ctx); err != nil || n != 400 {
		t.Fatalf("Len = %d, %v; want 400", n, err)
	}
}

func TestOpenURL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "by url.db")
	u := "sqlite://" + filepath.ToSlash(strings.ReplaceAll(path, " ", "%20")) + "?table=web_sessions&cleanup=1m"
	st, err := sesh.Open(t.Context(), u)
	if err != nil {
		t.Fatalf("Open(%s): %v", u, err)
	}
	defer st.(io.Closer).Close()
	if got := st.(*Store).Table(); got != `"web_sessions"` {
		t.Fatalf("table %s", got)
	}
	if err := st.Set(t.Context(), "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	storetest.OpenErrors(t, map[string]string{
		"sqlite://relative.db":             "absolute",
		"sqlite:relative.db":               "want sqlite:///",
		"sqlite:///tmp/x.db?bogus=1":       "bogus",
		"sqlite:///tmp/x.db?table=a;b":     "malformed",
		"sqlite:///tmp/x.db?table=a-b":     "identifier",
		"sqlite:///tmp/x.db?cleanup=never": "cleanup",
		"sqlite:///no/such/dir/x.db":       "",
	})
}
