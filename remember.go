package sesh

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sesh-go/sesh/cookie"
)

// RememberConfig configures persistent login ("remember me"): a second,
// long-lived cookie that can only start a new session for its user, never
// extend one. It follows the split-token design (a selector looked up, a
// verifier compared in constant time and stored hashed) with Spring
// Security's series rotation and theft detection.
//
// At sign-in the application calls Session.Remember. The commit then
// stores a token and sends the remember cookie (HttpOnly, Secure,
// SameSite=Lax, Max-Age MaxAge). When a request has no live session but a
// valid remember cookie, the middleware starts a fresh session for the
// token's user (a new ID, Meta.Restored set, the original sign-in time kept
// as Meta.AuthTime), calls OnRestore, and rotates the verifier (single
// use). A selector presented with a wrong verifier means the cookie was
// copied and both copies were used: the whole series and every session it
// started are revoked, logged at Warn and reported to OnTheft. Requests that
// arrive together with the same just-rotated cookie (a browser reopening
// several tabs) are accepted within Grace.
//
// Tokens live in the session store (Config.Store), which must implement
// Swapper and UserIndex: a token is a record of its user, so
// EndUserSessions ends a user's tokens with their sessions, UserSessions
// lists each remembered device (SessionInfo.Remembered), and EndSession
// ends one. Destroy ends the token of the device that sent it.
// Cookie-only sessions need a Store for their tokens: set Store here.
type RememberConfig struct {
	// Store keeps the tokens; default Config.Store. It must implement
	// Swapper and UserIndex. Required with cookie-only sessions.
	Store Store
	// Cookie is the remember cookie's name and attributes. Name defaults
	// to "__Host-remember" when Secure with Path "/" and no Domain (the
	// defaults), "remember" otherwise. MaxAge is ignored: see MaxAge below.
	Cookie CookieConfig
	// MaxAge is how long a token lasts after its last use; default 30
	// days.
	MaxAge time.Duration
	// Grace is how long the verifier a rotation replaced is still
	// accepted (by requests that left the browser before the rotated cookie
	// arrived); default 30 seconds. Such a request gets a session but no
	// new remember cookie.
	Grace time.Duration
	// OnRestore, when set, runs after a session was restored from a token,
	// before the handler: fill in what your handlers expect of a signed-in
	// session (the session holds only the user ID). An error fails the
	// request through the ErrorHandler.
	OnRestore func(ctx context.Context, s *Session, userID string) error
	// OnTheft, when set, is told about a detected token theft (after the
	// series and its sessions were revoked): notify the user, say.
	OnTheft func(ctx context.Context, t RememberTheft)
}

// RememberTheft describes a detected theft of a remember-me token.
type RememberTheft struct {
	UserID string
	// Handle names the revoked token (as SessionInfo.Handle would).
	Handle string
	// Sessions is how many sessions started from the series were ended.
	Sessions int
}

// Defaults of RememberConfig.
const (
	DefaultRememberMaxAge = 30 * 24 * time.Hour
	DefaultRememberGrace  = 30 * time.Second
)

// ErrNotSignedIn is returned by Session.Remember for a session without a
// user (SetUserID first).
var ErrNotSignedIn = errors.New("sesh: the session has no user: call SetUserID before Remember")

// rememberKeyPrefix prefixes the store key of a token: its selector follows.
const rememberKeyPrefix = "rm:"

// remember is a Manager's persistent-login machinery.
type remember struct {
	cfg    RememberConfig
	store  Store
	sw     Swapper
	ui     UserIndex
	opts   func(secure bool) cookie.Options
	name   string
	maxAge time.Duration
}

