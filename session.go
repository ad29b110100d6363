package sesh

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Status tells what a commit has to do with a session.
type Status uint8

const (
	// StatusNew: no record backs the session yet.
	StatusNew Status = iota
	// StatusUnmodified: loaded from the store and unchanged so far.
	StatusUnmodified
	// StatusModified: values or metadata changed since the load.
	StatusModified
	// StatusDestroyed: Destroy was called; the record is deleted at commit.
	StatusDestroyed
)

func (s Status) String() string {
	switch s {
	case StatusNew:
		return "new"
	case StatusUnmodified:
		return "unmodified"
	case StatusModified:
		return "modified"
	case StatusDestroyed:
		return "destroyed"
	}
	return "Status(" + fmt.Sprint(uint8(s)) + ")"
}

// ErrNoSession is returned by Session methods after the session failed to
// load (the store was unreachable): the session is inert, and the
// middleware answers with its ErrorHandler instead of the handler's response.
var ErrNoSession = errors.New("sesh: session unavailable")

const flashPrefix, flashSuffix = "__flash_", "__"

// FlashKey returns the key under which a flash value for key is kept,
// "__flash_<key>__", as Remix names it.
func FlashKey(key string) string { return flashPrefix + key + flashSuffix }

// op is one change this request made to a value, replayed on a fresh copy
// of the record when a compare-and-set loses.
type op struct {
	key      string
	del      bool
	raw      json.RawMessage
	deadline time.Time
	// upd, when set, is an Update: it is run again on the fresh value when
	// the commit replays this request's changes. keep: the value keeps the
	// per-value deadline it has (else deadline is set).
	upd  func(old json.RawMessage, ok bool) (json.RawMessage, error)
	keep bool
}

// Session is one user's session within one request: a bag of JSON values
// with flash values, per-value TTLs, metadata and a status. It does no I/O:
// the Manager loads and commits it. Its methods are safe for concurrent use
// by the goroutines of one request.
//
// Values are snapshots: Set encodes the value as JSON at the call, so later
// changes to the caller's object do not leak in, and a value that cannot be
// encoded fails at Set. Reads decode lazily into the type the caller asks for
// (see Get), so no type registration is ever needed.
type Session struct {
	mu  sync.Mutex
	mgr *Manager

	id      string // session ID (secret); "" until minted
	key     string // store key of the loaded record; "" if none
	version int64  // record version for Swapper stores
	expires time.Time
	status  Status

	data    Data
	ops     []op  // changes made in this request, the last per value key
	opsBuf  [2]op // ops' first backing array: most requests change a key or two
	cleared bool  // Clear was called: replay starts from empty
	meta    bool  // metadata changed

	regen      bool   // a new ID is minted at commit
	regenFrom  string // store key the regenerated session moves from (Swapper stores)
	regenVer   int64  // its version when loaded
	moved      bool   // the cookie named a session that Regenerate moved away
	started    bool   // the middleware committed: the response has started
	lockable   bool   // the middleware serves it: Config.Serialize applies
	locked     bool   // this request holds the session's lock
	lockKey    string
	lockVer    int64
	dead       []string         // store keys to delete at commit
	touch      bool             // refresh the expiry at commit even if not due
	fromReq    bool             // a session cookie came with the request
	secure     bool             // Secure attribute for this request
	cookieDue  bool             // a Set-Cookie is owed even if nothing else changes
	expireDue  bool             // the client's cookie must be expired
	accessed   bool             // the handler used the session (Vary: Cookie)
	loadedLive bool             // a live session was loaded (Cache-Control)
	destroyed  bool             // Destroy was called in this request (Clear-Site-Data)
	wrote      bool             // the session was written in this request (Resave writes once)
	outside    bool             // the request path is outside the cookie's Path: no session
	req        *http.Request    // the request (nil for Load and LoadID); its User-Agent is read when a session is created
	rem        *pendingRemember // persistent login: what the commit owes the remember cookie
	ck         *CookieConfig    // Config.CookieFor's cookie for this request; nil: Config.Cookie

	commitExp time.Time // this commit's cookie and record expiry (CommitWith)

	// cookie-only sessions
	sealed   string // sealed value to send
	reseal   bool   // opened with an older key: re-seal with the current one
	plainIn  bool   // the request carried the unchunked cookie
	chunksIn int    // chunk cookies the request carried
	// firstSeen: Created was first set in this request, on a session a peer
	// created; it is left out if the cookie would not fit with it.
	firstSeen bool

	lazy    func() error // pending lazy load
	loadErr error
}

