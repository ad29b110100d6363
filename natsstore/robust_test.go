package natsstore

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// corruptions are values under a record's KV key that this package did
// not write: JSON, an empty value, an envelope whose header lies about the
// user's length. Each is tied to storetest.CorruptUser by an index entry,
// as the store would tie a record.
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
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := s.kv.Put(ctx, s.userPrefix(storetest.CorruptUser)+mapKey(key), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.kv.Put(ctx, s.recordKey(key), value()); err != nil {
			t.Fatal(err)
		}
	}
}
