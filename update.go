package sesh

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Update sets the value under key to fn(old, ok), where old is the current
// value decoded into T and ok tells whether there is one (absent or expired
// gives the zero T and false). It is the read-modify-write that survives
// concurrent requests: fn is recorded with the change, and when the commit
// finds that another request wrote the session since it was loaded (a lost
// compare-and-set), fn runs again on the fresh value before the write is
// retried. So 32 parallel requests that each add one to a counter end with
// 32 added, on every store that implements Swapper.
//
// Update returns the value fn computed from this request's view of the
// session; the value finally stored may differ if fn ran again at commit.
// If fn returns an error, Update returns it and nothing changes; an error
// from fn at commit fails the commit. If the stored value does not decode
// into T, Update returns a *ValueTypeError and nothing changes.
//
// fn may run several times and must not call methods of the session (it
// runs while the session is locked). It should depend only on old: a
// counter, a list append, a max. The value keeps the per-value deadline it
// has (see UpdateTTL). A flash value under the same key is not touched.
//
// On a store without compare-and-set (cfkvstore, redisstore/connectredis,
// pgstore/connectpg, compat/remix's FileStore, StoreFuncs) there is no
// replay: the last write wins, as with Set.
func Update[T any](s *Session, key string, fn func(old T, ok bool) (T, error)) (T, error) {
	return update(s, key, 0, true, fn)
}

// UpdateTTL is Update with a per-value lifetime: the value expires ttl after
// this call (each call restarts it), as SetTTL. ttl <= 0 means no per-value
// lifetime.
func UpdateTTL[T any](s *Session, key string, ttl time.Duration, fn func(old T, ok bool) (T, error)) (T, error) {
	return update(s, key, ttl, false, fn)
}

func update[T any](s *Session, key string, ttl time.Duration, keep bool, fn func(T, bool) (T, error)) (T, error) {
	var zero T
	if fn == nil {
		return zero, errors.New("sesh: Update with a nil function")
	}
	if err := validValueKey(key); err != nil {
		return zero, err
	}
	// apply is fn over JSON: it is what the commit runs again.
	apply := func(old json.RawMessage, ok bool) (json.RawMessage, T, error) {
		var v T
		if ok {
			if err := decodeValue(key, old, &v); err != nil {
				return nil, zero, err
			}
		}
		nv, err := fn(v, ok)
		if err != nil {
			return nil, zero, err
		}
		raw, err := encodeValue(nv)
		if err == nil {
			err = s.checkSize(raw)
		}
		if err != nil {
			return nil, zero, err
		}
		return raw, nv, nil
	}
	if err := s.begin(); err != nil {
		s.mu.Unlock()
		return zero, err
	}
	defer s.mu.Unlock()
	if s.cannotReachCookie() {
		return zero, ErrResponseStarted
	}
	old, ok := s.live(key)
	raw, nv, err := apply(old, ok)
	if err != nil {
		return zero, err
	}
	var deadline time.Time
	switch {
	case keep && ok:
		deadline = s.data.Deadlines[key]
	case !keep && ttl > 0:
		deadline = s.now().Add(ttl)
	}
	upd := func(old json.RawMessage, ok bool) (json.RawMessage, error) {
		raw, _, err := apply(old, ok)
		return raw, err
	}
	prev, found := s.findOp(key)
	if s.put(key, raw, deadline) {
		s.recordUpdate(key, prev, found, upd, keep, deadline)
	}
	return nv, nil
}

// recordUpdate turns the op put just recorded for k into an Update, or
// chains upd after an Update recorded earlier in the request. After a plain
// Set or Delete of k in this request the value no longer depends on the
// stored one: the op stays a plain set of the result. Caller holds s.mu.
func (s *Session) recordUpdate(k string, prev op, found bool, upd func(json.RawMessage, bool) (json.RawMessage, error), keep bool, deadline time.Time) {
	i := s.opIndex(k)
	switch {
	case !found:
		s.ops[i].upd, s.ops[i].keep = upd, keep
	case prev.upd != nil:
		first := prev.upd
		s.ops[i].upd = func(old json.RawMessage, ok bool) (json.RawMessage, error) {
			mid, err := first(old, ok)
			if err != nil {
				return nil, err
			}
			return upd(mid, true)
		}
		s.ops[i].keep = keep && prev.keep
		if keep && !prev.keep {
			s.ops[i].deadline = prev.deadline
		} else {
			s.ops[i].deadline = deadline
		}
	}
}

// findOp returns the op recorded for k in this request, if any. Caller
// holds s.mu.
func (s *Session) findOp(k string) (op, bool) {
	for _, o := range s.ops {
		if o.key == k {
			return o, true
		}
	}
	return op{}, false
}

// opIndex returns the index of k's op. Caller holds s.mu; the op exists.
func (s *Session) opIndex(k string) int {
	for i := range s.ops {
		if s.ops[i].key == k {
			return i
		}
	}
	panic("sesh: internal error: no op for " + k)
}

// applyUpdate runs a recorded Update on base (a fresh copy of the stored
// data) during a replay.
func applyUpdate(base *Data, o *op, now time.Time) error {
	old, ok := base.Values[o.key]
	if ok {
		if d, has := base.Deadlines[o.key]; has && !now.Before(d) {
			old, ok = nil, false
		}
	}
	raw, err := o.upd(old, ok)
	if err != nil {
		return fmt.Errorf("sesh: Update of %q, run again on the fresh session: %w", o.key, err)
	}
	if base.Values == nil {
		base.Values = make(map[string]json.RawMessage)
	}
	base.Values[o.key] = raw
	deadline := o.deadline
	if o.keep {
		deadline = time.Time{}
		if ok {
			deadline = base.Deadlines[o.key]
		}
	}
	if deadline.IsZero() {
		delete(base.Deadlines, o.key)
	} else {
		if base.Deadlines == nil {
			base.Deadlines = make(map[string]time.Time)
		}
		base.Deadlines[o.key] = deadline
	}
	return nil
}
