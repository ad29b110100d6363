package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Engine(t, "filestore", "", "in-process")
	storetest.RunWith(t, func(t *testing.T) sesh.Store {
		s, err := New(filepath.Join(t.TempDir(), "sessions"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}, storetest.Options{Corrupt: corruptions})
}

// TestConformanceSweeping runs the suite with a sweeper that runs all the
// time, so that pruning directories races with every write.
func TestConformanceSweeping(t *testing.T) {
	prunePromptly(t)
	storetest.RunWith(t, func(t *testing.T) sesh.Store {
		s, err := New(filepath.Join(t.TempDir(), "sessions"), Options{SweepInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}, storetest.Options{Sweeping: true})
}

// prunePromptly lets sweeps remove empty directories at once.
func prunePromptly(t *testing.T) {
	old := pruneAge
	pruneAge = 0
	t.Cleanup(func() { pruneAge = old })
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newStore(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	if opts.SweepInterval == 0 {
		opts.SweepInterval = -1
	}
	s, err := New(dir, opts)
	if err != nil {
		t.Fatalf("New(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func set(t *testing.T, s *Store, key string, exp time.Time) {
	t.Helper()
	if err := s.Set(context.Background(), key, sesh.Record{Data: []byte(key), Expires: exp}); err != nil {
		t.Fatalf("Set(%s): %v", key, err)
	}
}

// tree returns every path under root (relative, slash-separated), with a
// trailing slash for directories.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p != root {
			return nil // removed by a concurrent sweep
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestPathTraversal(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "store")
	s := newStore(t, dir, Options{})
	ctx := context.Background()
	// Files an attacker would like to reach.
	for _, p := range []string{"canary", "store2/abcd/efgh"} {
		full := filepath.Join(parent, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("precious"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	set(t, s, "legit-key", time.Now().Add(time.Hour))
	before := tree(t, parent)

	attacks := []string{
		"../../etc/passwd", "../canary", "..", ".", "../store2/abcd/efgh", "../store2",
		"a/b", "abcd/../../canary", "....", "./abcd", ".locks", ".sesh-filestore", ".tmp-x",
		"\x00", "a\x00b", "abcd\x00/../../canary", "/etc/passwd", filepath.Join(parent, "canary"),
		`..\..\canary`, `C:\Windows`, "abcd/", "%2e%2e%2fcanary", "..%2fcanary", "\u2025canary",
		"abcd\n", " abcd", strings.Repeat("../", 100) + "canary",
	}
	rec := sesh.Record{Data: []byte("pwned"), Expires: time.Now().Add(time.Hour)}
	for _, key := range attacks {
		ops := map[string]error{
			"Set":    s.Set(ctx, key, rec),
			"Delete": s.Delete(ctx, key),
			"Touch":  s.Touch(ctx, key, time.Now().Add(time.Hour)),
		}
		_, ops["Get"] = s.Get(ctx, key)
		_, ops["Swap"] = s.Swap(ctx, key, rec)
		_, ops["Swap with a version"] = s.Swap(ctx, key, sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour), Version: 7})
		for op, err := range ops {
			if !errors.Is(err, sesh.ErrInvalidKey) {
				t.Errorf("%s(%q) = %v, want ErrInvalidKey", op, key, err)
			}
		}
		if _, _, err := s.paths(key); !errors.Is(err, sesh.ErrInvalidKey) {
			t.Errorf("paths(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	if after := tree(t, parent); !slices.Equal(before, after) {
		t.Fatalf("the attacks changed the file tree:\nbefore %q\nafter  %q", before, after)
	}
	for _, p := range []string{"canary", "store2/abcd/efgh"} {
		if b, err := os.ReadFile(filepath.Join(parent, p)); err != nil || string(b) != "precious" {
			t.Fatalf("%s = %q, %v; want it untouched", p, b, err)
		}
	}
}

func TestPathsStayInside(t *testing.T) {
	s := newStore(t, t.TempDir(), Options{})
	for _, key := range []string{"a", "abcd", "abcde", "a:b:c", "-_-_", strings.Repeat("Z", sesh.MaxKeyLen)} {
		d, f, err := s.paths(key)
		if err != nil {
			t.Fatalf("paths(%q): %v", key, err)
		}
		rel, err := filepath.Rel(s.Dir(), f)
		if err != nil || !filepath.IsLocal(rel) || filepath.Dir(f) != d || filepath.Dir(d) != s.Dir() {
			t.Fatalf("paths(%q) = %s, %s: not one level inside %s", key, d, f, s.Dir())
		}
	}
}

func TestLayoutAndPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "sessions") // New creates both levels
	s := newStore(t, dir, Options{})
	exp := time.Now().Add(time.Hour)
	keys := map[string]string{
		"q3XvRa9-_Z": "q3Xv/Ra9-_Z",
		"abcde":      "abcd/e",
		"abcd":       "_/abcd",
		"xyz":        "_/xyz",
		"Q":          "_/Q",
		"ab:cd:ef":   "ab:c/d:ef",
	}
	for key := range keys {
		set(t, s, key, exp)
	}
	if _, err := s.Swap(context.Background(), "swapped1", sesh.Record{Data: []byte("x"), Expires: exp}); err != nil {
		t.Fatal(err)
	}
	keys["swapped1"] = "swap/ped1"

	mode := func(p string) fs.FileMode {
		t.Helper()
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode()
	}
	for key, rel := range keys {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("record of %q not at %s: %v", key, rel, err)
		}
		if !strings.HasPrefix(string(b), "sesh\x01") {
			t.Fatalf("%s does not start with the magic and format version: %q", rel, b[:8])
		}
		if m := mode(p); m != 0o600 {
			t.Errorf("%s has mode %v, want 0600", rel, m)
		}
		if m := mode(filepath.Dir(p)); m != fs.ModeDir|0o700 {
			t.Errorf("%s has mode %v, want drwx------", filepath.Dir(rel), m)
		}
	}
	for _, d := range []string{dir, filepath.Dir(dir), filepath.Join(dir, lockDirName)} {
		if m := mode(d); m != fs.ModeDir|0o700 {
			t.Errorf("%s has mode %v, want drwx------", d, m)
		}
	}
	if m := mode(filepath.Join(dir, markerName)); m != 0o600 {
		t.Errorf("marker has mode %v, want 0600", m)
	}
	locks, err := os.ReadDir(filepath.Join(dir, lockDirName))
	if err != nil {
		t.Fatal(err)
	}
	if crossProcess && len(locks) == 0 {
		t.Errorf("no lock files in %s", lockDirName)
	}
	for _, l := range locks {
		if m := mode(filepath.Join(dir, lockDirName, l.Name())); m != 0o600 {
			t.Errorf("lock file %s has mode %v, want 0600", l.Name(), m)
		}
		if n, err := strconv.Atoi(l.Name()); err != nil || n < 0 || n >= lockStripes {
			t.Errorf("unexpected lock file %q", l.Name())
		}
	}
	// No temporary file is left after the writes.
	for _, p := range tree(t, dir) {
		if strings.Contains(p, tempPrefix) {
			t.Errorf("temporary file left behind: %s", p)
		}
	}
	// Delete removes the file.
	if err := s.Delete(context.Background(), "abcde"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "abcd", "e")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("record file still there after Delete: %v", err)
	}
}

func TestReopenKeepsRecords(t *testing.T) {
	dir := t.TempDir()
	s1, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Round(0)
	v, err := s1.Swap(context.Background(), "persistent", sesh.Record{Data: []byte("x"), Expires: exp, UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	s1.Close()
	s2 := newStore(t, dir, Options{})
	rec, err := s2.Get(context.Background(), "persistent")
	if err != nil || string(rec.Data) != "x" || !rec.Expires.Equal(exp) || rec.Version != v || rec.UserID != "u" {
		t.Fatalf("after reopening: Get = %+v, %v", rec, err)
	}
}

func TestNewRefuses(t *testing.T) {
	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(foreign, Options{}); err == nil || !strings.Contains(err.Error(), "not a filestore") {
		t.Fatalf("New on a foreign non-empty directory = %v, want a refusal", err)
	}
	if b, err := os.ReadFile(filepath.Join(foreign, "notes.txt")); err != nil || string(b) != "mine" {
		t.Fatal("New touched a foreign file")
	}
	if entries, _ := os.ReadDir(foreign); len(entries) != 1 {
		t.Fatalf("New left files in a foreign directory: %d entries", len(entries))
	}

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(file, Options{}); err == nil {
		t.Fatal("New on a regular file succeeded")
	}
	if _, err := New("", Options{}); err == nil {
		t.Fatal("New with an empty directory name succeeded")
	}

	odd := t.TempDir()
	if err := os.WriteFile(filepath.Join(odd, markerName), []byte("sesh filestore 99\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(odd, Options{}); err == nil || !strings.Contains(err.Error(), "unknown marker") {
		t.Fatalf("New with a marker of another format = %v, want a refusal", err)
	}
}

func TestTornTempFileIgnoredAndCleaned(t *testing.T) {
	prunePromptly(t)
	dir := t.TempDir()
	s := newStore(t, dir, Options{})
	ctx := context.Background()
	set(t, s, "abcdefgh", time.Now().Add(time.Hour))
	// A crash in the middle of a write of abcdefgh and of a short key left
	// these behind; a third one belongs to a write still in progress.
	valid, err := os.ReadFile(filepath.Join(dir, "abcd", "efgh"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "_"), 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	torn := map[string][]byte{
		"abcd/.tmp-1234": valid[:len(valid)/2],
		"_/.tmp-99":      []byte("sesh\x01garbage"),
		"abcd/.tmp-live": valid[:10],
	}
	for rel, b := range torn {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(rel, "live") {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Ignored by every read.
	rec, err := s.Get(ctx, "abcdefgh")
	if err != nil || string(rec.Data) != "abcdefgh" {
		t.Fatalf("Get beside torn files = %q, %v", rec.Data, err)
	}
	var keys []string
	if err := s.Range(ctx, func(k string, _ sesh.Record) bool { keys = append(keys, k); return true }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"abcdefgh"}) {
		t.Fatalf("Range beside torn files = %q", keys)
	}
	if n, err := s.Len(ctx); err != nil || n != 1 {
		t.Fatalf("Len = %d, %v; want 1", n, err)
	}
	// Cleaned by the sweep: the stale ones only.
	if err := s.Sweep(ctx); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	for rel := range torn {
		_, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rel)))
		if stale := !strings.HasSuffix(rel, "live"); stale != errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s after Sweep: %v (stale: %v)", rel, err, stale)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "_")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty directory _ not pruned: %v", err)
	}
	if rec, err := s.Get(ctx, "abcdefgh"); err != nil || string(rec.Data) != "abcdefgh" {
		t.Fatalf("Get after Sweep = %q, %v", rec.Data, err)
	}
}

func TestCorruptRecord(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir, Options{})
	ctx := context.Background()
	set(t, s, "abcdefgh", time.Now().Add(time.Hour))
	set(t, s, "flipped1", time.Now().Add(time.Hour))
	set(t, s, "otherkey", time.Now().Add(time.Hour))
	p := filepath.Join(dir, "abcd", "efgh")
	valid, _ := os.ReadFile(p)
	// Truncated (only possible by tampering: writes go through a rename).
	if err := os.WriteFile(p, valid[:len(valid)-3], 0o600); err != nil {
		t.Fatal(err)
	}
	// One bit flipped in the data.
	fp := filepath.Join(dir, "flip", "ped1")
	b, _ := os.ReadFile(fp)
	b[len(b)-6] ^= 1
	os.WriteFile(fp, b, 0o600)
	// A record copied under another key's name.
	other, _ := os.ReadFile(filepath.Join(dir, "othe", "rkey"))
	os.MkdirAll(filepath.Join(dir, "copi"), 0o700)
	os.WriteFile(filepath.Join(dir, "copi", "edkey"), other, 0o600)
	// A file that is not ours at all, in the layout.
	os.WriteFile(filepath.Join(dir, "abcd", "README"), []byte("not a record"), 0o600)

	for _, k := range []string{"abcdefgh", "flipped1", "copiedkey", "abcdREADME"} {
		if _, err := s.Get(ctx, k); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Get(%s) = %v, want ErrCorrupt", k, err)
		}
	}
	if n, err := s.Len(ctx); err != nil || n != 1 {
		t.Fatalf("Len = %d, %v; want 1 (corrupt files skipped)", n, err)
	}
	// Writing over a corrupt record repairs the key.
	if _, err := s.Swap(ctx, "flipped1", sesh.Record{Data: []byte("new"), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatalf("Swap over a corrupt record: %v", err)
	}
	if err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"abcd/efgh", "copi/edkey"} {
		if _, err := os.Lstat(filepath.Join(dir, rel)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("corrupt %s not removed by Sweep: %v", rel, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "abcd", "README")); err != nil || string(b) != "not a record" {
		t.Errorf("Sweep touched a file without the magic: %v", err)
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "abcd", "README")); err != nil {
		t.Errorf("Clear removed a file without the magic: %v", err)
	}
	if n, _ := s.Len(ctx); n != 0 {
		t.Fatalf("Len after Clear = %d", n)
	}
}

func TestPruneWaitsForAge(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir, Options{})
	empty := filepath.Join(dir, "abcd")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(empty); err != nil {
		t.Fatalf("a freshly created prefix directory was pruned (a writer may be about to use it): %v", err)
	}
	old := time.Now().Add(-2 * pruneAge)
	if err := os.Chtimes(empty, old, old); err != nil {
		t.Fatal(err)
	}
	if err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(empty); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a prefix directory empty for %v was not pruned: %v", 2*pruneAge, err)
	}
}

// recordFiles counts the record files under dir.
func recordFiles(t *testing.T, dir string) int {
	n := 0
	for _, p := range tree(t, dir) {
		if !strings.HasSuffix(p, "/") && !strings.HasPrefix(p, ".") && !strings.Contains(p, "/.") {
			n++
		}
	}
	return n
}

func TestExpiredDeletedOnRead(t *testing.T) {
	clock := newClock()
	dir := t.TempDir()
	s := newStore(t, dir, Options{Now: clock.Now})
	set(t, s, "abcdefgh", clock.Now().Add(time.Minute))
	clock.Advance(time.Minute)
	if _, err := s.Get(context.Background(), "abcdefgh"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get of an expired record = %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "abcd", "efgh")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("expired file not deleted on read: %v", err)
	}
}

