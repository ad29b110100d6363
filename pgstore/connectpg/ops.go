package connectpg

import (
	"context"

	"github.com/sesh-go/sesh"
)

var (
	_ sesh.Pinger = (*Store)(nil)
	_ sesh.Purger = (*Store)(nil)
)

// Ping checks that the pool reaches PostgreSQL (sesh.Pinger).
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "ping", err)
	}
	if err := s.p.Ping(ctx); err != nil {
		return wrap(ctx, "ping", err)
	}
	return nil
}

// Purge is Prune as a sesh.Purger (`sesh purge --expired`): it deletes the
// rows whose expire has passed and returns how many. The store has no
// background cleanup of its own (connect-pg-simple prunes from Node, every
// 15 minutes by default).
func (s *Store) Purge(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, wrap(ctx, "purge", err)
	}
	n, err := s.Prune(ctx)
	return int(n), err
}
