// Package natsstore is a sesh.Store on a NATS JetStream key-value bucket,
// through nats.go's jetstream package. It needs nats-server 2.9 or later
// (direct get, subject-filtered stream info) and uses no watcher and no
// consumer.
//
// # Layout
//
// One bucket (Options.Bucket, default "sesh": the stream KV_sesh) may hold
// several stores, each under its own prefix (Options.Prefix, one key token,
// default "sesh"):
//
//	<prefix>.s.<key>         the record: "<version>:<expires>:<len(userID)>:<userID><data>"
//	                         (expires in Unix milliseconds)
//	<prefix>.u.<user>.<key>  an empty entry per user and session (sesh.UserIndex);
//	                         <user> is Record.UserID in unpadded base64url
//
// <key> is the sesh key with every ':' written as '=': KV keys allow
// [-/_=.a-zA-Z0-9] and sesh keys [-_:a-zA-Z0-9], so the mapping is a
// bijection, and Range maps listed keys back.
//
// # Expiry
//
// nats-server 2.9 has no per-message TTL: the bucket's MaxAge drops every
// message that long after it was written. The exact deadline therefore lives
// in the record and is checked against Options.Now on every read (the
// instant itself counts as expired); MaxAge is the garbage collector, which
// drops an abandoned session at most MaxAge after its last write, and every
// delete marker too, so the bucket cannot grow without bound. A write whose
// Expires lies beyond now + MaxAge − margin (margin = min(MaxAge/10, 1 min),
// for clock skew between application and server) is refused with an error
// wrapping ErrBeyondMaxAge: the server would drop the record before it
// expires. New creates a missing bucket with that MaxAge (DefaultMaxAge)
// and History 1, and refuses a bucket without MaxAge, since nothing would
// ever leave it.
//
// # Versions and compare-and-set
//
// Record.Version is a random 62-bit version kept in the record
// (storekit.NewVersion), not the JetStream revision: Touch rewrites the
// message (a new revision, and a fresh age for MaxAge) but keeps the
// version, as sesh.Toucher requires. A deleted and re-created key gets a
// fresh random version. The conditional writes, Swap and Touch, read the
// entry, check its version and expiry in code, and write with kv.Update on
// the revision they read (kv.Create when the key is absent); when the
// revision has moved but the record still allows the write (a concurrent
// Touch) they read again, after a short jittered pause, up to 8 times: a
// Touch that loses every round returns an error wrapping sesh.ErrConflict
// (another request wrote the record meanwhile). A record that has expired but is
// still stored counts as absent: Swap with Version 0 replaces it.
//
// # Deleting and listing
//
// Delete and Clear purge subjects through the stream's purge API with a
// subject filter ($KV.<bucket>.<prefix>.s.<key>, $KV.<bucket>.<prefix>.>),
// which removes every revision and leaves no delete marker. Only the two
// conditional ends, a Swap or Touch to an expiry already past, write a
// purge marker (kv.Purge on the revision read); MaxAge drops it.
//
// Range, Len and ByUser list keys with the stream info's subject filter
// ($KV.<bucket>.<prefix>.s.>, $KV.<bucket>.<prefix>.u.<user>.>), not with a
// watcher, then read each record (up to 32 at a time), skipping expired,
// deleted and malformed ones. The listing arrives whole (the server pages it by 100 000 subjects),
// so it costs memory in proportion to the store's size.
//
// The user index entry is written before the record on every write with a
// user (Set, Swap, Touch): a failure between the two leaves a stale entry,
// never a record its user cannot find, and the entry, written after the
// MaxAge check, outlives the record's Expires. ByUser reads the record of
// each entry and keeps those whose UserID still matches. Stale entries
// (deleted, expired or re-assigned sessions) are not removed: removing one
// safely would race with a concurrent write of the same key. They age out
// with MaxAge. A write with a user costs two round trips, one without a
// user one. A record is one message, so its size is bounded by the
// server's max_payload (1 MiB by default).
//
// # Connection
//
// Every method honours its context. Give the connection
// nats.ReconnectBufSize(-1), so that a call made while the client
// reconnects fails at once instead of being buffered and replayed after the
// caller gave up on it; sesh.Open does. The connection needs publish rights
// on $KV.<bucket>.>, and the JetStream API for direct get, STREAM.INFO and
// STREAM.PURGE on KV_<bucket> (STREAM.CREATE if New creates the bucket).
//
// # Opening by URL
//
// Importing the package registers the scheme nats with sesh.Open:
//
//	nats://[user:password@]host:port[/bucket][?prefix=app&max_age=24h]
//
// The store opened by URL owns its connection (no reconnect buffer,
// unlimited reconnects) and drains and closes it in Close.
package natsstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/storekit"
)

