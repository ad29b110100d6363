// Package cfkvstore is a sesh.Store on Cloudflare Workers KV, through
// Cloudflare's REST API (net/http only): an account ID, a namespace ID and
// an API token with the "Workers KV Storage" read and write permissions.
//
// # Layouts
//
// New keeps sesh's native layout; NewRemix keeps the layout of Remix's
// createWorkersKVSessionStorage, so that a Go service and a Remix app on
// Workers can share one namespace. In both, one KV pair holds one session,
// and every write is a single PUT of the value with its KV expiration and
// its KV metadata:
//
//	native  key       <prefix><key>                       (prefix "sesh:" by default)
//	        value     "<version>:<expires>:<len(userID)>:<userID><data>"
//	                  (storekit's envelope: expires in Unix milliseconds,
//	                  version random per write and not reported, since
//	                  the store has no compare-and-set)
//	        metadata  {"sesh_expires_ms":<expires>}
//	        expiration max(ceil(expires), now+65s) in Unix seconds
//
//	remix   key       <prefix><id>                        (no prefix by default: the raw ID)
//	        value     the record's data as is: the JSON object
//	                  compat/remix.Codec wrote, which Remix reads with
//	                  JSON.parse; bytes that are not UTF-8 JSON (sesh's
//	                  conformance suite stores such bytes) are wrapped as
//	                  {"__sesh_bytes":"<base64>"}
//	        metadata  {"sesh_expires_ms":<expires>}
//	        expiration max(round(expires), now+65s) in Unix seconds, what
//	                  Remix writes (Math.round(expires/1000))
//
// # Expiry
//
// Workers KV refuses an expiration less than 60 seconds ahead (HTTP 400).
// The store therefore never asks for less than now+65 s (five seconds
// for the request's transit and for clock skew), and keeps the exact
// deadline in the value (native) and in the metadata (both), to the
// millisecond: every read checks it against the store's clock, so a record
// that expires in 2 s reads as absent after 2 s although KV keeps the pair
// for another minute. A record written with a deadline already past is
// deleted instead. A pair Remix wrote has no metadata: its KV expiration
// (whole seconds) is then the deadline, and a pair Remix wrote without
// one reads with a zero Expires, as compat/remix.FileStore reads such a
// file (KV keeps it until it is deleted). KV expirations stop at 2^31-1
// seconds (January 2038, the most workerd's KV accepts): a later deadline
// is still kept exactly and checked, but KV removes the pair in 2038.
//
// # Round trips
//
// Get is one request in either layout: native a GET of the value (the
// deadline is in the envelope); Remix a POST to bulk/get for that one key
// with withMetadata, since a plain GET of a value does not return its
// metadata. Set is one PUT (multipart/form-data: the value and the
// metadata), Delete one DELETE. Len is one keys-list request per page
// (ListLimit keys, 1000 by default), using the deadline in each key's
// metadata; Range adds, per page, one GET per live key (native: values are
// bytes, which bulk/get cannot return) or one bulk/get per 100 live keys
// (Remix: values are text); Clear is a list and a bulk/delete per page.
//
// # What KV cannot do, and what that means
//
// Workers KV is eventually consistent: a write or a delete is usually
// visible at once in the Cloudflare location where it was made, but may
// take 60 seconds or more to reach the others, which serve their cached
// copy meanwhile (for instance the Workers of a Remix app sharing the
// namespace, or another instance of this service routed elsewhere). For
// sessions that means:
//
//   - Logout (Delete) is not instant everywhere: a request routed through
//     another location can still read the session for up to about a minute.
//   - Regenerate writes the new ID and deletes the old one; the old ID stays
//     readable elsewhere for as long, so a stolen pre-login ID may still be
//     accepted briefly after login.
//   - There is no compare-and-set, so the store is not a sesh.Swapper: two
//     concurrent requests that both change one session both write, and the
//     later write wins whole (the other request's changes are lost); a save
//     that races a logout can bring the session back. sesh's Manager
//     prevents both only on stores that implement sesh.Swapper.
//
// What to do about it: keep idle timeouts short; record logouts and
// password changes in a strongly consistent place and check them on every
// load (sesh.Config.Revoked, a denylist of IDs or a per-user "not before"
// time); and keep high-value sessions (administrators, payments) in a
// strongly consistent store such as redisstore or pgstore.
//
// Other limits of the service: keys are at most 512 bytes (the prefix may
// take 312 of them: sesh's keys take at most 200); values at most 25 MiB
// (ErrTooLarge, before any request); one write per second to the same key
// (a faster one may fail with HTTP 429 once the retries are spent); and
// Cloudflare's API allows 1,200 requests per five minutes per user,
// after which every call is refused with HTTP 429 for five minutes — a
// limit that suits low-traffic services and administration tools, not a
// busy site (a Worker's own KV binding has no such limit).
//
// # Errors and retries
//
// A missing key is sesh.ErrNotFound. An answer the API refuses is an
// *APIError carrying the HTTP status and Cloudflare's error codes; 401 and
// 403 (and a malformed Authorization header) also match ErrAuth, and 413
// matches ErrTooLarge. Errors never contain the API token, nor a key: a
// transport error does not quote the request's URL, and a key quoted in
// Cloudflare's message is replaced by "<key>" (in the Remix layout keys are
// raw session IDs). Responses are
// read up to a bound: a value up to MaxValueSize, a list page up to 8 MiB,
// a bulk/get up to 64 MiB (a larger one is asked for again in halves).
// Transport errors, 429 and 5xx answers are retried (Options.Retries, two
// by default) after 100 ms, then 200 ms, or after the Retry-After the API
// sent, but only while the context's deadline leaves time for the wait and
// the wait is at most 5 s; otherwise the error is returned at once. All
// requests are idempotent (PUT, DELETE, and reads), so a retry cannot apply
// a change twice.
//
// # Capabilities
//
// Both layouts implement sesh.Lister (by the keys list with the store's
// prefix and a cursor, expired records excluded). The Remix layout also
// implements sesh.Creator: it mints Remix's 16-hex-digit IDs. Neither
// implements sesh.Swapper (no compare-and-set), sesh.Toucher (moving a KV
// expiration means rewriting the value: a Touch would be a Get and a Set,
// dearer than the Set the Manager does without it) or sesh.UserIndex (no
// secondary index).
//
// # Opening by URL
//
// Importing the package registers the scheme cfkv with sesh.Open:
//
//	cfkv://[:TOKEN@]ACCOUNT_ID/NAMESPACE_ID[?layout=native|remix&prefix=…&base_url=…&token_env=NAME]
//
// The token is the URL's password (sesh.Open redacts it in errors) or, when
// the URL has none, the value of the environment variable token_env names
// (CLOUDFLARE_API_TOKEN by default). base_url replaces
// https://api.cloudflare.com/client/v4. Other parameters are refused. Open
// makes one keys-list request to check the token, account and namespace.
package cfkvstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/jsonwrap"
	"github.com/sesh-go/sesh/internal/storekit"
)

