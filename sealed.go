package sesh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"
	"unsafe"

	"github.com/sesh-go/sesh/cookie"
)

// MaxCookieLine is the longest Set-Cookie line (name, value and attributes)
// sesh sends: browsers may drop a longer cookie silently (RFC 6265 §6.1).
const MaxCookieLine = 4096

// ErrCookieTooLarge is wrapped by CookieTooLargeError.
var ErrCookieTooLarge = errors.New("sesh: session cookie too large")

// CookieTooLargeError is returned by a commit of a cookie-only session whose
// Set-Cookie line would pass MaxCookieLine (or, with chunking, whose chunks
// would pass CookieConfig.MaxChunks). Nothing is sent: the browser keeps its
// previous cookie.
type CookieTooLargeError struct {
	Size  int // bytes of the Set-Cookie line, of the sealed value when chunked, or of the data when that alone passes Limit
	Limit int
}

func (e *CookieTooLargeError) Error() string {
	return fmt.Sprintf("sesh: session cookie too large: %d bytes, limit %d (store less, or use a server-side store)", e.Size, e.Limit)
}

func (e *CookieTooLargeError) Unwrap() error { return ErrCookieTooLarge }

// tooLarge reports a cookie-only session that does not fit, and returns err.
func (m *Manager) tooLarge(err *CookieTooLargeError) error {
	m.observe(context.Background(), Event{Kind: EventCookieTooLarge, Err: err})
	return err
}

// chunkName is the cookie name of chunk i.
func (m *Manager) chunkName(i int) string { return m.cfg.Cookie.Name + "." + strconv.Itoa(i) }