// newRemember validates rc against the session configuration c.
func newRemember(c *Config) (*remember, error) {
	rc := *c.Remember
	st := rc.Store
	if st == nil {
		st = c.Store
	}
	if st == nil {
		return nil, configErr("Remember needs a Store for its tokens: cookie-only sessions have none (set Remember.Store)")
	}
	sw, ok1 := st.(Swapper)
	ui, ok2 := st.(UserIndex)
	if !ok1 || !ok2 {
		return nil, configErr("Remember keeps its tokens in a store with compare-and-set and a user index (sesh.Swapper and sesh.UserIndex); %T lacks one", st)
	}
	if rc.MaxAge < 0 || rc.Grace < 0 {
		return nil, configErr("negative Remember.MaxAge or Remember.Grace")
	}
	if rc.MaxAge == 0 {
		rc.MaxAge = DefaultRememberMaxAge
	}
	if rc.Grace == 0 {
		rc.Grace = DefaultRememberGrace
	}
	cc := rc.Cookie
	if cc.Path == "" {
		cc.Path = "/"
	}
	if cc.Name == "" {
		cc.Name = "remember"
		if cc.Secure == SecureAlways && cc.Path == "/" && cc.Domain == "" {
			cc.Name = "__Host-remember"
		}
	}
	if cc.Name == c.Cookie.Name {
		return nil, configErr("the remember cookie cannot share the session cookie's name %q", cc.Name)
	}
	opts := cc.options(cc.Secure == SecureAlways)
	opts.MaxAge, opts.Expires = 1, time.Unix(1, 0)
	if cc.Order == nil {
		opts.Order = cookie.OrderDefault
	}
	if err := cookie.Validate(cc.Name, &opts); err != nil {
		return nil, configErr("Remember.Cookie: %v", err)
	}
	rc.Cookie = cc
	r := &remember{cfg: rc, store: st, sw: sw, ui: ui, name: cc.Name, maxAge: rc.MaxAge}
	r.opts = func(secure bool) cookie.Options {
		o := cc.options(secure)
		if o.Order == nil {
			o.Order = cookie.OrderDefault
		}
		return o
	}
	return r, nil
}

// tokenData is a token record's Data.
type tokenData struct {
	Hash      []byte   `json:"h"`            // SHA-256 of the current verifier
	Prev      []byte   `json:"p,omitempty"`  // SHA-256 of the verifier it replaced
	PrevUntil int64    `json:"pu,omitempty"` // Unix ms until which Prev is accepted
	AuthTime  int64    `json:"at"`           // the original sign-in, Unix ms
	Created   int64    `json:"c"`
	LastUsed  int64    `json:"l"`
	Agent     string   `json:"a,omitempty"`
	Sessions  []string `json:"s,omitempty"` // store keys of the sessions the series started, newest last
}

// maxSeriesSessions bounds the sessions a token remembers it started.
const maxSeriesSessions = 32

func hashVerifier(v []byte) []byte {
	sum := sha256.Sum256(v)
	return sum[:]
}

// newToken returns a fresh selector and verifier (16 and 32 random bytes)
// and the cookie value "selector.verifier" in base64url.
func newToken() (selector string, verifier []byte, value string) {
	var sel [16]byte
	verifier = make([]byte, 32)
	rand.Read(sel[:])
	rand.Read(verifier)
	selector = base64.RawURLEncoding.EncodeToString(sel[:])
	return selector, verifier, selector + "." + base64.RawURLEncoding.EncodeToString(verifier)
}

// parseToken splits a cookie value into its selector and verifier; ok is
// false for anything that is not exactly one.
func parseToken(v string) (selector string, verifier []byte, ok bool) {
	sel, ver, found := strings.Cut(v, ".")
	if !found || len(sel) != 22 || len(ver) != 43 || strings.ContainsAny(v, "\r\n") {
		return "", nil, false
	}
	if _, err := rawURLStrict.DecodeString(sel); err != nil {
		return "", nil, false
	}
	verifier, err := rawURLStrict.DecodeString(ver)
	if err != nil || len(verifier) != 32 {
		return "", nil, false
	}
	return sel, verifier, true
}

var rawURLStrict = base64.RawURLEncoding.Strict()

// pendingRemember is what a request owes its remember cookie, decided at
// load and settled at commit.
type pendingRemember struct {
	issue   bool   // Session.Remember: store a new token at commit
	key     string // the token that restored this session (store key)
	version int64
	data    tokenData
	rotate  bool   // the verifier matched the current one: rotate it
	forget  bool   // Destroy: delete the token and expire the cookie
	expire  bool   // the cookie must be expired (unknown, stolen or forgotten token)
	value   string // a new cookie value to send
	fromReq string // the selector's key the request carried, "" if none
}

