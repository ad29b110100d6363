package redisstore

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// corruptions are what a Redis key of the store can hold that the store
// did not write: other types (WRONGTYPE to GET), a string that is not the
// envelope, and an envelope whose header lies about the user's length.
var corruptions = map[string]storetest.CorruptFunc{
	"hash": plant(func(ctx context.Context, c redis.UniversalClient, k string) error {
		return c.HSet(ctx, k, "data", "x", "expires", "later").Err()
	}),
	"list": plant(func(ctx context.Context, c redis.UniversalClient, k string) error {
		return c.RPush(ctx, k, "x", "y").Err()
	}),
	"set": plant(func(ctx context.Context, c redis.UniversalClient, k string) error {
		return c.SAdd(ctx, k, "x").Err()
	}),
	"not-an-envelope": plant(func(ctx context.Context, c redis.UniversalClient, k string) error {
		return c.Set(ctx, k, `{"cookie":{},"user":"alice"}`, 0).Err()
	}),
	"short-user": plant(func(ctx context.Context, c redis.UniversalClient, k string) error {
		exp := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
		return c.Set(ctx, k, "7:"+exp+":99:"+storetest.CorruptUser, 0).Err()
	}),
}

// plant replaces the key's value through the client, with a Redis expiry
// an hour ahead, and ties it to storetest.CorruptUser's set as the store
// would.
func plant(write func(ctx context.Context, c redis.UniversalClient, full string) error) storetest.CorruptFunc {
	return func(t *testing.T, st sesh.Store, key string) {
		t.Helper()
		s := st.(*Store)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		k := s.sessionKey(key)
		if err := s.c.Del(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
		if err := write(ctx, s.c, k); err != nil {
			t.Fatal(err)
		}
		if err := s.c.PExpire(ctx, k, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		if err := s.c.SAdd(ctx, s.userKey(storetest.CorruptUser), key).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEnvelopeRulesAgree: Get (storekit.ParseRecord), Touch (Lua) and Len
// (the header read with GETRANGE) accept and refuse the same values.
func TestEnvelopeRulesAgree(t *testing.T) {
	c := client(t)
	ctx := t.Context()
	future := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	for i, c2 := range []struct {
		v  string
		ok bool
	}{
		{"7:" + future + ":5:alicedata", true},
		{"007:" + future + ":0:", true},
		{"7:" + future + ":4:user", true},
		{"9223372036854775807:" + future + ":0:x", true},
		{"7:" + future + ":5:user", false},
		{"0:" + future + ":0:x", false},
		{"000:" + future + ":0:x", false},
		{"7:0:0:x", false},
		{"9223372036854775808:" + future + ":0:x", false},
		{"12345678901234567890:" + future + ":0:x", false},
		{"+7:" + future + ":0:x", false},
		{"7:" + future + ":-1:x", false},
		{"7:" + future + "::x", false},
		{"garbage", false},
	} {
		st := factory(c)(t).(*Store)
		key := "k" + strconv.Itoa(i)
		if err := c.Set(ctx, st.sessionKey(key), c2.v, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		_, getErr := st.Get(ctx, key)
		n, lenErr := st.Len(ctx)
		touchErr := st.Touch(ctx, key, time.Now().Add(2*time.Hour))
		if lenErr != nil {
			t.Fatalf("Len over %q: %v", c2.v, lenErr)
		}
		if c2.ok != (getErr == nil) || c2.ok != (n == 1) || c2.ok != (touchErr == nil) {
			t.Errorf("%q: Get %v, Len %d, Touch %v; want all to agree that it is readable: %v", c2.v, getErr, n, touchErr, c2.ok)
		}
	}
}
