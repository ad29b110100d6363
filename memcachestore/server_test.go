package memcachestore

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sesh-go/sesh/internal/testserver"
	"github.com/sesh-go/sesh/storetest"
)

// AddrEnv names a running memcached ("host:port") to test against instead
// of starting one.
const AddrEnv = "SESH_MEMCACHE_ADDR"

func TestMain(m *testing.M) { testserver.Main(m) }

// server returns the address of the memcached the tests use: $AddrEnv, or
// Debian's memcached started once per test binary on a free loopback port
// (installed first when missing). The first call reports its version
// (storetest.Engine).
func server(t testing.TB) string {
	t.Helper()
	if addr := os.Getenv(AddrEnv); addr != "" {
		c := memcache.New(addr)
		defer c.Close()
		if err := c.Ping(); err != nil {
			storetest.Unavailable(t, "memcached at $"+AddrEnv+" ("+addr+")", err)
		}
		reportEngine(t, addr, "")
		return addr
	}
	p := startedServer(t)
	reportEngine(t, p.Addr, " (started by the tests)")
	return p.Addr
}

var engineReported sync.Once

// reportEngine reports the version memcached at addr gives.
func reportEngine(t testing.TB, addr, note string) {
	t.Helper()
	engineReported.Do(func() {
		line := textCommand(t, addr, "version", func(string) bool { return true })[0]
		storetest.Engine(t, "memcached", strings.TrimPrefix(line, "VERSION "), addr+note)
	})
}

// startedServer is the memcached this test binary starts.
func startedServer(t testing.TB) *testserver.Process {
	t.Helper()
	return testserver.Shared(t, "memcached", func() (*testserver.Process, error) {
		bin, err := testserver.Binary("memcached", "memcached")
		if err != nil {
			return nil, err
		}
		port, err := testserver.FreePort()
		if err != nil {
			return nil, err
		}
		// -U 0: no UDP; -m 64: MiB of memory; -I 1m: the default item
		// size limit, spelled out because TestTooLarge relies on a known one.
		args := []string{"-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0", "-m", "64", "-I", "1m", "-t", "2"}
		if os.Geteuid() == 0 {
			args = append(args, "-u", "nobody") // memcached refuses to run as root
		}
		return testserver.Launch(exec.Command(bin, args...), testserver.HostPort(port))
	})
}

// newClient returns a client of the test server, closed at the end of t.
func newClient(t testing.TB, addr string) *memcache.Client {
	c := memcache.New(addr)
	c.Timeout = 5 * time.Second // the machine is shared: no spurious timeouts
	c.MaxIdleConns = 64
	t.Cleanup(func() { c.Close() })
	return c
}

var prefixSeq atomic.Int64

// uniquePrefix isolates one store's items from every other's.
func uniquePrefix() string {
	return fmt.Sprintf("seshtest:%d:%d:", time.Now().UnixNano(), prefixSeq.Add(1))
}

// newStore returns a store with a unique prefix over c, closed at the end
// of t.
func newStore(t testing.TB, c *memcache.Client, opts Options) *Store {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = uniquePrefix()
	}
	st, err := New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// textCommand sends one command of memcached's text protocol on a fresh
// connection and returns the response lines up to and including the first
// line for which last returns true.
func textCommand(t testing.TB, addr, cmd string, last func(line string) bool) []string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(nc, "%s\r\n", cmd); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(nc)
	var lines []string
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: %v after %q", cmd, err, lines)
		}
		l = strings.TrimSuffix(l, "\r\n")
		lines = append(lines, l)
		if last(l) {
			return lines
		}
	}
}

// serverTTL returns what memcached says is left of an item's life, in
// seconds (-1: no exptime), with the meta command mg (memcached 1.6+).
func serverTTL(t testing.TB, addr, itemKey string) int64 {
	t.Helper()
	line := textCommand(t, addr, "mg "+itemKey+" t", func(string) bool { return true })[0]
	rest, ok := strings.CutPrefix(line, "HD t")
	if !ok {
		t.Fatalf("mg %s t = %q: want HD t<seconds> (an item present, memcached 1.6 or later)", itemKey, line)
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		t.Fatalf("mg %s t = %q: %v", itemKey, line, err)
	}
	return n
}

// itemSizeMax returns the server's item size limit (-I) from stats settings.
func itemSizeMax(t testing.TB, addr string) int {
	t.Helper()
	lines := textCommand(t, addr, "stats settings", func(l string) bool { return l == "END" || strings.HasPrefix(l, "ERROR") })
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "STAT item_size_max "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("stats settings: %q", l)
			}
			return n
		}
	}
	t.Fatalf("stats settings has no item_size_max: %q", lines)
	return 0
}
