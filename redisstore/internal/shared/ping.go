package shared

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Ping checks that the server answers PING: every primary of a Cluster,
// the primary a Sentinel client is on, or the one server.
func Ping(ctx context.Context, c redis.UniversalClient) error {
	if cc, ok := c.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
			return n.Ping(ctx).Err()
		})
	}
	return c.Ping(ctx).Err()
}
