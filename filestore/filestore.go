// Package filestore is a sesh.Store that keeps one file per record in a
// directory, laid out as Remix's createFileSessionStorage does.
//
// # Layout
//
// A key of five bytes or more lives in dir/<first 4 bytes>/<rest>; a key of
// one to four bytes lives in dir/_/<key> (no 4-byte prefix directory can be
// named "_", so the two never meet):
//
//	dir/.sesh-filestore        marks the directory as a filestore
//	dir/.locks/0 … 63          lock files (flock), one per stripe of keys
//	dir/q3Xv/Ra9…              the record under key "q3XvRa9…"
//	dir/_/abc                  the record under key "abc"
//	dir/q3Xv/.tmp-123456       a write in progress (or left by a crash)
//
// Keys pass sesh.ValidateKey before any path is built (they hold only
// A-Z a-z 0-9 - _ :, so they never name "..", a separator or a hidden
// file), and every path is checked once more to lie inside dir.
//
// Keys are case-sensitive, so the directory must be on a case-sensitive
// file system: New refuses a case-insensitive one (macOS's default APFS
// volumes, Windows), where two keys differing only in case would share a
// file. Windows is not supported.
//
// New refuses a directory that is neither empty nor already a filestore
// (it has no .sesh-filestore marker): pointing the store at $HOME by mistake
// fails instead of sweeping files that are not sessions. It creates the
// directory with mode 0700 if missing; record and lock files are 0600 and
// the directories it creates are 0700. An existing directory keeps its mode.
//
// # Record file
//
// Each file holds a 35-byte header (magic "sesh", format version 1, Expires
// as Unix seconds and nanoseconds, Version, and the lengths of the key, the
// UserID and the Data), the key, the UserID, the Data, and a CRC-32C of all
// of it. A file that fails these checks makes Get return ErrCorrupt; the
// sweeper removes it.
//
// # Durability and concurrency
//
// A write goes to a temporary file in the record's directory, is fsynced,
// renamed over the record file, and the directory is fsynced: a crash leaves
// either the old record or the new one, never a torn one, and readers never
// see partial data. A temporary file left by a crash is ignored by every read
// and removed by the sweeper once it is older than five minutes.
//
// Writes (Set, Delete, Touch, Swap) hold a per-key lock: an in-process
// striped lock, plus flock(2) on one of 64 lock files on Linux, macOS and
// the BSDs, so Swap is atomic across goroutines and across processes that
// share the directory (other systems: across goroutines of one process
// only). Versions are random non-zero 63-bit numbers, different from the
// version they replace, so a version is in practice never reused, even
// after a Delete.
//
// Get reads without a lock. An expired record is never returned; Get
// deletes it (best effort), and a background sweeper (every five minutes by
// default; Close stops it) deletes expired records, stale temporary files
// and prefix directories that have stayed empty for a minute.
//
// The store implements sesh.Toucher, sesh.Swapper, sesh.Lister and
// sesh.UserIndex (a scan of every file).
//
// A record file the store cannot read (damaged, of a future format, or
// another key's) makes Get return an error wrapping ErrCorrupt (and so
// sesh.ErrCorrupt); the writes treat it as absent: Touch returns
// sesh.ErrNotFound, Swap with version 0 overwrites it and with another
// version returns sesh.ErrNotFound, Delete removes it; the listings skip
// it. Errors never hold a record's path, which spells out its key.
//
// Importing the package registers the URL scheme "file" with sesh.Open:
//
//	file:///var/lib/myapp/sessions
//	file://localhost/var/lib/myapp/sessions?sweep=1m
//
// The path must be absolute; the host must be empty or localhost; sweep is
// Options.SweepInterval ("off" disables the sweeper).
package filestore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/storekit"
)

// DefaultSweepInterval is how often the sweeper runs when
// Options.SweepInterval is zero.
const DefaultSweepInterval = 5 * time.Minute

const (
	markerName    = ".sesh-filestore"
	markerContent = "sesh filestore 1\n"
	lockDirName   = ".locks"
	shortDirName  = "_"
	tempPrefix    = ".tmp-"
	prefixLen     = 4
	lockStripes   = 64
	// staleTemp is the age after which the sweeper removes a temporary
	// file: a write takes milliseconds, so such a file was left by a
	// crash.
	staleTemp = 5 * time.Minute
)

// pruneAge is how long a prefix directory must have been empty and
// unchanged before a sweep removes it: a writer in another process that has
// just created it has time to fill it. (A variable for tests.)
var pruneAge = time.Minute

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// SweepInterval is how often a background goroutine deletes expired
	// records, stale temporary files and empty directories. Zero means
	// DefaultSweepInterval; a negative value disables it (call Sweep
	// yourself, or not at all: expired records are never returned anyway).
	SweepInterval time.Duration
	// Now is the clock used for expiry; nil means time.Now.
	Now func() time.Time
}

