// Package memcachestore is a sesh.Store on memcached, through
// github.com/bradfitz/gomemcache. The application passes its own
// *memcache.Client (one server or several: gomemcache picks the server of a
// key by hashing it).
//
// # Item layout
//
// A record is one memcached item:
//
//	key:    <prefix><base64url(SHA-256(session key))>
//	        (prefix default "sesh:"; the hash is 43 bytes, unpadded
//	        base64url, so every item key of a store has the same length and
//	        a prefix of up to 207 bytes keeps it within memcached's 250)
//	value:  "<version>:<expires>:<len(userID)>:<userID><data>"
//	        (expires in Unix milliseconds: storekit's envelope)
//	flags:  0
//	exptime: see Expiry below
//
// Hashing makes the item key fixed-length and free of anything memcached
// could misread, whatever the session key; it also means that the item keys
// of a memcached dump do not reveal the session keys.
//
// # Expiry
//
// The exact deadline is the one in the value, checked against the store's
// clock (Options.Now) on every read, by every method: an item memcached
// still holds past that instant is absent to the store. memcached's own
// exptime only frees the memory, and is chosen so that memcached never drops
// a record before its deadline: with d the time left,
//
//   - d rounded up to whole seconds, plus one second (memcached's clock ticks
//     once a second, so an item can otherwise go up to a second early), as a
//     relative exptime when that is at most 30 days (memcached's limit for
//     relative times);
//   - otherwise the absolute Unix second of the deadline rounded up, plus
//     one, which memcached reads against its own wall clock;
//   - 0 (no exptime: the item stays until memcached evicts it) for deadlines
//     past 2038-01-19, which an absolute exptime cannot express.
//
// A Set or Swap with a deadline already past removes the record (Set by
// delete, Swap by writing an item memcached treats as expired at once, with
// the compare-and-set of the swap).
//
// # Capabilities
//
// Store implements sesh.Swapper with memcached's CAS: Swap reads the item
// with gets, compares the version in its value, and writes with cas (add
// when the key is absent), so a write between the two steps makes the swap
// fail with sesh.ErrConflict. It implements sesh.Toucher the same way:
// Touch reads the item and writes it back with the new deadline and the
// same version, by cas, retrying if another write came in between
// (memcached's own touch would move the exptime but leave the deadline in
// the value stale). Touch therefore sends the data back to memcached: two
// round trips, like Swap. The servers must keep CAS uniques (memcached's
// default; not -C): Swap and Touch fail with ErrNoCAS otherwise.
//
// It does not implement sesh.Lister, because memcached cannot enumerate its
// keys (there is no supported scan; the item keys are hashes anyway), nor
// sesh.UserIndex, because an index per user would be a second item that
// memcached may evict independently of the records, so it could silently
// miss sessions. Record.UserID is still stored and returned.
//
// # Size limit
//
// memcached refuses items larger than its item size limit (its -I option, 1
// MiB by default) and, on a refused set (not cas), also drops the item the
// key held.
// The store refuses such a record itself, before any I/O, with a
// *TooLargeError: Options.MaxItemSize is the server's limit, and the value
// may use all of it but the item key and 128 bytes for memcached's item
// header. If memcached refuses a value anyway (a server with a smaller
// limit), the error is a *TooLargeError too.
//
// # Contexts
//
// gomemcache has no context-aware calls: a call runs until its socket
// timeout (memcache.Client.Timeout, per read or write). The store runs each
// call on a goroutine and returns as soon as the context is done, with an
// error wrapping ctx.Err(); the abandoned call finishes in the background
// within the client's timeout, and Close waits for it. A call abandoned
// this way may or may not have reached memcached. With a context that can
// never end (context.Background) the call runs on the caller's goroutine.
// Get, Set and Delete are one round trip each; Swap and Touch two.
//
// # Opening by URL
//
// Importing the package registers the scheme memcache with sesh.Open:
//
//	memcache://host[:port][,host[:port]…][?prefix=app:sess:&timeout=1s&max_idle_conns=64&max_item_size=1m]
//
// The port defaults to 11211 (Go's URL parser wants a port on the last
// server of a list whose others have one, and takes a bracketed IPv6
// address only as the single server). prefix is Options.Prefix; timeout is
// the client's socket timeout (a Go duration, default gomemcache's 500ms);
// max_idle_conns is the idle connections kept per server (default 64, where
// gomemcache's is 2); max_item_size is Options.MaxItemSize, in bytes or with
// a k or m suffix as memcached's -I takes it. Unknown or repeated parameters, user info (memcached's text
// protocol has no authentication), a path or a fragment are refused. The
// store opened by URL owns its client; Open checks that every server
// answers.
package memcachestore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/storekit"
)

