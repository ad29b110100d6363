package filestore

import (
	"context"

	"github.com/sesh-go/sesh"
)

var _ sesh.Purger = (*Store)(nil)

// Purge deletes every expired record file now and returns how many it
// deleted (sesh.Purger, `sesh purge --expired`). Each file is removed under
// its key's lock and only if it still holds an expired record, so a record
// rewritten meanwhile is kept. Unlike Sweep it leaves corrupt files,
// temporary files and empty directories alone. It returns the first error
// met, after trying every file.
func (s *Store) Purge(ctx context.Context) (int, error) {
	n := 0
	var first error
	err := s.walk(ctx, false, func(e entry) bool {
		if e.temp {
			return true
		}
		rec, ok, err := read(e.key, e.path)
		if !ok || err != nil || !s.expired(rec.Expires) {
			return true
		}
		removed := false
		err = s.removeRecord(ctx, e, func(rec sesh.Record, err error) bool {
			removed = err == nil && s.expired(rec.Expires)
			return removed
		})
		switch {
		case err != nil:
			if first == nil {
				first = err
			}
		case removed:
			n++
		}
		return ctx.Err() == nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return n, err
	}
	return n, first
}
