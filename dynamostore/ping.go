package dynamostore

import (
	"context"

	"github.com/sesh-go/sesh"
)

var _ sesh.Pinger = (*Store)(nil)

// pingKey is read by Ping. A dot never passes sesh.ValidateKey, so no
// session can live under it.
const pingKey = ".sesh-ping"

// Ping reads one item that cannot exist, which checks the credentials, the
// endpoint and the table (sesh.Pinger) for one read capacity unit.
// DynamoDB's TTL deletes expired items (late, but every read filters them),
// so the store is not a sesh.Purger.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "ping", err)
	}
	if _, err := s.getItem(ctx, pingKey); err != nil {
		return wrap(ctx, "ping", err)
	}
	return nil
}