const pkg = "memcachestore"

// DefaultPrefix is the item key prefix when Options.Prefix is empty.
const DefaultPrefix = "sesh:"

// DefaultMaxItemSize is memcached's default item size limit (-I 1m).
const DefaultMaxItemSize = 1 << 20

const (
	// hashLen is the length of base64url(SHA-256(key)), unpadded.
	hashLen = 43
	// maxKeyLen is memcached's limit on item keys.
	maxKeyLen = 250
	// MaxPrefixLen is the longest Options.Prefix: the prefix and the hash
	// fill memcached's 250-byte key limit.
	MaxPrefixLen = maxKeyLen - hashLen
	// itemOverhead is what the store reserves, beside the item key, for
	// memcached's item header (about 50 bytes in memcached 1.6, CAS
	// included) and the value's trailing CRLF.
	itemOverhead = 128
	// minItemSize is memcached's smallest -I.
	minItemSize = 1024
	// maxRelative is memcached's REALTIME_MAXDELTA: an exptime above it is
	// an absolute Unix time.
	maxRelative = 30 * 24 * 60 * 60
	// expireNow makes memcached treat an item as expired at once.
	expireNow = -1
	// touchAttempts bounds Touch's retries when other writes keep winning.
	touchAttempts = 8
)

// ErrClosed is returned by every method of a Store after Close.
var ErrClosed = errors.New("memcachestore: store is closed")

// ErrNoCAS is returned by Swap and Touch when memcached sends no CAS
// unique with an item: the server runs with CAS disabled (-C), under which
// its cas command would overwrite whatever the key holds, so the store
// refuses to write rather than lose updates.
var ErrNoCAS = errors.New("memcachestore: memcached returned no CAS unique (is it running with -C?): Swap and Touch need CAS")

// TooLargeError reports a record whose memcached item would exceed the
// server's item size limit. Nothing was written (when the store refused
// it), or memcached refused it (Server is true; memcached then also dropped
// what the key held).
type TooLargeError struct {
	// Size is the length of the value the record needs (envelope included).
	Size int
	// Max is the largest value that fits under Options.MaxItemSize with this
	// item key, or 0 when the server refused the value.
	Max int
	// Server is true when memcached, not the store, refused the value.
	Server bool
}

func (e *TooLargeError) Error() string {
	if e.Server {
		return fmt.Sprintf("memcachestore: memcached refused a %d-byte value: object too large for cache (the server's item size limit, -I, is below Options.MaxItemSize)", e.Size)
	}
	return fmt.Sprintf("memcachestore: record needs a %d-byte value, over the %d bytes that fit in a memcached item (Options.MaxItemSize; memcached's -I)", e.Size, e.Max)
}

// Options configures a Store. The zero value is usable.
type Options struct {
	// Prefix starts every item key of the store, so that several stores
	// (several applications) can share one memcached. Empty means
	// DefaultPrefix. At most MaxPrefixLen bytes of printable ASCII (no
	// space, no control character: memcached keys cannot hold them).
	Prefix string
	// Now is the clock that decides expiry; nil means time.Now.
	Now func() time.Time
	// MaxItemSize is the memcached servers' item size limit (memcached's
	// -I), in bytes; 0 means DefaultMaxItemSize. A record that cannot fit
	// fails with a *TooLargeError before any I/O.
	MaxItemSize int
}

// Store is a sesh.Store on memcached. It implements sesh.Swapper and
// sesh.Toucher. It is safe for concurrent use.
type Store struct {
	c       *memcache.Client
	prefix  string
	now     func() time.Time
	maxItem int
	owns    bool // Close closes c

	mu     sync.RWMutex // guards closed against wg.Add racing Close's wg.Wait
	closed bool
	wg     sync.WaitGroup // calls in flight, abandoned ones included
}

var (
	_ sesh.Store   = (*Store)(nil)
	_ sesh.Swapper = (*Store)(nil)
	_ sesh.Toucher = (*Store)(nil)
)

// New returns a Store over client. The caller keeps ownership of client:
// Close does not close it. New does no I/O; it fails on a nil client, a
// prefix memcached keys cannot hold, or a MaxItemSize below memcached's
// minimum (1024 bytes).
func New(client *memcache.Client, opts Options) (*Store, error) {
	if client == nil {
		return nil, errors.New("memcachestore: nil *memcache.Client")
	}
	if err := validate(&opts); err != nil {
		return nil, err
	}
	return &Store{c: client, prefix: opts.Prefix, now: opts.Now, maxItem: opts.MaxItemSize}, nil
}

