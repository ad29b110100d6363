package dynamostore

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/sesh-go/sesh"
)

// scan walks the table with a consistent, paginated Scan filtered on the
// store's prefix, calling page with each page of items until it returns
// false. projection, if not empty, limits the attributes read.
func (s *Store) scan(ctx context.Context, projection string, page func([]map[string]types.AttributeValue) bool) error {
	c := cond{projection: projection}
	if s.prefix != "" {
		c.filter = "begins_with(#k, :p)"
		c.values = map[string]types.AttributeValue{":p": strAV(s.prefix)}
	}
	in := &dynamodb.ScanInput{TableName: &s.table, ConsistentRead: aws.Bool(true),
		FilterExpression: optional(c.filter), ProjectionExpression: optional(c.projection)}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = s.expr(c)
	for {
		out, err := s.api.Scan(ctx, in)
		if err != nil {
			return err
		}
		if !page(out.Items) {
			return nil
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// keyIn returns the store key of an item, and false for an item that is
// not one of this store's (another prefix, a key no store could have
// written).
func (s *Store) keyIn(item map[string]types.AttributeValue) (string, bool) {
	pk, ok := item[s.keyAttr].(*types.AttributeValueMemberS)
	if !ok {
		return "", false
	}
	key, ok := strings.CutPrefix(pk.Value, s.prefix)
	if !ok || sesh.ValidateKey(key) != nil {
		return "", false
	}
	return key, true
}

// Range calls fn for each unexpired record of this store (its prefix
// only), one page of a consistent Scan at a time; no lock is held while fn
// runs. Items the store cannot read are skipped.
func (s *Store) Range(ctx context.Context, fn func(key string, rec sesh.Record) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.scan(ctx, "", func(items []map[string]types.AttributeValue) bool {
		now := s.now()
		for _, item := range items {
			key, ok := s.keyIn(item)
			if !ok {
				continue
			}
			st, err := s.inspect(item, now)
			if err != nil || !st.live {
				continue
			}
			if !fn(key, st.rec) {
				return false
			}
		}
		return true
	})
	if err != nil {
		return wrap(ctx, "range", err)
	}
	return nil
}

// Len counts the unexpired records of this store with a consistent Scan,
// judging each item as Range does (an item the store cannot read is not
// counted). It reads whole items: a Scan's read capacity is billed on the
// items' size whatever it projects.
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := s.scan(ctx, "", func(items []map[string]types.AttributeValue) bool {
		now := s.now()
		for _, item := range items {
			if _, ok := s.keyIn(item); !ok {
				continue
			}
			if st, err := s.inspect(item, now); err == nil && st.live {
				n++
			}
		}
		return true
	})
	if err != nil {
		return 0, wrap(ctx, "len", err)
	}
	return n, nil
}

// Clear deletes every item of this store (its prefix only; with an empty
// prefix, the whole table), expired ones included, with BatchWriteItem.
func (s *Store) Clear(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var batchErr error
	err := s.scan(ctx, "#k", func(items []map[string]types.AttributeValue) bool {
		var reqs []types.WriteRequest
		for _, item := range items {
			pk, ok := item[s.keyAttr].(*types.AttributeValueMemberS)
			if !ok || !strings.HasPrefix(pk.Value, s.prefix) {
				continue
			}
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{
				Key: map[string]types.AttributeValue{s.keyAttr: pk}}})
		}
		for len(reqs) > 0 {
			n := min(len(reqs), 25) // BatchWriteItem's limit
			if batchErr = s.batchWrite(ctx, reqs[:n]); batchErr != nil {
				return false
			}
			reqs = reqs[n:]
		}
		return true
	})
	if err == nil {
		err = batchErr
	}
	if err != nil {
		return wrap(ctx, "clear", err)
	}
	return nil
}

// backoff waits before resending what a batch call left unprocessed
// (DynamoDB throttling), or returns ctx's error.
func backoff(ctx context.Context, attempt int) error {
	d := min(10*time.Millisecond<<attempt, time.Second)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// batchWrite sends reqs (at most 25) and resends the unprocessed ones.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	for attempt := 0; ; attempt++ {
		out, err := s.api.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{s.table: reqs}})
		if err != nil {
			return err
		}
		reqs = out.UnprocessedItems[s.table]
		if len(reqs) == 0 {
			return nil
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// ByUser returns the unexpired records whose UserID is user, by key. It
// queries the user index (eventually consistent, KEYS_ONLY) for the keys,
// then reads the records with a consistent BatchGetItem and keeps those
// that are still live and still this user's: a session tied to the user
// in the last moments may be missing, a deleted, expired or reassigned one
// is never returned. The empty user ID yields an empty map.
func (s *Store) ByUser(ctx context.Context, user string) (map[string]sesh.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]sesh.Record{}
	if user == "" {
		return out, nil
	}
	c := cond{keyCond: "#u = :u", values: map[string]types.AttributeValue{":u": strAV(user)}}
	in := &dynamodb.QueryInput{TableName: &s.table, IndexName: &s.index, KeyConditionExpression: &c.keyCond}
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = s.expr(c)
	var keys []map[string]types.AttributeValue
	seen := map[string]bool{}
	for {
		page, err := s.api.Query(ctx, in)
		if err != nil {
			return nil, wrap(ctx, "by user", err)
		}
		for _, item := range page.Items {
			if key, ok := s.keyIn(item); ok && !seen[key] {
				seen[key] = true
				keys = append(keys, s.keyOf(key))
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
	for len(keys) > 0 {
		n := min(len(keys), 100) // BatchGetItem's limit
		items, err := s.batchGet(ctx, keys[:n])
		if err != nil {
			return nil, wrap(ctx, "by user", err)
		}
		now := s.now()
		for _, item := range items {
			key, ok := s.keyIn(item)
			if !ok {
				continue
			}
			if st, err := s.inspect(item, now); err == nil && st.live && st.rec.UserID == user {
				out[key] = st.rec
			}
		}
		keys = keys[n:]
	}
	return out, nil
}

// batchGet reads keys (at most 100) with consistent reads, resending the
// unprocessed ones.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	req := types.KeysAndAttributes{Keys: keys, ConsistentRead: aws.Bool(true)}
	for attempt := 0; ; attempt++ {
		out, err := s.api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
			RequestItems: map[string]types.KeysAndAttributes{s.table: req}})
		if err != nil {
			return nil, err
		}
		items = append(items, out.Responses[s.table]...)
		next, ok := out.UnprocessedKeys[s.table]
		if !ok || len(next.Keys) == 0 {
			return items, nil
		}
		req.Keys = next.Keys
		if err := backoff(ctx, attempt); err != nil {
			return nil, err
		}
	}
}