const (
	// DefaultBucket is the bucket when Options.Bucket is empty.
	DefaultBucket = "sesh"
	// DefaultPrefix is the key prefix when Options.Prefix is empty.
	DefaultPrefix = "sesh"
	// DefaultMaxAge is the MaxAge New gives a bucket it creates when
	// Options.MaxAge is 0. It covers sesh's default absolute timeout (12 h).
	DefaultMaxAge = 24 * time.Hour
	// MaxUserIDLen is the longest Record.UserID the store accepts: the ID
	// becomes a subject token, and NATS bounds a protocol line.
	MaxUserIDLen = 1024
	// maxPrefixLen bounds Options.Prefix.
	maxPrefixLen = 64
	// attempts bounds the read-and-write rounds of Swap and Touch.
	attempts = 8
	// pkg names the package in errors.
	pkg = "natsstore"
)

// ErrBeyondMaxAge is wrapped by the error of a write whose Expires lies
// beyond what the bucket's MaxAge lets the server keep (see the package
// doc). Nothing is written.
var ErrBeyondMaxAge = errors.New("natsstore: expiry beyond the bucket's max age")

// Options configures a Store.
type Options struct {
	// Bucket is the key-value bucket, [A-Za-z0-9_-]+. Empty means
	// DefaultBucket.
	Bucket string
	// Prefix isolates this store's keys from other stores sharing the
	// bucket: one key token, 1–64 characters of [A-Za-z0-9_-]. Empty means
	// DefaultPrefix.
	Prefix string
	// MaxAge is the bucket's MaxAge. When New creates the bucket it uses
	// MaxAge, or DefaultMaxAge if MaxAge is 0. When the bucket exists, 0
	// accepts its MaxAge and any other value must equal it.
	MaxAge time.Duration
	// Storage and Replicas configure a bucket New creates (file storage and
	// one replica by default); they are not checked against an existing one.
	Storage  jetstream.StorageType
	Replicas int
	// Now is the clock that expiry is checked against; nil means time.Now.
	Now func() time.Time
}

// Store is a sesh.Store on a JetStream key-value bucket. It implements
// sesh.Toucher, sesh.Swapper, sesh.Lister and sesh.UserIndex, and is safe
// for concurrent use.
type Store struct {
	kv     jetstream.KeyValue
	stream jetstream.Stream
	bucket string
	prefix string
	subj   string // "$KV.<bucket>."
	maxAge time.Duration
	margin time.Duration
	now    func() time.Time

	nc        *nats.Conn // owned (sesh.Open), else nil
	closed    chan struct{}
	closeOnce sync.Once
}

var (
	_ sesh.Store     = (*Store)(nil)
	_ sesh.Toucher   = (*Store)(nil)
	_ sesh.Swapper   = (*Store)(nil)
	_ sesh.Lister    = (*Store)(nil)
	_ sesh.UserIndex = (*Store)(nil)
)

