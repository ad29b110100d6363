package redisstore

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// TestCluster starts a three-master Redis Cluster on spare loopback ports,
// runs the whole storetest suite on it, and checks that listing reaches
// every master.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the Cluster test starts three servers")
	}
	var addrs []string
	var nodes []*redisServer
	for range 3 {
		s := startRedis(t, false, "cluster-enabled yes", "cluster-node-timeout 2000",
			"cluster-config-file nodes.conf")
		nodes = append(nodes, s)
		addrs = append(addrs, s.addr)
	}
	redisCLI(t, append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...)
	for _, n := range nodes {
		c := redis.NewClient(&redis.Options{Addr: n.addr})
		waitFor(t, "cluster_state:ok on "+n.addr, 30*time.Second, func() (bool, string) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			s, err := c.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(s, "cluster_state:ok"), s
		})
		c.Close()
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true})
	t.Cleanup(func() { cc.Close() })

	storetest.Run(t, factory(cc))

	t.Run("ListsEveryMaster", func(t *testing.T) {
		st := factory(cc)(t).(*Store)
		ctx := t.Context()
		const n = 60
		for i := range n {
			k := "k" + string(rune('A'+i%26)) + string(rune('a'+i/26))
			if err := st.Set(ctx, k, sesh.Record{Data: []byte(k), Expires: time.Now().Add(time.Hour), UserID: "u"}); err != nil {
				t.Fatal(err)
			}
		}
		// The keys really are spread over the three masters.
		perMaster := map[string]int{}
		var mu sync.Mutex
		cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			keys, _, err := m.Scan(ctx, 0, st.sessionKey("*"), 1000).Result()
			if err != nil {
				return err
			}
			mu.Lock()
			perMaster[m.Options().Addr] = len(keys)
			mu.Unlock()
			return nil
		})
		if len(perMaster) != 3 {
			t.Fatalf("keys per master = %v, want three masters", perMaster)
		}
		for addr, k := range perMaster {
			if k == 0 {
				t.Fatalf("master %s holds no key: %v", addr, perMaster)
			}
		}
		if got, err := st.Len(ctx); err != nil || got != n {
			t.Fatalf("Len = %d, %v; want %d", got, err, n)
		}
		if recs, err := st.ByUser(ctx, "u"); err != nil || len(recs) != n {
			t.Fatalf("ByUser = %d records, %v; want %d", len(recs), err, n)
		}
		if err := st.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.Len(ctx); got != 0 {
			t.Fatalf("Len after Clear = %d", got)
		}
	})
}
