package filestore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// corruptions are the record files filestore can meet and not read: bytes
// that are not a record, a record cut short, a record of a future format,
// and a well-formed record of another key copied under this one's name.
var corruptions = map[string]storetest.CorruptFunc{
	"garbage": func(t *testing.T, st sesh.Store, key string) {
		plantFile(t, st, key, []byte("not a session record"))
	},
	"truncated": func(t *testing.T, st sesh.Store, key string) {
		b := record(t, key, "")
		plantFile(t, st, key, b[:len(b)-7])
	},
	"future-format": func(t *testing.T, st sesh.Store, key string) {
		b := record(t, key, "")
		b[4] = formatV1 + 1
		plantFile(t, st, key, b)
	},
	"other-key": func(t *testing.T, st sesh.Store, key string) {
		plantFile(t, st, key, record(t, "another-key", ""))
	},
}

// record is a well-formed, live record file for key.
func record(t *testing.T, key, user string) []byte {
	t.Helper()
	b, err := encode(key, sesh.Record{Data: []byte("d"), Expires: time.Now().Add(time.Hour), UserID: user}, 42)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// plantFile writes b as key's record file, bypassing the store.
func plantFile(t *testing.T, st sesh.Store, key string, b []byte) {
	t.Helper()
	dir, file, err := st.(*Store).paths(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestErrorsHoldNoPath makes every method fail on the file system (the
// key's prefix directory is a regular file) and checks that no error
// holds the record's path, which spells out the key (a raw session ID in
// the Astro and express layouts).
func TestErrorsHoldNoPath(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir, Options{SweepInterval: -1})
	key := "0f8c2f7e-5b1d-4c6a-9e3b-7d2a1c4b5e6f" // a raw UUID, as Astro's
	if err := os.WriteFile(filepath.Join(dir, key[:prefixLen]), []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rec := sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)}
	_, getErr := s.Get(ctx, key)
	_, swapErr := s.Swap(ctx, key, rec)
	for op, err := range map[string]error{
		"Get":    getErr,
		"Set":    s.Set(ctx, key, rec),
		"Swap":   swapErr,
		"Touch":  s.Touch(ctx, key, rec.Expires),
		"Delete": s.Delete(ctx, key),
	} {
		if err == nil {
			t.Errorf("%s with a file in the way of the key's directory succeeded", op)
			continue
		}
		if !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("%s: %v, want an error wrapping ENOTDIR (the cause kept)", op, err)
		}
		if msg := err.Error(); strings.Contains(msg, key[prefixLen:]) || strings.Contains(msg, dir) {
			t.Errorf("%s: the error holds the record's path: %v", op, err)
		}
	}
}
