// Package nodepeer runs the Node programs that the interop tests check sesh
// against: the real npm packages, installed from a committed lockfile.
package nodepeer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh/storetest"
)

// Prepare returns the node binary, after making sure dir's dependencies
// are installed (npm ci when node_modules is missing). A missing node or
// npm, or a failed install, skips the test, and fails it under
// SESH_REQUIRE_SERVICES=1.
func Prepare(t *testing.T, dir string) string {
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
	node := Prepare(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
