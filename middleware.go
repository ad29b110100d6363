package sesh

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
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
func (m *Manager) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		s := m.newSession(m.requestIsSecure(r))
		s.agent = r.UserAgent()
		lines := r.Header["Cookie"]
		if m.cfg.LazyLoad && len(lines) > 0 {
			s.lazy = func() error { return m.load(ctx, s, lines) }
		} else if err := m.load(ctx, s, lines); err != nil {
			m.cfg.ErrorHandler(w, r, err)
			return
		}
		parent, _ := ctx.Value(ctxKey{}).(*ctxNode)
		r = r.WithContext(context.WithValue(ctx, ctxKey{}, &ctxNode{m: m, s: s, next: parent}))
		sw := &responseWriter{ResponseWriter: w, m: m, s: s, r: r}
		next.ServeHTTP(sw, r)
		sw.finish()
	})
}

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
	var lines []string
	if err == nil {
		lines, err = w.m.setCookies(s)
	}
	accessed := s.accessed
	s.mu.Unlock()

	h := w.ResponseWriter.Header()
	if err != nil {
		w.failed = true
		w.m.removeSetCookie(h)
		for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding", "Location", "Etag", "Last-Modified"} {
			h.Del(k)
		}
		w.m.cfg.ErrorHandler(w.ResponseWriter, w.r, err)
		return false
	}
	if accessed || len(lines) > 0 {
		addVaryCookie(h)
	}
	if len(lines) > 0 {
		w.m.removeSetCookie(h)
		for _, l := range lines {
			h.Add("Set-Cookie", l)
		}
		h.Set("Cache-Control", "no-store")
	}
	return true
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

func addVaryCookie(h http.Header) {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, "Cookie") {
				return
			}
		}
	}
	h.Add("Vary", "Cookie")
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
			m.event(ctx, slog.LevelError, "late destroy failed", "", "err", err)
		}
	case !s.dirty():
	case s.status == StatusNew || s.regen:
		m.event(ctx, slog.LevelError, "session change after the response started was dropped: a new ID cannot reach the browser; change the session before writing", handle(s.key))
	default:
		if err := m.save(ctx, s); err != nil {
			m.event(ctx, slog.LevelError, "late session save failed", handle(s.key), "err", err)
		}
	}
}