// DefaultBaseURL is Cloudflare's API, used when Options.BaseURL is empty.
const DefaultBaseURL = "https://api.cloudflare.com/client/v4"

// DefaultPrefix is the key prefix of New when Options.Prefix is empty.
// NewRemix uses no prefix by default: Remix's keys are the raw IDs.
const DefaultPrefix = "sesh:"

// DefaultRetries is the number of retries when Options.Retries is 0.
const DefaultRetries = 2

// Limits of Workers KV.
const (
	// MaxValueSize is the largest value KV stores (25 MiB).
	MaxValueSize = 25 << 20
	// MaxKeySize is the longest key name KV accepts, in bytes.
	MaxKeySize = 512
	// MinExpirationTTL is how far ahead a KV expiration must be.
	MinExpirationTTL = 60 * time.Second
	// MaxPrefixLen is the longest Options.Prefix: with sesh's longest
	// key (sesh.MaxKeyLen) it fills MaxKeySize.
	MaxPrefixLen = MaxKeySize - sesh.MaxKeyLen
)

// expiryMargin is added to MinExpirationTTL for the request's transit and
// for the skew between this clock and Cloudflare's.
const expiryMargin = 5 * time.Second

// maxExpiration is the latest KV expiration the store asks for (January
// 2038): workerd's KV binding refuses larger ones. The exact deadline, kept
// in the value and the metadata, may be later.
const maxExpiration = math.MaxInt32

// metaField names the exact deadline (Unix milliseconds) in a pair's KV
// metadata.
const metaField = "sesh_expires_ms"

