package sesh

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
)

type ctxKey struct{}

// ctxNode links the sessions of the managers serving one request,
// innermost first.
type ctxNode struct {
	m    *Manager
	s    *Session
	next *ctxNode
}

// From returns the session the innermost Manager.Handler attached to ctx.
// It panics if no Manager.Handler wraps the handler: that is a wiring
// mistake the first test finds. With several managers, use Manager.From.
func From(ctx context.Context) *Session {
	if n, ok := ctx.Value(ctxKey{}).(*ctxNode); ok {
		return n.s
	}
	panic("sesh: no session in context: wrap the handler with Manager.Handler")
}

// From returns this manager's session for the request whose context is ctx.
// It panics if m.Handler does not wrap the handler.
func (m *Manager) From(ctx context.Context) *Session {
	n, _ := ctx.Value(ctxKey{}).(*ctxNode)
	for ; n != nil; n = n.next {
		if n.m == m {
			return n.s
		}
	}
	panic("sesh: no session of this Manager in context: wrap the handler with its Handler")
}

// Handler is the middleware. It attaches the request's session to the
// request context (see From), and commits it before the first byte of the
// response: on the first Write, WriteHeader (of a final status), Flush or
// Hijack, or after next returns if next wrote nothing. A request without a
// session cookie costs no store call, and gets no cookie unless its handler
// stores something.
//
// If the store fails while loading, the ErrorHandler answers and next does
// not run (with LazyLoad, next runs but its response is replaced). If it
// fails while saving, the ErrorHandler answers instead of next's response,
// with no Set-Cookie. Changes made after the response has started cannot
// reach the cookie: they are saved to the store when the session already had
// its cookie, and otherwise dropped with an error logged.
//
// A Handler of m inside another Handler of m (the middleware mounted twice)
// passes the request through: the outer one loads and commits the session.
func (m *Manager) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		parent, _ := ctx.Value(ctxKey{}).(*ctxNode)
		for n := parent; n != nil; n = n.next {
			if n.m == m {
				// This Manager already serves the request (its Handler is
				// mounted twice): the outer one owns the session, as
				// express-session does nothing when req.session exists.
				next.ServeHTTP(w, r)
				return
			}
		}
		// One allocation holds the request's session, its writer and the
		// context that carries them.
		st := &requestState{}
		s := &st.sess
		m.initSession(s, m.requestIsSecure(r))
		s.lockable = m.cfg.Serialize
		if s.lockable {
			defer m.unlock(ctx, s)
		}
		s.req = r
		if m.cfg.CookieFor != nil {
			if err := m.cookieFor(r, &st.ck); err != nil {
				m.failed(ctx, "the session cookie could not be configured for the request", err)
				m.cfg.ErrorHandler(w, r, err)
				return
			}
			s.ck = &st.ck
		}
		lines := r.Header["Cookie"]
		if path := s.cookieCfg().Path; !cookiePathMatch(requestPath(r, path), path) {
			// The browser sends no cookie here, so there is no session, and
			// none is created (as express-session).
			s.outside, s.loadErr = true, ErrOutsidePath
		} else if m.cfg.LazyLoad && len(lines) > 0 {
			s.lazy = func() error {
				if err := m.load(ctx, s, lines); err != nil {
					return err
				}
				if m.rem != nil {
					return m.restore(ctx, s, lines)
				}
				return nil
			}
		} else {
			err := m.load(ctx, s, lines)
			if err == nil && m.rem != nil && len(lines) > 0 {
				err = m.restore(ctx, s, lines)
			}
			if err != nil {
				m.failed(ctx, "loading the session failed", err)
				m.cfg.ErrorHandler(w, r, err)
				return
			}
		}
		st.ctx = sessionCtx{Context: ctx, node: ctxNode{m: m, s: s, next: parent}}
		r = r.WithContext(&st.ctx)
		sw := &st.w
		*sw = responseWriter{ResponseWriter: w, m: m, s: s, r: r}
		next.ServeHTTP(sw, r)
		sw.finish()
	})
}

// requestPath is the path the browser asked for, the one it matched the
// cookie's Path against: that of r.RequestURI, which http.StripPrefix and
// routers that mount a handler under a prefix leave alone (express-session
// reads req.originalUrl for the same reason), else r.URL.Path. With the
// cookie on "/" every path matches and nothing is parsed.
func requestPath(r *http.Request, cookiePath string) string {
	if cookiePath == "/" || r.RequestURI == "" {
		return r.URL.Path
	}
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil || u.Path == "" {
		return r.URL.Path
	}
	return u.Path
}

// cookiePathMatch is RFC 6265 §5.1.4 path-match: whether a cookie with
// Path cookiePath is sent for a request to reqPath.
func cookiePathMatch(reqPath, cookiePath string) bool {
	if cookiePath == "/" || reqPath == cookiePath {
		return true
	}
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
}

