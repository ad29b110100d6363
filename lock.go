package sesh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults of the serialisation option (Config.Serialize).
const (
	DefaultLockTTL  = 30 * time.Second
	DefaultLockWait = 10 * time.Second
)

// lockData is the content of a lock record: an empty JSON object, which a
// peer sharing the store (a Remix table, say) reads as an empty session if
// it ever reads it at all. Nobody holds a cookie for a lock key.
var lockData = []byte("{}")

// lockKey is the store key of the lock of the session under key: a hash,
// so it never collides with a session key and always passes ValidateKey.
func lockKey(key string) string { return "lock:" + HashID(key) }

// lock takes the lock of the session under key for the request s serves
// (Config.Serialize): a lease record at lockKey(key), created with the
// store's compare-and-set, that expires after LockTTL so a crashed holder
// blocks the session for LockTTL at most. It waits, polling with jittered
// backoff, for at most LockWait and for as long as ctx allows; past
// LockWait it returns a *ConflictError.
func (m *Manager) lock(ctx context.Context, s *Session, key string) error {
	lk := lockKey(key)
	start := time.Now()
	for attempt := 0; ; attempt++ {
		// Take the wake-up channel before trying, so a release that comes
		// after a failed try is never missed.
		wake := m.lockWaiters(lk)
		v, err := m.swap(ctx, "lock", lk, Record{Data: lockData, Expires: m.now().Add(m.cfg.LockTTL)})
		if err == nil {
			s.locked, s.lockKey, s.lockVer = true, lk, v
			m.held.Store(lk, struct{}{})
			if attempt > 0 {
				m.observe(ctx, Event{Kind: EventLockWaited, Wait: time.Since(start)})
			}
			return nil
		}
		if !errors.Is(err, ErrConflict) {
			return fmt.Errorf("sesh: lock session: %w", err)
		}
		if time.Since(start) >= m.cfg.LockWait {
			return m.conflict(ctx, fmt.Sprintf("another request held the session's lock for longer than Config.LockWait (%v)", m.cfg.LockWait))
		}
		// A holder in this Manager wakes the waiters when it releases (the
		// long timer only covers a holder that vanished); a holder
		// elsewhere is polled for, with jittered backoff.
		pause := min(time.Duration(1)<<min(attempt, 5)*time.Millisecond, 25*time.Millisecond)
		pause = pause/2 + jitter(pause)
		if _, local := m.held.Load(lk); local {
			pause = 250 * time.Millisecond
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("sesh: lock session: %w", ctx.Err())
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// lockWaiters returns the channel that the next release of lk by this
// Manager closes.
func (m *Manager) lockWaiters(lk string) chan struct{} {
	if ch, ok := m.wake.Load(lk); ok {
		return ch.(chan struct{})
	}
	ch, _ := m.wake.LoadOrStore(lk, make(chan struct{}))
	return ch.(chan struct{})
}

// unlock releases the lock s holds, if any: the lease record is ended with a
// compare-and-set on its version, so a lease that expired and was taken by
// another request is left to its new holder. It runs after the response,
// so it does not use the request's cancellation.
func (m *Manager) unlock(ctx context.Context, s *Session) {
	s.mu.Lock()
	locked, lk, v := s.locked, s.lockKey, s.lockVer
	s.locked = false
	s.mu.Unlock()
	if !locked {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err := m.swap(ctx, "unlock", lk, Record{Data: lockData, Expires: m.now().Add(-time.Minute), Version: v})
	m.held.Delete(lk)
	if ch, ok := m.wake.LoadAndDelete(lk); ok {
		close(ch.(chan struct{}))
	}
	if err != nil && !errors.Is(err, ErrConflict) && !errors.Is(err, ErrNotFound) {
		m.event(ctx, slog.LevelWarn, "releasing the session lock failed: it expires after Config.LockTTL", "", "err", err)
	}
}
