package sesh

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Migrating returns a Store that moves sessions from the store from to the
// store to as they are used, so that a deployment can switch session
// stores without signing anyone out: deploy with Migrating(old, new),
// optionally move the sessions nobody uses with `sesh copy --move OLD NEW`,
// and once the old store is empty (or every session in it has expired),
// deploy with the new store alone.
//
// Reads go to the new store first and fall back to the old one. Writes go
// to the new store and end the old record: a record is moved the first
// time a request writes it. Delete removes the key from both stores, old
// first. Neither store is closed by the returned Store.
//
// Capabilities: the result is a Swapper if to is one, a Toucher if both
// are, a Lister and a UserIndex if both are, a Purger if to is one (it
// then purges from too, if that is one); it is never a Creator (the
// Manager then mints IDs). It is always a Pinger: it pings whichever of the
// two is one.
//
// Versions. A record read from the new store carries the new store's
// version, which must be positive (every sesh store's is). A record read
// from the old store carries ^v (bitwise not) of the old store's version v,
// a negative number, so that a compare-and-set knows which store the caller
// read and a version of one store can never match a record of the other.
// Swap with an old version moves the record: it inserts it into the new
// store only if the key is absent there (if it is present, the record has
// moved since the caller read it: ErrConflict), then ends the old record
// on the condition that it still holds v (a compare-and-set when the old
// store is a Swapper, else a read, a comparison and a delete). If that
// condition fails, the insert is undone and Swap reports ErrNotFound (the
// record was deleted: destroy wins) or ErrConflict. Delete ends the old
// record before the new one, so a move that inserted after Delete had
// cleared the new store always finds the old record gone and undoes
// itself. A Swap that ends a record (an Expires not after now) of the old
// store ends it there and moves nothing. A Swap with version 0 inserts
// only if neither store holds a live record under the key.
//
// A key may be held by both stores when something other than this Store
// wrote the new one (a plain `sesh copy`, an operator): the new store's
// record wins every read and listing, and a Swap that ends or empties the
// new record (logout, the tombstone of a Regenerate) also deletes the old
// copy, so an older copy never resurfaces. Ending a session directly in the
// new store during a migration leaves such a copy readable: end sessions
// through the application, or in both stores (the old one first).
//
// Costs during the migration: a read of a session still in the old store
// costs two reads, of an unknown key three; an insert (Swap with version 0)
// costs a read of the old store first; a move costs a read of the old
// store, an insert and a compare-and-set; Set, and a Swap that ends or
// empties a record, also delete the key from the old store. Range, Len and
// ByUser walk both stores (Len is the new store's own count once the old
// store is empty); Range remembers the keys of the new store to skip them
// in the old one.
//
// Instances still running on the old store alone (during a rolling
// deploy) do not see what this Store moved: their writes of a moved
// session go to the old store and are not read, and their logouts delete
// only the old copy, so the moved session stays signed in. (A change they
// make before the move is detected by the move's compare-and-set.) Switch
// every instance at once, or keep the overlap short.
//
// If the old store fails after the insert of a move, the request fails and
// the insert is undone, even when the old store had in fact ended its
// record: that one session is then signed out. It fails closed rather
// than risk a destroyed session coming back.
func Migrating(from, to Store) (Store, error) {
	if from == nil || to == nil {
		return nil, errors.New("sesh: Migrating needs two stores")
	}
	if samePointer(from, to) {
		return nil, errors.New("sesh: Migrating from a store to itself")
	}
	m := &migrating{old: from, new: to}
	m.oldSw, _ = from.(Swapper)
	m.newSw, _ = to.(Swapper)
	var caps int
	ot, ok1 := from.(Toucher)
	nt, ok2 := to.(Toucher)
	if ok1 && ok2 {
		m.oldT, m.newT = ot, nt
		caps |= capTouch
	}
	if m.newSw != nil {
		caps |= capSwap
	}
	if _, ok := to.(Purger); ok {
		caps |= capPurge
	}
	ol, ok1 := from.(Lister)
	nl, ok2 := to.(Lister)
	if ok1 && ok2 {
		m.oldL, m.newL = ol, nl
		caps |= capList
	}
	ou, ok1 := from.(UserIndex)
	nu, ok2 := to.(UserIndex)
	if ok1 && ok2 {
		m.oldU, m.newU = ou, nu
		caps |= capUsers
	}
	return m.withCaps(caps), nil
}

