package pgstore

import (
	"context"
	"database/sql"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/sqlstore"
	"github.com/sesh-go/sesh/sqlstore/sqltest"
	"github.com/sesh-go/sesh/storetest"
)

// config returns SESH_POSTGRES_URL parsed (skip, or fail under
// SESH_REQUIRE_SERVICES=1, when unset).
func config(t *testing.T) *pgxpool.Config {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(storetest.Service(t, "SESH_POSTGRES_URL"))
	if err != nil {
		t.Fatalf("SESH_POSTGRES_URL: %v", err)
	}
	return cfg
}

func pool(t *testing.T, cfg *pgxpool.Config) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = p.Ping(ctx)
	}
	if err != nil {
		storetest.Unavailable(t, "PostgreSQL at SESH_POSTGRES_URL", err)
	}
	t.Cleanup(p.Close)
	var version string
	if err := p.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		t.Fatalf("SHOW server_version: %v", err)
	}
	storetest.Engine(t, "PostgreSQL", version, net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port))))
	return p
}

// newFromDB adapts New to sqltest: sqltest hands over the *sql.DB of the
// pool it was given.
func newFromDB(p *pgxpool.Pool) sqltest.NewFunc {
	return func(db *sql.DB, opts sqlstore.Options) (*sqlstore.Store, error) {
		if db == nil {
			return New(nil, opts)
		}
		return New(p, opts)
	}
}

func TestConformance(t *testing.T) {
	p := pool(t, config(t))
	db := stdlib.OpenDBFromPool(p)
	defer db.Close()
	sqltest.Run(t, db, newFromDB(p))
}

// TestConformanceSimpleProtocol runs the suite again with pgx's simple
// protocol, as behind PgBouncer in transaction mode: every column comes
// back as text, so the typed scan of a read (QueryRecord) decodes text.
func TestConformanceSimpleProtocol(t *testing.T) {
	cfg := config(t)
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	p := pool(t, cfg)
	db := stdlib.OpenDBFromPool(p)
	defer db.Close()
	sqltest.Run(t, db, newFromDB(p))
}

func TestSchemaQualifiedTable(t *testing.T) {
	p := pool(t, config(t))
	ctx := t.Context()
	if _, err := p.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS seshtest_schema`); err != nil {
		t.Fatal(err)
	}
	st, err := New(p, Options{Table: "seshtest_schema.sessions", CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { st.DropTable(context.Background()); st.Close() }()
	if err := st.CreateTable(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Set(ctx, "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := p.QueryRow(ctx, `SELECT count(*) FROM seshtest_schema.sessions`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows in the schema's table: %d, %v", n, err)
	}
	var idx int
	p.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = 'seshtest_schema' AND tablename = 'sessions'`).Scan(&idx)
	if idx != 3 {
		t.Fatalf("%d indexes, want 3 (primary key, expires, user_id)", idx)
	}
}

func TestFaults(t *testing.T) {
	cfg := config(t)
	pool(t, cfg) // skips when the server is down
	target := net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port)))
	var p *pgxpool.Pool
	sqltest.Faults(t, target, func(t *testing.T, addr string) (*sql.DB, func()) {
		c := cfg.Copy()
		host, port, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(port)
		c.ConnConfig.Host, c.ConnConfig.Port = host, uint16(n)
		c.ConnConfig.Fallbacks = nil
		var err error
		p, err = pgxpool.NewWithConfig(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		db := stdlib.OpenDBFromPool(p)
		return db, func() { db.Close(); p.Close() }
	}, func(db *sql.DB, opts sqlstore.Options) (*sqlstore.Store, error) { return New(p, opts) })
}

func TestOpenURL(t *testing.T) {
	raw := storetest.Service(t, "SESH_POSTGRES_URL")
	pool(t, config(t))
	sep := "?"
	if strings.Contains(raw, "?") {
		sep = "&"
	}
	st, err := sesh.Open(t.Context(), raw+sep+"table=seshtest_url&cleanup=off")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	s := st.(*Store)
	defer func() { s.DropTable(context.Background()); st.(io.Closer).Close() }()
	if s.Table() != `"seshtest_url"` {
		t.Fatalf("table %s", s.Table())
	}
	if err := st.Set(t.Context(), "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	storetest.OpenErrors(t, map[string]string{
		"postgres://postgres@127.0.0.1:5432/test?table=a-b":                      "identifier",
		"postgres://postgres@127.0.0.1:5432/test?table=a;b":                      "malformed",
		"postgres://postgres@127.0.0.1:5432/test?pool_max_conns=x":               "pool_max_conns",
		"postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=1": "127.0.0.1",
	})
}