func (s *Session) begin() error {
	s.mu.Lock()
	s.accessed = true
	if s.lazy != nil {
		f := s.lazy
		s.lazy = nil
		s.loadErr = f()
	}
	return s.loadErr
}

func (s *Session) now() time.Time { return s.mgr.now() }

// live reports whether the value under k exists and has not expired.
func (s *Session) live(k string) (json.RawMessage, bool) {
	raw, ok := s.data.Values[k]
	if !ok {
		return nil, false
	}
	if d, ok := s.data.Deadlines[k]; ok && !s.now().Before(d) {
		return nil, false
	}
	return raw, true
}

func (s *Session) modified() {
	if s.status == StatusUnmodified {
		s.status = StatusModified
	}
	if s.status == StatusDestroyed {
		// Writing after Destroy starts a fresh session under a new ID.
		s.status = StatusNew
		s.id = ""
		s.key = ""
		s.version = 0
		s.data = Data{}
		s.expireDue = false
	}
}

// record notes the change of k; a request changes few keys, so a slice
// with a linear search beats a map (and allocates far less).
func (s *Session) record(k string, o op) {
	o.key = k
	for i := range s.ops {
		if s.ops[i].key == k {
			s.ops[i] = o
			return
		}
	}
	if s.ops == nil {
		s.ops = s.opsBuf[:0]
	}
	s.ops = append(s.ops, o)
}

// checkSize refuses a single value that alone passes Config.MaxSize.
func (s *Session) checkSize(raw json.RawMessage) error {
	if limit := s.mgr.cfg.MaxSize; limit > 0 && s.mgr.sealer == nil && len(raw) > limit {
		return &SizeError{Size: len(raw), Limit: limit}
	}
	return nil
}

// cannotReachCookie reports whether a change now would need a Set-Cookie
// that the response, already started, can no longer carry. Caller holds s.mu.
func (s *Session) cannotReachCookie() bool {
	return s.started && (s.status == StatusNew || s.status == StatusDestroyed || s.regen)
}

// put sets k to raw with the per-value deadline (zero: none). Setting a
// value to exactly what it holds, with the same deadline, changes nothing
// (as express-session, which compares a hash of the session): no write, no
// cookie. It reports whether anything changed.
func (s *Session) put(k string, raw json.RawMessage, deadline time.Time) bool {
	if s.status == StatusUnmodified || s.status == StatusModified {
		if old, ok := s.data.Values[k]; ok && bytes.Equal(old, raw) && s.data.Deadlines[k].Equal(deadline) {
			return false
		}
	}
	s.modified()
	if s.data.Values == nil {
		s.data.Values = make(map[string]json.RawMessage)
	}
	s.data.Values[k] = raw
	if deadline.IsZero() {
		delete(s.data.Deadlines, k)
	} else {
		if s.data.Deadlines == nil {
			s.data.Deadlines = make(map[string]time.Time)
		}
		s.data.Deadlines[k] = deadline
	}
	s.record(k, op{raw: raw, deadline: deadline})
	return true
}

func (s *Session) remove(k string) {
	if _, ok := s.data.Values[k]; !ok {
		return
	}
	s.modified()
	delete(s.data.Values, k)
	delete(s.data.Deadlines, k)
	s.record(k, op{del: true})
}

func encodeValue(v any) (json.RawMessage, error) {
	if raw, ok := v.(json.RawMessage); ok {
		if !json.Valid(raw) {
			return nil, errors.New("sesh: invalid json.RawMessage value")
		}
		return slices.Clone(raw), nil
	}
	if raw, ok := appendSimple(nil, v); ok {
		return raw, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sesh: value cannot be stored: %w", err)
	}
	return raw, nil
}

// appendSimple appends the JSON of the commonest session values (integers,
// booleans, short strings that need no escaping) exactly as json.Marshal
// writes them, without reflection. ok is false for anything else.
func appendSimple(dst []byte, v any) (_ []byte, ok bool) {
	switch x := v.(type) {
	case int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), true
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), true
	case uint64:
		return strconv.AppendUint(dst, x, 10), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case string:
		// json.Marshal escapes the others (and rewrites non-ASCII it finds
		// invalid): leave them to it.
		if !htmlSafeASCII(x) {
			return dst, false
		}
		if dst == nil {
			dst = make([]byte, 0, len(x)+2)
		}
		dst = append(dst, '"')
		dst = append(dst, x...)
		return append(dst, '"'), true
	}
	return dst, false
}

