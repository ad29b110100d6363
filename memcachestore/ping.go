package memcachestore

import (
	"context"

	"github.com/sesh-go/sesh"
)

var _ sesh.Pinger = (*Store)(nil)

// Ping checks that every memcached server of the client answers
// (sesh.Pinger). gomemcache's Ping takes no context: as for every call,
// Ping returns at ctx.Done() and Close waits for the straggler.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "ping", err)
	}
	if err := s.call(ctx, s.c.Ping); err != nil {
		return wrap(ctx, "ping", err)
	}
	return nil
}
