package redisstore

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/redisstore/internal/shared"
)

// scanCount is the COUNT hint of each SCAN call, and so the size of the
// batches read back by pipeline.
const scanCount = 256

// scan calls batch with each page of keys under pattern on every primary.
func (s *Store) scan(ctx context.Context, pattern string, batch func(ctx context.Context, c redis.Cmdable, keys []string) (bool, error)) error {
	return shared.Scan(ctx, s.c, pattern, scanCount, batch)
}

// getMany reads the records under the given full Redis keys in one
// pipeline. Absent, expired and malformed values are left out.
func (s *Store) getMany(ctx context.Context, c redis.Cmdable, full []string) ([]sesh.Record, []bool, error) {
	cmds := make([]*redis.StringCmd, len(full))
	_, err := c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, k := range full {
			cmds[i] = pipe.Get(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, err
	}
	recs := make([]sesh.Record, len(full))
	ok := make([]bool, len(full))
	for i, cmd := range cmds {
		rec, err := s.parseGet(cmd.Bytes())
		if err == nil {
			recs[i], ok[i] = rec, true
		}
	}
	return recs, ok, nil
}

// Range calls fn for each unexpired record of this store (its prefix
// only), walking every primary with SCAN. No lock is held while fn runs.
func (s *Store) Range(ctx context.Context, fn func(key string, rec sesh.Record) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	skip := len(s.sessionKey(""))
	err := s.scan(ctx, s.sessionKey("*"), func(ctx context.Context, c redis.Cmdable, keys []string) (bool, error) {
		recs, ok, err := s.getMany(ctx, c, keys)
		if err != nil {
			return false, err
		}
		for i, k := range keys {
			if ok[i] && !fn(k[skip:], recs[i]) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return wrap(ctx, "range", err)
	}
	return nil
}

// Len counts the unexpired records of this store with SCAN.
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := s.scan(ctx, s.sessionKey("*"), func(_ context.Context, _ redis.Cmdable, keys []string) (bool, error) {
		n += len(keys)
		return true, nil
	})
	if err != nil {
		return 0, wrap(ctx, "len", err)
	}
	return n, nil
}

// Clear deletes every record and user set under the store's prefix, and
// nothing else.
func (s *Store) Clear(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	unlink := func(ctx context.Context, c redis.Cmdable, keys []string) (bool, error) {
		// One UNLINK per key: keys of one page may sit in several slots.
		_, err := c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for _, k := range keys {
				pipe.Unlink(ctx, k)
			}
			return nil
		})
		return true, err
	}
	for _, pattern := range []string{s.sessionKey("*"), s.userKey("*")} {
		if err := s.scan(ctx, pattern, unlink); err != nil {
			return wrap(ctx, "clear", err)
		}
	}
	return nil
}

// ByUser returns the unexpired records tied to user. Members of the user's
// set whose record has expired, was deleted or now belongs to another user
// are removed from the set on the way.
func (s *Store) ByUser(ctx context.Context, user string) (map[string]sesh.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]sesh.Record{}
	if user == "" {
		return out, nil
	}
	uk := s.userKey(user)
	members, err := s.c.SMembers(ctx, uk).Result()
	if err != nil {
		return nil, wrap(ctx, "by user", err)
	}
	if len(members) == 0 {
		return out, nil
	}
	full := make([]string, 0, len(members))
	valid := members[:0]
	var stale []any
	for _, k := range members {
		if sesh.ValidateKey(k) != nil {
			stale = append(stale, k)
			continue
		}
		valid = append(valid, k)
		full = append(full, s.sessionKey(k))
	}
	recs, ok, err := s.getMany(ctx, s.c, full)
	if err != nil {
		return nil, wrap(ctx, "by user", err)
	}
	for i, k := range valid {
		if ok[i] && recs[i].UserID == user {
			out[k] = recs[i]
		} else {
			stale = append(stale, k)
		}
	}
	if len(stale) > 0 {
		// Best effort: a failure here leaves entries the next call retries.
		_ = s.c.SRem(ctx, uk, stale...).Err()
	}
	return out, nil
}
