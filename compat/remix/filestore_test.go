package remix

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/nodepeer"
	"github.com/sesh-go/sesh/storetest"
)

func TestFileStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sesh.Store {
		st, err := NewFileStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
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
