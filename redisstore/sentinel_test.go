package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// TestSentinel starts a master, a replica and a sentinel, runs the suite
// through a failover client, then kills the master and shows that sessions
// written before the failover still load through the same Manager.
func TestSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the Sentinel test starts three servers")
	}
	master := startRedis(t, false)
	replica := startRedis(t, false, fmt.Sprintf("replicaof 127.0.0.1 %d", master.port))
	sentinel := startRedis(t, true,
		fmt.Sprintf("sentinel monitor seshmaster 127.0.0.1 %d 1", master.port),
		"sentinel down-after-milliseconds seshmaster 1000",
		"sentinel failover-timeout seshmaster 5000",
		"sentinel resolve-hostnames no",
	)
	rc := redis.NewClient(&redis.Options{Addr: replica.addr})
	defer rc.Close()
	waitFor(t, "replica link up", 20*time.Second, func() (bool, string) {
		s := info(rc, "replication", "master_link_status")
		return s == "up", s
	})

	fc := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: "seshmaster", SentinelAddrs: []string{sentinel.addr},
		ContextTimeoutEnabled: true, MaxRetries: 10,
		MinRetryBackoff: 50 * time.Millisecond, MaxRetryBackoff: 500 * time.Millisecond,
	})
	t.Cleanup(func() { fc.Close() })

	storetest.Run(t, factory(fc))

	t.Run("SessionsSurviveFailover", func(t *testing.T) {
		st, err := New(fc, Options{Prefix: uniquePrefix(t)})
		if err != nil {
			t.Fatal(err)
		}
		m, err := sesh.New(sesh.Config{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		var cookies []string
		for i := range 20 {
			s, err := m.Load(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			s.Set("n", i)
			c, err := m.Commit(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			cookies = append(cookies, c[:strings.IndexByte(c, ';')])
		}
		mc := redis.NewClient(&redis.Options{Addr: master.addr})
		if err := mc.Do(ctx, "WAIT", 1, 5000).Err(); err != nil {
			t.Fatalf("WAIT for the replica: %v", err)
		}
		mc.Close()

		master.kill()
		waitFor(t, "the sentinel to promote the replica", 30*time.Second, func() (bool, string) {
			s := info(rc, "replication", "role")
			return s == "master", s
		})
		for i, c := range cookies {
			var s *sesh.Session
			waitFor(t, "session "+strconv.Itoa(i)+" to load after failover", 20*time.Second, func() (bool, string) {
				lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				var err error
				s, err = m.Load(lctx, c)
				return err == nil, fmt.Sprint(err)
			})
			if n, ok := sesh.Get[int](s, "n"); !ok || n != i {
				t.Fatalf("session %d after failover: n = %d, %v (status %v)", i, n, ok, s.Status())
			}
			// And it can still be written: the new master takes writes.
			s.Set("after", true)
			if _, err := m.Commit(ctx, s); err != nil {
				t.Fatalf("commit after failover: %v", err)
			}
		}
	})
}
