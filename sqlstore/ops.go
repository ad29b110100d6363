package sqlstore

import (
	"context"

	"github.com/sesh-go/sesh"
)

var (
	_ sesh.Pinger = (*Store)(nil)
	_ sesh.Purger = (*Store)(nil)
)

// Ping runs SELECT 1 on the database (sesh.Pinger), for readiness probes
// and `sesh ping`.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return s.wrap(ctx, "ping", err)
	}
	var one int
	if err := s.db.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return s.wrap(ctx, "ping", err)
	}
	return nil
}

// Purge deletes every expired row now, in batches, and returns how many it
// deleted (sesh.Purger): Cleanup, which the background goroutine runs
// every Options.CleanupInterval, on demand (`sesh purge --expired`).
func (s *Store) Purge(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, s.wrap(ctx, "purge", err)
	}
	n, err := s.Cleanup(ctx)
	return int(n), err
}
