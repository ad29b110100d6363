package dynamostore

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/sesh-go/sesh"
)

// allOld is the real client plus what dynalite leaves out: DynamoDB
// answers a failed condition with ReturnValuesOnConditionCheckFailure =
// ALL_OLD by attaching the item it checked to the
// ConditionalCheckFailedException (nothing when the item is absent).
// dynalite 4 ignores the parameter, so without this decorator the store's
// branch that decides from that item never runs in these tests. The item is
// read right after the failure, which is what DynamoDB returns whenever no
// other writer comes in between (none does here). gets counts the store's
// own GetItem calls.
type allOld struct {
	*dynamodb.Client
	table string
	gets  atomic.Int64
}

func (a *allOld) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	a.gets.Add(1)
	return a.Client.GetItem(ctx, in, o...)
}

func (a *allOld) attach(ctx context.Context, key map[string]types.AttributeValue, want types.ReturnValuesOnConditionCheckFailure, err error) error {
	var ccf *types.ConditionalCheckFailedException
	if want != types.ReturnValuesOnConditionCheckFailureAllOld || !errors.As(err, &ccf) {
		return err
	}
	out, gerr := a.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &a.table, Key: key, ConsistentRead: aws.Bool(true)})
	if gerr != nil {
		return gerr
	}
	ccf.Item = out.Item
	return err
}

func (a *allOld) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	out, err := a.Client.PutItem(ctx, in, o...)
	k := a.keyAttr()
	return out, a.attach(ctx, map[string]types.AttributeValue{k: in.Item[k]}, in.ReturnValuesOnConditionCheckFailure, err)
}

func (a *allOld) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := a.Client.UpdateItem(ctx, in, o...)
	return out, a.attach(ctx, in.Key, in.ReturnValuesOnConditionCheckFailure, err)
}

func (a *allOld) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	out, err := a.Client.DeleteItem(ctx, in, o...)
	return out, a.attach(ctx, in.Key, in.ReturnValuesOnConditionCheckFailure, err)
}

func (a *allOld) keyAttr() string {
	if a.table == arcTable {
		return DefaultArcKeyAttribute
	}
	return DefaultKeyAttribute
}

// TestConditionFailureWithOldItem: with the item DynamoDB returns, a lost
// Swap or Touch is explained without a second read; an absent item (no
// item returned) still costs one consistent GetItem.
func TestConditionFailureWithOldItem(t *testing.T) {
	for name, arc := range map[string]bool{"Native": false, "Arc": true} {
		t.Run(name, func(t *testing.T) {
			if arc {
				newArc(t)
			} else {
				newNative(t)
			}
			api := &allOld{Client: client(t), table: map[bool]string{false: nativeTable, true: arcTable}[arc]}
			s, err := newStore(api, Options{Table: api.table, Prefix: uniquePrefix()}, arc)
			if err != nil {
				t.Fatal(err)
			}
			clearOnCleanup(t, s)
			ctx := t.Context()
			hour := time.Now().Add(time.Hour)
			v1, err := s.Swap(ctx, "k", sesh.Record{Data: []byte(`{"a":1}`), Expires: hour})
			if err != nil {
				t.Fatal(err)
			}
			v2, err := s.Swap(ctx, "k", sesh.Record{Data: []byte(`{"a":2}`), Expires: hour, Version: v1})
			if err != nil {
				t.Fatal(err)
			}
			api.gets.Store(0)
			if _, err := s.Swap(ctx, "k", sesh.Record{Data: []byte("stale"), Expires: hour, Version: v1}); !errors.Is(err, sesh.ErrConflict) {
				t.Fatalf("stale Swap = %v, want ErrConflict", err)
			}
			if n := api.gets.Load(); n != 0 {
				t.Fatalf("stale Swap made %d GetItem calls with the old item at hand, want 0", n)
			}
			// Expired: decided from the returned item too.
			if _, err := s.Swap(ctx, "k", sesh.Record{Data: []byte("gone"), Expires: time.Now().Add(-time.Second), Version: v2}); err != nil {
				t.Fatal(err) // a Swap that writes a past deadline ends the record
			}
			if err := s.Set(ctx, "e", sesh.Record{Data: []byte("x"), Expires: hour}); err != nil {
				t.Fatal(err)
			}
			item := rawItem(t, s, "e")
			past := time.Now().Add(-time.Minute).UnixMilli()
			if arc {
				item[attrMeta].(*types.AttributeValueMemberM).Value[metaExp] = n(past)
			} else {
				item[attrExp] = n(past)
			}
			putRaw(t, s, item)
			v := versionOf2(t, s, item)
			api.gets.Store(0)
			if _, err := s.Swap(ctx, "e", sesh.Record{Data: []byte("y"), Expires: hour, Version: v}); !errors.Is(err, sesh.ErrNotFound) {
				t.Fatalf("Swap over an expired item = %v, want ErrNotFound", err)
			}
			if err := s.Touch(ctx, "e", hour); !errors.Is(err, sesh.ErrNotFound) {
				t.Fatalf("Touch of an expired item = %v, want ErrNotFound", err)
			}
			if n := api.gets.Load(); n != 0 {
				t.Fatalf("Swap and Touch of an expired item made %d GetItem calls, want 0", n)
			}
			// Absent: DynamoDB returns no item; one GetItem confirms.
			if _, err := s.Swap(ctx, "absent", sesh.Record{Data: []byte("y"), Expires: hour, Version: 42}); !errors.Is(err, sesh.ErrNotFound) {
				t.Fatalf("Swap of an absent key = %v, want ErrNotFound", err)
			}
			if n := api.gets.Load(); n != 1 {
				t.Fatalf("Swap of an absent key made %d GetItem calls, want 1", n)
			}
		})
	}
}

// versionOf2 is the version the store reads from an item it holds.
func versionOf2(t *testing.T, s *Store, item map[string]types.AttributeValue) int64 {
	t.Helper()
	st, err := s.inspect(item, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return st.rec.Version
}