// failed logs, once, an error that the ErrorHandler is about to answer,
// with what to do about it. Conflicts are Warn (retrying is the fix);
// everything else is Error.
func (m *Manager) failed(ctx context.Context, what string, err error) {
	level, hint := slog.LevelError, "the ErrorHandler answered instead of the handler; the client's cookie was left alone"
	var tooBig *CookieTooLargeError
	var sizeErr *SizeError
	switch {
	case errors.As(err, &tooBig):
		hint = "store less in the session, use a server-side Store, or let it spread over several cookies (Cookie.MaxChunks)"
	case errors.As(err, &sizeErr):
		hint = "store less in the session, or raise Config.MaxSize"
	case errors.Is(err, ErrConflict):
		level, hint = slog.LevelWarn, "other requests on the session kept it busy; the client may retry (503, Retry-After)"
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		level, hint = slog.LevelWarn, "the request's context ended during a store call"
	}
	m.event(ctx, level, what, "", "err", err, "fix", hint)
	m.observe(ctx, Event{Kind: EventFailClosed, Err: err})
}

// requestState is what Handler allocates per request.
type requestState struct {
	sess Session
	w    responseWriter
	ctx  sessionCtx
	ck   CookieConfig // Config.CookieFor's cookie, when set
}

// sessionCtx is context.WithValue(parent, ctxKey{}, &node) without an
// allocation of its own. Deadlines, cancellation and other values come
// from the parent.
type sessionCtx struct {
	context.Context
	node ctxNode
}

func (c *sessionCtx) Value(key any) any {
	if _, ok := key.(ctxKey); ok {
		return &c.node
	}
	return c.Context.Value(key)
}

func (c *sessionCtx) String() string { return "sesh.sessionCtx" }

// errResponseReplaced is returned by Write after a failed commit replaced
// the handler's response with the ErrorHandler's.
var errResponseReplaced = errors.New("sesh: response replaced: the session could not be saved")

// responseWriter commits the session before the response starts. It keeps
// Unwrap so http.ResponseController reaches the underlying writer.
type responseWriter struct {
	http.ResponseWriter
	m         *Manager
	s         *Session
	r         *http.Request
	committed bool
	failed    bool
	lines     [3]string // backing array of the commit's header values
}

// Unwrap returns the wrapped ResponseWriter (for http.ResponseController).
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) commit() bool {
	if w.committed {
		return !w.failed
	}
	w.committed = true
	s := w.s
	s.mu.Lock()
	err := w.m.save(w.r.Context(), s)
	if err == nil && s.rem != nil {
		err = w.m.settleRemember(w.r.Context(), s)
	}
	var lines []string
	if err == nil {
		lines, err = w.m.setCookies(w.lines[:0], s)
		if s.rem != nil {
			lines = w.m.rememberCookies(lines, s)
		}
	}
	s.started = true
	accessed, live, destroyed, secure := s.accessed, s.loadedLive, s.destroyed, s.secure
	s.mu.Unlock()

	h := w.ResponseWriter.Header()
	if err != nil {
		w.failed = true
		w.m.removeSetCookie(h)
		for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding", "Location", "Etag", "Last-Modified"} {
			h.Del(k)
		}
		w.m.failed(w.r.Context(), "saving the session failed", err)
		w.m.cfg.ErrorHandler(w.ResponseWriter, w.r, err)
		return false
	}
	// The header values share the backing array of lines where it has
	// room: one allocation for the whole commit.
	spare := headerVals(lines[len(lines):])
	if accessed || len(lines) > 0 {
		addVaryCookie(h, &spare)
	}
	if n := len(lines); n > 0 {
		w.m.removeSetCookie(h)
		if len(h["Set-Cookie"]) == 0 {
			h["Set-Cookie"] = lines[:n:n]
		} else {
			h["Set-Cookie"] = append(h["Set-Cookie"], lines...)
		}
		spare.set(h, "Cache-Control", "no-store")
		if !secure && s.cookieCfg().Secure == SecureAlways {
			w.m.warnPlainHTTP(w.r)
		}
	} else if live && !w.m.cfg.DisableCacheControl && len(h["Cache-Control"]) == 0 {
		// A page rendered for a signed-in session must not be kept by a
		// shared cache, nor served from the browser's cache after
		// sign-out.
		spare.set(h, "Cache-Control", "private, no-store")
	}
	if destroyed && len(w.m.cfg.ClearSiteData) > 0 {
		h.Set("Clear-Site-Data", w.m.clearSiteData)
	}
	return true
}

