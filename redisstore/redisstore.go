// Package redisstore is a sesh.Store on Redis, through go-redis v9's
// UniversalClient: one store serves a single server, a Sentinel failover
// group and a Redis Cluster.
//
// # Key layout
//
// With the default prefix "sesh:":
//
//	sesh:s:<key>   a string: "<version>:<expires>:<len(userID)>:<userID><data>"
//	               (expires in Unix milliseconds), whose Redis expiry is set
//	               to the same instant by the same SET … PXAT command
//	sesh:u:<user>  a set of the keys tied to <user> (sesh.UserIndex); it
//	               expires with the longest-lived of them, and ByUser drops
//	               members that have expired or moved to another user
//
// Expiry is kept by Redis to the millisecond (PXAT) and checked again
// against the store's clock on every read. A read is one plain GET; a write
// is one SET (plus the user set, pipelined in the same round trip); the
// compare-and-set (sesh.Swapper) and Touch are Lua scripts on the session's
// key alone, so they run on one Cluster slot. Every command goes to a
// primary.
//
// Listing (sesh.Lister) walks the key space with SCAN — never KEYS — on every
// primary of a Cluster, and touches only this store's prefix.
//
// # Opening by URL
//
// Importing the package registers these schemes with sesh.Open:
//
//	redis://[user:password@]host:port[/db][?prefix=app:sess:&…]   a single server
//	rediss://…                                                  the same over TLS
//	redis+cluster://host:port?addr=host2:port2&addr=…            a Cluster
//	redis+sentinel://[:password@]host:port[,host:port…]/master[?db=N]  a Sentinel group
//
// Other query parameters are go-redis's own (dial_timeout, pool_size, …).
// The store opened by URL owns its client and closes it in Close.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/storekit"
	"github.com/sesh-go/sesh/redisstore/internal/shared"
)

// DefaultPrefix is the key prefix when Options.Prefix is empty.
const DefaultPrefix = "sesh:"

// Options configures a Store. The zero value is usable.
type Options struct {
	// Prefix namespaces every key of the store; several stores (several
	// applications) can share one Redis with different prefixes. Empty
	// means DefaultPrefix. It may not contain '*', '?', '[' or '\\' (SCAN
	// patterns) or whitespace.
	Prefix string
	// Now is the clock used to check expiry on read; nil means time.Now.
	Now func() time.Time
}

// Store is a sesh.Store on Redis. It implements sesh.Toucher,
// sesh.Swapper, sesh.Lister and sesh.UserIndex. It is safe for concurrent
// use.
type Store struct {
	c      redis.UniversalClient
	prefix string
	now    func() time.Time
	owns   bool // Close closes c
}

var (
	_ sesh.Store     = (*Store)(nil)
	_ sesh.Toucher   = (*Store)(nil)
	_ sesh.Swapper   = (*Store)(nil)
	_ sesh.Lister    = (*Store)(nil)
	_ sesh.UserIndex = (*Store)(nil)
)