// New returns a Store on the bucket opts.Bucket of js, creating the bucket
// if it is missing (see Options.MaxAge). It returns an error for a bad
// option, a bucket without MaxAge or with another one than opts.MaxAge, a
// mirror bucket, one that denies purges or roll-ups, and for a server that
// cannot be reached before ctx ends. The caller keeps ownership of js's
// connection: Close does not close it.
func New(ctx context.Context, js jetstream.JetStream, opts Options) (*Store, error) {
	if js == nil {
		return nil, errors.New("natsstore: nil JetStream")
	}
	opts, err := checkOptions(opts)
	if err != nil {
		return nil, err
	}
	kv, stream, err := openBucket(ctx, js, opts)
	if err != nil {
		return nil, err
	}
	maxAge := stream.CachedInfo().Config.MaxAge
	return &Store{
		kv:     kv,
		stream: stream,
		bucket: opts.Bucket,
		prefix: opts.Prefix,
		subj:   "$KV." + opts.Bucket + ".",
		maxAge: maxAge,
		margin: min(maxAge/10, time.Minute),
		now:    opts.Now,
	}, nil
}

// checkOptions validates opts and fills in the defaults, before any I/O.
func checkOptions(opts Options) (Options, error) {
	if opts.Bucket == "" {
		opts.Bucket = DefaultBucket
	}
	if !token(opts.Bucket, 255) {
		return opts, fmt.Errorf("natsstore: bucket %q: want 1–255 characters of A-Z a-z 0-9 _ -", opts.Bucket)
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if !token(opts.Prefix, maxPrefixLen) {
		return opts, fmt.Errorf("natsstore: prefix %q: want one key token of 1–%d characters of A-Z a-z 0-9 _ -", opts.Prefix, maxPrefixLen)
	}
	if opts.MaxAge < 0 {
		return opts, fmt.Errorf("natsstore: negative MaxAge %v", opts.MaxAge)
	}
	if opts.MaxAge > 0 && opts.MaxAge < time.Second {
		return opts, fmt.Errorf("natsstore: MaxAge %v is below one second", opts.MaxAge)
	}
	if opts.Replicas < 0 {
		return opts, fmt.Errorf("natsstore: negative Replicas %d", opts.Replicas)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return opts, nil
}

// token reports whether s is 1 to n characters of [A-Za-z0-9_-].
func token(s string, n int) bool {
	if len(s) == 0 || len(s) > n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// openBucket opens opts.Bucket, or creates it with opts.MaxAge (History 1),
// and checks that the store can live in it.
func openBucket(ctx context.Context, js jetstream.JetStream, opts Options) (jetstream.KeyValue, jetstream.Stream, error) {
	kv, err := js.KeyValue(ctx, opts.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		maxAge := opts.MaxAge
		if maxAge == 0 {
			maxAge = DefaultMaxAge
		}
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      opts.Bucket,
			Description: "sesh sessions (github.com/sesh-go/sesh/natsstore)",
			History:     1,
			TTL:         maxAge,
			Storage:     opts.Storage,
			Replicas:    opts.Replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) { // created meanwhile, with another configuration
			kv, err = js.KeyValue(ctx, opts.Bucket)
		}
		if err != nil {
			return nil, nil, storekit.Wrap(ctx, pkg, "create bucket "+opts.Bucket, err)
		}
	} else if err != nil {
		return nil, nil, storekit.Wrap(ctx, pkg, "open bucket "+opts.Bucket, err)
	}
	stream, err := js.Stream(ctx, "KV_"+opts.Bucket)
	if err != nil {
		return nil, nil, storekit.Wrap(ctx, pkg, "open bucket "+opts.Bucket, err)
	}
	cfg := stream.CachedInfo().Config
	switch {
	case cfg.MaxAge <= 0:
		return nil, nil, fmt.Errorf("natsstore: bucket %s has no max age: expired sessions would never leave it (set its MaxAge)", opts.Bucket)
	case opts.MaxAge != 0 && cfg.MaxAge != opts.MaxAge:
		return nil, nil, fmt.Errorf("natsstore: bucket %s has max age %v, Options.MaxAge is %v (update the bucket, or leave MaxAge 0 to accept it)", opts.Bucket, cfg.MaxAge, opts.MaxAge)
	case cfg.MaxAge < time.Second:
		return nil, nil, fmt.Errorf("natsstore: bucket %s has max age %v, below one second", opts.Bucket, cfg.MaxAge)
	case cfg.Mirror != nil:
		return nil, nil, fmt.Errorf("natsstore: bucket %s is a mirror: writes would not reach it", opts.Bucket)
	case !cfg.AllowRollup:
		return nil, nil, fmt.Errorf("natsstore: bucket %s denies roll-ups, which kv.Purge uses", opts.Bucket)
	case cfg.DenyPurge: // the server refuses it with roll-ups; checked in case a later one does not
		return nil, nil, fmt.Errorf("natsstore: bucket %s denies purges, which Delete and Clear use", opts.Bucket)
	}
	return kv, stream, nil
}

// Close drains and closes the connection if the store opened it
// (sesh.Open), waiting for in-flight calls; otherwise it does nothing. The
// store is unusable afterwards.
func (s *Store) Close() error {
	if s.nc == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		if err := s.nc.Drain(); err != nil {
			s.nc.Close()
		}
		select {
		case <-s.closed:
		case <-time.After(10 * time.Second):
			s.nc.Close()
			<-s.closed
		}
	})
	return nil
}

