// Package memstore is an in-process sesh.Store: a map guarded by a mutex.
//
// It is meant for tests and for a single process that can afford to lose
// every session on restart. Several processes behind a load balancer do not
// share it: use filestore on a shared disk or a server store (redisstore,
// pgstore, …) instead.
//
// Records are copied in and out, so a caller can never alias the store's
// bytes. Expiry is checked on every read; a background sweeper (every
// minute by default) frees expired records, and Close stops it. A freed
// record's slot is reused by the next new one; like a Go map, the store
// does not shrink after a peak (88 bytes per slot and its map entry stay
// allocated; Clear releases them). The store
// implements sesh.Toucher, sesh.Swapper (versions come from a per-store
// counter, so a version is never reused within one Store), sesh.Lister and
// sesh.UserIndex (a scan of every record).
//
// With Options.MaxEntries set, inserting a new key into a full store first
// drops the expired records, then, if it is still full, evicts the record
// nearest to its expiry. An evicted session is simply gone: its next request
// finds no record and starts a new, anonymous session.
//
// Importing the package registers the URL scheme "memory" with sesh.Open:
//
//	memory://
//	memory://?max=10000&sweep=30s
//
// where max is Options.MaxEntries and sweep is Options.SweepInterval ("off"
// disables the sweeper). Any other part of the URL is an error.
package memstore

import (
	"container/heap"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/storekit"
)

// DefaultSweepInterval is how often the sweeper frees expired records when
// Options.SweepInterval is zero.
const DefaultSweepInterval = time.Minute

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// SweepInterval is how often a background goroutine frees expired
	// records. Zero means DefaultSweepInterval; a negative value disables
	// the sweeper (expired records are then still never returned, and are
	// freed when overwritten, deleted or evicted).
	SweepInterval time.Duration
	// MaxEntries bounds the number of records; zero means no bound. When a
	// new key arrives at a full store, expired records are dropped first,
	// then the record nearest to its expiry is evicted.
	MaxEntries int
	// Now is the clock used for expiry; nil means time.Now. Tests inject a
	// fake clock here (and the same one into sesh.Config.Now).
	Now func() time.Time
}

// Store is an in-memory sesh.Store. It is safe for concurrent use. Create
// it with New and stop its sweeper with Close.
type Store struct {
	now func() time.Time
	max int

	mu      sync.Mutex
	index   map[string]int32   // key → its entry's number
	chunks  []*[chunkLen]entry // the entries, numbered from 0; a free one has an empty key
	used    int                // entries numbered so far
	free    []int32            // the numbers of free entries
	byExp   []int32            // every entry in use, a min-heap by expiry
	version int64              // last version handed out

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// The entries live in arrays of chunkLen, found by number through the
// map, and the expiry heap holds numbers: a million sessions are a
// thousand arrays for the garbage collector to scan, not a million small
// objects; the heap and the free list hold no pointers at all; and growing
// never copies the entries (a chunk is added).
const chunkLen = 1024

type entry struct {
	key     string
	data    []byte
	userID  string
	expires instant
	version int64
	at      int32 // position in byExp
}

var (
	_ sesh.Store     = (*Store)(nil)
	_ sesh.Toucher   = (*Store)(nil)
	_ sesh.Swapper   = (*Store)(nil)
	_ sesh.Lister    = (*Store)(nil)
	_ sesh.UserIndex = (*Store)(nil)
)

// New returns an empty Store and starts its sweeper (unless disabled).
// Call Close when done with it.
func New(opts Options) *Store {
	s := &Store{
		now:   opts.Now,
		max:   max(opts.MaxEntries, 0),
		index: make(map[string]int32),
		done:  make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	interval := opts.SweepInterval
	if interval == 0 {
		interval = DefaultSweepInterval
	}
	if interval > 0 {
		s.wg.Add(1)
		go s.sweeper(interval)
	}
	return s
}

// Close stops the sweeper and waits for it to return. It is safe to call
// more than once and from several goroutines. The records stay readable
// and writable after Close; only the background sweeping stops.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	s.wg.Wait()
	return nil
}

func (s *Store) sweeper(interval time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.mu.Lock()
			s.dropExpired(s.now())
			s.mu.Unlock()
		}
	}
}

// check validates the call's context and key, in that order of cost.
func check(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return sesh.ValidateKey(key)
}

