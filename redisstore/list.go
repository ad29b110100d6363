package redisstore

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"time"

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
// pipeline. Absent, expired and malformed values, and keys of another type
// than a string, are left out.
func (s *Store) getMany(ctx context.Context, c redis.Cmdable, full []string) ([]sesh.Record, []bool, error) {
	cmds := make([]*redis.StringCmd, len(full))
	// The pipeline's own error is its first command's; each is judged
	// below.
	_, _ = c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, k := range full {
			cmds[i] = pipe.Get(ctx, k)
		}
		return nil
	})
	recs := make([]sesh.Record, len(full))
	ok := make([]bool, len(full))
	for i, cmd := range cmds {
		rec, err := s.parseGet(cmd.Bytes())
		switch {
		case err == nil:
			recs[i], ok[i] = rec, true
		case errors.Is(err, sesh.ErrNotFound), errors.Is(err, sesh.ErrCorrupt):
		default:
			return nil, nil, err
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

// Len counts the unexpired records of this store: it walks the keys with
// SCAN and reads, per page in one pipeline, each value's header (GETRANGE
// of its first 64 bytes) and length (STRLEN), not its data, so that it
// counts exactly what Range reports: values that are not the envelope and
// keys of another type are left out.
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := s.scan(ctx, s.sessionKey("*"), func(ctx context.Context, c redis.Cmdable, keys []string) (bool, error) {
		heads := make([]*redis.StringCmd, len(keys))
		lens := make([]*redis.IntCmd, len(keys))
		_, _ = c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i, k := range keys {
				heads[i] = pipe.GetRange(ctx, k, 0, headerMax-1)
				lens[i] = pipe.StrLen(ctx, k)
			}
			return nil
		})
		now := s.now()
		for i := range keys {
			head, err := heads[i].Bytes()
			if err == nil {
				var size int64
				if size, err = lens[i].Result(); err == nil && size > 0 && s.liveHeader(head, size, now) {
					n++
				}
			}
			if err != nil && !wrongType(err) && !errors.Is(err, redis.Nil) {
				return false, err
			}
		}
		return true, nil
	})
	if err != nil {
		return 0, wrap(ctx, "len", err)
	}
	return n, nil
}

// headerMax bounds the envelope's header: three decimal int64 fields and
// their colons.
const headerMax = 64

// liveHeader reports whether head, the first bytes of a value of size
// bytes, starts an envelope that storekit.ParseRecord accepts and whose
// expiry is after now.
func (s *Store) liveHeader(head []byte, size int64, now time.Time) bool {
	rest := head
	var f [3]int64
	for i := range f {
		j := bytes.IndexByte(rest, ':')
		if j <= 0 || j > 19 {
			return false
		}
		v, err := strconv.ParseInt(string(rest[:j]), 10, 64)
		if err != nil || v < 0 || rest[0] == '+' || rest[0] == '-' {
			return false
		}
		f[i], rest = v, rest[j+1:]
	}
	hdr := int64(len(head) - len(rest))
	ver, ms, user := f[0], f[1], f[2]
	return ver > 0 && ms > 0 && user <= size-hdr && now.Before(time.UnixMilli(ms))
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
	if wrongType(err) {
		return out, nil // not an index this package wrote: no member to trust
	}
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
