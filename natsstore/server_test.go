package natsstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/sesh-go/sesh/internal/testserver"
	"github.com/sesh-go/sesh/storetest"
)

// URLEnv names the server the tests use; without it they use the one on
// the default local address (nats://127.0.0.1:4222) if it answers, and
// otherwise start one.
const URLEnv = "SESH_NATS_URL"

// server is the nats-server this test binary started, if any.
var server struct {
	once sync.Once
	url  string
	err  error
	proc *testserver.Process
	dir  string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if server.proc != nil {
		server.proc.Stop()
	}
	if server.dir != "" {
		os.RemoveAll(server.dir)
	}
	os.Exit(code)
}

// serverURL returns $SESH_NATS_URL or, when it is unset, the default local
// server's URL if it answers (storetest.LookupService), or else the URL of a
// nats-server with JetStream that this binary starts on 127.0.0.1 (once, in
// a temporary store directory; stopped and removed when the binary exits).
// A server that cannot be started skips the test, or fails it under
// SESH_REQUIRE_SERVICES=1.
func serverURL(t testing.TB) string {
	t.Helper()
	if u, err := storetest.LookupService(URLEnv); err == nil {
		return u
	}
	server.once.Do(func() { server.url, server.err = startServer() })
	if server.err != nil {
		storetest.Unavailable(t, "nats-server ("+URLEnv+" unset)", server.err)
	}
	return server.url
}

func startServer() (string, error) {
	bin, err := testserver.Binary("nats-server", "nats-server")
	if err != nil {
		return "", err
	}
	port, err := testserver.FreePort()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "natsstore-test-")
	if err != nil {
		return "", err
	}
	server.dir = dir
	addr := testserver.HostPort(port)
	p, err := testserver.Launch(exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", dir), addr)
	if err != nil {
		return "", err
	}
	server.proc = p
	return "nats://" + addr, nil
}

// serverAddr is the host:port of the test server.
func serverAddr(t *testing.T) (string, *url.Userinfo) {
	u, err := url.Parse(serverURL(t))
	if err != nil || u.Host == "" {
		t.Fatalf("%s: malformed URL (%v)", URLEnv, err)
	}
	return u.Host, u.User
}

// redacted hides a password in raw.
func redacted(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(malformed URL)"
}

// jetStream connects to the test server and waits for JetStream to answer;
// the connection is closed when the test ends.
func jetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(serverURL(t), nats.ReconnectBufSize(-1), nats.Timeout(5*time.Second))
	if err != nil {
		storetest.Unavailable(t, "nats-server at "+redacted(serverURL(t)), err)
	}
	t.Cleanup(nc.Close)
	where := nc.ConnectedAddr()
	if u := serverURL(t); server.proc != nil && u == server.url {
		where += " (started by the tests)"
	}
	storetest.Engine(t, "nats-server", nc.ConnectedServerVersion(), where)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return js
		}
		if time.Now().After(deadline) {
			storetest.Unavailable(t, "JetStream at "+redacted(serverURL(t)), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// bucketName returns a bucket name no other test uses.
func bucketName() string {
	var b [6]byte
	rand.Read(b[:])
	return "sesh_test_" + hex.EncodeToString(b[:])
}

// testBucket creates a fresh bucket with maxAge, deleted when the test ends.
func testBucket(t *testing.T, js jetstream.JetStream, maxAge time.Duration) string {
	t.Helper()
	name := bucketName()
	if _, err := js.CreateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: name, TTL: maxAge}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	dropBucket(t, js, name)
	return name
}

// dropBucket deletes the bucket when the test ends.
func dropBucket(t *testing.T, js jetstream.JetStream, name string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := js.DeleteKeyValue(ctx, name); err != nil {
			t.Errorf("delete bucket %s: %v", name, err)
		}
	})
}

var prefixSeq atomic.Int64

// uniquePrefix isolates one store within a shared bucket.
func uniquePrefix() string { return fmt.Sprintf("t%d_%d", time.Now().UnixNano(), prefixSeq.Add(1)) }

// newStore opens a store on js with opts (a unique prefix unless given)
// and clears it when the test ends.
func newStore(t *testing.T, js jetstream.JetStream, opts Options) *Store {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = uniquePrefix()
	}
	s, err := New(t.Context(), js, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Clear(ctx); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return s
}