// Store is a sesh.Store over a directory. It is safe for concurrent use by
// several goroutines and, on systems with flock, by several processes.
type Store struct {
	dir     string // absolute and clean
	now     func() time.Time
	stripes [lockStripes]chan struct{}

	// dirMu keeps a sweep from removing an empty prefix directory between a
	// writer's mkdir and its rename in this process (writers share it,
	// pruning takes it alone). Other processes are covered by pruneAge and
	// a retry.
	dirMu    sync.RWMutex
	pruneAge time.Duration

	stop context.CancelFunc // stops the sweeper; safe to call twice
	wg   sync.WaitGroup
}

var (
	_ sesh.Store     = (*Store)(nil)
	_ sesh.Toucher   = (*Store)(nil)
	_ sesh.Swapper   = (*Store)(nil)
	_ sesh.Lister    = (*Store)(nil)
	_ sesh.UserIndex = (*Store)(nil)
)

// New opens the filestore in dir, creating dir (mode 0700) if it does not
// exist, and starts its sweeper unless disabled. Call Close when done.
// maxDirLen is PATH_MAX on Linux: no longer directory name can be opened.
const maxDirLen = 4096

func New(dir string, opts Options) (*Store, error) {
	if runtime.GOOS == "windows" {
		return nil, errors.New("filestore: Windows is not supported (file names are case-insensitive and ':' names a stream)")
	}
	if dir == "" {
		return nil, errors.New("filestore: empty directory name")
	}
	if len(dir) > maxDirLen {
		// Before MkdirAll, which would walk (and copy) every parent of a
		// path no file system accepts anyway.
		return nil, fmt.Errorf("filestore: directory name of %d bytes, over %d", len(dir), maxDirLen)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("filestore: %w", err)
	}
	s := &Store{dir: abs, now: opts.Now, pruneAge: pruneAge}
	if s.now == nil {
		s.now = time.Now
	}
	for i := range s.stripes {
		s.stripes[i] = make(chan struct{}, 1)
	}
	if err := s.prepare(); err != nil {
		return nil, err
	}
	interval := opts.SweepInterval
	if interval == 0 {
		interval = DefaultSweepInterval
	}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	if interval > 0 {
		s.wg.Add(1)
		go s.sweeper(ctx, interval)
	}
	return s, nil
}

// prepare creates or checks the directory, its marker and its lock
// directory, and checks that file names are case-sensitive.
func (s *Store) prepare() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	fi, err := os.Stat(s.dir)
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("filestore: %s is not a directory", s.dir)
	}
	marker := filepath.Join(s.dir, markerName)
	b, err := os.ReadFile(marker)
	switch {
	case err == nil:
		if string(b) != markerContent {
			return fmt.Errorf("filestore: %s: unknown marker %q (written by a newer version?)", marker, b)
		}
	case errors.Is(err, fs.ErrNotExist):
		entries, err := os.ReadDir(s.dir)
		if err != nil {
			return fmt.Errorf("filestore: %w", err)
		}
		if len(entries) > 0 {
			return fmt.Errorf("filestore: %s is not empty and is not a filestore (no %s file); use an empty or new directory", s.dir, markerName)
		}
		if err := s.writeFile(s.dir, marker, []byte(markerContent)); err != nil {
			return err
		}
	default:
		return fmt.Errorf("filestore: %w", err)
	}
	if err := s.checkCaseSensitive(); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(s.dir, lockDirName), 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("filestore: %w", err)
	}
	return nil
}

// checkCaseSensitive creates a lower-case probe file and looks for it under
// its upper-case name.
func (s *Store) checkCaseSensitive() error {
	name := fmt.Sprintf(".probe-case-%x", rand.Uint64())
	p := filepath.Join(s.dir, name)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	f.Close()
	defer os.Remove(p)
	if _, err := os.Lstat(filepath.Join(s.dir, strings.ToUpper(name))); err == nil {
		return fmt.Errorf("filestore: %s is on a case-insensitive file system; session keys are case-sensitive, so use a case-sensitive volume", s.dir)
	}
	return nil
}

// Dir returns the absolute directory the store keeps its files in.
func (s *Store) Dir() string { return s.dir }

// Close stops the sweeper and waits for it to return. It is safe to call
// more than once. The store stays usable after Close; only the background
// sweeping stops.
func (s *Store) Close() error {
	s.stop()
	s.wg.Wait()
	return nil
}

