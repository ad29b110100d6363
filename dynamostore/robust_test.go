package dynamostore

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// nativeCorruptions are native items whose attributes have the wrong
// types (or lack one), tied to storetest.CorruptUser in the user index.
var nativeCorruptions = map[string]storetest.CorruptFunc{
	"data-not-binary": plantItem(func(it item) { it[attrData] = strAV("not bytes") }),
	"expiry-not-number": plantItem(func(it item) {
		it[attrExp] = strAV(strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10))
	}),
	"version-not-number": plantItem(func(it item) { it[attrVersion] = strAV("7") }),
	"no-version":         plantItem(func(it item) { delete(it, attrVersion) }),
}

// arcCorruptions are Arc items whose sesh attributes have the wrong types.
var arcCorruptions = map[string]storetest.CorruptFunc{
	"meta-not-a-map": plantItem(func(it item) { it[attrMeta] = strAV("v=7") }),
	"version-not-string": plantItem(func(it item) {
		it[attrMeta].(*types.AttributeValueMemberM).Value[metaVersion] = numAV(7)
	}),
	"ttl-not-number": plantItem(func(it item) { it[DefaultArcTTLAttribute] = strAV("soon") }),
}

type item = map[string]types.AttributeValue

// plantItem writes, bypassing the store, the item the store would write
// for a live record of storetest.CorruptUser, spoiled by spoil.
func plantItem(spoil func(item)) storetest.CorruptFunc {
	return func(t *testing.T, st sesh.Store, key string) {
		t.Helper()
		var s *Store
		switch v := st.(type) {
		case *Store:
			s = v
		case *ArcStore:
			s = v.Store
		}
		it := s.item(key, sesh.Record{Data: []byte(`{"n":1}`), Expires: time.Now().Add(time.Hour), UserID: storetest.CorruptUser}, 7, time.Now())
		spoil(it)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: it}); err != nil {
			t.Fatalf("plant: %v", err)
		}
	}
}
