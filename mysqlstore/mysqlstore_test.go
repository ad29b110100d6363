package mysqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/sqlstore"
	"github.com/sesh-go/sesh/sqlstore/sqltest"
	"github.com/sesh-go/sesh/storetest"
)

// dsn returns SESH_MYSQL_DSN parsed (skip, or fail under
// SESH_REQUIRE_SERVICES=1, when unset).
func dsn(t *testing.T) *mysql.Config {
	t.Helper()
	cfg, err := mysql.ParseDSN(storetest.Service(t, "SESH_MYSQL_DSN"))
	if err != nil {
		t.Fatalf("SESH_MYSQL_DSN: %v", err)
	}
	return cfg
}

func openDB(t *testing.T, cfg *mysql.Config) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		storetest.Unavailable(t, "MySQL at SESH_MYSQL_DSN", err)
	}
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		t.Fatalf("SELECT VERSION(): %v", err)
	}
	engine := "MySQL"
	if v, _, ok := strings.Cut(version, "-MariaDB"); ok { // 10.11.6-MariaDB-0+deb12u1
		engine, version = "MariaDB", v
	}
	storetest.Engine(t, engine, version, cfg.Addr)
	return db
}

func TestConformance(t *testing.T) {
	sqltest.Run(t, openDB(t, dsn(t)), New)
}

func TestFaults(t *testing.T) {
	cfg := dsn(t)
	openDB(t, cfg) // skips when the server is down
	sqltest.Faults(t, cfg.Addr, func(t *testing.T, addr string) (*sql.DB, func()) {
		c := cfg.Clone()
		c.Addr = addr
		c.Logger = mysql.Logger(quiet{}) // the cut connections are the point
		conn, err := mysql.NewConnector(c)
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(conn)
		return db, func() { db.Close() }
	}, New)
}

type quiet struct{}

func (quiet) Print(...any) {}

func TestOpenURL(t *testing.T) {
	cfg := dsn(t)
	openDB(t, cfg)
	u := &url.URL{Scheme: "mysql", Host: cfg.Addr, Path: "/" + cfg.DBName, RawQuery: "table=seshtest_url&cleanup=off&timeout=5s"}
	if cfg.User != "" {
		u.User = url.UserPassword(cfg.User, cfg.Passwd)
	}
	st, err := sesh.Open(t.Context(), u.String())
	if err != nil {
		t.Fatalf("Open(%s): %v", u.Redacted(), err)
	}
	s := st.(*Store)
	defer func() { s.DropTable(context.Background()); st.(io.Closer).Close() }()
	if err := st.Set(t.Context(), "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if s.Table() != "`seshtest_url`" {
		t.Fatalf("table %s", s.Table())
	}
	storetest.OpenErrors(t, map[string]string{
		"mysql://root@127.0.0.1:3306":                "database",
		"mysql://root@127.0.0.1:3306/test?bogus=1":   "bogus",
		"mysql://root@127.0.0.1:3306/test?table=a-b": "identifier",
		"mysql://root@127.0.0.1:3306/test?table=a;b": "malformed",
		"mysql://root@127.0.0.1:1/test?timeout=1s":   "127.0.0.1:1",
		"mysql://:secret@127.0.0.1:3306/test":        "without a user", // the driver would drop it
	})
}

// Takes and releases of one lease (Config.Serialize's pattern: Swap of
// version 0 over a row that has expired in place, then a Swap that
// expires it again) make InnoDB roll some back for a deadlock (1213): Swap
// reports that as the lost race it is (sesh.ErrConflict), never as a store
// failure.
func TestDeadlockIsALostRace(t *testing.T) {
	db := openDB(t, dsn(t))
	st, err := New(db, Options{Table: "seshtest_deadlock", CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := st.CreateTable(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.DropTable(context.Background()); st.Close() })
	var wg sync.WaitGroup
	var conflicts, wins atomic.Int64
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				key := fmt.Sprintf("lock:%d", i%2)
				v, err := st.Swap(ctx, key, sesh.Record{Data: []byte("{}"), Expires: time.Now().Add(time.Minute)})
				switch {
				case err == nil:
					wins.Add(1)
					if _, err := st.Swap(ctx, key, sesh.Record{Data: []byte("{}"), Expires: time.Now().Add(-time.Minute), Version: v}); err != nil && !errors.Is(err, sesh.ErrConflict) {
						t.Errorf("release: %v", err)
						return
					}
				case errors.Is(err, sesh.ErrConflict):
					conflicts.Add(1)
				default:
					t.Errorf("Swap(0) under contention: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d takes won, %d lost", wins.Load(), conflicts.Load())
}

// deadlockConn makes the next statement fail as InnoDB fails a statement
// it rolled back for a deadlock (fault injection: every other call reaches
// MariaDB).
type deadlockConn struct {
	sqlstore.Conn
	next atomic.Int64 // statements to fail
}

func (c *deadlockConn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	if c.next.Add(-1) >= 0 {
		return 0, &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}
	}
	return c.Conn.Exec(ctx, q, args...)
}

func TestDeadlockMapping(t *testing.T) {
	db := openDB(t, dsn(t))
	fc := &deadlockConn{Conn: sqlstore.SQLConn(db)}
	st, err := sqlstore.NewConn(fc, dialect, Options{Table: "seshtest_deadlockmap", CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := st.CreateTable(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.DropTable(context.Background()); st.Close() })
	rec := sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Minute)}
	fc.next.Store(1)
	if _, err := st.Swap(ctx, "k", rec); !errors.Is(err, sesh.ErrConflict) {
		t.Fatalf("Swap rolled back for a deadlock = %v, want ErrConflict", err)
	}
	fc.next.Store(2) // Set and Delete run the statement again
	if err := st.Set(ctx, "k", rec); err != nil {
		t.Fatalf("Set after two deadlocks = %v", err)
	}
	fc.next.Store(1)
	if err := st.Touch(ctx, "k", time.Now().Add(time.Hour)); !errors.Is(err, sesh.ErrConflict) {
		t.Fatalf("Touch rolled back for a deadlock = %v, want ErrConflict", err)
	}
	fc.next.Store(1)
	if err := st.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete after a deadlock = %v", err)
	}
}