func (s *Store) sweeper(ctx context.Context, interval time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = s.Sweep(ctx) // best effort; the next run retries
		}
	}
}

// paths returns the directory and file of key's record, after validating
// key. The check that the file lies inside s.dir is defence in depth: a key
// that passes sesh.ValidateKey can never escape.
func (s *Store) paths(key string) (dir, file string, err error) {
	if err := sesh.ValidateKey(key); err != nil {
		return "", "", err
	}
	sub, name := shortDirName, key
	if len(key) > prefixLen {
		sub, name = key[:prefixLen], key[prefixLen:]
	}
	dir = filepath.Join(s.dir, sub)
	file = filepath.Join(dir, name)
	rel, err := filepath.Rel(s.dir, file)
	if err != nil || !filepath.IsLocal(rel) || filepath.Dir(dir) != s.dir || filepath.Dir(file) != dir ||
		strings.HasPrefix(sub, ".") || strings.HasPrefix(name, ".") {
		return "", "", fmt.Errorf("%w: path escapes the store directory", sesh.ErrInvalidKey)
	}
	return dir, file, nil
}

// keyOf returns the key a file in the layout belongs to, or false for a
// name that is not a record (temporary files, foreign files).
func keyOf(sub, name string) (string, bool) {
	var key string
	switch {
	case sub == shortDirName && len(name) <= prefixLen:
		key = name
	case len(sub) == prefixLen && sub != shortDirName:
		key = sub + name
		if len(name) == 0 {
			return "", false
		}
	default:
		return "", false
	}
	return key, sesh.ValidateKey(key) == nil
}

func (s *Store) expired(exp time.Time) bool { return !exp.After(s.now()) }

// lock takes key's lock: the in-process stripe, then the cross-process
// file lock of the same stripe. It gives up when ctx is done.
func (s *Store) lock(ctx context.Context, key string) (unlock func(), err error) {
	h := fnv.New32a()
	h.Write([]byte(key))
	i := h.Sum32() % lockStripes
	select {
	case s.stripes[i] <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release, err := lockFile(ctx, filepath.Join(s.dir, lockDirName, strconv.Itoa(int(i))))
	if err != nil {
		<-s.stripes[i]
		return nil, fmt.Errorf("filestore: lock: %w", pathless(err))
	}
	return func() {
		release()
		<-s.stripes[i]
	}, nil
}

// pathless returns err without the file name that an *fs.PathError or an
// *os.LinkError carries: a record's path spells out its key, which in the
// raw-key layouts (Astro, express) is a live session ID, and errors end up
// in logs. The operation and the cause stay, and so does what errors.Is
// finds in the cause (fs.ErrNotExist, …).
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return fmt.Errorf("%s: %w", le.Op, le.Err)
	}
	return err
}

// ioErr is a file-system error of a record's file or directory, with the
// path taken out (see pathless).
func ioErr(err error) error { return fmt.Errorf("filestore: %w", pathless(err)) }

// read returns the record in file. ok is false if there is no file.
func read(key, file string) (rec sesh.Record, ok bool, err error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return sesh.Record{}, false, nil
	}
	if err != nil {
		return sesh.Record{}, false, ioErr(err)
	}
	rec, err = decode(key, b)
	if err != nil {
		return sesh.Record{}, false, err
	}
	return rec, true, nil
}

// writeFile replaces file atomically: temporary file in the same
// directory, fsync, rename, fsync of the directory.
func (s *Store) writeFile(dir, file string, content []byte) error {
	s.dirMu.RLock()
	defer s.dirMu.RUnlock()
	var f *os.File
	var err error
	for range 3 {
		if err = s.ensureDir(dir); err != nil {
			return err
		}
		f, err = os.CreateTemp(dir, tempPrefix+"*")
		if !errors.Is(err, fs.ErrNotExist) {
			break // a sweep in another process removed the directory: retry
		}
	}
	if err != nil {
		return ioErr(err)
	}
	tmp := f.Name()
	_, err = f.Write(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		os.Remove(tmp)
		return ioErr(err)
	}
	return syncDir(dir)
}

// ensureDir creates a record directory if needed, and makes its entry in
// the store directory durable.
func (s *Store) ensureDir(dir string) error {
	err := os.Mkdir(dir, 0o700)
	if err == nil {
		return syncDir(s.dir)
	}
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	return ioErr(err)
}

// syncDir makes the entries of dir durable. File systems that cannot sync
// a directory are tolerated, and so is a directory that a concurrent sweep
// has just pruned (it was empty, so there is nothing left to sync).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return ioErr(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("filestore: sync directory: %w", pathless(err))
	}
	return nil
}

