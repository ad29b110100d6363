package sesh

import (
	"context"
	"errors"
	"time"
)

// Errors returned by stores and by the Manager. Test for them with errors.Is.
var (
	// ErrNotFound reports that a key is absent or its record has expired.
	ErrNotFound = errors.New("sesh: record not found")
	// ErrConflict reports that a compare-and-set lost: the stored version is
	// not the one the caller read (see Swapper).
	ErrConflict = errors.New("sesh: version conflict")
	// ErrInvalidKey reports a store key that fails ValidateKey. Stores return
	// it before doing any I/O.
	ErrInvalidKey = errors.New("sesh: invalid store key")
	// ErrCorrupt reports a record that exists but cannot be read back (a
	// torn file, a checksum mismatch). Stores wrap it; the Manager treats
	// such a record as absent, logs it, and starts a new session, so one bad
	// record never turns into a 500 on every request that carries its ID.
	ErrCorrupt = errors.New("sesh: corrupt record")
)

// Record is what a Store keeps under a key.
type Record struct {
	// Data is opaque to the store: the Codec produced it.
	Data []byte
	// Expires is the absolute instant after which the store must never
	// return the record again, even if the engine has not deleted it yet.
	Expires time.Time
	// Version is set by stores that implement Swapper: it changes on every
	// write of the record. Other stores leave it 0.
	Version int64
	// UserID ties the record to a user, for stores that implement UserIndex.
	// It is opaque to the store; stores without a user index may drop it.
	UserID string
}

// Store keeps session records. Keys are produced by the Manager and pass
// ValidateKey; a store must still validate them (ErrInvalidKey) before they
// reach a path, a query or a command. Keys are case-sensitive. Every method
// honours ctx: a context that is already done, or ends during the call, makes
// it return promptly with an error wrapping ctx.Err().
//
// Expiry is exact: a record is expired at the instant now == Expires, and a
// record with a zero Expires is already expired (the Manager always sets
// one). storetest checks all of this against a real engine.
type Store interface {
	// Get returns the record under key, or ErrNotFound if it is absent or
	// its Expires has passed.
	Get(ctx context.Context, key string) (Record, error)
	// Set inserts or replaces the record under key. A record whose Expires
	// has already passed is as good as deleted.
	Set(ctx context.Context, key string, rec Record) error
	// Delete removes the record under key. An absent key is not an error.
	Delete(ctx context.Context, key string) error
}

// Toucher is implemented by stores that can move a record's expiry without
// rewriting its data. Touch returns ErrNotFound if the key is absent or
// expired, ErrCorrupt (or ErrNotFound) for a record it cannot read, and
// leaves the record's Version unchanged. A store whose Touch is itself a
// read and a compare-and-set may, after losing to concurrent writes a few
// times, return an error wrapping ErrConflict: another request wrote the
// record meanwhile, and the Manager does not count that as a failure.
type Toucher interface {
	Touch(ctx context.Context, key string, expires time.Time) error
}

// Swapper is implemented by stores that can compare-and-set; it is how the
// Manager prevents lost updates and keeps a destroyed session destroyed.
//
// Besides sessions, the Manager keeps two kinds of short-lived records in a
// Swapper store: a tombstone (empty Data, no UserID) at the old key of a
// session Regenerate moved, for a couple of minutes, and with
// Config.Serialize a lock at "lock:<hash>" (Data "{}", no UserID) for as
// long as a request holds it. Listings (Lister.Range, sesh ls) show them;
// UserIndex never does.
type Swapper interface {
	// Swap writes rec under key only if the stored version equals
	// rec.Version, and returns the new version (never 0, and never a version
	// the key held before: a deleted and re-created key does not reuse one).
	//
	// With rec.Version == 0 the key must be absent (or expired): otherwise
	// ErrConflict. With rec.Version != 0 the key must hold exactly that
	// version: ErrNotFound if it is absent or expired, ErrConflict if it holds
	// another version.
	Swap(ctx context.Context, key string, rec Record) (version int64, err error)
}

// Lister is implemented by stores that can enumerate their records, as
// express-session's optional all / length / clear store methods.
type Lister interface {
	// Range calls fn for each unexpired record, in no particular order,
	// until fn returns false. Records written during the walk may or may not
	// be seen. fn may call the store's other methods (Delete included)
	// without deadlocking.
	Range(ctx context.Context, fn func(key string, rec Record) bool) error
	// Len returns the number of unexpired records.
	Len(ctx context.Context) (int, error)
	// Clear deletes every record of this store (and only of this store:
	// a store with a key prefix clears only its prefix).
	Clear(ctx context.Context) error
}

// Creator is implemented by stores that mint keys themselves, as Remix's
// createData does. The Manager then uses the returned key as the session ID.
type Creator interface {
	// Create stores rec under a new, unused key and returns that key.
	Create(ctx context.Context, rec Record) (key string, err error)
}

// UserIndex is implemented by stores that index records by Record.UserID, so
// that the Manager can list and end a user's sessions.
type UserIndex interface {
	// ByUser returns the unexpired records whose UserID is userID, by key.
	// An unknown user, and the empty user ID, yield an empty map and no
	// error.
	ByUser(ctx context.Context, userID string) (map[string]Record, error)
}

// MaxKeyLen is the longest key ValidateKey accepts. It fits memcached's limit
// with room for a prefix.
const MaxKeyLen = 200

// ValidateKey reports whether key is acceptable to every store: 1 to
// MaxKeyLen bytes from A-Z, a-z, 0-9, '-', '_' and ':'. Such a key can never
// name a parent directory, carry a path separator, a quote, a wildcard or a
// control character. It returns an error wrapping ErrInvalidKey otherwise.
func ValidateKey(key string) error {
	if len(key) == 0 {
		return errInvalidKey("empty")
	}
	if len(key) > MaxKeyLen {
		return errInvalidKey("too long")
	}
	for i := 0; i < len(key); i++ {
		if !keyByte[key[i]] {
			return errInvalidKey("bad character")
		}
	}
	return nil
}

func errInvalidKey(why string) error {
	return &keyError{why: why}
}

type keyError struct{ why string }

func (e *keyError) Error() string { return "sesh: invalid store key: " + e.why }
func (e *keyError) Unwrap() error { return ErrInvalidKey }

var keyByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['_'], t[':'] = true, true, true
	return t
}()

// Pinger is implemented by stores on a server: Ping checks that the engine
// answers (for readiness probes), within ctx. Manager.Ping calls it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Purger is implemented by stores whose engine does not drop expired
// records by itself (SQL tables, files): Purge deletes every record whose
// Expires has passed and returns how many it deleted.
type Purger interface {
	Purge(ctx context.Context) (int, error)
}