// KeyValue returns the bucket the store uses.
func (s *Store) KeyValue() jetstream.KeyValue { return s.kv }

// MaxAge returns the bucket's MaxAge.
func (s *Store) MaxAge() time.Duration { return s.maxAge }

// mapKey writes a sesh key as a KV key token: ':' becomes '='.
func mapKey(key string) string { return strings.ReplaceAll(key, ":", "=") }

// unmapKey reverses mapKey; ok is false for a token mapKey cannot produce.
func unmapKey(tok string) (string, bool) {
	if strings.IndexByte(tok, ':') >= 0 {
		return "", false
	}
	key := strings.ReplaceAll(tok, "=", ":")
	return key, sesh.ValidateKey(key) == nil
}

// recordKey is the KV key of a record.
func (s *Store) recordKey(key string) string { return s.prefix + ".s." + mapKey(key) }

// userPrefix is the KV key prefix, dot included, of a user's index entries.
func (s *Store) userPrefix(user string) string {
	return s.prefix + ".u." + base64.RawURLEncoding.EncodeToString([]byte(user)) + "."
}

func wrap(ctx context.Context, op string, err error) error { return storekit.Wrap(ctx, pkg, op, err) }

// live reports whether a record expiring at exp may still be returned.
func (s *Store) live(exp time.Time) bool { return s.now().Before(exp) }

// fits returns an error wrapping ErrBeyondMaxAge if the server could drop
// a record written now before exp.
func (s *Store) fits(op string, exp time.Time) error {
	now := s.now()
	if limit := now.Add(s.maxAge - s.margin); exp.After(limit) {
		return fmt.Errorf("natsstore: %s: the record expires in %v, beyond the %v that bucket %s keeps a message (max age %v, less a %v margin for clock skew); raise the bucket's max age: %w",
			op, exp.Sub(now).Round(time.Millisecond), s.maxAge-s.margin, s.bucket, s.maxAge, s.margin, ErrBeyondMaxAge)
	}
	return nil
}

// checkUser refuses a user ID too long for a subject token.
func checkUser(op, user string) error {
	if len(user) > MaxUserIDLen {
		return fmt.Errorf("natsstore: %s: UserID of %d bytes, longer than %d", op, len(user), MaxUserIDLen)
	}
	return nil
}