// validate checks opts and fills in the defaults.
func validate(opts *Options) error {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if len(opts.Prefix) > MaxPrefixLen {
		return fmt.Errorf("memcachestore: Options.Prefix is %d bytes, over %d (with the %d-byte hash it would pass memcached's %d-byte key limit)",
			len(opts.Prefix), MaxPrefixLen, hashLen, maxKeyLen)
	}
	for i := 0; i < len(opts.Prefix); i++ {
		if c := opts.Prefix[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("memcachestore: Options.Prefix %q: byte %#x at %d is not printable ASCII (memcached keys hold no space or control character)", opts.Prefix, c, i)
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch {
	case opts.MaxItemSize == 0:
		opts.MaxItemSize = DefaultMaxItemSize
	case opts.MaxItemSize < minItemSize:
		return fmt.Errorf("memcachestore: Options.MaxItemSize %d is below memcached's smallest item size limit (%d bytes)", opts.MaxItemSize, minItemSize)
	}
	return nil
}

// Close waits for the calls in flight (those abandoned when their context
// ended included; each is bounded by the client's timeout), then closes the
// client if the store opened it (sesh.Open). Every method fails with
// ErrClosed afterwards. Closing twice is not an error.
func (s *Store) Close() error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	s.wg.Wait()
	if s.owns && !already {
		return s.c.Close()
	}
	return nil
}

// Client returns the client the store uses.
func (s *Store) Client() *memcache.Client { return s.c }

// itemKey is the memcached key of a session key.
func (s *Store) itemKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return s.prefix + base64.RawURLEncoding.EncodeToString(sum[:])
}

// maxValue is the longest value that fits in an item under ik.
func (s *Store) maxValue(ik string) int { return s.maxItem - len(ik) - itemOverhead }

// do runs fn, returning early with ctx.Err() when ctx ends first. fn then
// goes on in the background (bounded by the client's timeout) and Close
// waits for it.
func do[T any](s *Store, ctx context.Context, fn func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return zero, ErrClosed
	}
	s.wg.Add(1)
	s.mu.RUnlock()
	if ctx.Done() == nil { // cannot end: no goroutine needed
		defer s.wg.Done()
		return fn()
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer s.wg.Done()
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		select {
		case r := <-ch: // finished at the same moment: keep its answer
			return r.v, r.err
		default:
			return zero, ctx.Err()
		}
	}
}

// call is do for the client's methods that return only an error.
func (s *Store) call(ctx context.Context, fn func() error) error {
	_, err := do(s, ctx, func() (struct{}, error) { return struct{}{}, fn() })
	return err
}

// wrap prefixes a driver error with the operation; ErrClosed and a
// *TooLargeError already say where they come from.
func wrap(ctx context.Context, op string, err error) error {
	var tl *TooLargeError
	if errors.Is(err, ErrClosed) || errors.As(err, &tl) {
		return err
	}
	return storekit.Wrap(ctx, pkg, op, err)
}

// serverTooLarge maps memcached's refusal of an oversized value (which
// gomemcache reports as an unexpected response line) to a *TooLargeError.
func serverTooLarge(err error, size int) error {
	if err != nil && strings.Contains(err.Error(), "object too large") {
		return &TooLargeError{Size: size, Server: true}
	}
	return err
}

// deadline returns the envelope's expiry (Unix ms, truncated so the record
// never outlives exp) and whether it is still ahead of now.
func deadline(now, exp time.Time) (ms int64, live bool) {
	ms = exp.UnixMilli()
	return ms, ms > 0 && now.Before(time.UnixMilli(ms))
}

// expiration is memcached's exptime for a record that ends at exp, seen at
// now (now is before exp): never earlier than exp (see the package doc).
func expiration(now, exp time.Time) int32 {
	d := exp.Sub(now) // saturates for far deadlines
	secs := int64(d / time.Second)
	if d%time.Second != 0 {
		secs++
	}
	secs++ // memcached's clock ticks once a second
	if secs <= maxRelative {
		return int32(secs)
	}
	abs := exp.Unix()
	if exp.Nanosecond() != 0 {
		abs++
	}
	abs++
	if abs > math.MaxInt32 {
		return 0
	}
	return int32(abs)
}

