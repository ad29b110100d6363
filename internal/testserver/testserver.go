// Package testserver starts the engines that store tests run against when
// the machine does not already run them: memcached, dynalite, miniflare.
// Every server binds to 127.0.0.1 on a port picked here, is started at most
// once per test binary (Shared) and is stopped when the binary exits (Main).
//
// A server that cannot start (its binary is missing and cannot be
// installed, it exits, it never listens) skips the test, and fails it under
// SESH_REQUIRE_SERVICES=1 (storetest.Unavailable).
package testserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sesh-go/sesh/storetest"
)

// StartTimeout bounds how long a server may take to accept connections.
const StartTimeout = 60 * time.Second

// Process is a server started by a test binary.
type Process struct {
	// Addr is the "127.0.0.1:port" it listens on.
	Addr string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // Wait's result, once done is closed
}

// Log returns what the process has written so far (stdout and stderr).
func (p *Process) Log() string { return p.out.String() }

// Stop kills the process (and its children) and waits for it.
func (p *Process) Stop() {
	killGroup(p.cmd)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Launch starts cmd in its own process group, with its output captured,
// and waits until addr accepts a TCP connection. It returns an error (with
// the process's output) if the process exits first or StartTimeout passes.
func Launch(cmd *exec.Cmd, addr string) (*Process, error) {
	p := &Process{Addr: addr, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	setGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(StartTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited before listening on %s (%v):\n%s", cmd.Path, addr, p.err, p.Log())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("%s did not listen on %s within %v:\n%s", cmd.Path, addr, StartTimeout, p.Log())
		}
	}
}

var shared struct {
	sync.Mutex
	m map[string]*once
}

type once struct {
	sync.Once
	p   *Process
	err error
}

// Shared returns the server named name, starting it with start on first
// use; later calls, from any test of the binary, get the same process (or
// the same failure). A failure skips the test, or fails it under
// SESH_REQUIRE_SERVICES=1. The server runs until Main's m.Run returns.
func Shared(t testing.TB, name string, start func() (*Process, error)) *Process {
	t.Helper()
	shared.Lock()
	if shared.m == nil {
		shared.m = make(map[string]*once)
	}
	o := shared.m[name]
	if o == nil {
		o = &once{}
		shared.m[name] = o
	}
	shared.Unlock()
	o.Do(func() { o.p, o.err = start() })
	if o.err != nil {
		storetest.Unavailable(t, name, o.err)
	}
	select {
	case <-o.p.done:
		t.Fatalf("%s has exited (%v):\n%s", name, o.p.err, o.p.Log())
	default:
	}
	return o.p
}

// Main runs the tests and then stops every server Shared started. Call it
// from TestMain: func TestMain(m *testing.M) { testserver.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	shared.Lock()
	for _, o := range shared.m {
		if o.p != nil {
			o.p.Stop()
		}
	}
	shared.Unlock()
	os.Exit(code)
}

var installMu sync.Mutex

// Binary returns the path of the executable name. When it is missing and
// this process may run Debian's apt-get (as root), it installs debPackage
// first; the dpkg lock is waited for, so parallel test binaries can ask at
// once. It returns an error if the binary stays missing.
func Binary(name, debPackage string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	installMu.Lock()
	defer installMu.Unlock()
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	apt, err := exec.LookPath("apt-get")
	if err != nil || os.Geteuid() != 0 {
		return "", fmt.Errorf("%s is not installed (Debian package %s; apt-get unusable here)", name, debPackage)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	lock := "-oDPkg::Lock::Timeout=300"
	var out bytes.Buffer
	install := exec.CommandContext(ctx, apt, lock, "install", "-y", "-qq", "--no-install-recommends", debPackage)
	install.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	install.Stdout, install.Stderr = &out, &out
	if install.Run() != nil {
		// The package lists may be missing on a fresh machine.
		update := exec.CommandContext(ctx, apt, lock, "update", "-qq")
		update.Stdout, update.Stderr = &out, &out
		if err := update.Run(); err != nil {
			return "", fmt.Errorf("apt-get update: %w\n%s", err, out.String())
		}
		install = exec.CommandContext(ctx, apt, lock, "install", "-y", "-qq", "--no-install-recommends", debPackage)
		install.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		install.Stdout, install.Stderr = &out, &out
		if err := install.Run(); err != nil {
			return "", fmt.Errorf("apt-get install %s: %w\n%s", debPackage, err, out.String())
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", errors.Join(fmt.Errorf("%s still missing after installing %s", name, debPackage), err)
	}
	return p, nil
}

// HostPort joins 127.0.0.1 and port.
func HostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 1<<20 { // keep the start, where the reason a server failed is
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
