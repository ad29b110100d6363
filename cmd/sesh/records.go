package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sesh-go/sesh"
)

// lockPrefix starts the store keys of session locks (sesh's
// Config.Serialize): they are not sessions.
const lockPrefix = "lock:"

// record is one stored session. Its key is never printed: only its handle.
type record struct {
	key    string
	handle string
	rec    sesh.Record
	data   sesh.Data
	decErr error // the codec could not decode rec.Data
}

func newRecord(key string, rec sesh.Record, codec sesh.Codec) *record {
	r := &record{key: key, handle: sesh.Handle(key), rec: rec}
	if err := codec.Decode(rec.Data, &r.data); err != nil {
		r.decErr = err
		r.data = sesh.Data{}
	}
	return r
}

// user is the record's user: the store's user index, else the data's.
func (r *record) user() string {
	if r.rec.UserID != "" {
		return r.rec.UserID
	}
	return r.data.UserID
}

// lastSeen estimates the last request of the session: its expiry minus the
// idle timeout (the Manager pushes the expiry to now + idle), never before
// it was created nor after now. Zero when unknown.
func (r *record) lastSeen(idle time.Duration, now time.Time) time.Time {
	if idle <= 0 || r.rec.Expires.IsZero() {
		return time.Time{}
	}
	seen := r.rec.Expires.Add(-idle)
	if seen.Before(r.data.Created) {
		seen = r.data.Created
	}
	if seen.After(now) {
		seen = now
	}
	return seen
}

// skipped counts the records that are not sessions.
type skipped struct {
	Tombstones int `json:"tombstones"` // empty records a Regenerate left at an old key
	Locks      int `json:"locks"`      // lock:… records of Config.Serialize
}

// kind sorts a store record: a session, a tombstone or a lock.
func kind(key string, rec sesh.Record) string {
	switch {
	case strings.HasPrefix(key, lockPrefix):
		return "lock"
	case len(rec.Data) == 0:
		return "tombstone"
	}
	return "session"
}

func (s *skipped) count(k string) {
	switch k {
	case "lock":
		s.Locks++
	case "tombstone":
		s.Tombstones++
	}
}

// walk calls fn for every live session of a Lister store, skipping
// tombstones and locks, until fn returns false.
func (x *cmd) walk(ctx context.Context, st sesh.Store, where, why string, fn func(*record) bool) (skipped, error) {
	var sk skipped
	l, ok := st.(sesh.Lister)
	if !ok {
		return sk, unsupported(where, st, "sesh.Lister (Range)", why)
	}
	err := l.Range(ctx, func(key string, rec sesh.Record) bool {
		if k := kind(key, rec); k != "session" {
			sk.count(k)
			return true
		}
		return fn(newRecord(key, rec, x.codec))
	})
	if err != nil {
		return sk, fmt.Errorf("list the store: %w", err)
	}
	return sk, nil
}

// userRecords returns the live sessions of user: through the store's user
// index if it has one, else by walking it.
func (x *cmd) userRecords(ctx context.Context, st sesh.Store, where, user string) ([]*record, skipped, error) {
	var out []*record
	var sk skipped
	if ui, ok := st.(sesh.UserIndex); ok {
		recs, err := ui.ByUser(ctx, user)
		if err != nil {
			return nil, sk, fmt.Errorf("list the user's sessions: %w", err)
		}
		for key, rec := range recs {
			if k := kind(key, rec); k != "session" {
				sk.count(k)
				continue
			}
			out = append(out, newRecord(key, rec, x.codec))
		}
		return out, sk, nil
	}
	sk, err := x.walk(ctx, st, where, "it has no user index (sesh.UserIndex) either, so its sessions cannot be listed", func(r *record) bool {
		if r.user() == user {
			out = append(out, r)
		}
		return true
	})
	return out, sk, err
}

// checkHandle refuses an argument that is not a handle, without repeating
// it (it might be a session ID pasted by mistake).
func checkHandle(h string) error {
	if len(h) != 18 {
		return fail(exitUsage, "not a session handle: a handle is 18 hexadecimal digits, as 'sesh ls' shows")
	}
	if _, err := hex.DecodeString(h); err != nil || strings.ToLower(h) != h {
		return fail(exitUsage, "not a session handle: a handle is 18 lowercase hexadecimal digits, as 'sesh ls' shows")
	}
	return nil
}

// find returns the session whose handle is h.
func (x *cmd) find(ctx context.Context, st sesh.Store, where, h string) (*record, error) {
	var found *record
	_, err := x.walk(ctx, st, where, "sessions are found by handle by listing the store", func(r *record) bool {
		if r.handle == h {
			found = r
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, fail(exitNotFound, "no live session with handle %s in %s", h, where)
	}
	return found, nil
}

var errDeclined = errors.New("not confirmed: nothing done")

// confirm asks a yes/no question on the terminal, unless --yes. Without a
// terminal it refuses: a script must say --yes.
func (x *cmd) confirm(question string) error {
	if x.o.yes {
		return nil
	}
	if !x.sys.stdinTTY {
		return fail(exitUsage, "stdin is not a terminal, so there is nobody to confirm: add --yes")
	}
	fmt.Fprintf(x.sys.stderr, "%s [y/N] ", question)
	var answer string
	fmt.Fscanln(x.sys.stdin, &answer)
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return &cliError{code: exitError, err: errDeclined}
}
