package sqlstore

import (
	"context"
	"time"

	"github.com/sesh-go/sesh"
)

// rangePageSize is how many rows Range reads per query. No rows are open
// while its callback runs, so the callback may use the store.
const rangePageSize = 500

// scanRows calls fn for each row, with ok false for a row the store
// cannot read (see rawRow.record).
func scanRows(rows Rows, fn func(key string, rec sesh.Record, ok bool)) error {
	defer rows.Close()
	for rows.Next() {
		var key any
		var raw rawRow
		if err := rows.Scan(append([]any{&key}, raw.dest()...)...); err != nil {
			return err
		}
		var k string
		switch v := key.(type) {
		case string:
			k = v
		case []byte:
			k = string(v)
		}
		rec, ok := raw.record()
		fn(k, rec, ok && k != "")
	}
	return rows.Err()
}

// Range calls fn for each unexpired record, in key order, a page at a time.
// Rows the store cannot read are skipped.
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
		read, last := 0, ""
		now := s.nowMicros()
		rows, err := s.db.Query(ctx, s.q.rangePage, after, now, rangePageSize)
		if err != nil {
			return s.wrap(ctx, "range", err)
		}
		err = scanRows(rows, func(k string, r sesh.Record, ok bool) {
			read++
			last = k
			if ok && r.Expires.UnixMicro() > now {
				page = append(page, row{k, r})
			}
		})
		if err != nil {
			return s.wrap(ctx, "range", err)
		}
		for _, r := range page {
			if !fn(r.key, r.rec) {
				return nil
			}
		}
		if read < rangePageSize || last == "" {
			return nil
		}
		after = last
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
// user_id column. The empty user yields an empty map. Rows the store cannot
// read are skipped.
func (s *Store) ByUser(ctx context.Context, user string) (map[string]sesh.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]sesh.Record{}
	if user == "" {
		return out, nil
	}
	now := s.nowMicros()
	rows, err := s.db.Query(ctx, s.q.byUser, user, now)
	if err != nil {
		return nil, s.wrap(ctx, "by user", err)
	}
	err = scanRows(rows, func(k string, r sesh.Record, ok bool) {
		if ok && r.UserID == user && r.Expires.UnixMicro() > now {
			out[k] = r
		}
	})
	if err != nil {
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