var (
	// ErrAuth reports that Cloudflare refused the credentials (HTTP 401 or
	// 403, or a malformed Authorization header): check the API token, its
	// Workers KV permissions, and the account ID.
	ErrAuth = errors.New("cfkvstore: Cloudflare refused the credentials (check the API token, its Workers KV Storage permissions and the account ID)")
	// ErrTooLarge reports a value over MaxValueSize (checked before any
	// request, or answered by the API with HTTP 413).
	ErrTooLarge = errors.New("cfkvstore: value exceeds Workers KV's 25 MiB limit")
)

// Options configures a Store. AccountID, NamespaceID and APIToken are
// required.
type Options struct {
	// AccountID is the Cloudflare account that owns the namespace.
	AccountID string
	// NamespaceID is the Workers KV namespace's ID (not its title).
	NamespaceID string
	// APIToken is an API token with the Workers KV Storage read and write
	// permissions, sent as "Authorization: Bearer <token>".
	APIToken string
	// BaseURL replaces DefaultBaseURL (an API-compatible server, a test
	// engine). It must be https, or http to a loopback address.
	BaseURL string
	// Prefix namespaces the store's keys, so that several stores (several
	// applications) can share a namespace. Empty means DefaultPrefix for
	// New and no prefix for NewRemix. At most MaxPrefixLen bytes of the
	// characters sesh.ValidateKey accepts.
	Prefix string
	// HTTPClient sends the requests; nil means a client of the store's
	// own (30 s per attempt), whose idle connections Close closes. Request
	// deadlines come from the context either way.
	HTTPClient *http.Client
	// Retries is how many times a call is retried after a transport
	// error, a 429 or a 5xx answer; 0 means DefaultRetries and a negative
	// value none.
	Retries int
	// ListLimit is the page size of the keys list (10 to 1000); 0 means
	// 1000.
	ListLimit int
	// Now is the clock that expiry is checked against; nil means time.Now.
	Now func() time.Time
}

type layout int

const (
	layoutNative layout = iota
	layoutRemix
)

// Store is a sesh.Store on Workers KV in sesh's native layout (New), or
// the store inside a RemixStore. It implements sesh.Lister. It is safe for
// concurrent use.
type Store struct {
	base    string // https://…/accounts/<a>/storage/kv/namespaces/<n>
	auth    string // "Bearer <token>"
	prefix  string
	layout  layout
	client  *http.Client
	owns    bool // Close closes client's idle connections
	retries int
	limit   int
	now     func() time.Time
}

var (
	_ sesh.Store  = (*Store)(nil)
	_ sesh.Lister = (*Store)(nil)
)

// New returns a store in sesh's native layout. It does no I/O: bad options
// fail here, bad credentials at the first call (or at Ping).
func New(opts Options) (*Store, error) {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	return newStore(opts, layoutNative)
}