func validValueKey(key string) error {
	if key == "" {
		return errors.New("sesh: empty value key")
	}
	if strings.HasPrefix(key, flashPrefix) && strings.HasSuffix(key, flashSuffix) {
		return fmt.Errorf("sesh: value key %q is reserved for flash values", key)
	}
	return nil
}

// Set stores a JSON snapshot of value under key. It fails, changing
// nothing, if value cannot be encoded as JSON or key is empty or has the
// flash form "__flash_…__".
func (s *Session) Set(key string, value any) error {
	return s.SetTTL(key, value, 0)
}

// SetTTL is Set with a per-value lifetime, as Astro's set(key, value, {ttl}):
// after ttl the value reads as absent, and it is dropped at the next save.
// ttl <= 0 means no per-value lifetime.
func (s *Session) SetTTL(key string, value any, ttl time.Duration) error {
	if err := validValueKey(key); err != nil {
		return err
	}
	raw, err := encodeValue(value)
	if err != nil {
		return err
	}
	if err := s.checkSize(raw); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	if s.cannotReachCookie() {
		return ErrResponseStarted
	}
	var deadline time.Time
	if ttl > 0 {
		deadline = s.now().Add(ttl)
	}
	s.put(key, raw, deadline)
	return nil
}

// Flash stores a value that the next read of key returns once and then
// removes, as Remix's session.flash. A plain value under the same key
// shadows it.
func (s *Session) Flash(key string, value any) error {
	if err := validValueKey(key); err != nil {
		return err
	}
	raw, err := encodeValue(value)
	if err != nil {
		return err
	}
	if err := s.checkSize(raw); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	if s.cannotReachCookie() {
		return ErrResponseStarted
	}
	s.put(FlashKey(key), raw, time.Time{})
	return nil
}

// getRaw returns the JSON of key: the plain value if present, else the
// flash value, which it consumes.
func (s *Session) getRaw(key string) (json.RawMessage, error) {
	if err := s.begin(); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	defer s.mu.Unlock()
	if raw, ok := s.live(key); ok {
		return raw, nil
	}
	if fk, raw, ok := s.liveFlash(key); ok {
		s.remove(fk)
		return raw, nil
	}
	return nil, ErrNotFound
}

// liveFlash is live(FlashKey(key)), without building the flash key's
// string unless the session holds it.
func (s *Session) liveFlash(key string) (fk string, raw json.RawMessage, ok bool) {
	if len(s.data.Values) == 0 {
		return "", nil, false
	}
	var buf [64]byte
	b := append(append(append(buf[:0], flashPrefix...), key...), flashSuffix...)
	if _, ok := s.data.Values[string(b)]; !ok {
		return "", nil, false
	}
	fk = string(b)
	raw, ok = s.live(fk)
	return fk, raw, ok
}

// Raw returns the JSON document stored under key (consuming a flash value),
// or ErrNotFound.
func (s *Session) Raw(key string) (json.RawMessage, error) {
	raw, err := s.getRaw(key)
	if err != nil {
		return nil, err
	}
	return slices.Clone(raw), nil
}

// Get returns the value under key decoded into the natural Go type of its
// JSON (string, float64, bool, nil, []any, map[string]any), consuming a
// flash value. ok is false if the key is absent or expired. For typed reads
// use the generic function Get.
func (s *Session) Get(key string) (value any, ok bool) {
	raw, err := s.getRaw(key)
	if err != nil {
		return nil, false
	}
	if json.Unmarshal(raw, &value) != nil {
		return nil, false
	}
	return value, true
}

// Has reports whether key holds a plain or a flash value. It does not
// consume a flash value.
func (s *Session) Has(key string) bool {
	if s.begin() != nil {
		s.mu.Unlock()
		return false
	}
	defer s.mu.Unlock()
	if _, ok := s.live(key); ok {
		return true
	}
	_, _, ok := s.liveFlash(key)
	return ok
}

// Delete removes the plain value under key. A flash value under the same
// key stays (as Remix's unset).
func (s *Session) Delete(key string) {
	if s.begin() != nil {
		s.mu.Unlock()
		return
	}
	defer s.mu.Unlock()
	s.remove(key)
}