// item builds the item for a record ending at exp (which must be live),
// refusing one that cannot fit.
func (s *Store) item(ik string, now time.Time, version, ms int64, exp time.Time, user string, data []byte) (*memcache.Item, error) {
	size := envelopeLen(version, ms, user, data)
	if limit := s.maxValue(ik); size > limit {
		return nil, &TooLargeError{Size: size, Max: max(limit, 0)}
	}
	v := storekit.AppendRecord(make([]byte, 0, size), version, ms, user, data)
	return &memcache.Item{Key: ik, Value: v, Expiration: expiration(now, exp)}, nil
}

// envelopeLen is len(storekit.AppendRecord(nil, version, ms, user, data)).
func envelopeLen(version, ms int64, user string, data []byte) int {
	return digits(version) + digits(ms) + digits(int64(len(user))) + 3 + len(user) + len(data)
}

func digits(n int64) int {
	d := 1
	if n < 0 {
		d++
		n = -n
	}
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

// tombstone is an item that ends the record under ik: memcached treats it
// as expired at once, and its value is expired too.
func tombstone(ik string, version int64) *memcache.Item {
	return &memcache.Item{Key: ik, Value: storekit.AppendRecord(nil, version, 1, "", nil), Expiration: expireNow}
}

// load reads the item under ik. it is nil when memcached has no item;
// live is false when there is none or its record has expired. A value that
// is not an envelope yields an error wrapping sesh.ErrCorrupt.
func (s *Store) load(ctx context.Context, op, ik string) (it *memcache.Item, rec sesh.Record, live bool, err error) {
	it, err = do(s, ctx, func() (*memcache.Item, error) { return s.c.Get(ik) })
	if errors.Is(err, memcache.ErrCacheMiss) {
		return nil, sesh.Record{}, false, nil
	}
	if err != nil {
		return nil, sesh.Record{}, false, wrap(ctx, op, err)
	}
	rec, err = storekit.ParseRecord(pkg, it.Value)
	if err != nil {
		return nil, sesh.Record{}, false, err
	}
	return it, rec, s.now().Before(rec.Expires), nil
}

// pause waits before attempt (none before the first): a jittered,
// doubling delay from 1 ms, so that writers that lost to each other do not
// meet again at once. It returns ctx's error if ctx ends first.
func pause(ctx context.Context, attempt int) error {
	if attempt == 0 {
		return nil
	}
	d := time.Millisecond << min(attempt-1, 5)
	t := time.NewTimer(d/2 + rand.N(d/2+1))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Get returns the record under key, or sesh.ErrNotFound if it is absent or
// its Expires has passed (whether or not memcached still holds the item). A
// value under the key that this package did not write yields an error
// wrapping sesh.ErrCorrupt. It is one round trip (gets).
func (s *Store) Get(ctx context.Context, key string) (sesh.Record, error) {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return sesh.Record{}, err
	}
	_, rec, live, err := s.load(ctx, "get", s.itemKey(key))
	if err != nil {
		return sesh.Record{}, err
	}
	if !live {
		return sesh.Record{}, sesh.ErrNotFound
	}
	return rec, nil
}

// Set inserts or replaces the record under key with a new version. A
// record whose Expires has passed deletes the key instead. A record too
// large for a memcached item fails with a *TooLargeError and changes
// nothing.
func (s *Store) Set(ctx context.Context, key string, rec sesh.Record) error {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return err
	}
	ik := s.itemKey(key)
	now := s.now()
	ms, live := deadline(now, rec.Expires)
	if !live {
		return s.del(ctx, "set", ik)
	}
	it, err := s.item(ik, now, storekit.NewVersion(), ms, rec.Expires, rec.UserID, rec.Data)
	if err != nil {
		return err
	}
	if err := serverTooLarge(s.call(ctx, func() error { return s.c.Set(it) }), len(it.Value)); err != nil {
		return wrap(ctx, "set", err)
	}
	return nil
}

// Delete removes the record under key. An absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return err
	}
	return s.del(ctx, "delete", s.itemKey(key))
}

func (s *Store) del(ctx context.Context, op, ik string) error {
	err := s.call(ctx, func() error { return s.c.Delete(ik) })
	if err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return wrap(ctx, op, err)
	}
	return nil
}