// New returns a Store over client. The caller keeps ownership of client:
// Close does not close it.
//
// The client must have ContextTimeoutEnabled set (redis.Options,
// redis.ClusterOptions, redis.FailoverOptions): without it go-redis ignores
// a context's deadline and waits for its own read timeout, so a slow Redis
// would hold every request past its deadline. New returns an error for such
// a client rather than hang later.
func New(client redis.UniversalClient, opts Options) (*Store, error) {
	if err := shared.CheckClient("redisstore", client); err != nil {
		return nil, err
	}
	p := opts.Prefix
	if p == "" {
		p = DefaultPrefix
	}
	if err := shared.CheckPrefix("redisstore", p); err != nil {
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Store{c: client, prefix: p, now: now}, nil
}

// Close closes the client if the store opened it (sesh.Open); otherwise it
// does nothing.
func (s *Store) Close() error {
	if s.owns {
		return s.c.Close()
	}
	return nil
}

// Client returns the client the store uses.
func (s *Store) Client() redis.UniversalClient { return s.c }

func (s *Store) sessionKey(key string) string { return s.prefix + "s:" + key }
func (s *Store) userKey(user string) string   { return s.prefix + "u:" + user }

func check(ctx context.Context, key string) error { return storekit.CheckKey(ctx, key) }

func wrap(ctx context.Context, op string, err error) error {
	return storekit.Wrap(ctx, "redisstore", op, err)
}

// encode builds the stored value (storekit's envelope).
func encode(version, expiresMs int64, user string, data []byte) []byte {
	return storekit.AppendRecord(make([]byte, 0, 48+len(user)+len(data)), version, expiresMs, user, data)
}

// errBadValue reports a value under the store's prefix that it did not
// write; it wraps sesh.ErrCorrupt.
var errBadValue = fmt.Errorf("redisstore: malformed value: %w", sesh.ErrCorrupt)

// errWrongType reports a key of the store that holds a hash, a list or
// another type than a string; it wraps sesh.ErrCorrupt.
var errWrongType = fmt.Errorf("redisstore: a key of the wrong type: %w", sesh.ErrCorrupt)

// wrongType reports Redis's WRONGTYPE error: the key holds another type
// than the command works on.
//
// A nil err is answered first: HasErrorPrefix allocates for errors.As even
// then, and most replies carry no error.
func wrongType(err error) bool { return err != nil && redis.HasErrorPrefix(err, "WRONGTYPE") }

// swapScript: ARGV = expected version ("0": must be absent), new value,
// expiry in Unix ms ("0": delete). Returns 1 done, 0 conflict, -1 absent,
// -2 a key of another type than a string (left alone).
var swapScript = redis.NewScript(`
local cur = redis.pcall('GET', KEYS[1])
if type(cur) == 'table' and cur.err then return -2 end
if ARGV[1] == '0' then
  if cur then return 0 end
else
  if not cur then return -1 end
  if string.match(cur, '^(%d+):') ~= ARGV[1] then return 0 end
end
if ARGV[3] == '0' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
end
return 1
`)

// touchScript rewrites the expiry in the value's header and the key's
// Redis expiry; ARGV[1] is Unix ms ("0": delete). Returns 1 done, 0
// absent, -1 not a value of this package (another type than a string
// included).
var touchScript = redis.NewScript(`
local cur = redis.pcall('GET', KEYS[1])
if type(cur) == 'table' and cur.err then return -1 end
if not cur then return 0 end
-- storekit.ParseRecord's rule: three decimal int64 fields, a positive
-- version and expiry, a user length within the value.
local ver, ms, n = string.match(cur, '^(%d+):(%d+):(%d+):')
if not ver then return -1 end
for _, f in ipairs({ver, ms, n}) do
  if #f > 19 or (#f == 19 and f > '9223372036854775807') then return -1 end
end
if not string.find(ver, '[1-9]') or not string.find(ms, '[1-9]') then return -1 end
local hdr = #ver + #ms + #n + 3
if tonumber(n) > #cur - hdr then return -1 end
if ARGV[1] == '0' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ver .. ':' .. ARGV[1] .. ':' .. string.sub(cur, #ver + #ms + 3), 'PXAT', ARGV[1])
end
return 1
`)

// delScript deletes the key and returns the user ID it was tied to (or
// false if it was absent), without sending the data back. A key of
// another type than a string is deleted too (logout must work).
var delScript = redis.NewScript(`
local v = redis.pcall('GET', KEYS[1])
if type(v) == 'table' and v.err then
  redis.call('DEL', KEYS[1])
  return ''
end
if not v then return false end
redis.call('DEL', KEYS[1])
local n, rest = string.match(v, '^%d+:%d+:(%d+):(.*)$')
if not n then return '' end
return string.sub(rest, 1, tonumber(n))
`)

// parseGet turns a GET reply into a record.
func (s *Store) parseGet(v []byte, err error) (sesh.Record, error) {
	if errors.Is(err, redis.Nil) {
		return sesh.Record{}, sesh.ErrNotFound
	}
	if wrongType(err) {
		return sesh.Record{}, errWrongType
	}
	if err != nil {
		return sesh.Record{}, err
	}
	rec, err := storekit.ParseRecord("redisstore", v)
	if err != nil {
		return sesh.Record{}, err
	}
	if !s.now().Before(rec.Expires) {
		return sesh.Record{}, sesh.ErrNotFound
	}
	return rec, nil
}

// Get returns the record under key, or sesh.ErrNotFound if it is absent or
// expired. A value under the prefix that this package did not write (a
// string that is not its envelope, a hash, a list, …) yields an error
// wrapping sesh.ErrCorrupt.
func (s *Store) Get(ctx context.Context, key string) (sesh.Record, error) {
	if err := check(ctx, key); err != nil {
		return sesh.Record{}, err
	}
	rec, err := s.parseGet(s.c.Get(ctx, s.sessionKey(key)).Bytes())
	if err != nil && !errors.Is(err, sesh.ErrNotFound) && !errors.Is(err, sesh.ErrCorrupt) {
		return sesh.Record{}, wrap(ctx, "get", err)
	}
	return rec, err
}

// expiryArg returns the PXAT argument for exp, or 0 if exp has passed.
func (s *Store) expiryArg(exp time.Time) int64 {
	if !s.now().Before(exp) {
		return 0
	}
	return max(exp.UnixMilli(), 1)
}

// index adds key to the user's set in pipe and keeps the set alive as long
// as its longest-lived member.
func (s *Store) index(ctx context.Context, pipe redis.Pipeliner, key, user string, ms int64) {
	if user == "" || ms == 0 {
		return
	}
	uk := s.userKey(user)
	pipe.SAdd(ctx, uk, key)
	pipe.Do(ctx, "PEXPIREAT", uk, ms, "NX")
	pipe.Do(ctx, "PEXPIREAT", uk, ms, "GT")
}

// Set inserts or replaces the record under key with a new version. A
// record whose Expires has passed is deleted instead.
func (s *Store) Set(ctx context.Context, key string, rec sesh.Record) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	ms := s.expiryArg(rec.Expires)
	if ms == 0 {
		return s.Delete(ctx, key)
	}
	val := encode(storekit.NewVersion(), ms, rec.UserID, rec.Data)
	_, err := s.c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Do(ctx, "SET", s.sessionKey(key), val, "PXAT", ms)
		s.index(ctx, pipe, key, rec.UserID, ms)
		return nil
	})
	if err != nil {
		return wrap(ctx, "set", err)
	}
	return nil
}

