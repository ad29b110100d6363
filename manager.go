package sesh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesh-go/sesh/cookie"
)

// Manager applies one session policy: it loads sessions from requests,
// commits them to its Store and writes the session cookie. Build it once
// with New and share it; it is safe for concurrent use.
type Manager struct {
	cfg             Config
	sealer          CookieSealer  // cookie-only sessions; nil for server-side
	idle            time.Duration // 0: off
	absolute        time.Duration // 0: off
	swapper         Swapper       // nil if the store cannot compare-and-set
	toucher         Toucher
	creator         Creator     // the store mints IDs
	cookieCodec     CookieCodec // the codec records the cookie (server-side sessions)
	log             *slog.Logger
	wake            sync.Map // lock key -> chan struct{}: waiters for a lock this Manager holds
	plainHTTPWarned atomic.Bool
	clearSiteData   string   // the Clear-Site-Data header value, "" for none
	held            sync.Map // lock key -> struct{}: locks this Manager holds
	obs             Observer
	storeType       string    // the store's Go type, for the Observer
	rem             *remember // persistent login; nil if off
	// defaultIDs: GenID is NewID and StoreKey is HashID, so a new ID and
	// its key can be minted together (newIDAndKey).
	defaultIDs bool
}

// New validates cfg, fills its defaults and returns a Manager. Every
// configuration mistake is an error wrapping ErrConfig; New never panics.
func New(cfg Config) (*Manager, error) {
	c, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	m := &Manager{cfg: c, log: c.Logger, sealer: c.Sealer}
	if len(c.ClearSiteData) > 0 {
		q := make([]string, len(c.ClearSiteData))
		for i, d := range c.ClearSiteData {
			q[i] = `"` + d + `"`
		}
		m.clearSiteData = strings.Join(q, ", ")
	}
	if c.IdleTimeout > 0 {
		m.idle = c.IdleTimeout
	}
	if c.AbsoluteTimeout > 0 {
		m.absolute = c.AbsoluteTimeout
	}
	if c.Observer != nil {
		m.obs = c.Observer
		m.storeType = fmt.Sprintf("%T", c.Store)
	}
	if c.Remember != nil {
		r, err := newRemember(&c)
		if err != nil {
			return nil, err
		}
		m.rem = r
	}
	m.swapper, _ = c.Store.(Swapper)
	m.toucher, _ = c.Store.(Toucher)
	m.creator, _ = c.Store.(Creator)
	m.cookieCodec, _ = c.Codec.(CookieCodec)
	m.defaultIDs = cfg.GenID == nil && cfg.GenIDRequest == nil && cfg.StoreKey == nil && m.creator == nil
	return m, nil
}

// Name returns the session cookie's name.
func (m *Manager) Name() string { return m.cfg.Cookie.Name }

func (m *Manager) now() time.Time { return m.cfg.Now() }

// maxCandidates bounds the store reads one request can cause with
// duplicate session cookies.
const maxCandidates = 4

// newSession returns an empty session bound to m.
func (m *Manager) newSession(secure bool) *Session {
	s := &Session{}
	m.initSession(s, secure)
	return s
}

// initSession makes the zero Session s an empty session bound to m.
func (m *Manager) initSession(s *Session, secure bool) {
	s.mgr, s.status, s.secure = m, StatusNew, secure
}

// deadline is the record expiry for a session created at created, active
// now. A zero created (a session a peer created, which carries no sesh
// creation time) counts from now: its first Go write records that time.
func (m *Manager) deadline(now, created time.Time) time.Time {
	if created.IsZero() {
		created = now
	}
	var d time.Time
	if m.idle > 0 {
		d = now.Add(m.idle)
	}
	if m.absolute > 0 {
		if a := created.Add(m.absolute); d.IsZero() || a.Before(d) {
			d = a
		}
	}
	return d
}

