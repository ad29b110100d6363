package sesh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// SessionInfo describes one of a user's sessions, for an "active sessions"
// page (ASVS 7.5.2). It never carries the session ID.
type SessionInfo struct {
	// Handle identifies the session for EndSession. It is a one-way tag of
	// the store key: it cannot be turned into a cookie.
	Handle    string
	Created   time.Time
	LastSeen  time.Time // approximate: activity is recorded once per TouchInterval
	Expires   time.Time
	UserAgent string
	// Current is true for the session passed as current to UserSessions.
	Current bool
	// Remembered marks a remembered device (a remember-me token, see
	// RememberConfig) rather than a live session: LastSeen is when the
	// token last started a session. EndSession ends it like a session.
	Remembered bool
}

// userIndex returns the store's UserIndex or an error wrapping
// errors.ErrUnsupported.
func (m *Manager) userIndex() (UserIndex, error) {
	if m.cfg.Store == nil && m.rem != nil {
		return m.rem.ui, nil // cookie-only sessions: only tokens are indexed
	}
	ui, ok := m.cfg.Store.(UserIndex)
	if !ok {
		return nil, fmt.Errorf("sesh: the store (%T) keeps no user index: %w", m.cfg.Store, errors.ErrUnsupported)
	}
	return ui, nil
}

// UserSessions lists the live sessions tied to userID (see
// Session.SetUserID), newest first. current, if not nil, is marked. The
// store must implement UserIndex; otherwise the error wraps
// errors.ErrUnsupported.
func (m *Manager) UserSessions(ctx context.Context, userID string, current *Session) ([]SessionInfo, error) {
	recs, err := m.userRecords(ctx, userID)
	if err != nil {
		return nil, err
	}
	cur := currentKey(current)
	out := make([]SessionInfo, 0, len(recs))
	now := m.now()
	for key, rec := range recs {
		if strings.HasPrefix(key, rememberKeyPrefix) {
			continue // listed below
		}
		var d Data
		if err := m.cfg.Codec.Decode(rec.Data, &d); err != nil {
			continue
		}
		if m.absolute > 0 && !d.Created.IsZero() && !now.Before(d.Created.Add(m.absolute)) {
			continue
		}
		info := SessionInfo{Handle: handle(key), Created: d.Created, Expires: rec.Expires,
			UserAgent: d.UserAgent, Current: key == cur, LastSeen: d.Created}
		if m.idle > 0 {
			if seen := rec.Expires.Add(-m.idle); seen.After(info.LastSeen) {
				info.LastSeen = seen
			}
		}
		out = append(out, info)
	}
	if m.rem != nil {
		tok := currentToken(current)
		for _, in := range m.rememberInfos(recs) {
			in.Current = tok != "" && in.Handle == handle(tok)
			out = append(out, in)
		}
	}
	slices.SortFunc(out, func(a, b SessionInfo) int { return b.Created.Compare(a.Created) })
	return out, nil
}

func (m *Manager) userRecords(ctx context.Context, userID string) (map[string]Record, error) {
	if userID == "" {
		return nil, errors.New("sesh: empty user ID")
	}
	ui, err := m.userIndex()
	if err != nil {
		return nil, err
	}
	recs, err := m.byUser(ctx, ui, userID)
	if err != nil {
		return nil, fmt.Errorf("sesh: list user sessions: %w", err)
	}
	if m.rem != nil && m.rem.store != m.cfg.Store {
		// Tokens kept apart from the sessions (cookie-only sessions).
		toks, err := m.byUser(ctx, m.rem.ui, userID)
		if err != nil {
			return nil, fmt.Errorf("sesh: list remembered devices: %w", err)
		}
		for k, r := range toks {
			if strings.HasPrefix(k, rememberKeyPrefix) {
				recs[k] = r
			}
		}
	}
	return recs, nil
}

// currentToken returns the store key of the remember-me token the request
// of s carried, or "".
func currentToken(s *Session) string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rem == nil || s.rem.forget {
		return ""
	}
	return s.rem.fromReq
}

func currentKey(s *Session) string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key == "" && s.id != "" {
		return s.mgr.cfg.StoreKey(s.id)
	}
	return s.key
}

// EndSession deletes the session of userID that handle names (from
// UserSessions). It returns an error wrapping ErrNotFound if userID has no
// such session, so a handle from another user's page ends nothing.
func (m *Manager) EndSession(ctx context.Context, userID, handleStr string) error {
	recs, err := m.userRecords(ctx, userID)
	if err != nil {
		return err
	}
	for key := range recs {
		if handle(key) == handleStr {
			if err := m.delOwned(ctx, key); err != nil {
				return fmt.Errorf("sesh: end session: %w", err)
			}
			m.event(ctx, slog.LevelInfo, "session ended by its user", handleStr)
			m.observe(ctx, Event{Kind: EventDestroyed})
			return nil
		}
	}
	return fmt.Errorf("sesh: end session: %w", ErrNotFound)
}

// EndUserSessions deletes every session of userID except the one given
// (nil ends all): "sign out everywhere else", or an administrator ending a
// disabled account's sessions (ASVS 7.4.2-7.4.5). It returns how many it
// ended.
func (m *Manager) EndUserSessions(ctx context.Context, userID string, except *Session) (int, error) {
	recs, err := m.userRecords(ctx, userID)
	if err != nil {
		return 0, err
	}
	keep, keepToken := currentKey(except), currentToken(except)
	n := 0
	for key := range recs {
		if key == keep || (keepToken != "" && key == keepToken) {
			continue
		}
		if err := m.delOwned(ctx, key); err != nil {
			return n, fmt.Errorf("sesh: end user sessions: %w", err)
		}
		n++
		m.observe(ctx, Event{Kind: EventDestroyed})
	}
	m.event(ctx, slog.LevelInfo, "user sessions ended", "", "count", n)
	return n, nil
}

// delOwned deletes a record a user index listed, from the store that
// keeps it (a remember-me token may live apart from the sessions).
func (m *Manager) delOwned(ctx context.Context, key string) error {
	if m.rem != nil && strings.HasPrefix(key, rememberKeyPrefix) {
		return m.rem.store.Delete(ctx, key)
	}
	return m.del(ctx, key)
}

// Handle returns the one-way handle of a store key, as SessionInfo.Handle
// and the log lines show it: it names a session for an operator or an
// "end this session" button and cannot be turned back into the key or into
// a cookie.
func Handle(key string) string { return handle(key) }

// Ping checks that the session store answers, for readiness probes: it
// calls the store's Ping (see Pinger). Cookie-only sessions and stores
// without a server (memstore, filestore) have nothing to ping and return
// nil.
func (m *Manager) Ping(ctx context.Context) error {
	if p, ok := m.cfg.Store.(Pinger); ok {
		if err := p.Ping(ctx); err != nil {
			return fmt.Errorf("sesh: ping the session store: %w", err)
		}
	}
	return ctx.Err()
}