func samePointer(a, b Store) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	return va.Kind() == reflect.Pointer && vb.Kind() == reflect.Pointer && va.Type() == vb.Type() && va.Pointer() == vb.Pointer()
}

const (
	capTouch = 1 << iota
	capSwap
	capList
	capUsers
	capPurge
)

// migrating holds the two stores. Its exported methods are those of every
// result; the capabilities are added by the small types below, so that a
// type assertion finds exactly the capabilities the pair can honour.
type migrating struct {
	old, new     Store
	oldSw, newSw Swapper
	oldT, newT   Toucher
	oldL, newL   Lister
	oldU, newU   UserIndex
}

type (
	migToucher   struct{ m *migrating }
	migSwapper   struct{ m *migrating }
	migLister    struct{ m *migrating }
	migUserIndex struct{ m *migrating }
	migPurger    struct{ m *migrating }
)

func (c migToucher) Touch(ctx context.Context, key string, expires time.Time) error {
	return c.m.touch(ctx, key, expires)
}

func (c migSwapper) Swap(ctx context.Context, key string, rec Record) (int64, error) {
	return c.m.swap(ctx, key, rec)
}

func (c migLister) Range(ctx context.Context, fn func(key string, rec Record) bool) error {
	return c.m.rangeAll(ctx, fn)
}
func (c migLister) Len(ctx context.Context) (int, error) { return c.m.length(ctx) }
func (c migLister) Clear(ctx context.Context) error      { return c.m.clear(ctx) }

func (c migUserIndex) ByUser(ctx context.Context, userID string) (map[string]Record, error) {
	return c.m.byUser(ctx, userID)
}

// errNegativeVersion reports a store whose versions Migrating cannot tell
// apart from the tagged versions of the other store.
func errNegativeVersion(which string) error {
	return fmt.Errorf("sesh: migrating: the %s store returned a negative version: Migrating needs positive versions", which)
}

// migCheck is every method's first step: the key, then ctx, before any I/O.
func migCheck(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sesh: migrating: %w", err)
	}
	return nil
}

// fromNew passes on a record of the new store.
func (m *migrating) fromNew(rec Record, err error) (Record, error) {
	if err != nil {
		return Record{}, err
	}
	if m.newSw != nil && rec.Version < 0 {
		return Record{}, errNegativeVersion("new")
	}
	return rec, nil
}

// fromOld tags a record of the old store with ^version (see Migrating).
func (m *migrating) fromOld(rec Record) (Record, error) {
	if m.newSw == nil {
		rec.Version = 0 // not a Swapper: versions mean nothing
		return rec, nil
	}
	if rec.Version < 0 {
		return Record{}, errNegativeVersion("old")
	}
	rec.Version = ^rec.Version
	return rec, nil
}

// Get reads the new store, then the old one, then the new one again: a
// record moved between the first two reads is in the new store by the
// time the old one reports it gone (a move inserts before it ends the old
// record), so a live session never reads as absent.
func (m *migrating) Get(ctx context.Context, key string) (Record, error) {
	if err := migCheck(ctx, key); err != nil {
		return Record{}, err
	}
	rec, err := m.new.Get(ctx, key)
	if !errors.Is(err, ErrNotFound) {
		return m.fromNew(rec, err)
	}
	rec, err = m.old.Get(ctx, key)
	if err == nil {
		return m.fromOld(rec)
	}
	if !errors.Is(err, ErrNotFound) {
		return Record{}, err
	}
	return m.fromNew(m.new.Get(ctx, key))
}

// Set writes the new store and deletes the key from the old one.
func (m *migrating) Set(ctx context.Context, key string, rec Record) error {
	if err := migCheck(ctx, key); err != nil {
		return err
	}
	rec.Version = 0
	if err := m.new.Set(ctx, key, rec); err != nil {
		return err
	}
	if err := m.old.Delete(ctx, key); err != nil {
		return fmt.Errorf("sesh: migrating: delete the old store's copy: %w", err)
	}
	return nil
}

// Delete removes the key from the old store, then from the new one (the
// order the move relies on; see Migrating). It tries both even if the
// first fails.
func (m *migrating) Delete(ctx context.Context, key string) error {
	if err := migCheck(ctx, key); err != nil {
		return err
	}
	errOld := m.old.Delete(ctx, key)
	if errOld != nil {
		errOld = fmt.Errorf("sesh: migrating: delete from the old store: %w", errOld)
	}
	return errors.Join(errOld, m.new.Delete(ctx, key))
}