// index writes the user's index entry for key; nothing without a user.
func (s *Store) index(ctx context.Context, op, user, key string) error {
	if user == "" {
		return nil
	}
	if _, err := s.kv.Put(ctx, s.userPrefix(user)+mapKey(key), nil); err != nil {
		return wrap(ctx, op+": user index", err)
	}
	return nil
}

// load reads the record under key. entry is nil when the key is absent
// (never written, purged, or ending in a delete marker); a value that is
// not an envelope yields an error wrapping sesh.ErrCorrupt.
func (s *Store) load(ctx context.Context, op, key string) (jetstream.KeyValueEntry, sesh.Record, error) {
	e, err := s.kv.Get(ctx, s.recordKey(key))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, sesh.Record{}, nil
	}
	if err != nil {
		return nil, sesh.Record{}, wrap(ctx, op, err)
	}
	rec, err := storekit.ParseRecord(pkg, e.Value())
	if err != nil {
		return nil, sesh.Record{}, fmt.Errorf("natsstore: %s: %w", op, err) // no key: it may be a raw session ID
	}
	return e, rec, nil
}

// Get returns the record under key, or sesh.ErrNotFound if it is absent or
// its Expires has passed (whether or not the server still holds it). A
// value under the store's prefix that this package did not write yields an
// error wrapping sesh.ErrCorrupt.
func (s *Store) Get(ctx context.Context, key string) (sesh.Record, error) {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return sesh.Record{}, err
	}
	e, rec, err := s.load(ctx, "get", key)
	if err != nil {
		return sesh.Record{}, err
	}
	if e == nil || !s.live(rec.Expires) {
		return sesh.Record{}, sesh.ErrNotFound
	}
	return rec, nil
}

// Set writes rec under key with a new version, whatever was there. A record
// whose Expires has passed is deleted instead; one that expires beyond the
// bucket's MaxAge is refused (ErrBeyondMaxAge) and nothing changes.
func (s *Store) Set(ctx context.Context, key string, rec sesh.Record) error {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return err
	}
	if !s.live(rec.Expires) {
		return s.purge(ctx, "set", key)
	}
	if err := s.fits("set", rec.Expires); err != nil {
		return err
	}
	if err := checkUser("set", rec.UserID); err != nil {
		return err
	}
	if err := s.index(ctx, "set", rec.UserID, key); err != nil {
		return err
	}
	if _, err := s.kv.Put(ctx, s.recordKey(key), storekit.EncodeRecord(storekit.NewVersion(), rec)); err != nil {
		return wrap(ctx, "set", err)
	}
	return nil
}

// Delete removes every revision of the record under key and leaves no
// delete marker. An absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return err
	}
	return s.purge(ctx, "delete", key)
}

// purge removes the record under key through the stream's purge API.
func (s *Store) purge(ctx context.Context, op, key string) error {
	if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(s.subj+s.recordKey(key))); err != nil {
		return wrap(ctx, op, err)
	}
	return nil
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

// revisionMoved reports a conditional write that lost to another write.
func revisionMoved(err error) bool {
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists)
}

// newVersion returns a fresh version that differs from the ones given.
func newVersion(not ...int64) int64 {
	for {
		v := storekit.NewVersion()
		ok := true
		for _, n := range not {
			ok = ok && v != n
		}
		if ok {
			return v
		}
	}
}

