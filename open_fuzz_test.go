package sesh_test

import (
	"context"
	"errors"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesh-go/sesh"
	_ "github.com/sesh-go/sesh/filestore" // registers file://
	"github.com/sesh-go/sesh/internal/alloctest"
	"github.com/sesh-go/sesh/internal/leaktest"
	_ "github.com/sesh-go/sesh/memstore" // registers memory://
)

// Allocation bound of sesh.Open with the root module's schemes, for URLs up
// to 64 KB: url.Parse keeps the URL's parts and unescapes them, the
// store's url.ParseQuery makes a string header per parameter and
// unescapes each key and value, and an error message holds the redacted
// URL at most twice: a few copies of the input (at most 2 bytes per byte
// for a "%41" escape's header and copy, and 16 for each 2-byte "a&"
// parameter, 8 per byte, in slices that double). A store that opens costs
// a constant (memstore's map, filestore's lock stripes and marker file).
// Measured worst: 6.5 per byte (a query of escapes); k = 16. The first
// Open of a new directory is not measured (the check opens the URL again):
// os.MkdirAll copies each missing parent's path, up to about 4 MB for a
// 4 KB path of one-letter segments.
const (
	openAllocK = 16
	openAllocC = 32 << 10
)

// maxFilePath is Linux's PATH_MAX. A file:// URL whose directory is longer
// fails in os.MkdirAll with ENAMETOOLONG, after MkdirAll has copied every
// parent of the path in turn to call stat on it: O(depth × length) bytes,
// 1.1 GB for a 64 KB URL of "a/" segments. That is filestore's to refuse
// (a directory over PATH_MAX, before MkdirAll); until it does, FuzzOpen
// leaves such URLs out.
const maxFilePath = 4096

// jailFileURL moves the path of a file:// URL under dir, so that a fuzzed
// URL never creates a directory elsewhere. It returns raw unchanged for
// other URLs, and false for a file URL whose path would leave dir or pass
// maxFilePath.
func jailFileURL(dir, raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || !strings.EqualFold(u.Scheme, "file") || u.Opaque != "" || !path.IsAbs(u.Path) {
		return raw, true
	}
	u.Path = filepath.ToSlash(dir) + u.Path
	u.RawPath = ""
	raw = u.String()
	v, err := url.Parse(raw)
	if err != nil {
		return raw, true
	}
	clean := filepath.Clean(filepath.FromSlash(v.Path))
	return raw, v.Opaque == "" && len(clean) <= maxFilePath && strings.HasPrefix(clean+string(filepath.Separator), dir+string(filepath.Separator))
}

// A malformed URL's error does not repeat the URL (url.Parse's does).
func TestOpenMalformedURLHidesPassword(t *testing.T) {
	for _, raw := range []string{"redis://u:hunter2@h:x/", "redis://u:hunter2@h/%zz", "postgres://u:hunter2@[::1/db",
		"redis://u:hunter2@h/\x7f"} {
		_, err := sesh.Open(context.Background(), raw)
		if err == nil || !strings.HasPrefix(err.Error(), "sesh: malformed store URL: ") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) = %v", raw, err)
		}
	}
}

// FuzzOpen: sesh.Open never panics on a URL; it returns a store or an
// error, never both or neither; an unknown scheme is ErrUnknownScheme; an
// error never shows the URL's password; and it allocates within
// openAllocK per byte. File URLs are opened under a temporary directory.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	for _, s := range []string{
		"memory://", "memory://?max=10&sweep=1m", "memory://?sweep=off", "memory://?max=-1", "memory://h", "MEMORY://",
		"memory:?max=1", "memory://?max=1&max=2", "memory://?sweep=0s", "memory://?%zz",
		"file:///sessions", "file://localhost/s?sweep=off", "file:///", "file://host/s", "file:rel", "file:///a/../../..",
		"file:///s?sweep=1ns&x=1", "file:///s#frag", "file://u:secret@/s",
		"redis://u:secret@h/0", "memory://u:secret@/", "file://:secret@localhost/s", "file:///s?sweep=secret&x=:secret@",
		"redis://u:secret@h:x/", "", ":", "//h", "%", "memory://?" + strings.Repeat("a&", 32<<10),
		"memory://?" + strings.Repeat("max=1&", 64<<10/6), "file:///" + strings.Repeat("a", 64<<10-8), "file:///" + strings.Repeat("../", 21000),
	} {
		f.Add(s)
	}
	ctx := context.Background()
	open := func(raw string) {
		if st, err := sesh.Open(ctx, raw); err == nil {
			st.(io.Closer).Close()
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		raw, ok := jailFileURL(dir, raw)
		if !ok {
			return
		}
		st, err := sesh.Open(ctx, raw)
		if (st == nil) == (err == nil) {
			t.Fatalf("Open(%.200q) = %v, %.200v", raw, st, err)
		}
		if err != nil {
			u, perr := url.Parse(raw)
			if perr == nil && u.Scheme != "" {
				known := strings.EqualFold(u.Scheme, "memory") || strings.EqualFold(u.Scheme, "file")
				if known == errors.Is(err, sesh.ErrUnknownScheme) {
					t.Fatalf("Open(%.200q): %.200v", raw, err)
				}
			}
			if perr == nil && leaktest.ShowsPassword(u, err, func(v *url.URL) error {
				st2, err2 := sesh.Open(ctx, v.String())
				if err2 == nil {
					st2.(io.Closer).Close()
				}
				return err2
			}) {
				t.Fatalf("Open(%.200q): the error shows the password: %.200v", raw, err)
			}
			alloctest.Check(t, "Open", len(raw), openAllocK, openAllocC, func() { open(raw) })
			return
		}
		if err := st.(io.Closer).Close(); err != nil {
			t.Fatal(err)
		}
		alloctest.Check(t, "Open", len(raw), openAllocK, openAllocC, func() { open(raw) })
	})
}
