package redisstore

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh/storetest"
)

// redisServer is a redis-server process started by a test on a loopback
// port, killed when the test ends.
type redisServer struct {
	port int
	cmd  *exec.Cmd
	addr string
}

// needRedisServer returns the redis-server binary, or skips (fails under
// SESH_REQUIRE_SERVICES=1) when it is missing.
func needRedisServer(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		storetest.Unavailable(t, "redis-server binary", err)
	}
	if _, err := exec.LookPath("redis-cli"); err != nil {
		storetest.Unavailable(t, "redis-cli binary", err)
	}
	return bin
}

// freePort finds a loopback port that is free, and whose cluster bus port
// (port+10000) is free too.
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port+10000 > 65535 {
			continue
		}
		if bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000)); err == nil {
			bus.Close()
			return port
		}
	}
	t.Fatal("no free port pair")
	return 0
}

// startRedis starts redis-server with a config of lines (port, bind and dir
// are filled in) and waits until it answers PING.
func startRedis(t *testing.T, sentinel bool, lines ...string) *redisServer {
	t.Helper()
	bin := needRedisServer(t)
	port := freePort(t)
	dir := t.TempDir()
	conf := []string{
		"port " + strconv.Itoa(port), "bind 127.0.0.1", "dir " + dir,
		`save ""`, "appendonly no", "protected-mode no", "logfile " + filepath.Join(dir, "log"),
	}
	conf = append(conf, lines...)
	path := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(path, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{path}
	if sentinel {
		args = append(args, "--sentinel")
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &redisServer{port: port, cmd: cmd, addr: "127.0.0.1:" + strconv.Itoa(port)}
	t.Cleanup(s.kill)
	c := redis.NewClient(&redis.Options{Addr: s.addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("redis-server on %s did not start: %v\n%s", s.addr, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *redisServer) kill() {
	if s.cmd.Process != nil && s.cmd.ProcessState == nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	}
}

// waitFor polls cond every 100ms until it holds or d passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s (last state: %s)", d, what, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// redisCLI runs redis-cli with args and returns its output.
func redisCLI(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func info(c *redis.Client, section, field string) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s, err := c.Info(ctx, section).Result()
	if err != nil {
		return "error: " + err.Error()
	}
	for _, l := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return v
		}
	}
	return fmt.Sprintf("%s not in INFO %s", field, section)
}