func newStore(opts Options, l layout) (*Store, error) {
	for _, f := range []struct{ name, v string }{{"AccountID", opts.AccountID}, {"NamespaceID", opts.NamespaceID}} {
		if !validID(f.v) {
			return nil, fmt.Errorf("cfkvstore: %s %q: want 1 to 32 letters, digits, '-' or '_' (Cloudflare's IDs are 32 hex digits)", f.name, f.v)
		}
	}
	if opts.APIToken == "" {
		return nil, errors.New("cfkvstore: no API token")
	}
	for i := 0; i < len(opts.APIToken); i++ {
		if c := opts.APIToken[i]; c <= ' ' || c >= 0x7f {
			return nil, errors.New("cfkvstore: the API token contains a space, a control or a non-ASCII character")
		}
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	base, err := checkBaseURL(base)
	if err != nil {
		return nil, err
	}
	if len(opts.Prefix) > MaxPrefixLen {
		return nil, fmt.Errorf("cfkvstore: prefix of %d bytes: at most %d, so that every key fits KV's %d bytes", len(opts.Prefix), MaxPrefixLen, MaxKeySize)
	}
	if opts.Prefix != "" && sesh.ValidateKey(opts.Prefix) != nil {
		return nil, fmt.Errorf("cfkvstore: prefix %q: only A-Z a-z 0-9 - _ : are allowed", opts.Prefix)
	}
	limit := opts.ListLimit
	if limit == 0 {
		limit = 1000
	}
	if limit < 10 || limit > 1000 {
		return nil, fmt.Errorf("cfkvstore: ListLimit %d: the keys list takes 10 to 1000", opts.ListLimit)
	}
	retries := opts.Retries
	switch {
	case retries == 0:
		retries = DefaultRetries
	case retries < 0:
		retries = 0
	case retries > 10:
		return nil, fmt.Errorf("cfkvstore: Retries %d: at most 10", retries)
	}
	s := &Store{
		base:    base + "/accounts/" + opts.AccountID + "/storage/kv/namespaces/" + opts.NamespaceID,
		auth:    "Bearer " + opts.APIToken,
		prefix:  opts.Prefix,
		layout:  l,
		client:  opts.HTTPClient,
		retries: retries,
		limit:   limit,
		now:     opts.Now,
	}
	if s.client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		s.client = &http.Client{Transport: t, Timeout: 30 * time.Second}
		s.owns = true
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

func validID(id string) bool {
	if len(id) == 0 || len(id) > 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkBaseURL returns the base URL without a trailing slash, or an error
// if it is not https (or http to a loopback host), or carries credentials,
// a query or a fragment.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("cfkvstore: base URL: %w", err)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Host == "" {
		return "", fmt.Errorf("cfkvstore: base URL %q: want scheme://host[:port][/path], without credentials, query or fragment", u.Redacted())
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", fmt.Errorf("cfkvstore: base URL %q: plain http only to a loopback address (the API token would travel in clear)", u.Redacted())
		}
	default:
		return "", fmt.Errorf("cfkvstore: base URL %q: scheme must be https", u.Redacted())
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// Close closes the idle connections of the client the store made; a
// client passed in Options.HTTPClient is left alone. The store remains
// usable.
func (s *Store) Close() error {
	if s.owns {
		s.client.CloseIdleConnections()
	}
	return nil
}

// Prefix returns the store's key prefix.
func (s *Store) Prefix() string { return s.prefix }

// Ping makes one keys-list request, which checks the token, the account
// and the namespace.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := s.listPage(ctx, "ping", "", 10)
	return err
}

func (s *Store) kvKey(key string) string { return s.prefix + key }

// valueURL is the URL of a key's value. sesh's keys and prefixes hold only
// characters that need no escaping in a path segment (':' included), so
// the URL means the same to namespaces that URL-decode keys and to those
// that do not; PathEscape still guards it.
func (s *Store) valueURL(key string) string {
	return s.base + "/values/" + url.PathEscape(s.kvKey(key))
}

// expiresMs is the exact deadline as kept: Unix milliseconds, at least 1.
func expiresMs(t time.Time) int64 { return max(t.UnixMilli(), 1) }

// kvExpiration is the KV expiration (Unix seconds) for a deadline: the
// layout's own rounding, but never less than KV accepts.
func (s *Store) kvExpiration(exp time.Time) int64 {
	ms := exp.UnixMilli()
	var sec int64
	if s.layout == layoutRemix {
		sec = int64(math.Floor(float64(ms)/1000 + 0.5)) // Math.round(expires/1000)
	} else {
		sec = ms / 1000
		if ms%1000 != 0 {
			sec++
		}
	}
	floor := s.now().Add(MinExpirationTTL + expiryMargin)
	minSec := floor.Unix()
	if floor.Nanosecond() != 0 {
		minSec++
	}
	return min(max(sec, minSec), maxExpiration)
}

// encodeValue returns the stored value of rec in the store's layout.
func (s *Store) encodeValue(rec sesh.Record) []byte {
	if s.layout == layoutRemix {
		return remixValue(rec.Data)
	}
	return storekit.AppendRecord(make([]byte, 0, 48+len(rec.UserID)+len(rec.Data)), storekit.NewVersion(), expiresMs(rec.Expires), rec.UserID, rec.Data)
}

// remixValue is the data itself if it is UTF-8 JSON (what Remix's
// JSON.parse reads, and what bulk/get can return as text), and the
// jsonwrap wrapper otherwise.
func remixValue(data []byte) []byte { return jsonwrap.Wrap(data) }

// Get returns the record under key, or sesh.ErrNotFound if it is absent
// or its deadline has passed (whatever KV's own expiration says). A value
// under the prefix that the store cannot read yields an error wrapping
// sesh.ErrCorrupt.
func (s *Store) Get(ctx context.Context, key string) (sesh.Record, error) {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return sesh.Record{}, err
	}
	if s.layout == layoutRemix {
		recs, err := s.bulkGet(ctx, "get", []string{s.kvKey(key)})
		if err != nil {
			return sesh.Record{}, err
		}
		r, ok := recs[s.kvKey(key)]
		if !ok {
			return sesh.Record{}, sesh.ErrNotFound
		}
		return r.rec, r.err
	}
	resp, err := s.do(ctx, "get", http.MethodGet, s.valueURL(key), nil, "", MaxValueSize+64<<10, s.kvKey(key))
	if err != nil {
		return sesh.Record{}, err
	}
	if resp.status == http.StatusNotFound && resp.keyNotFound() {
		return sesh.Record{}, sesh.ErrNotFound
	}
	if resp.status != http.StatusOK {
		return sesh.Record{}, resp.err("get")
	}
	rec, err := storekit.ParseRecord("cfkvstore", resp.body)
	if err != nil {
		return sesh.Record{}, err
	}
	if !s.now().Before(rec.Expires) {
		return sesh.Record{}, sesh.ErrNotFound
	}
	rec.Version = 0 // no compare-and-set: sesh.Record's contract
	return rec, nil
}