// touch moves the expiry where the record is: a record of the old store
// stays there (Touch keeps the version). The new store is asked again if
// the old one has nothing, as in Get.
func (m *migrating) touch(ctx context.Context, key string, expires time.Time) error {
	if err := migCheck(ctx, key); err != nil {
		return err
	}
	err := m.newT.Touch(ctx, key, expires)
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	err = m.oldT.Touch(ctx, key, expires)
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	return m.newT.Touch(ctx, key, expires)
}

// lockPrefix starts the keys of session locks (lock.go): never copied,
// never held by both stores.
const lockPrefix = "lock:"

// swap is Swapper.Swap across the two stores (see Migrating).
func (m *migrating) swap(ctx context.Context, key string, rec Record) (int64, error) {
	if err := migCheck(ctx, key); err != nil {
		return 0, err
	}
	switch {
	case rec.Version == 0:
		// Insert: the key must be absent from both stores. The old store
		// never gains a record through this Store, so a check before the
		// insert is enough.
		if _, err := m.old.Get(ctx, key); err == nil {
			return 0, fmt.Errorf("sesh: migrating: the old store holds the key: %w", ErrConflict)
		} else if !errors.Is(err, ErrNotFound) {
			return 0, err
		}
		return m.newVersion(m.newSw.Swap(ctx, key, rec))
	case rec.Version > 0:
		v, err := m.newVersion(m.newSw.Swap(ctx, key, rec))
		if err != nil {
			return 0, err
		}
		if (len(rec.Data) == 0 || !time.Now().Before(rec.Expires)) && !strings.HasPrefix(key, lockPrefix) {
			// The record ended or became a tombstone: a copy the old
			// store may still hold must not resurface.
			if err := m.old.Delete(ctx, key); err != nil {
				return 0, fmt.Errorf("sesh: migrating: delete the old store's copy: %w", err)
			}
		}
		return v, nil
	default:
		return m.swapOld(ctx, key, rec, ^rec.Version)
	}
}

// newVersion checks a version the new store returned.
func (m *migrating) newVersion(v int64, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	if v <= 0 {
		return 0, errNegativeVersion("new")
	}
	return v, nil
}

// swapOld is a Swap whose caller read the record from the old store, at
// version vo.
func (m *migrating) swapOld(ctx context.Context, key string, rec Record, vo int64) (int64, error) {
	// The old record must still be there, at vo. (The same condition is
	// checked again, atomically where the old store can, by endOld; this
	// first look keeps a destroyed session from even being inserted.)
	cur, err := m.old.Get(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound):
		return 0, m.goneFromOld(ctx, key)
	case err != nil:
		return 0, err
	case cur.Version != vo:
		return 0, fmt.Errorf("sesh: migrating: the old record changed: %w", ErrConflict)
	}

	if !time.Now().Before(rec.Expires) {
		// Ending the record: nothing to move.
		v, err := m.endOld(ctx, key, vo)
		if errors.Is(err, ErrNotFound) {
			return 0, m.goneFromOld(ctx, key)
		}
		if err != nil {
			return 0, err
		}
		return ^v, nil
	}

	rec.Version = 0
	vn, err := m.newVersion(m.newSw.Swap(ctx, key, rec))
	if err != nil {
		// ErrConflict: the new store holds the key, so the record moved
		// (or was ended and re-created) since the caller read it.
		return 0, err
	}
	if _, err := m.endOld(ctx, key, vo); err != nil {
		// Deleted or changed since: undo the insert (see Migrating for
		// why unconditionally). The undo outlives the caller's ctx.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if uerr := m.new.Delete(uctx, key); uerr != nil {
			return 0, errors.Join(err, fmt.Errorf("sesh: migrating: undo the insert into the new store: %w", uerr))
		}
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
			return 0, fmt.Errorf("sesh: migrating: the old record changed during the move: %w", err)
		}
		return 0, fmt.Errorf("sesh: migrating: end the old record: %w", err)
	}
	return vn, nil
}

// goneFromOld is the error for a caller holding an old version of a
// record the old store no longer has: ErrConflict if it moved to the new
// store, ErrNotFound if it was ended.
func (m *migrating) goneFromOld(ctx context.Context, key string) error {
	_, err := m.new.Get(ctx, key)
	switch {
	case err == nil:
		return fmt.Errorf("sesh: migrating: the record moved to the new store: %w", ErrConflict)
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("sesh: migrating: %w", ErrNotFound)
	default:
		return err
	}
}