// expired reports whether a record expiring at exp is dead at now.
func expired(exp instant, now time.Time) bool { return !instantOf(now).before(exp) }

// instant is a time.Time without its location and monotonic reading: a
// record's expiry, kept without a pointer for the collector to follow.
type instant struct {
	sec  int64
	nsec int32
}

func instantOf(t time.Time) instant { return instant{t.Unix(), int32(t.Nanosecond())} }

func (a instant) time() time.Time { return time.Unix(a.sec, int64(a.nsec)) }

func (a instant) before(b instant) bool { return a.sec < b.sec || a.sec == b.sec && a.nsec < b.nsec }

// live returns the unexpired entry under key. Caller holds s.mu.
func (s *Store) live(key string, now time.Time) (*entry, bool) {
	i, ok := s.index[key]
	if !ok || expired(s.entry(i).expires, now) {
		return nil, false
	}
	return s.entry(i), true
}

func (e *entry) record() sesh.Record {
	return sesh.Record{
		Data:    clone(e.data),
		Expires: e.expires.time(),
		Version: e.version,
		UserID:  e.userID,
	}
}

// clone copies b, keeping nil as nil.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// Get returns the record under key, or sesh.ErrNotFound if it is absent or
// expired.
func (s *Store) Get(ctx context.Context, key string) (sesh.Record, error) {
	if err := check(ctx, key); err != nil {
		return sesh.Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key, s.now())
	if !ok {
		return sesh.Record{}, sesh.ErrNotFound
	}
	return e.record(), nil
}

// Set inserts or replaces the record under key and gives it a new version.
func (s *Store) Set(ctx context.Context, key string, rec sesh.Record) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(key, rec, s.now())
	return nil
}

// put writes rec under key with a fresh version. Caller holds s.mu.
func (s *Store) put(key string, rec sesh.Record, now time.Time) int64 {
	i, ok := s.index[key]
	if !ok {
		i = -1
	}
	return s.putAt(key, i, rec, now)
}

// putAt is put with the key's entry (-1 if absent) already looked up: one
// map lookup less on the write path.
func (s *Store) putAt(key string, i int32, rec sesh.Record, now time.Time) int64 {
	s.version++
	exp := instantOf(rec.Expires)
	if i < 0 {
		s.makeRoom(now)
		i = s.alloc()
		s.index[key] = i
		*s.entry(i) = entry{key: key, expires: exp, at: int32(len(s.byExp))}
		s.byExp = append(s.byExp, i) // heap.Push would box i: appended, then fixed
		heap.Fix(expOrder{s}, len(s.byExp)-1)
	} else {
		s.entry(i).expires = exp
		heap.Fix(expOrder{s}, int(s.entry(i).at))
	}
	e := s.entry(i)
	e.data = clone(rec.Data)
	e.version = s.version
	e.userID = rec.UserID
	return e.version
}

// entry returns entry number i. Caller holds s.mu.
func (s *Store) entry(i int32) *entry { return &s.chunks[i/chunkLen][i%chunkLen] }

// alloc returns a free entry's number, adding a chunk if there is none.
func (s *Store) alloc() int32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		return i
	}
	if s.used == len(s.chunks)*chunkLen {
		s.chunks = append(s.chunks, new([chunkLen]entry))
	}
	s.used++
	return int32(s.used - 1)
}

// makeRoom frees a slot for one new key if the store is bounded and full.
// Caller holds s.mu.
func (s *Store) makeRoom(now time.Time) {
	if s.max == 0 || len(s.index) < s.max {
		return
	}
	s.dropExpired(now)
	for len(s.index) >= s.max {
		s.remove(s.byExp[0]) // nearest to expiry
	}
}

// dropExpired frees every expired entry. Caller holds s.mu.
func (s *Store) dropExpired(now time.Time) {
	for len(s.byExp) > 0 && expired(s.entry(s.byExp[0]).expires, now) {
		s.remove(s.byExp[0])
	}
}

// remove frees entry i: out of the heap, the map and its bytes.
func (s *Store) remove(i int32) {
	heap.Remove(expOrder{s}, int(s.entry(i).at))
	delete(s.index, s.entry(i).key)
	*s.entry(i) = entry{}
	s.free = append(s.free, i)
}

// expOrder is the expiry heap as a heap.Interface: s.byExp holds entry
// numbers ordered by expiry, and every entry's at is its position there.
type expOrder struct{ s *Store }

