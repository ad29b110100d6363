package remix

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/nodepeer"
	"github.com/sesh-go/sesh/storetest"
)

func TestFileStoreConformance(t *testing.T) {
	storetest.RunWith(t, func(t *testing.T) sesh.Store {
		st, err := NewFileStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}, storetest.Options{Corrupt: fileCorruptions})
}

// fileCorruptions are session files a FileStore cannot read: what a crash,
// a hand edit or another program can leave at a session's path.
var fileCorruptions = map[string]storetest.CorruptFunc{
	"garbage":         plantFile(`not a session file`),
	"truncated":       plantFile(`{"data":{"user":"bob"},"expi`),
	"no data":         plantFile(`{"expires":"2099-01-01T00:00:00.000Z"}`),
	"bad expires":     plantFile(`{"data":{},"expires":"soon"}`),
	"numeric expires": plantFile(`{"data":{},"expires":4102444800000}`),
	"bad bytes":       plantFile(`{"data":{"__sesh_bytes":"!!"},"expires":"2099-01-01T00:00:00.000Z"}`),
}

// plantFile writes content as key's session file, bypassing the store.
func plantFile(content string) storetest.CorruptFunc {
	return func(t *testing.T, st sesh.Store, key string) {
		t.Helper()
		p := st.(*FileStore).path(key)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFileStoreLayout: Remix's path and file content.
func TestFileStoreLayout(t *testing.T) {
	dir := t.TempDir()
	st, _ := NewFileStore(dir)
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	id, err := st.Create(context.Background(), sesh.Record{Data: []byte(`{"user":"mjackson"}`), Expires: exp})
	if err != nil || !remixID(id) || strings.ToLower(id) != id {
		t.Fatalf("Create = %q, %v", id, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, id[:4], id[4:]))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"data":{"user":"mjackson"},"expires":"2030-01-02T03:04:05.000Z"}` {
		t.Fatalf("file content %s", b)
	}
	// A file Remix wrote without an expiry reads with none.
	os.MkdirAll(filepath.Join(dir, "0123"), 0o700)
	os.WriteFile(filepath.Join(dir, "0123", "456789abcdef"), []byte(`{"data":{"a":1}}`), 0o600)
	rec, err := st.Get(context.Background(), "0123456789abcdef")
	if err != nil || string(rec.Data) != `{"a":1}` || !rec.Expires.IsZero() {
		t.Fatalf("Remix file without expires: %+v, %v", rec, err)
	}
}

func TestIDCookieVector(t *testing.T) {
	c, _ := NewIDCookie([]byte("s3cr3t"))
	// createCookie("__session",{secrets:["s3cr3t"]}).serialize("0123456789abcdef")
	if got := c.EncodeID("0123456789abcdef"); got != "IjAxMjM0NTY3ODlhYmNkZWYi.PCyAmkvqqQJNQ7UMzWFVYtGWrV2Ri%2Bt8aeKpCdQUKdU" {
		t.Fatalf("EncodeID = %q", got)
	}
	if id, ok := c.DecodeID(unescape(t, "IjAxMjM0NTY3ODlhYmNkZWYi.PCyAmkvqqQJNQ7UMzWFVYtGWrV2Ri%2Bt8aeKpCdQUKdU")); !ok || id != "0123456789abcdef" {
		t.Fatalf("DecodeID = %q, %v", id, ok)
	}
}

// TestFileStoragePeer shares one sessions directory with @remix-run/node's
// createFileSessionStorage, both ways.
func TestFileStoragePeer(t *testing.T) {
	dir := t.TempDir()
	st, _ := NewFileStore(dir)
	var cfg sesh.Config
	if err := ConfigureIDStorage(&cfg, st, []byte("s3cr3t")); err != nil {
		t.Fatal(err)
	}
	m, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FILE_DIR", dir)
	node := func(args ...string) string { return nodepeer.Run(t, peerDir, append([]string{"peer.js"}, args...)...) }
	serve := func(hdr string, fn func(s *sesh.Session)) string { return nodepeer.Serve(t, m, hdr, fn) }

	line := node("write", "s3cr3t", `{"user":"bob"}`, `{"error":"boom"}`)
	hdr := line[:strings.IndexByte(line, ';')]
	var user, flash string
	hdr = serve(hdr, func(s *sesh.Session) {
		user, _ = sesh.Get[string](s, "user")
		flash, _ = sesh.Get[string](s, "error")
		s.Set("views", 1)
	})
	if user != "bob" || flash != "boom" {
		t.Fatalf("Go read user %q flash %q from Remix's file", user, flash)
	}
	var got map[string]any
	json.Unmarshal([]byte(node("read", "s3cr3t", hdr, "user,error,views")), &got)
	if got["user"] != "bob" || got["error"] != nil || got["views"] != float64(1) {
		t.Fatalf("Remix after Go's write: %v", got)
	}

	hdr = serve("", func(s *sesh.Session) { s.Set("user", "alice") })
	json.Unmarshal([]byte(node("read", "s3cr3t", hdr, "user")), &got)
	if got["user"] != "alice" {
		t.Fatalf("Remix read Go's session as %v", got)
	}
}

// TestFileStoragePeerRotation: an ID cookie Remix signed with a secret being
// retired is signed again with the current one on Go's next response, even
// when the request changes nothing, and Remix with only the current secret
// reads the session through it.
func TestFileStoragePeerRotation(t *testing.T) {
	dir := t.TempDir()
	st, _ := NewFileStore(dir)
	m := remixMirror(t, st, nil, "new secret", "old secret")
	env := []string{"FILE_DIR=" + dir}
	old := pairOf(nodeEnv(t, env, "write", "old secret", `{"user":"bob"}`, `{}`))
	var user string
	hdr := nodepeer.Serve(t, m, old, func(s *sesh.Session) { user, _ = sesh.Get[string](s, "user") })
	if user != "bob" {
		t.Fatalf("Go read user %q through the old secret", user)
	}
	if hdr == old {
		t.Fatal("the ID cookie signed with the old secret was not signed again")
	}
	c, _ := NewIDCookieWith(SecretOptions{AllowShortSecrets: true}, []byte("new secret"))
	oldID, _, _ := c.DecodeIDReissue(unescape(t, strings.TrimPrefix(old, "__session=")))
	newID, stale, ok := c.DecodeIDReissue(unescape(t, strings.TrimPrefix(hdr, "__session=")))
	if !ok || stale || newID == "" {
		t.Fatalf("re-signed cookie: id %q stale %v ok %v under the new secret alone", newID, stale, ok)
	}
	if oldID != "" {
		t.Fatal("the old cookie verified under the new secret alone: the test proves nothing")
	}
	var got map[string]any
	json.Unmarshal([]byte(nodeEnv(t, env, "read", "new secret", hdr, "user")), &got)
	if got["user"] != "bob" {
		t.Fatalf("Remix with only the new secret read %v", got)
	}
	// The same file: the ID did not change.
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	if len(files) != 1 || filepath.Base(filepath.Dir(files[0]))+filepath.Base(files[0]) != newID {
		t.Fatalf("files %v, ID %s", files, newID)
	}
}

// TestFileStoreNoIDInErrors: a Remix ID spells out its file's path
// (dir/<id[0:4]>/<id[4:16]>); neither part appears in an error, whether
// the file is unreadable as data or as a file (a directory in its place).
func TestFileStoreNoIDInErrors(t *testing.T) {
	dir := t.TempDir()
	st, _ := NewFileStore(dir)
	ctx := context.Background()
	const id = "c0ffee00deadbeef"
	leaks := func(op string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", op)
		}
		if msg := err.Error(); strings.Contains(msg, id[4:]) || strings.Contains(msg, id[:4]+string(filepath.Separator)) || strings.Contains(msg, dir) {
			t.Fatalf("%s: the error shows the session's path: %v", op, err)
		}
	}
	plantFile("not JSON")(t, st, id)
	_, err := st.Get(ctx, id)
	if !errors.Is(err, sesh.ErrCorrupt) {
		t.Fatalf("Get of garbage: %v", err)
	}
	leaks("Get of garbage", err)

	p := filepath.Join(dir, id[:4], id[4:])
	os.Remove(p)
	if err := os.MkdirAll(filepath.Join(p, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = st.Get(ctx, id)
	leaks("Get of a directory", err)
	leaks("Set over a directory", st.Set(ctx, id, sesh.Record{Data: []byte(`{}`), Expires: time.Now().Add(time.Hour)}))
	err = st.Delete(ctx, id)
	leaks("Delete of a directory", err)
	if !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
		t.Fatalf("Delete of a non-empty directory: %v, want the cause kept for errors.Is", err)
	}
}
