package cfkvstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/nodepeer"
	"github.com/sesh-go/sesh/internal/testserver"
	"github.com/sesh-go/sesh/storetest"
)

// The test engine: miniflare (Cloudflare's workerd) running
// testdata/miniflare/worker.mjs, which serves the Workers KV REST routes the
// store calls on a KV binding, started once per test binary on 127.0.0.1.
// SESH_CFKV_URL names another API-compatible base URL instead (for example
// https://api.cloudflare.com/client/v4), with SESH_CFKV_ACCOUNT,
// SESH_CFKV_NAMESPACE and SESH_CFKV_TOKEN.

var engineDir = filepath.Join("testdata", "miniflare")

// The credentials the test Worker accepts (server.mjs's defaults, passed
// explicitly).
const (
	testAccount   = "0123456789abcdef0123456789abcdef"
	testNamespace = "fedcba9876543210fedcba9876543210"
	testToken     = "sesh-test-token"
)

func TestMain(m *testing.M) { testserver.Main(m) }

type engine struct {
	base                      string // the API's base URL
	addr                      string // its host:port
	peer                      string // the Remix peer's URL; "" outside the test engine
	account, namespace, token string
}

var enginePorts struct{ api, peer int } // set once, inside Shared's start

func testEngine(t *testing.T) engine {
	t.Helper()
	if base := os.Getenv("SESH_CFKV_URL"); base != "" {
		u, err := url.Parse(base)
		if err != nil || u.Host == "" {
			t.Fatalf("SESH_CFKV_URL=%q: not a URL", base)
		}
		addr := u.Host
		if u.Port() == "" {
			addr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
		}
		storetest.Engine(t, "Workers KV API", "", u.Redacted())
		return engine{base: base, addr: addr, account: envOr("SESH_CFKV_ACCOUNT", testAccount),
			namespace: envOr("SESH_CFKV_NAMESPACE", testNamespace), token: envOr("SESH_CFKV_TOKEN", testToken)}
	}
	node := nodepeer.Prepare(t, engineDir)
	testserver.Shared(t, "miniflare", func() (*testserver.Process, error) {
		api, err := testserver.FreePort()
		if err != nil {
			return nil, err
		}
		peer := api
		for peer == api {
			if peer, err = testserver.FreePort(); err != nil {
				return nil, err
			}
		}
		cmd := exec.Command(node, "server.mjs")
		cmd.Dir = engineDir
		cmd.Env = append(os.Environ(), fmt.Sprintf("CFKV_PORT=%d", api), fmt.Sprintf("CFKV_PEER_PORT=%d", peer),
			"CFKV_ACCOUNT="+testAccount, "CFKV_NAMESPACE="+testNamespace, "CFKV_TOKEN="+testToken)
		enginePorts.api, enginePorts.peer = api, peer
		// The peer listens last, once miniflare is ready.
		return testserver.Launch(cmd, testserver.HostPort(peer))
	})
	addr := testserver.HostPort(enginePorts.api)
	storetest.Engine(t, "miniflare", npmVersion(engineDir, "miniflare"), addr+" (started by the tests)")
	return engine{base: "http://" + addr + "/client/v4", addr: addr, peer: "http://" + testserver.HostPort(enginePorts.peer),
		account: testAccount, namespace: testNamespace, token: testToken}
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

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (e engine) options() Options {
	return Options{AccountID: e.account, NamespaceID: e.namespace, APIToken: e.token, BaseURL: e.base}
}

var prefixSeq atomic.Int64

// uniquePrefix isolates one store's keys within the shared namespace.
func uniquePrefix() string {
	return fmt.Sprintf("t%d-%d:", time.Now().UnixNano(), prefixSeq.Add(1))
}

// clearOnCleanup empties the store when the test ends.
func clearOnCleanup(t *testing.T, l sesh.Lister) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := l.Clear(ctx); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

func newNative(t *testing.T, e engine, mod func(*Options)) *Store {
	t.Helper()
	o := e.options()
	o.Prefix = uniquePrefix()
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	clearOnCleanup(t, s)
	t.Cleanup(func() { s.Close() })
	return s
}

func newRemix(t *testing.T, e engine, mod func(*Options)) *RemixStore {
	t.Helper()
	o := e.options()
	o.Prefix = uniquePrefix()
	if mod != nil {
		mod(&o)
	}
	s, err := NewRemix(o)
	if err != nil {
		t.Fatal(err)
	}
	clearOnCleanup(t, s)
	t.Cleanup(func() { s.Close() })
	return s
}

// raw is a plain client of the engine's REST API, for looking at what the
// store wrote and for writing what it would not.
type raw struct {
	e engine
	t *testing.T
}

func (r raw) url(path string) string {
	return r.e.base + "/accounts/" + r.e.account + "/storage/kv/namespaces/" + r.e.namespace + path
}

func (r raw) do(method, path, contentType string, body []byte) (int, http.Header, []byte) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, r.url(path), bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.e.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// value returns the raw value of a KV key and its expiration header.
func (r raw) value(kvKey string) ([]byte, string) {
	r.t.Helper()
	status, h, b := r.do("GET", "/values/"+kvKey, "", nil)
	if status != http.StatusOK {
		r.t.Fatalf("GET %s: %d %s", kvKey, status, b)
	}
	return b, h.Get("Expiration")
}

// listed returns the keys-list entry of a KV key, or false.
func (r raw) listed(kvKey string) (listedKey, bool) {
	r.t.Helper()
	status, _, b := r.do("GET", "/keys?prefix="+url.QueryEscape(kvKey), "", nil)
	if status != http.StatusOK {
		r.t.Fatalf("list %s: %d %s", kvKey, status, b)
	}
	var env struct {
		Result []listedKey `json:"result"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		r.t.Fatal(err)
	}
	for _, k := range env.Result {
		if k.Name == kvKey {
			return k, true
		}
	}
	return listedKey{}, false
}

// put writes a raw value with a query string such as "?expiration=…".
func (r raw) put(kvKey, query string, value []byte) (int, []byte) {
	r.t.Helper()
	status, _, b := r.do("PUT", "/values/"+kvKey+query, "application/octet-stream", value)
	return status, b
}

// counter is a RoundTripper that counts requests by path suffix.
type counter struct {
	next http.RoundTripper
	n    atomic.Int64
	keys atomic.Int64 // keys-list requests
	bulk atomic.Int64 // bulk/get requests
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	switch {
	case strings.HasSuffix(req.URL.Path, "/keys"):
		c.keys.Add(1)
	case strings.HasSuffix(req.URL.Path, "/bulk/get"):
		c.bulk.Add(1)
	}
	return c.next.RoundTrip(req)
}

func countingClient() (*http.Client, *counter) {
	c := &counter{next: http.DefaultTransport.(*http.Transport).Clone()}
	return &http.Client{Transport: c}, c
}

// requirePeer skips a test that needs the Remix peer when the engine is
// not the test engine.
func requirePeer(t *testing.T, e engine) {
	t.Helper()
	if e.peer == "" {
		t.Skip("the Remix peer runs on the test engine's own KV namespace; SESH_CFKV_URL points at another server")
	}
}
