package memcachestore

import (
	"strconv"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// corruptions are items under a record's item key that this package did
// not write: JSON, an empty value, an envelope whose header lies about the
// user's length.
var corruptions = map[string]storetest.CorruptFunc{
	"not-an-envelope": plant(func() []byte { return []byte(`{"cookie":{},"user":"alice"}`) }),
	"empty":           plant(func() []byte { return []byte{} }),
	"short-user": plant(func() []byte {
		return []byte("7:" + strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10) + ":99:" + storetest.CorruptUser)
	}),
}

func plant(value func() []byte) storetest.CorruptFunc {
	return func(t *testing.T, st sesh.Store, key string) {
		t.Helper()
		s := st.(*Store)
		if err := s.c.Set(&memcache.Item{Key: s.itemKey(key), Value: value(), Expiration: 3600}); err != nil {
			t.Fatal(err)
		}
	}
}