// warnPlainHTTP logs, once per Manager, that a Secure cookie went out on a
// plain-HTTP request to a host browsers do not treat as secure: they will
// drop it.
func (m *Manager) warnPlainHTTP(r *http.Request) {
	if m.plainHTTPWarned.Load() || isLoopbackHost(r.Host) || m.plainHTTPWarned.Swap(true) {
		return
	}
	m.event(r.Context(), slog.LevelWarn, "the session cookie is Secure but this request came over plain HTTP: browsers drop Secure cookies from http:// pages other than localhost. Behind a TLS-terminating proxy nothing is wrong (set TrustProxy and this warning goes away); for a plain-HTTP deployment set Cookie.Secure to sesh.SecureAuto or sesh.SecureNever", "", "host", r.Host)
}

// isLoopbackHost reports whether a Host header names localhost (or a
// name under it) or a loopback address: hosts whose http:// pages browsers
// treat as secure contexts.
func isLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(host, "]"), "["), ".")
	if strings.EqualFold(host, "localhost") || hasSuffixFold(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && equalFold(s[len(s)-len(suffix):], suffix)
}

// headerVals hands out one-value header slices from the spare capacity of
// one backing array. Each slice it sets has cap == len, so an Add to that
// header reallocates instead of writing into a neighbour.
type headerVals []string

// set sets h[key] (key in canonical form) to the single value v.
func (hv *headerVals) set(h http.Header, key, v string) {
	b := *hv
	if len(b) == cap(b) {
		h[key] = []string{v}
		return
	}
	b = append(b, v)
	h[key] = b[len(b)-1 : len(b) : len(b)]
	*hv = b[len(b):]
}

// removeSetCookie drops Set-Cookie lines for the session cookie (and its
// chunks) that something else added, so the response carries exactly one.
func (m *Manager) removeSetCookie(h http.Header) {
	lines := h["Set-Cookie"]
	if len(lines) == 0 {
		return
	}
	name := m.cfg.Cookie.Name
	kept := lines[:0]
	for _, l := range lines {
		if !m.ownsCookieLine(l, name) {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		h.Del("Set-Cookie")
	} else {
		h["Set-Cookie"] = kept
	}
}

// ownsCookieLine reports whether a Set-Cookie line sets name or, for
// chunked cookie-only sessions, one of its chunks name.N.
func (m *Manager) ownsCookieLine(l, name string) bool {
	if !strings.HasPrefix(l, name) {
		return false
	}
	rest := l[len(name):]
	if strings.HasPrefix(rest, "=") {
		return true
	}
	if m.cfg.Cookie.MaxChunks > 1 && strings.HasPrefix(rest, ".") {
		i := 1
		for i < len(rest) && '0' <= rest[i] && rest[i] <= '9' {
			i++
		}
		return i > 1 && i < len(rest) && rest[i] == '='
	}
	return false
}

func addVaryCookie(h http.Header, spare *headerVals) {
	vary := h["Vary"]
	for _, v := range vary {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, "Cookie") {
				return
			}
		}
	}
	if len(vary) > 0 {
		h["Vary"] = append(vary, "Cookie")
		return
	}
	spare.set(h, "Vary", "Cookie")
}

func (w *responseWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		if !w.failed {
			w.ResponseWriter.WriteHeader(code) // informational: not the response yet
		}
		return
	}
	if w.commit() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.commit() {
		return 0, errResponseReplaced
	}
	return w.ResponseWriter.Write(b)
}

// ReadFrom keeps io.Copy's fast paths (sendfile) available.
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !w.commit() {
		return 0, errResponseReplaced
	}
	return io.Copy(w.ResponseWriter, src)
}

// Flush commits the session and flushes the underlying writer if it can.
func (w *responseWriter) Flush() {
	if w.commit() {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// Hijack commits the session, then hands over the connection.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.commit() {
		return nil, nil, errResponseReplaced
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// finish commits if the handler wrote nothing, and otherwise deals with
// changes made after the response started.
func (w *responseWriter) finish() {
	if !w.committed {
		w.commit()
		return
	}
	if w.failed {
		return
	}
	s, m, ctx := w.s, w.m, w.r.Context()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lazy != nil || s.loadErr != nil {
		return
	}
	switch {
	case s.status == StatusDestroyed:
		// The record can still be deleted; the browser keeps a dead cookie.
		if err := m.deleteDead(ctx, s); err != nil {
			m.event(ctx, slog.LevelError, "deleting a session destroyed after the response started failed", "", "err", err)
		}
	case !s.dirty():
	case s.status == StatusNew || s.regen:
		// The change itself returned ErrResponseStarted; nothing to save.
	default:
		if err := m.save(ctx, s); err != nil {
			m.keyEvent(ctx, slog.LevelError, "saving a change made after the response started failed", s.key, "err", err)
		}
	}
}