// Remember asks the commit to store a remember-me token for the session's
// user and to send its cookie (see RememberConfig). Call it at sign-in,
// after SetUserID. It returns ErrNotSignedIn for a session without a user,
// an error wrapping ErrConfig if the Manager has no RememberConfig, and
// ErrResponseStarted once the middleware has committed the session.
func (s *Session) Remember() error {
	if err := s.begin(); err != nil {
		s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	switch {
	case s.mgr.rem == nil:
		return configErr("Session.Remember needs Config.Remember")
	case s.data.UserID == "":
		return ErrNotSignedIn
	case s.started:
		return ErrResponseStarted
	}
	if s.rem == nil {
		s.rem = &pendingRemember{}
	}
	s.rem.issue = true
	s.meta = true
	if s.status == StatusUnmodified {
		s.status = StatusModified
	}
	return nil
}

// restore runs after load in the middleware: a request without a live
// session but with a remember cookie gets a fresh session for the token's
// user, or, for a stolen token, the series revoked. Caller holds no lock;
// s is not shared yet.
func (m *Manager) restore(ctx context.Context, s *Session, lines []string) error {
	r := m.rem
	vals := cookie.Values(lines, r.name)
	if len(vals) == 0 {
		return nil
	}
	sel, verifier, ok := parseToken(vals[0])
	if !ok {
		s.rem = &pendingRemember{expire: true}
		return nil
	}
	key := rememberKeyPrefix + sel
	if s.status != StatusNew {
		// A live session: the remember cookie waits for the day it does not.
		s.rem = &pendingRemember{fromReq: key}
		return nil
	}
	rec, err := r.store.Get(ctx, key)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
		s.rem = &pendingRemember{expire: true}
		return nil
	}
	if err != nil {
		return fmt.Errorf("sesh: load remember token: %w", err)
	}
	now := m.now()
	var td tokenData
	if json.Unmarshal(rec.Data, &td) != nil || len(td.Hash) != sha256.Size || rec.UserID == "" || !now.Before(rec.Expires) {
		// Unreadable, or expired by the Manager's clock (the store's may
		// lag behind it).
		s.rem = &pendingRemember{expire: true}
		return nil
	}
	h := hashVerifier(verifier)
	current := subtle.ConstantTimeCompare(h, td.Hash) == 1
	grace := len(td.Prev) == sha256.Size && subtle.ConstantTimeCompare(h, td.Prev) == 1 && now.UnixMilli() < td.PrevUntil
	if !current && !grace {
		return m.theft(ctx, s, key, rec.UserID, &td)
	}
	// A fresh session for the token's user: new ID at commit, original
	// sign-in time kept, marked restored.
	s.status, s.moved = StatusNew, false
	s.data = Data{UserID: rec.UserID, SignedIn: now, Restored: true, Created: now, UserAgent: s.userAgent()}
	if td.AuthTime != 0 {
		s.data.AuthTime = time.UnixMilli(td.AuthTime)
	}
	s.meta = true
	s.rem = &pendingRemember{key: key, version: rec.Version, data: td, rotate: current, fromReq: key}
	m.keyEvent(ctx, slog.LevelInfo, "session restored from a remember-me token", key)
	if r.cfg.OnRestore != nil {
		if err := r.cfg.OnRestore(ctx, s, rec.UserID); err != nil {
			return fmt.Errorf("sesh: Remember.OnRestore: %w", err)
		}
	}
	return nil
}

// theft revokes a token whose selector came with a wrong verifier, and
// every session its series started.
func (m *Manager) theft(ctx context.Context, s *Session, key, userID string, td *tokenData) error {
	r := m.rem
	if err := r.store.Delete(ctx, key); err != nil {
		return fmt.Errorf("sesh: revoke a stolen remember token: %w", err)
	}
	n := 0
	for _, sk := range td.Sessions {
		if err := m.del(ctx, sk); err == nil {
			n++
		}
	}
	m.keyEvent(ctx, slog.LevelWarn, "remember-me token used with a wrong verifier (copied cookie): the series and its sessions are revoked", key, "sessions", n)
	s.rem = &pendingRemember{expire: true}
	if r.cfg.OnTheft != nil {
		r.cfg.OnTheft(ctx, RememberTheft{UserID: userID, Handle: handle(key), Sessions: n})
	}
	return nil
}

