package connectpg

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

func pool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := storetest.Service(t, "SESH_POSTGRES_URL")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := pgxpool.New(ctx, url)
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
	cc := p.Config().ConnConfig
	storetest.Engine(t, "PostgreSQL", version, net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port))))
	return p
}

var seq atomic.Int64

func newStore(t *testing.T, p *pgxpool.Pool) *Store {
	t.Helper()
	st, err := New(p, Options{Table: fmt.Sprintf("seshtest_cpg_%d_%d", time.Now().UnixNano()%1e9, seq.Add(1))})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Exec(context.Background(), "DROP TABLE IF EXISTS "+st.Table()) })
	return st
}

func TestConformance(t *testing.T) {
	p := pool(t)
	storetest.RunWith(t, func(t *testing.T) sesh.Store { return newStore(t, p) }, storetest.Options{Precision: time.Second, Corrupt: corruptions})
}

// TestLayout: the row connect-pg-simple reads, and JSON kept verbatim.
func TestLayout(t *testing.T) {
	p := pool(t)
	st := newStore(t, p)
	ctx := t.Context()
	data := `{"cookie":{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/"},"views":1}`
	exp := time.Now().Add(time.Hour)
	if err := st.Set(ctx, "abc", sesh.Record{Data: []byte(data), Expires: exp}); err != nil {
		t.Fatal(err)
	}
	var sess string
	var secs int64
	if err := p.QueryRow(ctx, `SELECT sess::text, extract(epoch from expire::timestamptz)::bigint FROM `+st.Table()+` WHERE sid = 'abc'`).Scan(&sess, &secs); err != nil {
		t.Fatal(err)
	}
	if sess != data || secs != seconds(exp) {
		t.Fatalf("row: sess %s, expire %d (want %d)", sess, secs, seconds(exp))
	}
	if n, err := st.Prune(ctx); err != nil || n != 0 {
		t.Fatalf("Prune of live rows: %d, %v", n, err)
	}
}
