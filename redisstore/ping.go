package redisstore

import (
	"context"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/redisstore/internal/shared"
)

var _ sesh.Pinger = (*Store)(nil)

// Ping sends PING (to every primary of a Cluster), for readiness probes
// and `sesh ping` (sesh.Pinger). Redis expires records itself, so the
// store is not a sesh.Purger.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "ping", err)
	}
	if err := shared.Ping(ctx, s.c); err != nil {
		return wrap(ctx, "ping", err)
	}
	return nil
}