func TestSweeperDeletesExpired(t *testing.T) {
	prunePromptly(t)
	clock := newClock()
	dir := t.TempDir()
	before := runtime.NumGoroutine()
	s, err := New(dir, Options{Now: clock.Now, SweepInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 50 {
		set(t, s, fmt.Sprintf("key%03d", i), clock.Now().Add(time.Duration(i+1)*time.Second))
	}
	set(t, s, "keeper", clock.Now().Add(time.Hour))
	clock.Advance(2 * time.Minute)
	deadline := time.Now().Add(5 * time.Second)
	for recordFiles(t, dir) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("sweeper left %d record files, want 1", recordFiles(t, dir))
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Prefix directories emptied by the sweep are pruned too.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		got := tree(t, dir)
		if !slices.Contains(got, "key0/") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("empty prefix directory not pruned: %q", got)
		}
	}
	if rec, err := s.Get(context.Background(), "keeper"); err != nil || string(rec.Data) != "keeper" {
		t.Fatalf("the sweeper removed a live record: %v", err)
	}
	// Close stops the sweeper, race-free and idempotently.
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); s.Close() }()
	}
	wg.Wait()
	deadline = time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Close, %d before New: leak", runtime.NumGoroutine(), before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	if !slices.Contains(sesh.Schemes(), "file") {
		t.Fatalf("scheme file not registered: %q", sesh.Schemes())
	}
	base := filepath.ToSlash(t.TempDir())
	for i, u := range []string{
		"file://" + base + "/a",
		"file://localhost" + base + "/b",
		"FILE://" + base + "/c?sweep=30s",
		"file://" + base + "/d/?sweep=off",
		"file://" + base + "/with%20space",
	} {
		st, err := sesh.Open(ctx, u)
		if err != nil {
			t.Fatalf("Open(%q): %v", u, err)
		}
		s, ok := st.(*Store)
		if !ok {
			t.Fatalf("Open(%q) = %T, want *filestore.Store", u, st)
		}
		key := fmt.Sprintf("k%d-key", i)
		if err := s.Set(ctx, key, sesh.Record{Data: []byte("v"), Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(filepath.Join(s.Dir(), key[:4], key[4:])); err != nil {
			t.Fatalf("Open(%q): record not in %s: %v", u, s.Dir(), err)
		}
		s.Close()
	}
	if _, err := os.Lstat(filepath.Join(base, "with space", markerName)); err != nil {
		t.Fatalf("escaped path not decoded: %v", err)
	}

	for u, want := range map[string]string{
		"file://relative/dir":                     `host "relative" not allowed`,
		"file://example.com" + base + "/x":        `host "example.com" not allowed`,
		"file:relative":                           "not an absolute path",
		"file:":                                   "no absolute path",
		"file://":                                 "no absolute path",
		"file:///":                                "root directory",
		"file://user@localhost" + base:            "no user",
		"file://" + base + "/x#frag":              "fragment",
		"file://" + base + "/x?bogus=1":           `unknown parameter "bogus"`,
		"file://" + base + "/x?sweep=0":           "sweep=",
		"file://" + base + "/x?sweep=1m&sweep=2m": "given 2 times",
	} {
		st, err := sesh.Open(ctx, u)
		if err == nil {
			st.(*Store).Close()
			t.Errorf("Open(%q) succeeded, want an error", u)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want it to mention %q", u, err, want)
		}
	}
}

// increment adds 1 to the decimal counter under key with a read-swap loop,
// and returns how many conflicts it retried.
func increment(ctx context.Context, s *Store, key string) (int, error) {
	conflicts := 0
	for {
		var rec sesh.Record
		cur, err := s.Get(ctx, key)
		switch {
		case errors.Is(err, sesh.ErrNotFound):
			rec = sesh.Record{Data: []byte("1")}
		case err != nil:
			return conflicts, err
		default:
			n, err := strconv.Atoi(string(cur.Data))
			if err != nil {
				return conflicts, err
			}
			rec = sesh.Record{Data: []byte(strconv.Itoa(n + 1)), Version: cur.Version}
		}
		rec.Expires = time.Now().Add(time.Hour)
		_, err = s.Swap(ctx, key, rec)
		if errors.Is(err, sesh.ErrConflict) || errors.Is(err, sesh.ErrNotFound) {
			conflicts++
			continue
		}
		return conflicts, err
	}
}

func counter(t *testing.T, s *Store, key string) int {
	t.Helper()
	rec, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(string(rec.Data))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSwapRaceGoroutines runs read-swap increments from many goroutines,
// through two Store instances on one directory (so the in-process stripes
// differ and only flock serialises them): no increment may be lost.
func TestSwapRaceGoroutines(t *testing.T) {
	dir := t.TempDir()
	stores := []*Store{newStore(t, dir, Options{})}
	if crossProcess {
		stores = append(stores, newStore(t, dir, Options{}))
	}
	const goroutines, each = 16, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	conflicts := 0
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				c, err := increment(context.Background(), stores[g%len(stores)], "counter")
				if err != nil {
					t.Errorf("increment: %v", err)
					return
				}
				mu.Lock()
				conflicts += c
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n := counter(t, stores[0], "counter"); n != goroutines*each {
		t.Fatalf("counter = %d after %d increments (%d conflicts retried): updates lost", n, goroutines*each, conflicts)
	}
	t.Logf("%d increments, %d conflicts retried", goroutines*each, conflicts)
}

// TestSwapRaceProcesses runs read-swap increments from several processes
// sharing the directory: flock must make Swap atomic across them.
func TestSwapRaceProcesses(t *testing.T) {
	if !crossProcess {
		t.Skip("no flock on " + runtime.GOOS + ": Swap is atomic within one process only")
	}
	if os.Getenv("FILESTORE_CHILD_DIR") != "" {
		t.Skip("inside a child")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := newStore(t, dir, Options{})
	const children, each = 3, 40
	var wg sync.WaitGroup
	for range children {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestChildIncrements$", "-test.count=1")
			cmd.Env = append(os.Environ(), "FILESTORE_CHILD_DIR="+dir, "FILESTORE_CHILD_N="+strconv.Itoa(each))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("child: %v\n%s", err, out)
			}
		}()
	}
	for range each {
		if _, err := increment(context.Background(), s, "counter"); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if n := counter(t, s, "counter"); n != (children+1)*each {
		t.Fatalf("counter = %d after %d increments from %d processes: updates lost", n, (children+1)*each, children+1)
	}
}

// TestChildIncrements is the child process of TestSwapRaceProcesses.
func TestChildIncrements(t *testing.T) {
	dir := os.Getenv("FILESTORE_CHILD_DIR")
	if dir == "" {
		t.Skip("run by TestSwapRaceProcesses")
	}
	n, err := strconv.Atoi(os.Getenv("FILESTORE_CHILD_N"))
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t, dir, Options{})
	for range n {
		if _, err := increment(context.Background(), s, "counter"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLockHonoursContext checks that a writer waiting for a key's lock
// gives up when its context ends.
func TestLockHonoursContext(t *testing.T) {
	dir := t.TempDir()
	s1 := newStore(t, dir, Options{})
	s2 := newStore(t, dir, Options{})
	ctx := context.Background()
	unlock, err := s1.lock(ctx, "busykey")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	for _, s := range []*Store{s1, s2} { // same process: stripe; other instance: flock
		if s == s2 && !crossProcess {
			continue
		}
		tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		start := time.Now()
		err := s.Set(tctx, "busykey", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Set while the key is locked = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Set waited %v past its deadline", d)
		}
	}
	if _, err := s1.Get(ctx, "busykey"); !errors.Is(err, sesh.ErrNotFound) {
		t.Fatalf("Get = %v: a write that gave up must not happen", err)
	}
}

func TestNewRefusesOverlongDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("a/", 3000))
	if _, err := New(dir, Options{}); err == nil || !strings.Contains(err.Error(), "over 4096") {
		t.Fatalf("New with a %d-byte directory = %v, want a refusal before MkdirAll", len(dir), err)
	}
}
