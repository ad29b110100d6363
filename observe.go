package sesh

import (
	"context"
	"time"
)

// Observer receives what a Manager does, for metrics and traces (the
// seshotel module turns it into OpenTelemetry). Set it with
// Config.Observer. Its methods are called on the request's goroutine: they
// must be fast and must not block. A Manager without an Observer pays one
// nil check per store call and per event.
//
// Nothing an Observer receives carries a session ID, a store key or a
// value: store calls name their operation and the store's type, events
// their kind.
type Observer interface {
	// StoreCall is called before each call the Manager makes to its store.
	// It returns the context for the call (a tracer starts a span in it)
	// and a function the Manager calls with the call's outcome.
	StoreCall(ctx context.Context, call StoreCall) (context.Context, func(err error))
	// Event reports a lifecycle event.
	Event(ctx context.Context, e Event)
}

// StoreCall describes one call the Manager makes to its store.
type StoreCall struct {
	// Op is the method: "get", "set", "swap", "touch", "delete", "create",
	// "by_user", "lock" or "unlock" (the last two are swaps on a lock
	// record, with Config.Serialize).
	Op string
	// Store is the store's Go type, e.g. "*redisstore.Store".
	Store string
}

// EventKind names a lifecycle event.
type EventKind uint8

// The events a Manager reports to its Observer.
const (
	EventCreated        EventKind = iota + 1 // a new session was stored (or sealed)
	EventRegenerated                         // a session moved to a new ID
	EventDestroyed                           // a session was deleted by Destroy, EndSession or EndUserSessions
	EventExpired                             // a loaded session had passed its absolute timeout
	EventRevoked                             // Config.Revoked ended a loaded session
	EventReplay                              // a commit lost a compare-and-set and replayed its changes
	EventConflict                            // a commit gave up (*ConflictError): replays exhausted, or no lock in time
	EventLostToDestroy                       // a commit found its session destroyed by another request
	EventLostToMove                          // a commit found its session moved by another request's Regenerate
	EventCookieTooLarge                      // a cookie-only session did not fit its cookie
	EventTooLarge                            // a server-side session passed Config.MaxSize
	EventDecodeFailed                        // stored data or a cookie did not decode: read as no session
	EventCorrupt                             // the store reported a corrupt record: read as no session
	EventFailClosed                          // the middleware answered with the ErrorHandler
	EventLockWaited                          // with Serialize, a request waited for its session's lock
)

var eventNames = [...]string{
	EventCreated: "created", EventRegenerated: "regenerated", EventDestroyed: "destroyed",
	EventExpired: "expired", EventRevoked: "revoked", EventReplay: "replay", EventConflict: "conflict",
	EventLostToDestroy: "lost_to_destroy", EventLostToMove: "lost_to_move",
	EventCookieTooLarge: "cookie_too_large", EventTooLarge: "too_large", EventDecodeFailed: "decode_failed",
	EventCorrupt: "corrupt", EventFailClosed: "fail_closed", EventLockWaited: "lock_waited",
}

// String returns the event's name in snake case, e.g. "cookie_too_large".
func (k EventKind) String() string {
	if int(k) < len(eventNames) && eventNames[k] != "" {
		return eventNames[k]
	}
	return "unknown"
}

// Event is one lifecycle event.
type Event struct {
	Kind EventKind
	// Wait is how long the request waited, for EventLockWaited.
	Wait time.Duration
	// Err is the error, for EventConflict, EventCookieTooLarge,
	// EventTooLarge and EventFailClosed.
	Err error
}

// observe reports e to the Observer, if any.
func (m *Manager) observe(ctx context.Context, e Event) {
	if m.obs != nil {
		m.obs.Event(ctx, e)
	}
}

// call starts an observed store call.
func (m *Manager) call(ctx context.Context, op string) (context.Context, func(error)) {
	return m.obs.StoreCall(ctx, StoreCall{Op: op, Store: m.storeType})
}

// The Manager's store calls go through these, so an Observer sees each.

func (m *Manager) get(ctx context.Context, key string) (Record, error) {
	if m.obs == nil {
		return m.cfg.Store.Get(ctx, key)
	}
	ctx, done := m.call(ctx, "get")
	rec, err := m.cfg.Store.Get(ctx, key)
	done(err)
	return rec, err
}

func (m *Manager) set(ctx context.Context, key string, rec Record) error {
	if m.obs == nil {
		return m.cfg.Store.Set(ctx, key, rec)
	}
	ctx, done := m.call(ctx, "set")
	err := m.cfg.Store.Set(ctx, key, rec)
	done(err)
	return err
}

func (m *Manager) del(ctx context.Context, key string) error {
	if m.obs == nil {
		return m.cfg.Store.Delete(ctx, key)
	}
	ctx, done := m.call(ctx, "delete")
	err := m.cfg.Store.Delete(ctx, key)
	done(err)
	return err
}

func (m *Manager) swap(ctx context.Context, op, key string, rec Record) (int64, error) {
	if m.obs == nil {
		return m.swapper.Swap(ctx, key, rec)
	}
	ctx, done := m.call(ctx, op)
	v, err := m.swapper.Swap(ctx, key, rec)
	done(err)
	return v, err
}

func (m *Manager) touchRec(ctx context.Context, key string, exp time.Time) error {
	if m.obs == nil {
		return m.toucher.Touch(ctx, key, exp)
	}
	ctx, done := m.call(ctx, "touch")
	err := m.toucher.Touch(ctx, key, exp)
	done(err)
	return err
}

func (m *Manager) create(ctx context.Context, rec Record) (string, error) {
	if m.obs == nil {
		return m.creator.Create(ctx, rec)
	}
	ctx, done := m.call(ctx, "create")
	k, err := m.creator.Create(ctx, rec)
	done(err)
	return k, err
}

func (m *Manager) byUser(ctx context.Context, ui UserIndex, userID string) (map[string]Record, error) {
	if m.obs == nil {
		return ui.ByUser(ctx, userID)
	}
	ctx, done := m.call(ctx, "by_user")
	r, err := ui.ByUser(ctx, userID)
	done(err)
	return r, err
}
