package sqlstore

import (
	"context"
	"time"

	"github.com/sesh-go/sesh"
)

// rangePageSize is how many rows Range reads per query. No rows are open
// while its callback runs, so the callback may use the store.
const rangePageSize = 500

func scanRows(rows Rows, fn func(key string, rec sesh.Record)) error {
	defer rows.Close()
	for rows.Next() {
		var key string
		var rec sesh.Record
		var exp int64
		if err := rows.Scan(&key, &rec.Data, &exp, &rec.Version, &rec.UserID); err != nil {
			return err
		}
		rec.Expires = time.UnixMicro(exp)
		if rec.Data == nil {
			rec.Data = []byte{}
		}
		fn(key, rec)
	}
	return rows.Err()
}

// Range calls fn for each unexpired record, in key order, a page at a time.
func (s *Store) Range(ctx context.Context, fn func(key string, rec sesh.Record) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	after := ""
	for {
		type row struct {
			key string
			rec sesh.Record
		}
		page := make([]row, 0, rangePageSize)
		rows, err := s.db.Query(ctx, s.q.rangePage, after, s.nowMicros(), rangePageSize)
		if err != nil {
			return s.wrap(ctx, "range", err)
		}
		if err := scanRows(rows, func(k string, r sesh.Record) { page = append(page, row{k, r}) }); err != nil {
			return s.wrap(ctx, "range", err)
		}
		for _, r := range page {
			if !fn(r.key, r.rec) {
				return nil
			}
		}
		if len(page) < rangePageSize {
			return nil
		}
		after = page[len(page)-1].key
	}
}

// Len returns the number of unexpired records.
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int
	if err := s.db.QueryRow(ctx, s.q.count, s.nowMicros()).Scan(&n); err != nil {
		return 0, s.wrap(ctx, "len", err)
	}
	return n, nil
}

// Clear deletes every row of the store's table.
func (s *Store) Clear(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.db.Exec(ctx, s.q.clear); err != nil {
		return s.wrap(ctx, "clear", err)
	}
	return nil
}

// ByUser returns the unexpired records tied to user, through the indexed
// user_id column. The empty user yields an empty map.
func (s *Store) ByUser(ctx context.Context, user string) (map[string]sesh.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]sesh.Record{}
	if user == "" {
		return out, nil
	}
	rows, err := s.db.Query(ctx, s.q.byUser, user, s.nowMicros())
	if err != nil {
		return nil, s.wrap(ctx, "by user", err)
	}
	if err := scanRows(rows, func(k string, r sesh.Record) { out[k] = r }); err != nil {
		return nil, s.wrap(ctx, "by user", err)
	}
	return out, nil
}

// Cleanup deletes expired rows in batches of Options.CleanupBatch until
// none is left, and returns how many it deleted.
func (s *Store) Cleanup(ctx context.Context) (int64, error) {
	var total int64
	for {
		n, err := s.db.Exec(ctx, s.q.cleanup, s.nowMicros(), s.batch)
		if err != nil {
			return total, s.wrap(ctx, "cleanup", err)
		}
		total += n
		if n < int64(s.batch) {
			return total, nil
		}
	}
}

func (s *Store) cleanupLoop(ctx context.Context, every time.Duration, onErr func(error)) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Cleanup(ctx); err != nil && ctx.Err() == nil && onErr != nil {
				onErr(err)
			}
		}
	}
}