// Swap is the compare-and-set of sesh.Swapper, atomic in one Lua script.
// A value this package did not write is never replaced: Swap returns
// sesh.ErrConflict (wrapping sesh.ErrCorrupt too when the key holds
// another type than a string), whatever rec.Version.
func (s *Store) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	if err := check(ctx, key); err != nil {
		return 0, err
	}
	if rec.Version < 0 {
		return 0, fmt.Errorf("redisstore: swap: negative version %d: %w", rec.Version, sesh.ErrConflict)
	}
	ms := s.expiryArg(rec.Expires)
	ver := storekit.NewVersion()
	val := encode(ver, max(ms, 1), rec.UserID, rec.Data)
	if rec.UserID == "" && ms != 0 {
		// No user set to index: one command, no pipeline. An insert is a
		// plain SET NX (Redis drops a key at its PXAT, so "absent or
		// expired" is "absent"); a replace is the script alone.
		if rec.Version == 0 {
			// PXAT, as Do spells it: go-redis's SetArgs.ExpireAt sends EXAT
			// (whole seconds), which would end the key up to a second early.
			ok, err := s.c.Do(ctx, "SET", s.sessionKey(key), val, "NX", "PXAT", ms).Text()
			switch {
			case errors.Is(err, redis.Nil):
				return 0, sesh.ErrConflict
			case err != nil:
				return 0, wrap(ctx, "swap", err)
			case ok != "OK":
				return 0, fmt.Errorf("redisstore: swap: unexpected reply %q", ok)
			}
			return ver, nil
		}
		n, err := swapScript.Run(ctx, s.c, []string{s.sessionKey(key)}, strconv.FormatInt(rec.Version, 10), val, ms).Int64()
		if err != nil {
			return 0, wrap(ctx, "swap", err)
		}
		return swapResult(n, ver)
	}
	args := []any{strconv.FormatInt(rec.Version, 10), val, ms}
	keys := []string{s.sessionKey(key)}
	run := func(eval bool) (*redis.Cmd, error) {
		var cmd *redis.Cmd
		_, err := s.c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			if eval {
				cmd = swapScript.Eval(ctx, pipe, keys, args...)
			} else {
				cmd = swapScript.EvalSha(ctx, pipe, keys, args...)
			}
			s.index(ctx, pipe, key, rec.UserID, ms)
			return nil
		})
		return cmd, err
	}
	cmd, err := run(false)
	if err != nil && redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
		cmd, err = run(true)
	}
	if err != nil {
		if cmd != nil && cmd.Err() == nil {
			err = nil // only the index update failed: the swap stands
		} else {
			return 0, wrap(ctx, "swap", err)
		}
	}
	n, err := cmd.Int64()
	if err != nil {
		return 0, fmt.Errorf("redisstore: swap: unexpected reply %v", cmd.Val())
	}
	return swapResult(n, ver)
}

// swapResult turns swapScript's reply into Swap's result.
func swapResult(n, ver int64) (int64, error) {
	switch n {
	case 1:
		return ver, nil
	case 0:
		return 0, sesh.ErrConflict
	case -1:
		return 0, sesh.ErrNotFound
	case -2:
		return 0, fmt.Errorf("redisstore: swap: %w (%w)", sesh.ErrConflict, errWrongType)
	}
	return 0, fmt.Errorf("redisstore: swap: unexpected reply %d", n)
}

// Touch moves the record's expiry (in its header and in Redis) without
// changing its data or version, in one Lua script. It returns
// sesh.ErrNotFound if the key is absent or expired, and an error wrapping
// sesh.ErrCorrupt, changing nothing, if it holds a value this package did
// not write.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	n, err := touchScript.Run(ctx, s.c, []string{s.sessionKey(key)}, s.expiryArg(expires)).Int64()
	if err != nil {
		return wrap(ctx, "touch", err)
	}
	switch n {
	case 1:
		return nil
	case 0:
		return sesh.ErrNotFound
	default:
		return errBadValue
	}
}

// Delete removes the record and its entry in its user's set. An absent key
// is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	user, err := delScript.Run(ctx, s.c, []string{s.sessionKey(key)}).Text()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return wrap(ctx, "delete", err)
	}
	if user != "" {
		if err := s.c.SRem(ctx, s.userKey(user), key).Err(); err != nil {
			return wrap(ctx, "delete", err)
		}
	}
	return nil
}