// load fills s from the session cookie found in the Cookie header lines.
// With no usable cookie s stays new. It returns an error only when the store
// (or the Revoked hook) fails.
func (m *Manager) load(ctx context.Context, s *Session, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	if m.sealer != nil {
		return m.loadSealed(ctx, s, lines)
	}
	values := cookie.Values(lines, m.cfg.Cookie.Name)
	if len(values) == 0 {
		return nil
	}
	s.fromReq = true
	var ids []string
	var reissue []bool // by candidate: its cookie value was signed with an old secret
	reissuer, _ := m.cfg.CookieValue.(CookieValueReissuer)
	for _, v := range values {
		old := false
		if reissuer != nil {
			id, re, ok := reissuer.DecodeIDReissue(v)
			if !ok {
				continue
			}
			v, old = id, re
		} else if m.cfg.CookieValue != nil {
			id, ok := m.cfg.CookieValue.DecodeID(v)
			if !ok {
				continue
			}
			v = id
		}
		if m.cfg.ValidID(v) && !contains(ids, v) {
			ids = append(ids, v)
			reissue = append(reissue, old)
			if len(ids) == maxCandidates {
				break
			}
		}
	}
	if len(ids) == 0 {
		m.event(ctx, slog.LevelDebug, "malformed session cookie", "")
		return nil
	}
	if s.lockable && m.cfg.Serialize {
		if err := m.lock(ctx, s, m.cfg.StoreKey(ids[0])); err != nil {
			return err
		}
	}
	var (
		found, moved, stale bool
		id, key             string
		rec                 Record
		data                Data
	)
	for i, cand := range ids {
		k := m.cfg.StoreKey(cand)
		r, d, st, err := m.fetch(ctx, k)
		if err != nil {
			return err
		}
		if st == recMoved {
			moved = true
		}
		if st != recLive {
			continue
		}
		if found {
			// Two live sessions in one request: a cookie was tossed from a
			// sibling domain or path. Trust neither.
			m.keyEvent(ctx, slog.LevelWarn, "ambiguous session cookies: starting a new session", k)
			return nil
		}
		found, id, key, rec, data = true, cand, k, r, d
		stale = reissue[i]
	}
	if !found {
		if moved {
			// The cookie names a session a concurrent sign-in moved to a
			// new ID: the browser is about to receive that ID. Changes made
			// here must not mint a session whose cookie could replace it.
			s.moved = true
			m.event(ctx, slog.LevelDebug, "session moved by Regenerate: the old ID reads as no session", "")
			return nil
		}
		m.event(ctx, slog.LevelDebug, "unknown or expired session ID", "")
		return nil
	}
	s.id, s.key, s.version, s.expires, s.data = id, key, rec.Version, rec.Expires, data
	s.status = StatusUnmodified
	s.loadedLive = true
	if stale {
		// Signed with a secret being retired: sign it again with the
		// current one on this response.
		s.cookieDue = true
	}
	return nil
}

// recState is what fetch found under a key.
type recState uint8

const (
	recAbsent recState = iota // absent, expired, undecodable or revoked
	recLive                   // a live session
	recMoved                  // a tombstone: Regenerate moved the session away
)

// fetch reads and decodes the record under key: recLive with the record
// and its data, recMoved for a tombstone (see Regenerate), or recAbsent if
// it is absent, expired (absolute deadline included), undecodable or
// revoked.
func (m *Manager) fetch(ctx context.Context, key string) (Record, Data, recState, error) {
	rec, err := m.get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return rec, Data{}, recAbsent, nil
	}
	if errors.Is(err, ErrCorrupt) {
		m.keyEvent(ctx, slog.LevelWarn, "corrupt session record: starting a new session", key, "err", err)
		m.observe(ctx, Event{Kind: EventCorrupt})
		return rec, Data{}, recAbsent, nil
	}
	if err != nil {
		return rec, Data{}, recAbsent, fmt.Errorf("sesh: load session: %w", err)
	}
	now := m.now()
	if !rec.Expires.IsZero() && !now.Before(rec.Expires) {
		return rec, Data{}, recAbsent, nil
	}
	if len(rec.Data) == 0 {
		return rec, Data{}, recMoved, nil
	}
	var d Data
	if err := m.cfg.Codec.Decode(rec.Data, &d); err != nil {
		m.keyEvent(ctx, slog.LevelWarn, "session data decode failed", key, "err", err)
		m.observe(ctx, Event{Kind: EventDecodeFailed})
		return rec, Data{}, recAbsent, nil
	}
	if m.absolute > 0 && !d.Created.IsZero() && !now.Before(d.Created.Add(m.absolute)) {
		m.keyEvent(ctx, slog.LevelInfo, "session expired (absolute timeout)", key)
		m.observe(ctx, Event{Kind: EventExpired})
		if err := m.del(ctx, key); err != nil {
			m.keyEvent(ctx, slog.LevelWarn, "deleting expired session failed", key, "err", err)
		}
		return rec, Data{}, recAbsent, nil
	}
	if revoked, err := m.revoked(ctx, &d, rec.Expires); err != nil {
		return rec, Data{}, recAbsent, err
	} else if revoked {
		m.keyEvent(ctx, slog.LevelInfo, "session revoked", key)
		m.observe(ctx, Event{Kind: EventRevoked})
		return rec, Data{}, recAbsent, nil
	}
	return rec, d, recLive, nil
}