// removeFile deletes file (absent is fine) and syncs its directory.
func removeFile(dir, file string) error {
	if err := os.Remove(file); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return ioErr(err)
	}
	return syncDir(dir)
}

// newVersion returns a random non-zero version different from prev.
func newVersion(prev int64) int64 {
	for {
		if v := rand.Int64(); v != 0 && v != prev {
			return v
		}
	}
}

// Get returns the record under key, or sesh.ErrNotFound if it is absent or
// expired. An expired record file is deleted on the way (best effort).
func (s *Store) Get(ctx context.Context, key string) (sesh.Record, error) {
	if err := ctx.Err(); err != nil {
		return sesh.Record{}, err
	}
	dir, file, err := s.paths(key)
	if err != nil {
		return sesh.Record{}, err
	}
	rec, ok, err := read(key, file)
	if err != nil {
		return sesh.Record{}, err
	}
	if !ok {
		return sesh.Record{}, sesh.ErrNotFound
	}
	if s.expired(rec.Expires) {
		s.removeExpired(ctx, key, dir, file, rec.Version)
		return sesh.Record{}, sesh.ErrNotFound
	}
	return rec, nil
}

// removeExpired deletes key's file if it still holds the expired record
// that was read (a writer may have replaced it since).
func (s *Store) removeExpired(ctx context.Context, key, dir, file string, version int64) {
	unlock, err := s.lock(ctx, key)
	if err != nil {
		return
	}
	defer unlock()
	rec, ok, err := read(key, file)
	if err == nil && ok && rec.Version == version && s.expired(rec.Expires) {
		_ = removeFile(dir, file)
	}
}

// Set inserts or replaces the record under key and gives it a new version.
func (s *Store) Set(ctx context.Context, key string, rec sesh.Record) error {
	_, err := s.write(ctx, key, func(cur sesh.Record, found bool) (sesh.Record, int64, error) {
		return rec, newVersion(cur.Version), nil
	})
	return err
}

// Swap writes rec under key if the stored version is rec.Version (0: the
// key must be absent or expired), and returns the new version. See
// sesh.Swapper.
func (s *Store) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	return s.write(ctx, key, func(cur sesh.Record, live bool) (sesh.Record, int64, error) {
		if err := storekit.CheckSwap(rec.Version, cur.Version, live); err != nil {
			return sesh.Record{}, 0, err
		}
		return rec, newVersion(cur.Version), nil
	})
}

// Touch moves the expiry of the record under key, keeping its data, user
// and version. It returns sesh.ErrNotFound if the record is absent or
// expired.
func (s *Store) Touch(ctx context.Context, key string, expires time.Time) error {
	_, err := s.write(ctx, key, func(cur sesh.Record, live bool) (sesh.Record, int64, error) {
		if !live {
			return sesh.Record{}, 0, sesh.ErrNotFound
		}
		cur.Expires = expires
		return cur, cur.Version, nil
	})
	return err
}

// write runs a read-modify-write of key's record under its lock. decide
// sees the current record (live reports whether it exists and is
// unexpired; cur.Version is set even for an expired record) and returns the
// record to write with its version, or an error to write nothing.
func (s *Store) write(ctx context.Context, key string, decide func(cur sesh.Record, live bool) (sesh.Record, int64, error)) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	dir, file, err := s.paths(key)
	if err != nil {
		return 0, err
	}
	unlock, err := s.lock(ctx, key)
	if err != nil {
		return 0, err
	}
	defer unlock()
	cur, ok, err := read(key, file)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return 0, err
	}
	// A corrupt file counts as absent: writing over it repairs the key.
	live := err == nil && ok && !s.expired(cur.Expires)
	if err != nil {
		cur = sesh.Record{}
	}
	rec, version, err := decide(cur, live)
	if err != nil {
		return 0, err
	}
	content, err := encode(key, rec, version)
	if err != nil {
		return 0, err
	}
	if err := s.writeFile(dir, file, content); err != nil {
		return 0, err
	}
	return version, nil
}

// Delete removes the record under key. An absent key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir, file, err := s.paths(key)
	if err != nil {
		return err
	}
	unlock, err := s.lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	return removeFile(dir, file)
}

// entry is one file met by walk.
type entry struct {
	dir, path string
	key       string // "" for a temporary file
	temp      bool
}

