package sesh

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Load returns the session named by a Cookie header value, in the explicit
// style of Remix's getSession(request.headers.get("Cookie")). An absent,
// malformed, unknown or expired ID gives a new, empty session and no error;
// the error is for a failing store. With SecureAuto the cookie it later
// yields is Secure (there is no request to tell otherwise).
func (m *Manager) Load(ctx context.Context, cookieHeader string) (*Session, error) {
	s := m.newSession(true)
	var lines []string
	if cookieHeader != "" {
		lines = []string{cookieHeader}
	}
	if err := m.load(ctx, s, lines); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadRequest is Load for a request: it reads all its Cookie headers and
// applies SecureAuto, TrustProxy and Config.CookieFor to it.
func (m *Manager) LoadRequest(r *http.Request) (*Session, error) {
	s := m.newSession(m.requestIsSecure(r))
	s.req = r
	if m.cfg.CookieFor != nil {
		s.ck = new(CookieConfig)
		if err := m.cookieFor(r, s.ck); err != nil {
			return nil, err
		}
	}
	if err := m.load(r.Context(), s, r.Header["Cookie"]); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadID returns the session with a known ID, as Astro's session.load(id):
// for flows that carry the ID outside the cookie (a callback that must
// resume a session). It returns an error wrapping ErrNotFound if the ID is
// malformed, unknown or expired: an ID is never adopted.
func (m *Manager) LoadID(ctx context.Context, id string) (*Session, error) {
	if m.sealer != nil {
		return nil, fmt.Errorf("sesh: load by ID: cookie-only sessions have no server-side record: %w", errors.ErrUnsupported)
	}
	if !m.cfg.ValidID(id) {
		return nil, fmt.Errorf("sesh: load by ID: %w", ErrNotFound)
	}
	s := m.newSession(true)
	value := id
	if m.cfg.CookieValue != nil {
		value = m.cfg.CookieValue.EncodeID(id)
	}
	if err := m.load(ctx, s, []string{m.cfg.Cookie.Name + "=" + value}); err != nil {
		return nil, err
	}
	if s.status == StatusNew {
		return nil, fmt.Errorf("sesh: load by ID: %w", ErrNotFound)
	}
	s.fromReq = false
	return s, nil
}

// Commit saves s as the policy requires and returns the Set-Cookie header
// value the response needs, or "" when none is needed (an unchanged session
// whose cookie is already right). Add it with
// w.Header().Add("Set-Cookie", v). On error nothing usable was saved and no
// cookie must be sent.
func (m *Manager) Commit(ctx context.Context, s *Session) (string, error) {
	if s.mgr != m {
		return "", fmt.Errorf("sesh: Commit of a session from another Manager")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := m.save(ctx, s); err != nil {
		return "", err
	}
	if err := m.settleRemember(ctx, s); err != nil {
		return "", err
	}
	lines, err := m.setCookies(nil, s)
	lines = m.rememberCookies(lines, s)
	switch {
	case err != nil:
		return "", err
	case len(lines) == 0:
		return "", nil
	case len(lines) > 1:
		return "", fmt.Errorf("sesh: the commit needs %d Set-Cookie lines (a chunked cookie-only session, or a remember-me cookie): use CommitHeader", len(lines))
	}
	return lines[0], nil
}

// CommitOptions set one commit's cookie lifetime, as the options of Remix's
// commitSession(session, {maxAge, expires}).
type CommitOptions struct {
	// MaxAge, when > 0, wins: the cookie and the record expire that long
	// from now.
	MaxAge time.Duration
	// Expires is used when MaxAge is 0.
	Expires time.Time
}

// CommitWith is Commit with a lifetime for this commit, following Remix's
// precedence: opts.MaxAge, then opts.Expires, then the configured cookie
// lifetime. The record expires then too (never later than the idle and
// absolute deadlines), and a Set-Cookie is always returned. With a
// CookieCodec the record is rewritten, so that the cookie it describes
// carries this lifetime.
func (m *Manager) CommitWith(ctx context.Context, s *Session, opts CommitOptions) (string, error) {
	var exp time.Time
	switch {
	case opts.MaxAge > 0:
		exp = m.now().Add(opts.MaxAge)
	case !opts.Expires.IsZero():
		exp = opts.Expires
	}
	s.mu.Lock()
	s.commitExp = exp
	if !exp.IsZero() {
		s.touch = true
		if s.status != StatusNew && s.status != StatusDestroyed {
			s.cookieDue = true
		}
		if m.cookieCodec != nil && s.status == StatusUnmodified {
			// The record describes the cookie (CookieCodec): rewrite it, a
			// touch would leave the old lifetime in it.
			s.meta = true
		}
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.commitExp = time.Time{}
		s.mu.Unlock()
	}()
	return m.Commit(ctx, s)
}

// CommitHeader is Commit for sessions that may need several Set-Cookie
// lines (chunked cookie-only sessions): it adds them all to h.
func (m *Manager) CommitHeader(ctx context.Context, s *Session, h http.Header) error {
	if s.mgr != m {
		return fmt.Errorf("sesh: Commit of a session from another Manager")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := m.save(ctx, s); err != nil {
		return err
	}
	if err := m.settleRemember(ctx, s); err != nil {
		return err
	}
	lines, err := m.setCookies(nil, s)
	if err != nil {
		return err
	}
	lines = m.rememberCookies(lines, s)
	if len(lines) > 0 {
		m.removeSetCookie(h)
		for _, l := range lines {
			h.Add("Set-Cookie", l)
		}
		h.Set("Cache-Control", "no-store")
	}
	return nil
}

// Destroy deletes s from the store and returns the Set-Cookie header value
// that expires its cookie, as Remix's destroySession.
func (m *Manager) Destroy(ctx context.Context, s *Session) (string, error) {
	s.Destroy()
	s.mu.Lock()
	s.expireDue = true
	s.mu.Unlock()
	return m.Commit(ctx, s)
}

// Save writes s to the store now, so a later commit (at the end of the
// request) has nothing left to save unless s changes again. The cookie a
// new session needs is still sent by the commit.
func (m *Manager) Save(ctx context.Context, s *Session) error {
	if s.mgr != m {
		return fmt.Errorf("sesh: Save of a session from another Manager")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lazy != nil {
		s.loadErr = s.lazy()
		s.lazy = nil
	}
	return m.save(ctx, s)
}

// Reload discards the changes s holds and reads it again from the store.
// If the record is gone (destroyed or expired), s becomes a new, empty
// session. Cookie-only sessions cannot be reloaded (errors.ErrUnsupported).
func (m *Manager) Reload(ctx context.Context, s *Session) error {
	if s.mgr != m {
		return fmt.Errorf("sesh: Reload of a session from another Manager")
	}
	if m.sealer != nil {
		return fmt.Errorf("sesh: Reload: a cookie-only session has no server-side record to read again: %w", errors.ErrUnsupported)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lazy != nil {
		s.loadErr = s.lazy()
		s.lazy = nil
	}
	if s.loadErr != nil {
		return s.loadErr
	}
	s.ops, s.cleared, s.meta, s.regen, s.touch = nil, false, false, false, false
	s.regenFrom, s.regenVer = "", 0
	if s.id == "" {
		// New, or destroyed in this request: nothing to read back.
		s.status, s.key, s.version, s.data = StatusNew, "", 0, Data{}
		return nil
	}
	key := m.cfg.StoreKey(s.id)
	s.dead = nil
	rec, d, st, err := m.fetch(ctx, key)
	if err != nil {
		return err
	}
	if st != recLive {
		s.status, s.id, s.key, s.version, s.data = StatusNew, "", "", 0, Data{}
		s.moved = st == recMoved
		return nil
	}
	s.key, s.version, s.expires, s.data, s.status = key, rec.Version, rec.Expires, d, StatusUnmodified
	return nil
}