// Set writes the record under key in one PUT, with its exact deadline in
// the value or the metadata and a KV expiration at least MinExpirationTTL
// ahead. A record whose deadline has passed is deleted instead. Data over
// MaxValueSize fails with ErrTooLarge before any request.
func (s *Store) Set(ctx context.Context, key string, rec sesh.Record) error {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return err
	}
	if !s.now().Before(rec.Expires) {
		return s.Delete(ctx, key)
	}
	return s.put(ctx, "set", key, rec)
}

func (s *Store) put(ctx context.Context, op, key string, rec sesh.Record) error {
	value := s.encodeValue(rec)
	if len(value) > MaxValueSize {
		return fmt.Errorf("cfkvstore: %s: %d bytes: %w", op, len(value), ErrTooLarge)
	}
	meta, _ := json.Marshal(map[string]int64{metaField: expiresMs(rec.Expires)})
	var body bytes.Buffer
	body.Grow(len(value) + len(meta) + 512)
	w := multipart.NewWriter(&body)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="value"; filename="value"`)
	h.Set("Content-Type", "application/octet-stream")
	part, _ := w.CreatePart(h)
	part.Write(value)
	w.WriteField("metadata", string(meta))
	w.Close()
	u := s.valueURL(key) + "?expiration=" + strconv.FormatInt(s.kvExpiration(rec.Expires), 10)
	resp, err := s.do(ctx, op, http.MethodPut, u, body.Bytes(), w.FormDataContentType(), 1<<20, s.kvKey(key))
	if err != nil {
		return err
	}
	return resp.check(op)
}

// Delete removes the record under key. An absent key is not an error.
// Other Cloudflare locations may serve the deleted record for up to about
// a minute (see the package doc).
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return err
	}
	resp, err := s.do(ctx, "delete", http.MethodDelete, s.valueURL(key), nil, "", 1<<20, s.kvKey(key))
	if err != nil {
		return err
	}
	if resp.status == http.StatusNotFound && resp.keyNotFound() {
		return nil
	}
	return resp.check("delete")
}

// metaDeadline reads the exact deadline from a pair's metadata.
func metaDeadline(meta json.RawMessage) (time.Time, bool) {
	if len(meta) == 0 || meta[0] != '{' {
		return time.Time{}, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(meta, &m) != nil {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(string(m[metaField]), 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// remixDeadline is the deadline of a pair in the Remix layout: the exact
// one from the metadata, else the KV expiration Remix wrote, else none.
func remixDeadline(meta json.RawMessage, expiration float64) time.Time {
	if t, ok := metaDeadline(meta); ok {
		return t
	}
	if expiration > 0 {
		return time.Unix(int64(expiration), 0)
	}
	return time.Time{}
}

// live reports whether a pair whose deadline is exp (zero: none) is
// still live.
func (s *Store) live(exp time.Time) bool { return exp.IsZero() || s.now().Before(exp) }