// walk calls fn for every record file and temporary file of the layout,
// until fn returns false or ctx is done. Files outside the layout are never
// visited. With prune set, each prefix directory is removed after its walk
// if it is empty by then and has not changed for a while.
func (s *Store) walk(ctx context.Context, prune bool, fn func(e entry) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	subs, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	for _, sd := range subs {
		sub := sd.Name()
		if !sd.IsDir() || (sub != shortDirName && (len(sub) != prefixLen || sesh.ValidateKey(sub) != nil)) {
			continue
		}
		dir := filepath.Join(s.dir, sub)
		files, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by a concurrent sweep
		}
		if err != nil {
			return ioErr(err)
		}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			name := f.Name()
			if !f.Type().IsRegular() {
				continue
			}
			e := entry{dir: dir, path: filepath.Join(dir, name)}
			if strings.HasPrefix(name, tempPrefix) {
				e.temp = true
			} else if key, ok := keyOf(sub, name); ok {
				e.key = key
			} else {
				continue
			}
			if !fn(e) {
				return nil
			}
		}
		if prune {
			s.prune(dir)
		}
	}
	return nil
}

// prune removes dir if it is empty and has not changed for pruneAge.
func (s *Store) prune(dir string) {
	fi, err := os.Lstat(dir)
	if err != nil || time.Since(fi.ModTime()) < s.pruneAge {
		return
	}
	s.dirMu.Lock()
	defer s.dirMu.Unlock()
	os.Remove(dir) // fails, harmlessly, unless empty
}

// Range calls fn for each unexpired record, in no particular order, until
// fn returns false. It holds no lock while fn runs, so fn may call the
// store. Corrupt files are skipped.
func (s *Store) Range(ctx context.Context, fn func(key string, rec sesh.Record) bool) error {
	return s.walk(ctx, false, func(e entry) bool {
		if e.temp {
			return true
		}
		rec, ok, err := read(e.key, e.path)
		if err != nil || !ok || s.expired(rec.Expires) {
			return true
		}
		return fn(e.key, rec)
	})
}

// Len returns the number of unexpired records. It reads every file.
func (s *Store) Len(ctx context.Context) (int, error) {
	n := 0
	err := s.Range(ctx, func(string, sesh.Record) bool { n++; return true })
	if err != nil {
		return 0, err
	}
	return n, nil
}

// ByUser returns the unexpired records whose UserID is userID, by key. It
// reads every file. An empty userID matches nothing.
func (s *Store) ByUser(ctx context.Context, userID string) (map[string]sesh.Record, error) {
	out := make(map[string]sesh.Record)
	if userID == "" {
		return out, ctx.Err()
	}
	err := s.Range(ctx, func(key string, rec sesh.Record) bool {
		if rec.UserID == userID {
			out[key] = rec
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Clear deletes every record of the store (and prefix directories left
// empty for a minute).
// Temporary files of writes in progress are left to the sweeper.
func (s *Store) Clear(ctx context.Context) error {
	var first error
	err := s.walk(ctx, true, func(e entry) bool {
		if e.temp {
			return true
		}
		if err := s.removeRecord(ctx, e, func(sesh.Record, error) bool { return true }); err != nil && first == nil {
			first = err
		}
		return ctx.Err() == nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return err
	}
	return first
}

// removeRecord removes e's file under its key's lock if it is a record of
// this package (it has the magic) and doom, given the decoded record or the
// decoding error, says so.
func (s *Store) removeRecord(ctx context.Context, e entry, doom func(sesh.Record, error) bool) error {
	unlock, err := s.lock(ctx, e.key)
	if err != nil {
		return err
	}
	defer unlock()
	b, err := os.ReadFile(e.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return ioErr(err)
	}
	if !hasMagic(b) {
		return nil // not ours: leave it
	}
	if !doom(decode(e.key, b)) {
		return nil
	}
	return removeFile(e.dir, e.path)
}

// Sweep deletes expired and corrupt record files, temporary files older
// than five minutes (left by a crash) and prefix directories left empty
// for a minute. The
// background sweeper calls it; with the sweeper disabled, call it from your
// own schedule. It returns the first error met, after trying every file.
func (s *Store) Sweep(ctx context.Context) error {
	var first error
	note := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	err := s.walk(ctx, true, func(e entry) bool {
		if e.temp {
			if fi, err := os.Lstat(e.path); err == nil && time.Since(fi.ModTime()) > staleTemp {
				if err := os.Remove(e.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
					note(ioErr(err))
				}
			}
			return true
		}
		rec, ok, err := read(e.key, e.path)
		if ok && err == nil && !s.expired(rec.Expires) {
			return true // live: no lock needed
		}
		note(s.removeRecord(ctx, e, func(rec sesh.Record, err error) bool {
			return err != nil || s.expired(rec.Expires)
		}))
		return ctx.Err() == nil
	})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return first
}
