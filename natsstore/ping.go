package natsstore

import (
	"context"

	"github.com/sesh-go/sesh"
)

var _ sesh.Pinger = (*Store)(nil)

// Ping asks JetStream for the bucket's stream information, which checks
// the connection, the account and the bucket (sesh.Pinger). The bucket's
// MaxAge expires records, so the store is not a sesh.Purger.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "ping", err)
	}
	if _, err := s.stream.Info(ctx); err != nil {
		return wrap(ctx, "ping", err)
	}
	return nil
}