// revoked asks the Revoked hook about a loaded session.
func (m *Manager) revoked(ctx context.Context, d *Data, expires time.Time) (bool, error) {
	if m.cfg.Revoked == nil {
		return false, nil
	}
	r, err := m.cfg.Revoked(ctx, m.meta(d, expires))
	if err != nil {
		return false, fmt.Errorf("sesh: revocation check: %w", err)
	}
	return r, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// dirty reports whether s has changes to save. Caller holds s.mu.
func (s *Session) dirty() bool {
	return len(s.ops) > 0 || s.cleared || s.meta || s.regen
}

// save writes s to the store as its status and the policy require, and
// records in s which cookie the response owes. Caller holds s.mu.
func (m *Manager) save(ctx context.Context, s *Session) error {
	if s.outside {
		return nil
	}
	if s.loadErr != nil {
		return s.loadErr
	}
	if s.lazy != nil {
		return nil // never used: nothing to load, nothing to save
	}
	now := m.now()
	m.dropExpiredValues(s, now)

	if s.status == StatusDestroyed {
		return m.deleteDead(ctx, s)
	}
	if m.cfg.Unset == UnsetDestroy && s.status == StatusModified && len(s.data.Values) == 0 {
		m.keyEvent(ctx, slog.LevelDebug, "session emptied: destroying (Unset: destroy)", s.key)
		if s.key != "" {
			s.dead = append(s.dead, s.key)
		}
		if s.regenFrom != "" {
			s.dead = append(s.dead, s.regenFrom)
			s.regenFrom = ""
		}
		s.expireDue = true
		s.status = StatusDestroyed
		s.id, s.key = "", ""
		return m.deleteDead(ctx, s)
	}

	isNew := s.status == StatusNew || s.regen
	fresh := s.status == StatusNew // no record before: created, even if it was regenerated
	switch {
	case s.status == StatusNew:
		if !(s.dirty() && (len(s.data.Values) > 0 || s.data.UserID != "")) && !m.cfg.SaveUninitialized {
			// Nothing worth storing: no record, no cookie (but still delete
			// what Destroy or Regenerate left behind).
			return m.deleteDead(ctx, s)
		}
		if s.moved {
			// The request's cookie named a session that a concurrent
			// Regenerate moved: a new session's cookie could overwrite the
			// one the browser is being sent. Drop the changes.
			m.lostToMove(ctx, s)
			return m.deleteDead(ctx, s)
		}
	case s.dirty() || (m.cfg.Resave && !s.wrote):
	default:
		return m.touchIfDue(ctx, s, now)
	}
	modified := s.dirty()

	if s.data.Created.IsZero() {
		s.data.Created = now
		if isNew {
			s.data.UserAgent = s.userAgent()
		}
		s.firstSeen = s.loadedLive
	}
	if m.sealer != nil {
		s.regen = false
		return m.writeSealed(s, now, isNew)
	}
	if err := m.write(ctx, s, now, isNew); err != nil {
		return err
	}
	if s.status == StatusDestroyed || s.id == "" {
		// Lost to a concurrent Destroy or Regenerate: nothing was written.
		return m.deleteDead(ctx, s)
	}
	if isNew {
		if fresh {
			m.keyEvent(ctx, slog.LevelDebug, "session created", s.key)
			m.observe(ctx, Event{Kind: EventCreated})
		} else {
			m.keyEvent(ctx, slog.LevelDebug, "session regenerated", s.key)
			m.observe(ctx, Event{Kind: EventRegenerated})
		}
	}
	// As express-session: a new session gets its cookie; an existing one
	// only when rolling, or when a persistent cookie's session was truly
	// modified (a Resave of an unmodified session sends none).
	if isNew || m.cfg.Rolling || (m.persist(s) > 0 && modified) {
		s.cookieDue = true
	}
	s.wrote = true
	s.regen = false
	s.touch = false
	return m.deleteDead(ctx, s)
}

// saved marks s as matching its record.
func (s *Session) saved(version int64, expires time.Time) {
	s.version, s.expires = version, expires
	s.status = StatusUnmodified
	s.ops, s.cleared, s.meta = nil, false, false
}

// write stores s, minting an ID if isNew, and retries a lost
// compare-and-set by replaying this request's changes on the fresh record.
// If the session turns out to have been destroyed or moved by another
// request, s is left destroyed (lostToDestroy) or without an ID
// (lostToMove) and write returns nil.
func (m *Manager) write(ctx context.Context, s *Session, now time.Time, isNew bool) error {
	if isNew && m.creator != nil {
		rec, err := m.encode(s, now)
		if err != nil {
			return err
		}
		key, err := m.create(ctx, rec)
		if err != nil {
			return fmt.Errorf("sesh: save session: %w", err)
		}
		s.id, s.key, s.version, s.expires = key, key, 0, rec.Expires
		if s.regenFrom != "" {
			// A store that mints IDs and can compare-and-set: learn the new
			// record's version, then move as on any Swapper store.
			fresh, err := m.get(ctx, key)
			if errors.Is(err, ErrNotFound) {
				// Ended already (EndUserSessions saw the new record).
				m.unInsert(ctx, s)
				m.lostToDestroy(ctx, s)
				return nil
			}
			if err != nil {
				m.unInsert(ctx, s)
				return fmt.Errorf("sesh: save session: %w", err)
			}
			s.version = fresh.Version
			return m.retire(ctx, s, now)
		}
		s.saved(0, rec.Expires)
		return nil
	}
	if !isNew {
		return m.update(ctx, s, now)
	}
	if err := m.insert(ctx, s, now); err != nil {
		return err
	}
	if s.regenFrom != "" {
		return m.retire(ctx, s, now)
	}
	s.saved(s.version, s.expires)
	return nil
}

// insert stores s under a freshly minted ID. It sets s.id, s.key,
// s.version and s.expires, and leaves the changes recorded (retire may
// still need to replay them).
func (m *Manager) insert(ctx context.Context, s *Session, now time.Time) error {
	for attempt := 0; ; attempt++ {
		var id, key string
		switch {
		case m.defaultIDs:
			id, key = newIDAndKey()
		case m.cfg.GenIDRequest != nil && s.req != nil:
			id = m.cfg.GenIDRequest(s.req)
			key = m.cfg.StoreKey(id)
		default:
			id = m.cfg.GenID()
			key = m.cfg.StoreKey(id)
		}
		if !m.cfg.ValidID(id) {
			return fmt.Errorf("sesh: save session: GenID minted an ID that ValidID rejects")
		}
		rec, err := m.encode(s, now)
		if err != nil {
			return err
		}
		var v int64
		if m.swapper != nil {
			v, err = m.swap(ctx, "swap", key, rec)
			if errors.Is(err, ErrConflict) && attempt < 3 {
				continue // ID collision: mint another
			}
		} else {
			err = m.set(ctx, key, rec)
		}
		if err != nil {
			return fmt.Errorf("sesh: save session: %w", err)
		}
		s.id, s.key, s.version, s.expires = id, key, v, rec.Expires
		return nil
	}
}

// tombstoneTTL is how long the old key of a regenerated session keeps its
// tombstone: longer than any request that loaded the old session before the
// move is likely to run.
const tombstoneTTL = 2 * time.Minute

// retire completes a Regenerate on a Swapper store, after insert wrote the
// new record: the old record becomes a tombstone, on the condition that it
// is still the version this request loaded. That compare-and-set is the
// moment the move happens. If another request changed the old record
// meanwhile, its changes are taken in and the new record rewritten; if it
// destroyed the session (or another Regenerate moved it), the new record is
// deleted and the move does not happen.
func (m *Manager) retire(ctx context.Context, s *Session, now time.Time) error {
	tomb := Record{Expires: now.Add(tombstoneTTL)}
	for attempt := 0; ; attempt++ {
		tomb.Version = s.regenVer
		_, err := m.swap(ctx, "swap", s.regenFrom, tomb)
		switch {
		case err == nil:
			s.regenFrom, s.regenVer = "", 0
			s.saved(s.version, s.expires)
			return nil
		case errors.Is(err, ErrNotFound):
			m.unInsert(ctx, s)
			m.lostToDestroy(ctx, s)
			return nil
		case errors.Is(err, ErrConflict) && attempt < maxReplays-1:
			fresh, d, st, ferr := m.fetch(ctx, s.regenFrom)
			switch {
			case ferr != nil:
				m.unInsert(ctx, s)
				return ferr
			case st == recMoved:
				m.unInsert(ctx, s)
				m.lostToMove(ctx, s)
				return nil
			case st == recAbsent:
				m.unInsert(ctx, s)
				m.lostToDestroy(ctx, s)
				return nil
			}
			m.keyEvent(ctx, slog.LevelDebug, "concurrent update during Regenerate: replaying changes", s.regenFrom)
			m.observe(ctx, Event{Kind: EventReplay})
			if err := s.replay(d, now); err != nil {
				m.unInsert(ctx, s)
				return err
			}
			s.regenVer = fresh.Version
			rec, err := m.encode(s, now)
			if err == nil {
				rec.Version = s.version
				var v int64
				if v, err = m.swap(ctx, "swap", s.key, rec); err == nil {
					s.version, s.expires = v, rec.Expires
				}
			}
			if errors.Is(err, ErrNotFound) {
				// The new record was ended meanwhile (EndUserSessions).
				m.unInsert(ctx, s)
				m.lostToDestroy(ctx, s)
				return nil
			}
			if err != nil {
				m.unInsert(ctx, s)
				return fmt.Errorf("sesh: save session: %w", err)
			}
			if err := backoff(ctx, attempt); err != nil {
				m.unInsert(ctx, s)
				return fmt.Errorf("sesh: save session: %w", err)
			}
		case errors.Is(err, ErrConflict):
			m.unInsert(ctx, s)
			return m.conflict(ctx, fmt.Sprintf("Regenerate lost %d compare-and-sets in a row to other requests on the session", maxReplays))
		default:
			m.unInsert(ctx, s)
			return fmt.Errorf("sesh: save session: %w", err)
		}
	}
}

// unInsert deletes the record insert wrote for a Regenerate that did not
// happen. Nobody holds its ID yet; if the delete fails, the record expires
// unreachable.
func (m *Manager) unInsert(ctx context.Context, s *Session) {
	if err := m.del(ctx, s.key); err != nil {
		m.keyEvent(ctx, slog.LevelWarn, "deleting the record of an abandoned Regenerate failed", s.key, "err", err)
	}
	s.id, s.key, s.version = "", "", 0
}

// update writes a loaded session back under its key, replaying this
// request's changes on the fresh record each time the compare-and-set
// loses.
func (m *Manager) update(ctx context.Context, s *Session, now time.Time) error {
	for attempt := 0; ; attempt++ {
		rec, err := m.encode(s, now)
		if err != nil {
			return err
		}
		rec.Version = s.version
		var v int64
		if m.swapper != nil {
			v, err = m.swap(ctx, "swap", s.key, rec)
		} else {
			err = m.set(ctx, s.key, rec)
		}
		switch {
		case err == nil:
			s.saved(v, rec.Expires)
			return nil
		case errors.Is(err, ErrNotFound):
			m.lostToDestroy(ctx, s)
			return nil
		case errors.Is(err, ErrConflict) && s.locked:
			// With Serialize, this request held the session's lock since it
			// loaded: a newer version means the lock expired under it.
			return m.conflict(ctx, "the session's lock expired before the write (the request outlived Config.LockTTL)")
		case errors.Is(err, ErrConflict) && attempt < maxReplays-1:
			fresh, d, st, ferr := m.fetch(ctx, s.key)
			switch {
			case ferr != nil:
				return ferr
			case st == recMoved:
				m.lostToMove(ctx, s)
				return nil
			case st == recAbsent:
				m.lostToDestroy(ctx, s)
				return nil
			}
			m.keyEvent(ctx, slog.LevelDebug, "concurrent update: replaying changes", s.key)
			m.observe(ctx, Event{Kind: EventReplay})
			if err := s.replay(d, now); err != nil {
				return err
			}
			s.version = fresh.Version
			if err := backoff(ctx, attempt); err != nil {
				return fmt.Errorf("sesh: save session: %w", err)
			}
		case errors.Is(err, ErrConflict):
			return m.conflict(ctx, fmt.Sprintf("the commit lost %d compare-and-sets in a row to other requests on the session", maxReplays))
		default:
			return fmt.Errorf("sesh: save session: %w", err)
		}
	}
}

// maxReplays bounds the compare-and-set retries of one commit; with the
// jittered backoff between them a commit gives up after about a second of
// continuous contention on one session.
const maxReplays = 64

// backoff sleeps before the next compare-and-set attempt: nothing for the
// first retries, then a random pause growing to at most 20ms, so that
// requests racing on one session spread out instead of colliding again.
func backoff(ctx context.Context, attempt int) error {
	if attempt < 2 {
		return nil
	}
	limit := time.Duration(1<<min(attempt-2, 5)) * 500 * time.Microsecond
	limit = min(limit, 20*time.Millisecond)
	return sleepCtx(ctx, jitter(limit)+time.Microsecond)
}

// jitter returns a pseudo-random duration in [0, limit), from the clock's
// low bits scrambled: no math/rand in the library, and crypto/rand is not
// needed for a pause.
func jitter(limit time.Duration) time.Duration {
	if limit <= 0 {
		return 0
	}
	return time.Duration((uint64(time.Now().UnixNano()) * 0x9E3779B97F4A7C15 >> 11) % uint64(limit))
}

// sleepCtx sleeps for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// conflict reports and returns a *ConflictError.
func (m *Manager) conflict(ctx context.Context, reason string) error {
	err := &ConflictError{Reason: reason}
	m.observe(ctx, Event{Kind: EventConflict, Err: err})
	return err
}

// lostToDestroy handles a commit that found its record gone: another
// request destroyed the session (or it expired) after this one loaded it.
// Destroy wins: nothing is written and the client's cookie is expired.
func (m *Manager) lostToDestroy(ctx context.Context, s *Session) {
	m.keyEvent(ctx, slog.LevelInfo, "session destroyed by another request: changes dropped", s.key)
	m.observe(ctx, Event{Kind: EventLostToDestroy})
	s.status = StatusDestroyed
	s.id, s.key, s.version = "", "", 0
	s.data = Data{}
	s.ops, s.cleared, s.meta, s.regen = nil, false, false, false
	s.regenFrom, s.regenVer = "", 0
	s.expireDue = true
	s.cookieDue = false
}

// lostToMove handles a commit on a session that a concurrent Regenerate
// moved to a new ID (its old key holds a tombstone). The changes are
// dropped, and the client's cookie is left alone: the response that carries
// the new ID may reach the browser before or after this one.
func (m *Manager) lostToMove(ctx context.Context, s *Session) {
	m.keyEvent(ctx, slog.LevelWarn, "session moved to a new ID by a concurrent request (sign-in): this request's changes dropped", s.key)
	m.observe(ctx, Event{Kind: EventLostToMove})
	s.status = StatusNew
	s.id, s.key, s.version = "", "", 0
	s.data = Data{}
	s.ops, s.cleared, s.meta, s.regen = nil, false, false, false
	s.regenFrom, s.regenVer = "", 0
	s.expireDue = false
	s.cookieDue = false
	s.moved = true
}

// replay rebases this request's changes on data another request wrote (a
// fresh copy of the record). Updates run again on the fresh values; an
// error from one is returned and s is left as it was. Caller holds s.mu.
func (s *Session) replay(fresh Data, now time.Time) error {
	base := fresh
	if s.cleared {
		base.Values, base.Deadlines = nil, nil
	}
	if s.meta {
		base.UserID, base.SignedIn, base.Persist = s.data.UserID, s.data.SignedIn, s.data.Persist
		base.AuthTime, base.Restored = s.data.AuthTime, s.data.Restored
	}
	for i := range s.ops {
		o := &s.ops[i]
		k := o.key
		switch {
		case o.upd != nil:
			if err := applyUpdate(&base, o, now); err != nil {
				return err
			}
			continue
		case o.del:
			delete(base.Values, k)
			delete(base.Deadlines, k)
			continue
		}
		if base.Values == nil {
			base.Values = make(map[string]json.RawMessage)
		}
		base.Values[k] = o.raw
		if o.deadline.IsZero() {
			delete(base.Deadlines, k)
		} else {
			if base.Deadlines == nil {
				base.Deadlines = make(map[string]time.Time)
			}
			base.Deadlines[k] = o.deadline
		}
	}
	s.data = base
	return nil
}

// encode builds the record for s as of now.
func (m *Manager) encode(s *Session, now time.Time) (Record, error) {
	exp := m.deadline(now, s.data.Created)
	if !s.commitExp.IsZero() && s.commitExp.Before(exp) {
		exp = s.commitExp
	}
	var b []byte
	var err error
	if m.cookieCodec != nil {
		c := CommitCookie{Attrs: s.cookieCfg().options(s.secureAttr(m)), Lifetime: m.persist(s), Expires: s.commitExp, Now: now}
		b, err = m.cookieCodec.EncodeCookie(make([]byte, 0, 256), &s.data, &c)
	} else {
		b, err = m.cfg.Codec.Encode(make([]byte, 0, 256), &s.data)
	}
	if err != nil {
		return Record{}, fmt.Errorf("sesh: encode session: %w", err)
	}
	if m.cfg.MaxSize > 0 && len(b) > m.cfg.MaxSize {
		err := &SizeError{Size: len(b), Limit: m.cfg.MaxSize}
		m.observe(context.Background(), Event{Kind: EventTooLarge, Err: err})
		return Record{}, err
	}
	return Record{Data: b, Expires: exp, UserID: s.data.UserID}, nil
}

// dropExpiredValues removes values whose per-value TTL has passed, so they
// are not written back. It does not by itself make the session modified.
func (m *Manager) dropExpiredValues(s *Session, now time.Time) {
	for k, d := range s.data.Deadlines {
		if !now.Before(d) {
			delete(s.data.Values, k)
			delete(s.data.Deadlines, k)
		}
	}
}

// deleteDead deletes the records Destroy and Regenerate left behind.
func (m *Manager) deleteDead(ctx context.Context, s *Session) error {
	for len(s.dead) > 0 {
		key := s.dead[0]
		if err := m.del(ctx, key); err != nil {
			return fmt.Errorf("sesh: delete session: %w", err)
		}
		if s.status == StatusDestroyed {
			m.keyEvent(ctx, slog.LevelDebug, "session destroyed", key)
			m.observe(ctx, Event{Kind: EventDestroyed})
		}
		s.dead = s.dead[1:]
	}
	return nil
}

// touchIfDue pushes an unmodified session's idle deadline forward when the
// throttle allows it (or Touch asked for it). Caller holds s.mu.
func (m *Manager) touchIfDue(ctx context.Context, s *Session, now time.Time) error {
	if s.status != StatusUnmodified {
		return nil
	}
	if m.cfg.Rolling {
		s.cookieDue = true
	}
	next := m.deadline(now, s.data.Created)
	if !s.commitExp.IsZero() && s.commitExp.Before(next) {
		next = s.commitExp
	}
	// A zero expiry comes from a cookie format that keeps none (compat/remix):
	// there is nothing to push forward. A server-side record without one (a
	// peer wrote it so: connect-redis's disableTTL, a Remix file without
	// "expires") gets sesh's deadline at the first request that reads it:
	// every session expires.
	noExpiry := s.expires.IsZero() && m.sealer == nil
	due := s.touch || noExpiry || (m.idle > 0 && !s.expires.IsZero() && next.Sub(s.expires) >= m.cfg.TouchInterval)
	if due && s.data.Created.IsZero() {
		// A session a peer created carries no sesh creation time: this
		// first Go write records when it was first seen, so the absolute
		// timeout applies from now on. That needs the data rewritten, not
		// only the expiry moved.
		s.data.Created = now
		s.firstSeen = true
		if m.sealer == nil {
			s.touch = false
			s.meta = true
			if err := m.update(ctx, s, now); err != nil {
				return err
			}
			if s.status == StatusDestroyed {
				return m.deleteDead(ctx, s)
			}
			return nil
		}
	}
	if m.sealer != nil {
		if due || s.reseal || m.cfg.Rolling {
			s.touch = false
			return m.writeSealed(s, now, false)
		}
		return nil
	}
	if !due {
		return nil
	}
	s.touch = false
	var err error
	switch {
	case m.toucher != nil:
		err = m.touchRec(ctx, s.key, next)
		if errors.Is(err, ErrConflict) {
			// The store's touch lost a race to a concurrent write, which
			// moved the expiry itself: a lost touch is not an error.
			return nil
		}
	case m.swapper != nil:
		var rec Record
		if rec, err = m.encode(s, now); err == nil {
			rec.Version = s.version
			var v int64
			v, err = m.swap(ctx, "swap", s.key, rec)
			if err == nil {
				s.version = v
			} else if errors.Is(err, ErrConflict) {
				// Another request wrote the record, which moved its expiry.
				return nil
			}
		}
	default:
		var rec Record
		if rec, err = m.encode(s, now); err == nil {
			err = m.set(ctx, s.key, rec)
		}
	}
	switch {
	case err == nil:
		s.expires = next
		return nil
	case errors.Is(err, ErrNotFound):
		m.lostToDestroy(ctx, s)
		return nil
	default:
		return fmt.Errorf("sesh: touch session: %w", err)
	}
}

// persist returns the cookie lifetime for s: its own, else the configured.
func (m *Manager) persist(s *Session) time.Duration {
	switch {
	case s.data.Persist > 0:
		return s.data.Persist
	case s.data.Persist < 0: // BrowserSession
		return 0
	}
	return s.cookieCfg().MaxAge
}

// setCookies appends the Set-Cookie lines s owes (usually none or one) to
// dst and clears the debt. Caller holds s.mu.
func (m *Manager) setCookies(dst []string, s *Session) ([]string, error) {
	opts := s.cookieCfg().options(s.secureAttr(m))
	if s.cookieDue && s.status != StatusDestroyed && !s.commitExp.IsZero() {
		now := m.now()
		opts.MaxAge = max(int((s.commitExp.Sub(now)+time.Second-1)/time.Second), 1)
		opts.Expires = s.commitExp
	} else if s.cookieDue && s.status != StatusDestroyed {
		if p := m.persist(s); p > 0 {
			now := m.now()
			exp := now.Add(p)
			if m.absolute > 0 && !s.data.Created.IsZero() {
				if a := s.data.Created.Add(m.absolute); a.Before(exp) {
					exp = a
				}
			}
			secs := int((exp.Sub(now) + time.Second - 1) / time.Second)
			opts.MaxAge = max(secs, 1)
			opts.Expires = exp
		} else if exp := m.cfg.Cookie.Expires; !exp.IsZero() && s.data.Persist == 0 {
			if m.absolute > 0 && !s.data.Created.IsZero() {
				if a := s.data.Created.Add(m.absolute); a.Before(exp) {
					exp = a
				}
			}
			opts.Expires = exp
		}
	}
	if m.cfg.Cookie.OmitMaxAge {
		opts.MaxAge = 0
	}
	if m.sealer != nil {
		return m.sealedCookies(dst, s, &opts)
	}
	switch {
	case s.cookieDue && s.id != "" && s.status != StatusDestroyed:
		s.cookieDue, s.expireDue = false, false
		value := s.id
		if m.cfg.CookieValue != nil {
			value = m.cfg.CookieValue.EncodeID(s.id)
		}
		var buf [256]byte
		return cookieLines(dst, cookie.AppendSetCookie(buf[:0], m.cfg.Cookie.Name, value, &opts)), nil
	case s.expireDue:
		s.cookieDue, s.expireDue = false, false
		var buf [256]byte
		return cookieLines(dst, m.appendDelete(buf[:0], m.cfg.Cookie.Name, &opts)), nil
	}
	s.cookieDue = false
	return dst, nil
}

// appendDelete appends the Set-Cookie line that deletes the cookie name:
// cookie.AppendExpire's, without its Max-Age=0 under
// CookieConfig.OmitMaxAgeOnDelete.
func (m *Manager) appendDelete(dst []byte, name string, o *cookie.Options) []byte {
	if !m.cfg.Cookie.OmitMaxAgeOnDelete {
		return cookie.AppendExpire(dst, name, o)
	}
	e := *o
	e.MaxAge, e.Expires = 0, time.Unix(0, 0)
	return cookie.AppendSetCookie(dst, name, "", &e)
}

// cookieLines appends line to dst; a nil dst gets room for the two other
// headers a commit sets (see headerVals).
func cookieLines(dst []string, line []byte) []string {
	if dst == nil {
		dst = make([]string, 0, 3)
	}
	return append(dst, string(line))
}

func (s *Session) secureAttr(m *Manager) bool {
	switch s.cookieCfg().Secure {
	case SecureAlways:
		return true
	case SecureNever:
		return false
	}
	return s.secure
}

// cookieCfg is the session cookie's configuration for this request:
// Config.CookieFor's result, else Config.Cookie.
func (s *Session) cookieCfg() *CookieConfig {
	if s.ck != nil {
		return s.ck
	}
	return &s.mgr.cfg.Cookie
}

// cookieFor fills c with Config.CookieFor's cookie for r and checks it.
func (m *Manager) cookieFor(r *http.Request, c *CookieConfig) error {
	base := &m.cfg.Cookie
	*c = *base
	m.cfg.CookieFor(r, c)
	if c.Path == "" {
		c.Path = "/"
	}
	if c.Name != base.Name || c.MaxChunks != base.MaxChunks || c.OmitMaxAge != base.OmitMaxAge || !slices.Equal(c.Order, base.Order) {
		return fmt.Errorf("sesh: Config.CookieFor: %w", configErr("it changed the cookie's Name, Order, MaxChunks or OmitMaxAge"))
	}
	if err := c.validate(); err != nil {
		return fmt.Errorf("sesh: Config.CookieFor: %w", err)
	}
	return nil
}

// requestIsSecure applies SecureAuto to r.
func (m *Manager) requestIsSecure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if m.cfg.TrustProxy {
		proto := r.Header.Get("X-Forwarded-Proto")
		if i := strings.IndexByte(proto, ','); i >= 0 {
			proto = proto[:i]
		}
		return strings.EqualFold(strings.TrimSpace(proto), "https")
	}
	return false
}

// keyEvent is event for the session under a store key (or, for cookie-only
// sessions, an ID): the log line names its handle, computed only when the
// level is enabled.
func (m *Manager) keyEvent(ctx context.Context, level slog.Level, msg, key string, args ...any) {
	if !m.log.Enabled(ctx, level) {
		return
	}
	h := ""
	if key != "" {
		h = handle(key)
	}
	m.event(ctx, level, msg, h, args...)
}

// event logs a lifecycle event. h is a one-way handle, never an ID.
func (m *Manager) event(ctx context.Context, level slog.Level, msg, h string, args ...any) {
	if !m.log.Enabled(ctx, level) {
		return
	}
	if h != "" {
		args = append(args, "session", h)
	}
	m.log.Log(ctx, level, "sesh: "+msg, args...)
}

// maxAgentLen bounds the User-Agent kept in session metadata.
const maxAgentLen = 256

// userAgent is the request's User-Agent, cut to maxAgentLen, or "" when
// the session was not loaded from a request. It is read only when a session
// is created, not on every request.
func (s *Session) userAgent() string {
	if s.req == nil {
		return ""
	}
	return truncate(s.req.UserAgent(), maxAgentLen)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