func (h expOrder) Len() int { return len(h.s.byExp) }

func (h expOrder) Less(a, b int) bool {
	return h.s.entry(h.s.byExp[a]).expires.before(h.s.entry(h.s.byExp[b]).expires)
}

func (h expOrder) Swap(a, b int) {
	x := h.s.byExp
	x[a], x[b] = x[b], x[a]
	h.s.entry(x[a]).at = int32(a)
	h.s.entry(x[b]).at = int32(b)
}

func (h expOrder) Push(x any) { h.s.byExp = append(h.s.byExp, x.(int32)) }

// Pop drops the last number; it returns nil rather than box it (remove
// has the number already).
func (h expOrder) Pop() any {
	h.s.byExp = h.s.byExp[:len(h.s.byExp)-1]
	return nil
}

// Delete removes the record under key. An absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.index[key]; ok {
		s.remove(i)
	}
	return nil
}

// Touch moves the expiry of the record under key, keeping its data and
// version. It returns sesh.ErrNotFound if the record is absent or expired.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.live(key, s.now())
	if !ok {
		return sesh.ErrNotFound
	}
	e.expires = instantOf(expires)
	heap.Fix(expOrder{s}, int(e.at))
	return nil
}

// Swap writes rec under key if the stored version is rec.Version (0: the
// key must be absent or expired), and returns the new version. See
// sesh.Swapper.
func (s *Store) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	if err := check(ctx, key); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	i, found := s.index[key]
	var have int64
	if found {
		have = s.entry(i).version
	} else {
		i = -1
	}
	if err := storekit.CheckSwap(rec.Version, have, found && !expired(s.entry(i).expires, now)); err != nil {
		return 0, err
	}
	return s.putAt(key, i, rec, now), nil
}

// Range calls fn for each unexpired record until fn returns false. It
// walks a snapshot of the keys taken at the start and holds no lock while
// fn runs, so fn may call the store; a record deleted during the walk is
// skipped, and keys added during the walk are not visited.
func (s *Store) Range(ctx context.Context, fn func(key string, rec sesh.Record) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	keys := make([]string, 0, len(s.index))
	for k := range s.index {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.mu.Lock()
		e, ok := s.live(k, s.now())
		var rec sesh.Record
		if ok {
			rec = e.record()
		}
		s.mu.Unlock()
		if ok && !fn(k, rec) {
			return nil
		}
	}
	return nil
}

// Len returns the number of unexpired records.
func (s *Store) Len(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropExpired(s.now())
	return len(s.index), nil
}

// Clear deletes every record.
func (s *Store) Clear(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index = make(map[string]int32)
	s.chunks, s.used, s.free, s.byExp = nil, 0, nil, nil
	return nil
}

// ByUser returns the unexpired records whose UserID is userID, by key. It
// scans every record. An empty userID matches nothing.
func (s *Store) ByUser(ctx context.Context, userID string) (map[string]sesh.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]sesh.Record)
	if userID == "" {
		return out, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, i := range s.index {
		if e := s.entry(i); e.userID == userID && !expired(e.expires, now) {
			out[k] = e.record()
		}
	}
	return out, nil
}

func init() {
	sesh.Register("memory", openURL)
}

// openURL opens "memory://" with optional max and sweep parameters.
func openURL(_ context.Context, u *url.URL) (sesh.Store, error) {
	if u.Opaque != "" || u.User != nil || u.Host != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, fmt.Errorf("memstore: a memory URL has no host, path or fragment: use memory:// or memory://?max=N&sweep=1m")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("memstore: malformed query: %w", err)
	}
	var opts Options
	for name, vals := range q {
		if len(vals) != 1 {
			return nil, fmt.Errorf("memstore: parameter %q given %d times", name, len(vals))
		}
		v := vals[0]
		switch name {
		case "max":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("memstore: max=%q: want a number of entries ≥ 0 (0 = unbounded)", v)
			}
			opts.MaxEntries = n
		case "sweep":
			if v == "off" {
				opts.SweepInterval = -1
				break
			}
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("memstore: sweep=%q: want a positive duration such as 30s or 5m, or off", v)
			}
			opts.SweepInterval = d
		default:
			return nil, fmt.Errorf("memstore: unknown parameter %q (known: max, sweep)", name)
		}
	}
	return New(opts), nil
}
