// Package nodepeer runs the Node programs that the interop tests check sesh
// against: the real npm packages, installed from a committed lockfile.
package nodepeer

import (
	"bufio"
	"context"
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
// are installed (npm ci when node_modules is missing). A missing node or
// npm, or a failed install, skips the test, and fails it under
// SESH_REQUIRE_SERVICES=1.
func Prepare(t testing.TB, dir string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		storetest.Unavailable(t, "node (for the npm peer in "+dir+")", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
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
	}
	return node
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
