package natsstore

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/sesh-go/sesh"
)

// batch is how many records Range, Len and ByUser read at once.
const batch = 32

// listKeys returns the sesh keys under the KV key prefix pre (dot
// included), from the stream info's subject listing: no watcher, no
// consumer. Subjects that do not map back to a valid key are left out.
func (s *Store) listKeys(ctx context.Context, op, pre string) ([]string, error) {
	full := s.subj + pre
	info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(full+">"))
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	keys := make([]string, 0, len(info.State.Subjects))
	for subj := range info.State.Subjects {
		tok, ok := strings.CutPrefix(subj, full)
		if !ok {
			continue
		}
		if key, ok := unmapKey(tok); ok {
			keys = append(keys, key)
		}
	}
	return keys, nil
}

// found is one record read by fetch.
type found struct {
	rec sesh.Record
	ok  bool // present, unexpired and well-formed
}

// fetch reads the records under keys, batch at a time in parallel. Absent,
// expired and malformed records come back with ok false; the first error
// of another kind ends the walk.
func (s *Store) fetch(ctx context.Context, op string, keys []string) ([]found, error) {
	out := make([]found, len(keys))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, key := range keys {
		wg.Go(func() {
			e, rec, err := s.load(ctx, op, key)
			switch {
			case errors.Is(err, sesh.ErrCorrupt):
			case err != nil:
				errs[i] = err
			case e != nil && s.live(rec.Expires):
				out[i] = found{rec, true}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// walk calls fn with each unexpired record under the keys, batch at a
// time; fn runs on the caller's goroutine with no lock held.
func (s *Store) walk(ctx context.Context, op string, keys []string, fn func(key string, rec sesh.Record) bool) error {
	for start := 0; start < len(keys); start += batch {
		part := keys[start:min(start+batch, len(keys))]
		recs, err := s.fetch(ctx, op, part)
		if err != nil {
			return err
		}
		for i, f := range recs {
			if f.ok && !fn(part[i], f.rec) {
				return nil
			}
		}
	}
	return nil
}

// Range calls fn for each unexpired record of this store (its prefix
// only), in no particular order, until fn returns false. Keys are listed
// first (the stream info's subject listing), so records written during the
// walk are not seen and records deleted during it are skipped. fn may call
// the store.
func (s *Store) Range(ctx context.Context, fn func(key string, rec sesh.Record) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	keys, err := s.listKeys(ctx, "range", s.prefix+".s.")
	if err != nil {
		return err
	}
	return s.walk(ctx, "range", keys, fn)
}

// Len returns the number of unexpired records of this store. It reads
// every record, to leave out the expired ones the server still holds.
func (s *Store) Len(ctx context.Context) (int, error) {
	n := 0
	err := s.Range(ctx, func(string, sesh.Record) bool { n++; return true })
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Clear deletes every record and index entry under the store's prefix, and
// nothing else, with one purge of the stream ($KV.<bucket>.<prefix>.>).
func (s *Store) Clear(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(s.subj+s.prefix+".>")); err != nil {
		return wrap(ctx, "clear", err)
	}
	return nil
}

// ByUser returns the unexpired records whose UserID is user, by key. It
// lists the user's index entries and reads the record of each: entries of
// records deleted, expired or now tied to another user are ignored (and
// age out with the bucket's MaxAge). The empty user yields an empty map.
func (s *Store) ByUser(ctx context.Context, user string) (map[string]sesh.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]sesh.Record{}
	if user == "" || len(user) > MaxUserIDLen {
		return out, nil // no entry can exist
	}
	keys, err := s.listKeys(ctx, "by user", s.userPrefix(user))
	if err != nil {
		return nil, err
	}
	err = s.walk(ctx, "by user", keys, func(key string, rec sesh.Record) bool {
		if rec.UserID == user {
			out[key] = rec
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
