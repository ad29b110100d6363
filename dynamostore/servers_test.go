package dynamostore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/sesh-go/sesh/internal/nodepeer"
	"github.com/sesh-go/sesh/internal/testserver"
	"github.com/sesh-go/sesh/storetest"
)

// EndpointEnv names a running DynamoDB API endpoint to test against
// (http://host:port) instead of the dynalite the tests start themselves.
const EndpointEnv = "SESH_DYNAMODB_ENDPOINT"

// peerDir holds dynalite and the Remix peer (package.json and the
// committed package-lock.json; npm ci runs when node_modules is missing).
var peerDir = filepath.Join("testdata", "dynalite")

func TestMain(m *testing.M) { testserver.Main(m) }

// endpoint returns the DynamoDB endpoint of the tests: EndpointEnv, or a
// dynalite started once for the test binary (in memory, on a free
// 127.0.0.1 port) and stopped when it exits. Without node, or if dynalite
// cannot start, the test skips (fails under SESH_REQUIRE_SERVICES=1).
func endpoint(t *testing.T) string {
	t.Helper()
	if e := os.Getenv(EndpointEnv); e != "" {
		storetest.Engine(t, "DynamoDB API", "", hostPort(t, e))
		return e
	}
	node := nodepeer.Prepare(t, peerDir)
	p := testserver.Shared(t, "dynalite", func() (*testserver.Process, error) {
		port, err := testserver.FreePort()
		if err != nil {
			return nil, err
		}
		// server.js is dynalite's CLI without table-state delays, and
		// surviving requests that clients abort (see the script).
		cmd := exec.Command(node, "server.js", strconv.Itoa(port))
		cmd.Dir = peerDir
		start := time.Now()
		p, err := testserver.Launch(cmd, testserver.HostPort(port))
		if err == nil {
			fmt.Fprintf(os.Stderr, "dynamostore: dynalite on %s started in %v\n", p.Addr, time.Since(start).Round(time.Millisecond))
		}
		return p, err
	})
	storetest.Engine(t, "dynalite", npmVersion(peerDir, "dynalite"), p.Addr+" (started by the tests)")
	return "http://" + p.Addr
}

// npmVersion returns the version of the npm package pkg installed in dir.
func npmVersion(dir, pkg string) string {
	var m struct{ Version string }
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", pkg, "package.json"))
	if err != nil || json.Unmarshal(b, &m) != nil || m.Version == "" {
		return "(version unknown)"
	}
	return m.Version
}

// hostPort is the host:port of an http:// endpoint.
func hostPort(t *testing.T, endpoint string) string {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		t.Fatalf("%s=%q: not an http://host:port URL", EndpointEnv, endpoint)
	}
	return u.Host
}

// newClient returns a client for endpoint with static dummy credentials
// in us-east-1 (as DynamoDB Local and dynalite accept), over its own
// transport; the returned function closes the transport's connections.
func newClient(endpoint string) (*dynamodb.Client, func()) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	c := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: &endpoint,
		Credentials:  credentials.NewStaticCredentialsProvider("sesh", "sesh-test-secret", ""),
		HTTPClient:   &http.Client{Transport: tr},
	})
	return c, tr.CloseIdleConnections
}

var testClient struct {
	once sync.Once
	c    *dynamodb.Client
}

// client returns the client the tests share (closed with the binary).
func client(t *testing.T) *dynamodb.Client {
	t.Helper()
	e := endpoint(t)
	testClient.once.Do(func() { testClient.c, _ = newClient(e) })
	return testClient.c
}

// Tables the tests share; each store in them has its own prefix.
const (
	nativeTable = "sesh_test_native"
	arcTable    = "sesh_test_arc"
)

var tables sync.Map // table name → *tableOnce

type tableOnce struct {
	sync.Once
	err error
}

// ensureTable creates the store's table once per test binary.
func ensureTable(t *testing.T, s *Store) {
	t.Helper()
	v, _ := tables.LoadOrStore(s.table, &tableOnce{})
	o := v.(*tableOnce)
	o.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		o.err = s.CreateTable(ctx)
		if errors.Is(o.err, ErrTTLUnsupported) {
			// dynalite implements neither UpdateTimeToLive nor TTL
			// deletion; the store checks expiry itself (and real
			// DynamoDB's TTL is lazy anyway), so the tests go on.
			o.err = nil
		}
	})
	if o.err != nil {
		t.Fatalf("create table %s: %v", s.table, o.err)
	}
}

var prefixSeq atomic.Int64

// uniquePrefix isolates one store in a shared table.
func uniquePrefix() string {
	return fmt.Sprintf("t%d-%d:", time.Now().UnixNano(), prefixSeq.Add(1))
}

// clearOnCleanup removes the store's items when the test ends.
func clearOnCleanup(t *testing.T, s *Store) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Clear(ctx); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

// newNative returns an empty native store with its own prefix.
func newNative(t *testing.T) *Store {
	t.Helper()
	s, err := New(client(t), Options{Table: nativeTable, Prefix: uniquePrefix()})
	if err != nil {
		t.Fatal(err)
	}
	ensureTable(t, s)
	clearOnCleanup(t, s)
	return s
}

// newArc returns an empty Arc store with its own prefix.
func newArc(t *testing.T) *ArcStore {
	t.Helper()
	s, err := NewArc(client(t), Options{Table: arcTable, Prefix: uniquePrefix()})
	if err != nil {
		t.Fatal(err)
	}
	ensureTable(t, s.Store)
	clearOnCleanup(t, s.Store)
	return s
}
