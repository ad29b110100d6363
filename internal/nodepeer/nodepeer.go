// Package nodepeer runs the Node programs that the interop tests check sesh
// against: the real npm packages, installed from a committed lockfile.
package nodepeer

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// Prepare returns the node binary, after making sure dir's dependencies
// are installed from its lockfile (npm ci when node_modules is missing or
// was installed from another version of package-lock.json). A missing node
// or npm, or a failed install, skips the test, and fails it under
// SESH_REQUIRE_SERVICES=1.
func Prepare(t testing.TB, dir string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		storetest.Unavailable(t, "node (for the npm peer in "+dir+")", err)
	}
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatalf("the npm peer in %s has no committed lockfile: %v", dir, err)
	}
	sum := sha256.Sum256(lock)
	want := hex.EncodeToString(sum[:])
	stamp := filepath.Join(dir, "node_modules", ".sesh-lockfile-sha256")
	installed := func() bool {
		got, err := os.ReadFile(stamp)
		return err == nil && string(got) == want
	}
	if !installed() {
		// Test binaries of several packages may share a peer: one installs
		// at a time (a directory is created atomically everywhere).
		unlock := lockDir(t, filepath.Join(dir, ".sesh-npm-lock"))
		defer unlock()
	}
	if !installed() {
		npm, err := exec.LookPath("npm")
		if err != nil {
			storetest.Unavailable(t, "npm (to install the peer in "+dir+")", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			storetest.Unavailable(t, "npm ci in "+dir, fmt.Errorf("%v\n%s", err, out))
		}
		if err := os.WriteFile(stamp, []byte(want), 0o644); err != nil {
			t.Fatalf("stamp the npm install in %s: %v", dir, err)
		}
	}
	return node
}

// lockDir takes a lock that is the directory path itself, waiting for a
// holder in another test binary; a lock older than ten minutes is a
// crashed holder's and is taken over.
func lockDir(t testing.TB, path string) func() {
	t.Helper()
	deadline := time.Now().Add(storetest.HangLimit)
	for {
		err := os.Mkdir(path, 0o755)
		if err == nil {
			return func() { os.Remove(path) }
		}
		if !os.IsExist(err) {
			t.Fatalf("lock %s: %v", path, err)
		}
		if fi, err := os.Stat(path); err == nil && time.Since(fi.ModTime()) > 10*time.Minute {
			os.Remove(path)
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("another test binary held %s for longer than %v", path, storetest.HangLimit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Run runs node with args in dir and returns its standard output; a
// non-zero exit fails the test with its standard error.
func Run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return RunEnv(t, dir, nil, args...)
}

// Start runs a Node server script in dir with extra environment, waits
// for it to print "LISTENING <port>", and returns "http://127.0.0.1:<port>".
// The process is interrupted (then killed) when the test ends.
func Start(t testing.TB, dir, script string, env ...string) string {
	t.Helper()
	node := Prepare(t, dir)
	cmd := exec.Command(node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
				port <- p
			}
		}
	}()
	select {
	case p := <-port:
		return "http://127.0.0.1:" + p
	case <-time.After(20 * time.Second):
		t.Fatalf("the Node peer %s did not start", filepath.Join(dir, script))
		return ""
	}
}

// RunEnv is Run with extra environment variables.
func RunEnv(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	node := Prepare(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// Serve drives the Go side of an exchange with a peer: it runs fn on the
// session of a request through m.Handler that carries the Cookie header
// hdr ("" for none), and returns the Cookie header the browser would send
// next: the "name=value" of the response's Set-Cookie, or hdr when the
// response set none. A response other than 200 fails the test.
func Serve(t *testing.T, m *sesh.Manager, hdr string, fn func(s *sesh.Session)) string {
	t.Helper()
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fn(sesh.From(r.Context())) }))
	r := httptest.NewRequest("GET", "/", nil)
	if hdr != "" {
		r.Header.Set("Cookie", hdr)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("Go request: %d %s", w.Code, w.Body)
	}
	if l := w.Header().Get("Set-Cookie"); l != "" {
		pair, _, _ := strings.Cut(l, ";")
		return pair
	}
	return hdr
}