// Keys returns the keys of the live plain values, sorted. Flash values are
// not listed.
func (s *Session) Keys() []string {
	if s.begin() != nil {
		s.mu.Unlock()
		return nil
	}
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.data.Values))
	for _, k := range sortedKeys(s.data.Values) {
		if strings.HasPrefix(k, flashPrefix) && strings.HasSuffix(k, flashSuffix) {
			continue
		}
		if _, ok := s.live(k); ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// FlashKeys returns the keys of the flash values waiting to be read,
// sorted, as passed to Flash (without the __flash_…__ wrapping). Listing
// them does not consume them; Get does.
func (s *Session) FlashKeys() []string {
	if s.begin() != nil {
		s.mu.Unlock()
		return nil
	}
	defer s.mu.Unlock()
	var keys []string
	for _, k := range sortedKeys(s.data.Values) {
		inner, ok := strings.CutPrefix(k, flashPrefix)
		if !ok || !strings.HasSuffix(inner, flashSuffix) || len(inner) < len(flashSuffix) {
			continue
		}
		if _, ok := s.live(k); ok {
			keys = append(keys, strings.TrimSuffix(inner, flashSuffix))
		}
	}
	return keys
}

// Len returns the number of live values, flash values included.
func (s *Session) Len() int {
	if s.begin() != nil {
		s.mu.Unlock()
		return 0
	}
	defer s.mu.Unlock()
	n := 0
	for k := range s.data.Values {
		if _, ok := s.live(k); ok {
			n++
		}
	}
	return n
}

// Clear removes every value, flash values included. The session itself
// (its ID and metadata) stays.
func (s *Session) Clear() {
	if s.begin() != nil {
		s.mu.Unlock()
		return
	}
	defer s.mu.Unlock()
	if len(s.data.Values) == 0 {
		return
	}
	s.modified()
	s.data.Values = nil
	s.data.Deadlines = nil
	s.ops = nil
	s.cleared = true
}

// Status returns the session's status.
func (s *Session) Status() Status {
	if s.begin() != nil {
		s.mu.Unlock()
		return StatusNew
	}
	defer s.mu.Unlock()
	return s.status
}

// Changed returns the keys set or deleted in this request, sorted (flash
// keys in their stored form).
func (s *Session) Changed() []string {
	if s.begin() != nil {
		s.mu.Unlock()
		return nil
	}
	defer s.mu.Unlock()
	keys := make([]string, len(s.ops))
	for i, o := range s.ops {
		keys[i] = o.key
	}
	slices.Sort(keys)
	return keys
}

// Err returns the error that kept the session from loading, or nil.
func (s *Session) Err() error {
	err := s.begin()
	s.mu.Unlock()
	return err
}

// ID returns the session ID, or "" for a session that has not been saved
// yet (the ID is minted at the first commit). The ID is a bearer secret:
// never log it or put it in a URL.
func (s *Session) ID() string {
	if s.begin() != nil {
		s.mu.Unlock()
		return ""
	}
	defer s.mu.Unlock()
	if s.regen {
		return ""
	}
	return s.id
}

// Meta is the metadata kept beside a session's values.
type Meta struct {
	Created   time.Time // first save; zero for a new session
	Expires   time.Time // when the stored record (or sealed cookie) expires: idle or absolute deadline
	Absolute  time.Time // created + absolute timeout; zero if off or new
	UserID    string
	SignedIn  time.Time // when SetUserID last tied the session to a user (or a remember-me token restored it)
	AuthTime  time.Time // when the user last really signed in (kept by restores and Regenerate)
	Restored  bool      // started from a remember-me token
	UserAgent string
	Persist   time.Duration
}

func (m *Manager) meta(d *Data, expires time.Time) Meta {
	md := Meta{Created: d.Created, Expires: expires, UserID: d.UserID, SignedIn: d.SignedIn,
		AuthTime: d.AuthTime, Restored: d.Restored, UserAgent: d.UserAgent, Persist: d.Persist}
	if !md.Created.IsZero() && m.absolute > 0 {
		md.Absolute = md.Created.Add(m.absolute)
	}
	return md
}

// Meta returns the session's metadata.
func (s *Session) Meta() Meta {
	if s.begin() != nil {
		s.mu.Unlock()
		return Meta{}
	}
	defer s.mu.Unlock()
	return s.mgr.meta(&s.data, s.expires)
}

// SetUserID ties the session to a user, for listing and ending a user's
// sessions (Manager.UserSessions) and for revocation (Config.Revoked sees
// Meta.UserID and Meta.SignedIn, the time of this call). Call it at
// sign-in; "" unties the session at sign-out.
//
// When the user changes (sign-in, sign-out, another user), SetUserID also
// regenerates the session ID, as Django's login() does, so a session
// planted before sign-in is worth nothing after it. Pass KeepID() to keep
// the ID (for a peer that cannot follow a new ID, say). It returns
// ErrResponseStarted, changing nothing, once the middleware has committed
// the session.
func (s *Session) SetUserID(userID string, opts ...SignInOption) error {
	if err := s.begin(); err != nil {
		s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	var o signIn
	for _, f := range opts {
		f(&o)
	}
	if s.data.UserID != userID && !o.keepID {
		if err := s.regenerate(); err != nil {
			return err
		}
	} else if s.started && s.status == StatusNew {
		return ErrResponseStarted
	}
	s.modified()
	s.data.UserID = userID
	s.data.SignedIn, s.data.AuthTime, s.data.Restored = time.Time{}, time.Time{}, false
	if userID != "" {
		s.data.SignedIn = s.now()
		s.data.AuthTime = s.data.SignedIn
	}
	s.meta = true
	return nil
}

// AuthAge returns how long ago the user last really signed in (SetUserID),
// and false if the session has no sign-in time (anonymous). A session
// restored from a remember-me token keeps the original sign-in's time, so
// its AuthAge grows: ask for the password again before sensitive actions
// (ASVS 3.7.1; see Manager.RequireRecentAuth). Calling SetUserID with the
// same user after re-checking the password resets it.
func (s *Session) AuthAge() (time.Duration, bool) {
	if s.begin() != nil {
		s.mu.Unlock()
		return 0, false
	}
	defer s.mu.Unlock()
	if s.data.AuthTime.IsZero() {
		return 0, false
	}
	return s.now().Sub(s.data.AuthTime), true
}

// SignInOption changes what SetUserID does.
type SignInOption func(*signIn)

type signIn struct{ keepID bool }

// KeepID makes SetUserID keep the session ID instead of regenerating it.
// Only for a session whose ID was minted after the user proved who they
// are (otherwise it opens the door to session fixation).
func KeepID() SignInOption { return func(o *signIn) { o.keepID = true } }

// BrowserSession, passed to Persist, makes one session's cookie a
// browser-session cookie even when CookieConfig.MaxAge is set (express's
// req.session.cookie.expires = null).
const BrowserSession time.Duration = -time.Millisecond

// Persist makes the session cookie persistent for d ("remember me"): the
// cookie then carries Max-Age/Expires of min(d, the absolute deadline).
// BrowserSession makes it a browser-session cookie; 0 returns to the
// Manager's configured cookie lifetime. It only lengthens the cookie: the
// server-side idle and absolute timeouts still end the session.
func (s *Session) Persist(d time.Duration) {
	if s.begin() != nil {
		s.mu.Unlock()
		return
	}
	defer s.mu.Unlock()
	if d < 0 {
		d = BrowserSession
	}
	if s.data.Persist == d {
		return
	}
	s.modified()
	s.data.Persist = d
	s.meta = true
	s.cookieDue = true
}

// Regenerate gives the session a new ID at commit, keeping its data and
// its absolute deadline; the old record is deleted. Call it whenever the
// privilege level changes (sign-in, sign-out, role change): it is the
// defence against session fixation. SetUserID calls it for you.
//
// With a store that implements Swapper, the move is conditional on the old
// record: a regenerate racing a Destroy (logout, EndSession,
// EndUserSessions) loses, and the session stays destroyed. The old key then
// holds a short-lived tombstone, so that a request still carrying the old
// cookie neither resurrects the session nor expires the new cookie.
//
// It returns ErrResponseStarted (and changes nothing) once the middleware
// has committed the session, and the load error if the session failed to
// load.
func (s *Session) Regenerate() error {
	if err := s.begin(); err != nil {
		s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	return s.regenerate()
}

// regenerate is Regenerate with s.mu held and the session loaded.
func (s *Session) regenerate() error {
	if s.started {
		return ErrResponseStarted
	}
	if s.status == StatusDestroyed {
		return nil
	}
	if s.key != "" {
		if s.regenFrom == "" && s.mgr.swapper != nil && s.status != StatusNew {
			s.regenFrom, s.regenVer = s.key, s.version
		} else {
			s.dead = append(s.dead, s.key)
		}
	}
	s.regen = true
	s.key = ""
	s.version = 0
	s.meta = true
	if s.status == StatusUnmodified {
		s.status = StatusModified
	}
	return nil
}

// Destroy deletes the session at commit and expires the client's cookie.
// Values set afterwards in the same request start a new session with a new
// ID. After the middleware has committed the session it still deletes the
// record (at the end of the request), but the cookie cannot be expired any
// more: it then returns ErrResponseStarted.
func (s *Session) Destroy() error {
	if err := s.begin(); err != nil {
		s.mu.Unlock()
		return err
	}
	defer s.mu.Unlock()
	if s.key != "" {
		s.dead = append(s.dead, s.key)
	}
	if s.regenFrom != "" {
		s.dead = append(s.dead, s.regenFrom)
		s.regenFrom, s.regenVer = "", 0
	}
	s.destroyed = true
	if s.rem != nil {
		s.rem.forget = true
		s.rem.issue = false
	}
	s.expireDue = s.fromReq || s.id != ""
	s.status = StatusDestroyed
	s.id, s.key, s.version = "", "", 0
	s.data = Data{}
	s.ops = nil
	s.cleared = false
	s.regen = false
	s.cookieDue = false
	if s.started {
		return ErrResponseStarted
	}
	return nil
}

// Touch asks the commit to push the idle deadline forward even if it is not
// yet due (as express-session's touch).
func (s *Session) Touch() {
	if s.begin() != nil {
		s.mu.Unlock()
		return
	}
	defer s.mu.Unlock()
	s.touch = true
}

// Lookup returns the value under key decoded into T, consuming a flash
// value. It returns an error wrapping ErrNotFound if the key is absent or
// expired, and a *ValueTypeError (errors.Is(err, ErrWrongType)) if the
// stored value does not decode into T.
func Lookup[T any](s *Session, key string) (T, error) {
	raw, err := s.getRaw(key)
	if err != nil {
		var zero T
		if errors.Is(err, ErrNotFound) {
			err = errNoValue(key)
		}
		return zero, err
	}
	var v T
	err = decodeValue(key, raw, &v)
	return v, err
}

// decodeValue decodes the stored JSON of key into *p.
func decodeValue[T any](key string, raw json.RawMessage, p *T) error {
	if decodeSimple(raw, p) {
		return nil
	}
	if err := json.Unmarshal(raw, p); err != nil {
		var zero T
		*p = zero
		return &ValueTypeError{Key: key, Type: reflect.TypeFor[T](), JSON: jsonKind(raw), Err: err}
	}
	return nil
}

// decodeSimple decodes the commonest values (a plain integer into an int
// or int64, a string without escapes into a string, a boolean) as
// json.Unmarshal would, without reflection. It reports false, leaving *p
// alone, for anything else: json.Unmarshal then decides, and reports the
// error if there is one.
func decodeSimple(raw json.RawMessage, p any) bool {
	switch v := p.(type) {
	case *int:
		n, ok := parseJSONInt(raw)
		if ok && int64(int(n)) == n {
			*v = int(n)
		}
		return ok && int64(int(n)) == n
	case *int64:
		n, ok := parseJSONInt(raw)
		if ok {
			*v = n
		}
		return ok
	case *bool:
		switch string(raw) {
		case "true":
			*v = true
			return true
		case "false":
			*v = false
			return true
		}
	case *string:
		if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
			return false
		}
		body := raw[1 : len(raw)-1]
		if !plainString(body) {
			return false // escapes, control bytes, invalid UTF-8: json.Unmarshal's job
		}
		*v = string(body)
		return true
	}
	return false
}

// parseJSONInt parses a JSON number that is a plain integer (-?digits, no
// leading zero, no fraction or exponent) within int64.
func parseJSONInt(raw []byte) (int64, bool) {
	b := raw
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 || (b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	switch {
	case neg && n <= 1<<63:
		return int64(-n), true
	case !neg && n < 1<<63:
		return int64(n), true
	}
	return 0, false
}

// Get returns the value under key decoded into T, consuming a flash value.
// ok is false if the key is absent or expired, or if the stored value does
// not decode into T; the latter is a bug in the application, so it is also
// logged at Warn (with the key, never the value). Use Lookup to tell the
// cases apart in code.
func Get[T any](s *Session, key string) (v T, ok bool) {
	raw, err := s.getRaw(key)
	if err != nil {
		return v, false // absent, or the session failed to load
	}
	if err := decodeValue(key, raw, &v); err != nil {
		te := err.(*ValueTypeError)
		s.mgr.event(context.Background(), slog.LevelWarn, "session value has another type: Get returns false (use Lookup to see the error)", "", "key", key, "stored", te.JSON, "want", te.Type.String())
		return v, false
	}
	return v, true
}