// Swap is the compare-and-set of sesh.Swapper, on memcached's CAS: it reads
// the item (gets), compares the version in its value with rec.Version, and
// writes with cas, or add when memcached holds no item, so any write in
// between makes it fail with sesh.ErrConflict. An item whose record has
// expired counts as absent. A rec.Expires already past ends the record. A
// value under the key that this package did not write yields an error
// wrapping sesh.ErrCorrupt; a record too large for an item, a
// *TooLargeError before any I/O. A value this package did not write is left
// alone: Swap returns an error wrapping sesh.ErrConflict and
// sesh.ErrCorrupt, whatever rec.Version.
func (s *Store) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return 0, err
	}
	if rec.Version < 0 {
		return 0, fmt.Errorf("memcachestore: swap: negative version %d: %w", rec.Version, sesh.ErrConflict)
	}
	ik := s.itemKey(key)
	now := s.now()
	ver := storekit.NewVersion()
	ms, live := deadline(now, rec.Expires)
	var next *memcache.Item
	if live {
		var err error
		if next, err = s.item(ik, now, ver, ms, rec.Expires, rec.UserID, rec.Data); err != nil {
			return 0, err
		}
	} else {
		next = tombstone(ik, ver)
	}
	cur, curRec, curLive, err := s.load(ctx, "swap", ik)
	if errors.Is(err, sesh.ErrCorrupt) {
		return 0, fmt.Errorf("memcachestore: swap: %w (%w)", sesh.ErrConflict, err)
	}
	if err != nil {
		return 0, err
	}
	if cur != nil && cur.CasID == 0 {
		return 0, ErrNoCAS
	}
	if rec.Version == 0 {
		switch {
		case curLive:
			return 0, sesh.ErrConflict
		case !live:
			return ver, nil // the key stays absent: nothing to write
		case cur != nil: // an expired record: replace exactly that item
			next.CasID = cur.CasID
			err = s.call(ctx, func() error { return s.c.CompareAndSwap(next) })
			if !errors.Is(err, memcache.ErrCacheMiss) && !errors.Is(err, memcache.ErrNotStored) {
				break
			}
			fallthrough // it went away meanwhile: the key is absent now
		default:
			err = s.call(ctx, func() error { return s.c.Add(next) })
			if errors.Is(err, memcache.ErrNotStored) {
				return 0, sesh.ErrConflict // someone else created it first
			}
		}
	} else {
		switch {
		case !curLive:
			return 0, sesh.ErrNotFound
		case curRec.Version != rec.Version:
			return 0, sesh.ErrConflict
		}
		next.CasID = cur.CasID
		err = s.call(ctx, func() error { return s.c.CompareAndSwap(next) })
		if errors.Is(err, memcache.ErrCacheMiss) || errors.Is(err, memcache.ErrNotStored) {
			return 0, sesh.ErrNotFound // deleted (or evicted) meanwhile
		}
	}
	if errors.Is(err, memcache.ErrCASConflict) {
		return 0, sesh.ErrConflict
	}
	if err := serverTooLarge(err, len(next.Value)); err != nil {
		return 0, wrap(ctx, "swap", err)
	}
	return ver, nil
}

// Touch moves the record's expiry, keeping its data, user and version: it
// reads the item and writes it back with the new deadline by cas, retrying
// after a short jittered pause when another write came in between (up to 8
// times; then it fails with an error wrapping sesh.ErrConflict: another
// request wrote the record meanwhile). It returns sesh.ErrNotFound if the key
// is absent or expired (Touch never revives a record), and ends the record
// when expires has passed.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return err
	}
	ik := s.itemKey(key)
	for attempt := range touchAttempts {
		if err := pause(ctx, attempt); err != nil {
			return wrap(ctx, "touch", err)
		}
		cur, rec, live, err := s.load(ctx, "touch", ik)
		if err != nil {
			return err
		}
		if !live {
			return sesh.ErrNotFound
		}
		if cur.CasID == 0 {
			return ErrNoCAS
		}
		now := s.now()
		var next *memcache.Item
		if ms, ok := deadline(now, expires); ok {
			if next, err = s.item(ik, now, rec.Version, ms, expires, rec.UserID, rec.Data); err != nil {
				return err
			}
		} else {
			next = tombstone(ik, rec.Version)
		}
		next.CasID = cur.CasID
		err = s.call(ctx, func() error { return s.c.CompareAndSwap(next) })
		switch {
		case err == nil:
			return nil
		case errors.Is(err, memcache.ErrCASConflict):
			continue // another write won: touch what it wrote
		case errors.Is(err, memcache.ErrCacheMiss), errors.Is(err, memcache.ErrNotStored):
			return sesh.ErrNotFound
		default:
			return wrap(ctx, "touch", serverTooLarge(err, len(next.Value)))
		}
	}
	return fmt.Errorf("memcachestore: touch: the record changed %d times during the touch: %w", touchAttempts, sesh.ErrConflict)
}