// endOld ends the old record if it still holds version vo: a
// compare-and-set to an expired record where the old store can, else a
// read, a comparison and a delete. It returns the old store's new version
// (0 without compare-and-set).
func (m *migrating) endOld(ctx context.Context, key string, vo int64) (int64, error) {
	if m.oldSw != nil {
		return m.oldSw.Swap(ctx, key, Record{Expires: time.Now().Add(-time.Hour), Version: vo})
	}
	cur, err := m.old.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	if cur.Version != vo {
		return 0, ErrConflict
	}
	return 0, m.old.Delete(ctx, key)
}

// rangeAll walks the new store, then the old one, skipping the keys the
// new store reported.
func (m *migrating) rangeAll(ctx context.Context, fn func(key string, rec Record) bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sesh: migrating: %w", err)
	}
	seen := make(map[string]struct{})
	stopped := false
	var bad error
	err := m.newL.Range(ctx, func(key string, rec Record) bool {
		seen[key] = struct{}{}
		if rec, bad = m.fromNew(rec, nil); bad != nil || !fn(key, rec) {
			stopped = true
			return false
		}
		return true
	})
	if err != nil || stopped {
		return errors.Join(err, bad)
	}
	err = m.oldL.Range(ctx, func(key string, rec Record) bool {
		if _, dup := seen[key]; dup {
			return true
		}
		if rec, bad = m.fromOld(rec); bad != nil {
			return false
		}
		return fn(key, rec)
	})
	return errors.Join(err, bad)
}

// length is the new store's count once the old store is empty, else a
// count of rangeAll.
func (m *migrating) length(ctx context.Context) (int, error) {
	n, err := m.oldL.Len(ctx)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return m.newL.Len(ctx)
	}
	n = 0
	if err := m.rangeAll(ctx, func(string, Record) bool { n++; return true }); err != nil {
		return 0, err
	}
	return n, nil
}

// clear clears the old store, then the new one.
func (m *migrating) clear(ctx context.Context) error {
	if err := m.oldL.Clear(ctx); err != nil {
		return err
	}
	return m.newL.Clear(ctx)
}

// byUser asks the old store first and the new one second, so a record
// moved between the two questions is found by one of them; a key only the
// old store reported is checked in the new store, whose record wins.
func (m *migrating) byUser(ctx context.Context, userID string) (map[string]Record, error) {
	old, err := m.oldU.ByUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	out, err := m.newU.ByUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = make(map[string]Record)
	}
	for key, rec := range out {
		if out[key], err = m.fromNew(rec, nil); err != nil {
			return nil, err
		}
	}
	for key, rec := range old {
		if _, ok := out[key]; ok {
			continue
		}
		cur, err := m.new.Get(ctx, key)
		switch {
		case err == nil:
			if cur.UserID == userID {
				if out[key], err = m.fromNew(cur, nil); err != nil {
					return nil, err
				}
			}
		case errors.Is(err, ErrNotFound):
			if out[key], err = m.fromOld(rec); err != nil {
				return nil, err
			}
		default:
			return nil, err
		}
	}
	return out, nil
}

// Ping pings each store that is a Pinger.
func (m *migrating) Ping(ctx context.Context) error {
	for _, s := range []struct {
		name string
		st   Store
	}{{"old", m.old}, {"new", m.new}} {
		if p, ok := s.st.(Pinger); ok {
			if err := p.Ping(ctx); err != nil {
				return fmt.Errorf("sesh: migrating: ping the %s store: %w", s.name, err)
			}
		}
	}
	return ctx.Err()
}

func (c migPurger) Purge(ctx context.Context) (int, error) { return c.m.purge(ctx) }

// purge purges the new store, and the old one too if it is a Purger, and
// returns the total.
func (m *migrating) purge(ctx context.Context) (int, error) {
	total := 0
	for _, s := range []struct {
		name string
		st   Store
	}{{"old", m.old}, {"new", m.new}} {
		if p, ok := s.st.(Purger); ok {
			n, err := p.Purge(ctx)
			total += n
			if err != nil {
				return total, fmt.Errorf("sesh: migrating: purge the %s store: %w", s.name, err)
			}
		}
	}
	return total, nil
}