// settleRemember stores, rotates or deletes the token after the session
// was saved. Caller holds s.mu.
func (m *Manager) settleRemember(ctx context.Context, s *Session) error {
	p := s.rem
	if p == nil || m.rem == nil {
		return nil
	}
	r := m.rem
	now := m.now()
	// The session was saved: a record (s.key), or a sealed cookie-only
	// session (s.id; it has no key, so a series cannot revoke it).
	saved := s.key != "" || (m.cfg.Store == nil && s.id != "")
	switch {
	case p.forget:
		if p.fromReq != "" {
			if err := r.store.Delete(ctx, p.fromReq); err != nil {
				return fmt.Errorf("sesh: delete remember token: %w", err)
			}
		}
		p.expire = true
		return nil
	case p.issue && saved:
		sel, verifier, value := newToken()
		td := tokenData{Hash: hashVerifier(verifier), AuthTime: s.data.AuthTime.UnixMilli(), Created: now.UnixMilli(),
			LastUsed: now.UnixMilli(), Agent: s.userAgent()}
		b, _ := json.Marshal(td)
		if _, err := r.sw.Swap(ctx, rememberKeyPrefix+sel, Record{Data: b, Expires: now.Add(r.maxAge), UserID: s.data.UserID}); err != nil {
			return fmt.Errorf("sesh: store remember token: %w", err)
		}
		if p.fromReq != "" && p.fromReq != rememberKeyPrefix+sel {
			// The device's previous token is replaced.
			_ = r.store.Delete(ctx, p.fromReq)
		}
		p.value = value
	case p.key != "" && saved:
		// A restore: record the new session in the series, and rotate the
		// verifier when the request carried the current one.
		for attempt := 0; attempt < 8; attempt++ {
			td := p.data
			if s.key != "" {
				td.Sessions = append(td.Sessions, s.key)
			}
			if len(td.Sessions) > maxSeriesSessions {
				td.Sessions = td.Sessions[len(td.Sessions)-maxSeriesSessions:]
			}
			td.LastUsed = now.UnixMilli()
			var value string
			if p.rotate {
				_, verifier, _ := newToken()
				value = p.key[len(rememberKeyPrefix):] + "." + base64.RawURLEncoding.EncodeToString(verifier)
				td.Prev, td.PrevUntil = td.Hash, now.Add(r.cfg.Grace).UnixMilli()
				td.Hash = hashVerifier(verifier)
			}
			b, _ := json.Marshal(td)
			_, err := r.sw.Swap(ctx, p.key, Record{Data: b, Expires: now.Add(r.maxAge), UserID: s.data.UserID, Version: p.version})
			switch {
			case err == nil:
				p.value = value
				return nil
			case errors.Is(err, ErrNotFound):
				// Revoked meanwhile (sign-out everywhere, theft): the new
				// session goes too.
				if s.key != "" {
					_ = m.del(ctx, s.key)
				}
				p.expire = true
				m.lostToDestroy(ctx, s)
				return nil
			case errors.Is(err, ErrConflict):
				// Another tab used the token at the same moment: take its
				// rotation and keep ours as a grace use.
				rec, gerr := r.store.Get(ctx, p.key)
				if gerr != nil {
					continue
				}
				var fresh tokenData
				if json.Unmarshal(rec.Data, &fresh) != nil {
					continue
				}
				p.data, p.version, p.rotate = fresh, rec.Version, false
			default:
				return fmt.Errorf("sesh: update remember token: %w", err)
			}
		}
		return m.conflict(ctx, "the remember-me token kept changing under this request")
	}
	return nil
}

// rememberCookies appends the remember cookie's Set-Cookie line, if one is
// owed.
func (m *Manager) rememberCookies(dst []string, s *Session) []string {
	p := s.rem
	if p == nil || m.rem == nil {
		return dst
	}
	opts := m.rem.opts(m.rem.cfg.Cookie.Secure == SecureAlways || (m.rem.cfg.Cookie.Secure == SecureAuto && s.secure))
	switch {
	case p.value != "":
		opts.MaxAge = int(m.rem.maxAge / time.Second)
		opts.Expires = m.now().Add(m.rem.maxAge)
		dst = append(dst, string(cookie.AppendSetCookie(nil, m.rem.name, p.value, &opts)))
		p.value = ""
	case p.expire:
		dst = append(dst, string(cookie.AppendExpire(nil, m.rem.name, &opts)))
		p.expire = false
	}
	return dst
}

// rememberInfos lists a user's remembered devices for UserSessions.
func (m *Manager) rememberInfos(recs map[string]Record) []SessionInfo {
	var out []SessionInfo
	for key, rec := range recs {
		if !strings.HasPrefix(key, rememberKeyPrefix) {
			continue
		}
		var td tokenData
		if json.Unmarshal(rec.Data, &td) != nil {
			continue
		}
		out = append(out, SessionInfo{Handle: handle(key), Created: time.UnixMilli(td.Created),
			LastSeen: time.UnixMilli(td.LastUsed), Expires: rec.Expires, UserAgent: td.Agent, Remembered: true})
	}
	return out
}

// RequireRecentAuth returns middleware for sensitive pages (ASVS 3.7.1):
// when the session's user signed in more than maxAge ago (a session
// restored from a remember-me token keeps the original sign-in's time), or
// is not signed in, signIn answers instead (redirect to your sign-in page;
// after the password is checked again, SetUserID with the same user resets
// the age). It must run inside the Manager's Handler.
func (m *Manager) RequireRecentAuth(maxAge time.Duration, signIn http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			age, ok := m.From(r.Context()).AuthAge()
			if !ok || age > maxAge {
				signIn.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
