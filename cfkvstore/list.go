package cfkvstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sesh-go/sesh"
)

// bulkGetMax is the most keys one bulk/get takes.
const bulkGetMax = 100

// candidate returns the sesh key of a listed KV key and whether it is a
// live record of this store, judged by the list alone: its name is the
// prefix and a valid key, and its deadline (metadata, or in the Remix
// layout the KV expiration Remix wrote) has not passed. A native pair
// without the store's metadata was not written by the store: it is not
// a candidate.
func (s *Store) candidate(k listedKey) (string, bool) {
	key, ok := strings.CutPrefix(k.Name, s.prefix)
	if !ok || sesh.ValidateKey(key) != nil {
		return "", false
	}
	if s.layout == layoutRemix {
		return key, s.live(remixDeadline(k.Metadata, k.Expiration))
	}
	exp, ok := metaDeadline(k.Metadata)
	return key, ok && s.now().Before(exp)
}

// walk calls fn with each page of the store's keys until fn returns false
// or an error, or the last page.
func (s *Store) walk(ctx context.Context, op string, fn func([]listedKey) (bool, error)) error {
	cursor := ""
	for {
		p, err := s.listPage(ctx, op, cursor, s.limit)
		if err != nil {
			return err
		}
		more, err := fn(p.keys)
		if err != nil || !more || p.cursor == "" {
			return err
		}
		cursor = p.cursor
	}
}

// Range calls fn for each live record of the store (its prefix only), a
// page of the keys list at a time, until fn returns false. No lock is held
// while fn runs. Records are read as Get reads them; one that vanished or
// expired since the list, or that the store cannot read, is skipped.
func (s *Store) Range(ctx context.Context, fn func(key string, rec sesh.Record) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.walk(ctx, "range", func(keys []listedKey) (bool, error) {
		var live []string
		for _, k := range keys {
			if key, ok := s.candidate(k); ok {
				live = append(live, key)
			}
		}
		if s.layout == layoutNative {
			for _, key := range live {
				rec, err := s.Get(ctx, key)
				if errors.Is(err, sesh.ErrNotFound) || errors.Is(err, sesh.ErrCorrupt) {
					continue
				}
				if err != nil {
					return false, err
				}
				if !fn(key, rec) {
					return false, nil
				}
			}
			return true, nil
		}
		for len(live) > 0 {
			n := min(len(live), bulkGetMax)
			batch := live[:n]
			live = live[n:]
			kvKeys := make([]string, n)
			for i, key := range batch {
				kvKeys[i] = s.kvKey(key)
			}
			recs, err := s.bulkGet(ctx, "range", kvKeys)
			if err != nil {
				return false, err
			}
			for i, key := range batch {
				r, ok := recs[kvKeys[i]]
				if !ok || r.err != nil {
					continue
				}
				if !s.live(r.rec.Expires) {
					continue // expired while the batch was read
				}
				if !fn(key, r.rec) {
					return false, nil
				}
			}
		}
		return true, nil
	})
}

// Len counts the live records of the store from the keys list and the
// deadlines in the keys' metadata, without reading any value. A pair
// without the store's metadata (another writer's) is not counted, as
// Range skips it; but a pair whose value was damaged after the store
// wrote it, metadata intact, is counted although Range skips it: only
// reading every value (one request per key) would tell.
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := s.walk(ctx, "len", func(keys []listedKey) (bool, error) {
		for _, k := range keys {
			if _, ok := s.candidate(k); ok {
				n++
			}
		}
		return true, nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Clear deletes every KV pair under the store's prefix (with an empty
// prefix, in a Remix-layout store: the whole namespace), one bulk/delete
// per page of the keys list.
func (s *Store) Clear(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.walk(ctx, "clear", func(keys []listedKey) (bool, error) {
		names := make([]string, 0, len(keys))
		for _, k := range keys {
			if strings.HasPrefix(k.Name, s.prefix) {
				names = append(names, k.Name)
			}
		}
		if len(names) == 0 {
			return true, nil
		}
		return true, s.bulkDelete(ctx, "clear", names)
	})
}

// bulkDelete deletes KV keys (at most 10,000) in one request.
func (s *Store) bulkDelete(ctx context.Context, op string, kvKeys []string) error {
	body, _ := json.Marshal(kvKeys)
	resp, err := s.do(ctx, op, http.MethodPost, s.base+"/bulk/delete", body, "application/json", maxJSONResponse, kvKeys...)
	if err != nil {
		return err
	}
	if err := resp.check(op); err != nil {
		return err
	}
	env, _ := resp.envelope()
	var r struct {
		Unsuccessful []string `json:"unsuccessful_keys"`
	}
	if json.Unmarshal(env.Result, &r) == nil && len(r.Unsuccessful) > 0 {
		return fmt.Errorf("cfkvstore: %s: %d of %d keys were not deleted (retry)", op, len(r.Unsuccessful), len(kvKeys))
	}
	return nil
}
