package storetest

import (
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireServicesEnv names the environment variable that turns a missing
// service into a test failure. CI sets it to 1, so that a store's tests can
// never pass by skipping.
const RequireServicesEnv = "SESH_REQUIRE_SERVICES"

// localService is where a service runs on a developer's or CI's machine
// when nothing says otherwise: its default URL or DSN, and the host:port
// that a TCP dial probes.
type localService struct{ value, addr string }

// localServices are the default local addresses of the services the store
// modules' tests use, by the variable that would name another one.
var localServices = map[string]localService{
	"SESH_REDIS_URL":    {"redis://127.0.0.1:6379/0", "127.0.0.1:6379"},
	"SESH_POSTGRES_URL": {"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "127.0.0.1:5432"},
	"SESH_MYSQL_DSN":    {"root@tcp(127.0.0.1:3306)/test?parseTime=true", "127.0.0.1:3306"},
	"SESH_NATS_URL":     {"nats://127.0.0.1:4222", "127.0.0.1:4222"},
}

// probeTimeout bounds the TCP dial that asks whether a default local
// address answers. On loopback a listening port accepts at once and a
// closed one refuses at once; the bound only matters for a firewall that
// drops packets, and is far above any loopback handshake on a busy machine.
const probeTimeout = 2 * time.Second

var probes sync.Map // env and its default → *probe

type probe struct {
	once  sync.Once
	value string
	err   error
}

// LookupService returns the address of the test service named by env: the
// variable's value when it is set; otherwise, for SESH_REDIS_URL,
// SESH_POSTGRES_URL, SESH_MYSQL_DSN and SESH_NATS_URL, the service's default
// local address (redis://127.0.0.1:6379/0,
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable,
// root@tcp(127.0.0.1:3306)/test?parseTime=true, nats://127.0.0.1:4222) when
// a TCP connection to it succeeds. The probe runs once per test binary. The
// error, when neither gives an address, says what was tried.
func LookupService(env string) (string, error) {
	if v := os.Getenv(env); v != "" {
		return v, nil
	}
	local, ok := localServices[env]
	if !ok {
		return "", fmt.Errorf("%s is not set", env)
	}
	p, _ := probes.LoadOrStore(env+" "+local.value, &probe{})
	pr := p.(*probe)
	pr.once.Do(func() {
		c, err := net.DialTimeout("tcp", local.addr, probeTimeout)
		if err != nil {
			pr.err = fmt.Errorf("%s is not set and nothing answers at its default %s (%v)", env, local.addr, err)
			return
		}
		c.Close()
		pr.value = local.value
	})
	return pr.value, pr.err
}

// Service returns the address of a test service (LookupService): the value
// of env (for example SESH_REDIS_URL), or, when env is unset, the service's
// default local address if it answers. When neither gives one it skips the
// test with a message naming the variable, unless SESH_REQUIRE_SERVICES=1,
// in which case the test fails.
func Service(t testing.TB, env string) string {
	t.Helper()
	v, err := LookupService(env)
	if err == nil {
		return v
	}
	if os.Getenv(RequireServicesEnv) == "1" {
		t.Fatalf("%v, and %s=1: this test needs its service", err, RequireServicesEnv)
	}
	t.Skipf("%v: skipping (set %s, or start the service, or run .ci/run, to test against the real server)", err, env)
	return ""
}

// Unavailable reports a service that is configured but cannot be reached:
// a skip normally, a failure under SESH_REQUIRE_SERVICES=1.
func Unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv(RequireServicesEnv) == "1" {
		t.Fatalf("%s unavailable and %s=1: %v", what, RequireServicesEnv, err)
	}
	t.Skipf("%s unavailable: %v", what, err)
}

// EngineMarker starts the line Engine logs. make test's summary
// (internal/testreport) collects the text after it, so its format is fixed:
// EngineMarker, then "<name>[ <version>] at <where>" or
// "<name>[ <version>], in-process…".
const EngineMarker = "storetest.Engine: "

var engines sync.Map // the lines already logged by this test binary

// Engine reports which engine a store's tests run against, as one log line
// (EngineMarker + "Redis 7.0.15 at 127.0.0.1:6379"), once per test binary
// for each distinct engine. name is the engine ("Redis", "PostgreSQL",
// "memstore"); version is what the engine itself reported ("" when it
// reports none); where is the address the tests reach it at, never with
// credentials, or a phrase starting with "in-process" for a store inside
// the test binary.
func Engine(t testing.TB, name, version, where string) {
	t.Helper()
	oneLine := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	name, version, where = oneLine(name), oneLine(version), oneLine(where)
	line := name
	if version != "" {
		line += " " + version
	}
	switch {
	case strings.HasPrefix(where, "in-process"):
		line += ", " + where
	case where != "":
		line += " at " + where
	}
	if _, seen := engines.LoadOrStore(line, true); !seen {
		t.Log(EngineMarker + line)
	}
}