// loadSealed opens the cookie-only session among the Cookie header lines.
func (m *Manager) loadSealed(ctx context.Context, s *Session, lines []string) error {
	name := m.cfg.Cookie.Name
	cands := cookie.Values(lines, name)
	s.plainIn = len(cands) > 0
	if len(cands) > maxCandidates {
		cands = cands[:maxCandidates]
	}
	if m.cfg.Cookie.MaxChunks > 1 {
		if joined, n := joinChunks(lines, m.chunkName, m.cfg.Cookie.MaxChunks); n > 0 {
			s.chunksIn = n
			if joined != "" {
				cands = append(cands, joined)
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	s.fromReq = true
	now := m.now()
	found := false
	for _, v := range cands {
		payload, exp, ki, err := m.sealer.Open(name, v, now)
		if err != nil {
			m.event(ctx, slog.LevelDebug, "sealed session cookie rejected", "")
			continue
		}
		var d Data
		if err := m.cfg.Codec.Decode(payload, &d); err != nil {
			m.event(ctx, slog.LevelWarn, "sealed session data decode failed", "")
			m.observe(ctx, Event{Kind: EventDecodeFailed})
			continue
		}
		if m.absolute > 0 && !d.Created.IsZero() && !now.Before(d.Created.Add(m.absolute)) {
			m.keyEvent(ctx, slog.LevelInfo, "session expired (absolute timeout)", d.ID)
			m.observe(ctx, Event{Kind: EventExpired})
			s.expireDue = true
			continue
		}
		if revoked, err := m.revoked(ctx, &d, exp); err != nil {
			return err
		} else if revoked {
			m.keyEvent(ctx, slog.LevelInfo, "session revoked", d.ID)
			m.observe(ctx, Event{Kind: EventRevoked})
			s.expireDue = true
			continue
		}
		if found {
			m.event(ctx, slog.LevelWarn, "ambiguous session cookies: starting a new session", "")
			s.id, s.data, s.status, s.reseal = "", Data{}, StatusNew, false
			return nil
		}
		found = true
		s.id, s.expires, s.data, s.status, s.reseal = d.ID, exp, d, StatusUnmodified, ki > 0
		s.loadedLive = true
		s.expireDue = false
	}
	return nil
}

// joinChunks reassembles name.0, name.1, … (the first value of each, in
// order, stopping at the first gap). n is how many chunk cookies the request
// carried (so stale ones can be expired); joined is "" when the chunks are
// incomplete, too many or too long.
func joinChunks(lines []string, chunkName func(int) string, maxChunks int) (joined string, n int) {
	var parts []string
	for i := 0; i < maxChunks+1; i++ {
		vals := cookie.Values(lines, chunkName(i))
		if len(vals) == 0 {
			break
		}
		parts = append(parts, vals[0])
	}
	n = len(parts)
	if n == 0 || n > maxChunks {
		return "", n
	}
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	if size > maxChunks*MaxCookieLine {
		return "", n
	}
	b := make([]byte, 0, size)
	for _, p := range parts {
		b = append(b, p...)
	}
	return string(b), n
}

// writeSealed seals s into the value its cookie will carry.
func (m *Manager) writeSealed(s *Session, now time.Time, isNew bool) error {
	if isNew {
		s.id = m.cfg.GenID()
		s.data.ID = s.id
	}
	payload, err := m.cfg.Codec.Encode(make([]byte, 0, 256), &s.data)
	if err != nil {
		return fmt.Errorf("sesh: encode session: %w", err)
	}
	// Data longer than the limit cannot fit however it is sealed (no
	// sealer's output is shorter than its payload): it is refused without
	// spending the encryption on it. SealedLen is only a bound (Remix's
	// format escapes a varying share of its bytes), so it decides nothing:
	// the line built from the sealed value is checked in sealedCookies.
	limit := max(m.cfg.Cookie.MaxChunks, 1) * MaxCookieLine
	if len(payload) > limit {
		return m.tooLarge(&CookieTooLargeError{Size: len(payload), Limit: limit})
	}
	exp := m.deadline(now, s.data.Created)
	s.sealed = sealString(m.sealer, make([]byte, 0, min(m.sealer.SealedLen(len(payload)), 2*limit)), m.cfg.Cookie.Name, exp, payload)
	s.expires = exp
	s.status = StatusUnmodified
	s.ops, s.cleared, s.meta, s.reseal = nil, false, false, false
	s.cookieDue = true
	if isNew {
		m.observe(context.Background(), Event{Kind: EventCreated})
	}
	return nil
}

// sealString returns sealer.Seal(dst, …) as a string. When the value is in
// dst's array, which this call owns and nobody writes again, the string
// shares it; a value elsewhere (a CookieSealer may return any slice) is
// copied.
func sealString(sealer CookieSealer, dst []byte, name string, exp time.Time, payload []byte) string {
	sealed := sealer.Seal(dst, name, exp, payload)
	if len(sealed) > 0 && cap(dst) > 0 && unsafe.SliceData(sealed) == unsafe.SliceData(dst) {
		return unsafe.String(unsafe.SliceData(sealed), len(sealed))
	}
	return string(sealed)
}

// dropFirstSeen seals s again without the first-seen time this request
// recorded on a session a peer created (Session.firstSeen), when the cookie
// would not fit with it: sesh's metadata never makes a session the peer
// could write fail to commit. The session then has no absolute timeout
// until a commit that fits records the time. It reports whether it
// re-sealed.
func (m *Manager) dropFirstSeen(s *Session) bool {
	if !s.firstSeen {
		return false
	}
	d := s.data
	d.Created = time.Time{}
	payload, err := m.cfg.Codec.Encode(make([]byte, 0, len(s.sealed)), &d)
	if err != nil {
		return false
	}
	exp := m.deadline(m.now(), time.Time{})
	s.sealed = sealString(m.sealer, make([]byte, 0, len(s.sealed)), m.cfg.Cookie.Name, exp, payload)
	s.data.Created, s.expires, s.firstSeen = time.Time{}, exp, false
	m.event(context.Background(), slog.LevelInfo, "first-seen time left out: the cookie would not fit with it (no absolute timeout for this session yet)", "")
	return true
}

// sealedCookies appends to lines the Set-Cookie lines of a cookie-only session:
// the sealed value in one cookie (or in chunks), and the expiry of cookies
// (plain or chunks) the request carried that are now stale.
func (m *Manager) sealedCookies(lines []string, s *Session, opts *cookie.Options) ([]string, error) {
	name := m.cfg.Cookie.Name
	expire := cookie.Options(*opts)
	expire.MaxAge, expire.Expires = 0, time.Time{}
	if s.status == StatusDestroyed || (!s.cookieDue && s.expireDue) {
		s.cookieDue, s.expireDue = false, false
		if s.plainIn || s.chunksIn == 0 {
			lines = append(lines, string(m.appendDelete(nil, name, &expire)))
		}
		for i := 0; i < s.chunksIn; i++ {
			lines = append(lines, string(m.appendDelete(nil, m.chunkName(i), &expire)))
		}
		return lines, nil
	}
	if !s.cookieDue || s.sealed == "" {
		return lines, nil
	}
	s.cookieDue, s.expireDue = false, false
	var buf [1024]byte // most sealed lines fit: no buffer on the heap
	dst := buf[:0]
	if need := len(s.sealed) + 160; need > len(buf) {
		dst = make([]byte, 0, need)
	}
	line := cookie.AppendSetCookie(dst, name, s.sealed, opts)
	if len(line) > MaxCookieLine && m.cfg.Cookie.MaxChunks <= 1 && m.dropFirstSeen(s) {
		line = cookie.AppendSetCookie(line[:0], name, s.sealed, opts)
	}
	if len(line) <= MaxCookieLine {
		if lines == nil {
			// Room for the stale chunks' lines and for the two headers a
			// commit adds (see headerVals).
			lines = make([]string, 0, 3+s.chunksIn)
		}
		lines = append(lines, string(line))
		for i := 0; i < s.chunksIn; i++ {
			lines = append(lines, string(m.appendDelete(nil, m.chunkName(i), &expire)))
		}
		return lines, nil
	}
	maxChunks := m.cfg.Cookie.MaxChunks
	if maxChunks <= 1 {
		return nil, m.tooLarge(&CookieTooLargeError{Size: len(line), Limit: MaxCookieLine})
	}
	// Split the value so that each chunk's whole line fits.
	overhead := len(line) - len(s.sealed) + len(strconv.Itoa(maxChunks)) + 1
	per := MaxCookieLine - overhead
	n := (len(s.sealed) + per - 1) / per
	if n > maxChunks {
		return nil, m.tooLarge(&CookieTooLargeError{Size: len(s.sealed), Limit: maxChunks * per})
	}
	for i := 0; i < n; i++ {
		part := s.sealed[i*per : min((i+1)*per, len(s.sealed))]
		lines = append(lines, string(cookie.AppendSetCookie(nil, m.chunkName(i), part, opts)))
	}
	for i := n; i < s.chunksIn; i++ {
		lines = append(lines, string(m.appendDelete(nil, m.chunkName(i), &expire)))
	}
	if s.plainIn {
		lines = append(lines, string(m.appendDelete(nil, name, &expire)))
	}
	return lines, nil
}
