package testserver

import (
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLaunchExitsEarly: a process that exits before listening is reported
// at once, with its output.
func TestLaunchExitsEarly(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Launch(exec.Command(sh, "-c", "echo boom; exit 3"), HostPort(port))
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "exited before listening") {
		t.Fatalf("Launch of a process that exits = %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("noticing the exit took %v", time.Since(start))
	}
}

// TestLaunchWaitsForPort: Launch returns once the address accepts (here a
// listener the test holds), and Stop ends the process group promptly.
func TestLaunchWaitsForPort(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p, err := Launch(exec.Command(sh, "-c", "echo up; sleep 60"), l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100 && !strings.Contains(p.Log(), "up"); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(p.Log(), "up") {
		t.Fatalf("log = %q", p.Log())
	}
	start := time.Now()
	p.Stop()
	select {
	case <-p.done:
	default:
		t.Fatal("Stop returned before the process ended")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("Stop took %v", time.Since(start))
	}
}

func TestBinaryFindsExisting(t *testing.T) {
	p, err := Binary("sh", "dash")
	if err != nil || p == "" {
		t.Fatalf("Binary(sh) = %q, %v", p, err)
	}
}
