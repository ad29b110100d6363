package connectpg

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sesh-go/sesh"
)

func init() {
	sesh.Register("connectpg", openURL)
}

// openURL opens connectpg://USER[:PASSWORD]@HOST[:PORT]/DB[?table=session&schema=NAME&…]:
// pgx's URL with the postgres scheme, plus the store's table and schema
// (Options.Table, Options.Schema). The table must exist (connect-pg-simple
// creates it, or see CreateTable). The store closes its pool on Close.
func openURL(ctx context.Context, u *url.URL) (sesh.Store, error) {
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("connectpg: malformed query: %w", err)
	}
	var opts Options
	for _, name := range []string{"table", "schema"} {
		vs, ok := q[name]
		if !ok {
			continue
		}
		if len(vs) != 1 || vs[0] == "" {
			return nil, fmt.Errorf("connectpg: %s given %d times or empty", name, len(vs))
		}
		q.Del(name)
		if name == "table" {
			opts.Table = vs[0]
		} else {
			opts.Schema = vs[0]
		}
	}
	v := *u
	v.Scheme = "postgres"
	v.RawQuery = q.Encode()
	cfg, err := pgxpool.ParseConfig(v.String())
	if err != nil {
		return nil, fmt.Errorf("connectpg: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connectpg: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connectpg: %s: %w", u.Redacted(), err)
	}
	s, err := New(pool, opts)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &ownedStore{Store: s, pool: pool}, nil
}

// ownedStore is a Store opened by URL: Close closes its pool.
type ownedStore struct {
	*Store
	pool *pgxpool.Pool
}

// Close closes the pool the URL opened.
func (s *ownedStore) Close() error {
	s.pool.Close()
	return nil
}