// Swap writes rec under key only if the stored version is rec.Version
// (0: the key is absent or expired), and returns the new version. It
// returns sesh.ErrConflict if another version is stored, sesh.ErrNotFound
// if rec.Version is not 0 and the key is absent or expired, and an error
// wrapping ErrBeyondMaxAge, writing nothing, if rec expires beyond the
// bucket's MaxAge. A rec whose Expires has passed ends the record (a purge
// on the revision read) and its version finds nothing afterwards. A value
// this package did not write is left alone: Swap returns an error wrapping
// sesh.ErrConflict and sesh.ErrCorrupt, whatever rec.Version.
func (s *Store) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return 0, err
	}
	if rec.Version < 0 {
		return 0, fmt.Errorf("natsstore: swap: negative version %d: %w", rec.Version, sesh.ErrConflict)
	}
	end := !s.live(rec.Expires)
	if !end {
		if err := s.fits("swap", rec.Expires); err != nil {
			return 0, err
		}
		if err := checkUser("swap", rec.UserID); err != nil {
			return 0, err
		}
	}
	indexed := false
	for attempt := range attempts {
		if err := pause(ctx, attempt); err != nil {
			return 0, wrap(ctx, "swap", err)
		}
		e, cur, err := s.load(ctx, "swap", key)
		if errors.Is(err, sesh.ErrCorrupt) {
			return 0, fmt.Errorf("natsstore: swap: %w (%w)", sesh.ErrConflict, err)
		}
		if err != nil {
			return 0, err
		}
		live := e != nil && s.live(cur.Expires)
		if err := storekit.CheckSwap(rec.Version, cur.Version, live); err != nil {
			return 0, err
		}
		ver := newVersion(cur.Version, rec.Version)
		switch {
		case end && e == nil:
			return ver, nil // nothing stored, nothing to end
		case end:
			err = s.kv.Purge(ctx, s.recordKey(key), jetstream.LastRevision(e.Revision()))
		default:
			if !indexed {
				if err := s.index(ctx, "swap", rec.UserID, key); err != nil {
					return 0, err
				}
				indexed = true
			}
			val := storekit.EncodeRecord(ver, rec)
			if e == nil {
				_, err = s.kv.Create(ctx, s.recordKey(key), val)
			} else {
				_, err = s.kv.Update(ctx, s.recordKey(key), val, e.Revision())
			}
		}
		if err == nil {
			return ver, nil
		}
		if !revisionMoved(err) {
			return 0, wrap(ctx, "swap", err)
		}
		// Another write came between the read and this one: read again.
	}
	return 0, fmt.Errorf("natsstore: swap: the key kept changing under %d attempts: %w", attempts, sesh.ErrConflict)
}

// Touch moves the record's expiry, keeping its data, user and version. The
// message is rewritten (JetStream cannot change a message in place), which
// also restarts its MaxAge. It returns sesh.ErrNotFound if the key is
// absent or expired, and an error wrapping ErrBeyondMaxAge, changing
// nothing, if expires lies beyond the bucket's MaxAge. An expires that has
// passed ends the record. If other writes keep moving the record's revision
// through 8 rounds, Touch gives up with an error wrapping sesh.ErrConflict.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	if err := storekit.CheckKey(ctx, key); err != nil {
		return err
	}
	end := !s.live(expires)
	if !end {
		if err := s.fits("touch", expires); err != nil {
			return err
		}
	}
	indexed := ""
	for attempt := range attempts {
		if err := pause(ctx, attempt); err != nil {
			return wrap(ctx, "touch", err)
		}
		e, cur, err := s.load(ctx, "touch", key)
		if err != nil {
			return err
		}
		if e == nil || !s.live(cur.Expires) {
			return sesh.ErrNotFound
		}
		if end {
			err = s.kv.Purge(ctx, s.recordKey(key), jetstream.LastRevision(e.Revision()))
		} else {
			if cur.UserID != "" && cur.UserID != indexed {
				if err := s.index(ctx, "touch", cur.UserID, key); err != nil {
					return err
				}
				indexed = cur.UserID
			}
			cur.Expires = expires
			_, err = s.kv.Update(ctx, s.recordKey(key), storekit.EncodeRecord(cur.Version, cur), e.Revision())
		}
		if err == nil {
			return nil
		}
		if !revisionMoved(err) {
			return wrap(ctx, "touch", err)
		}
	}
	return fmt.Errorf("natsstore: touch: the key kept changing under %d attempts: %w", attempts, sesh.ErrConflict)
}
