package memcachestore

import (
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/alloctest"
	"github.com/sesh-go/sesh/storetest"
)

func TestOpenURL(t *testing.T) {
	addr := server(t)
	c := newClient(t, addr)
	p := uniquePrefix()
	q := url.Values{"prefix": {p}, "timeout": {"2s"}, "max_idle_conns": {"8"}, "max_item_size": {"2m"}}
	// The same server twice: a list of servers, as gomemcache spreads keys.
	raw := "memcache://" + addr + "," + addr + "?" + q.Encode()
	st, err := sesh.Open(t.Context(), raw)
	if err != nil {
		t.Fatalf("Open(%s): %v", raw, err)
	}
	defer st.(io.Closer).Close()
	ms := st.(*Store)
	if ms.prefix != p || !ms.owns || ms.maxItem != 2<<20 || ms.c.Timeout != 2*time.Second || ms.c.MaxIdleConns != 8 {
		t.Fatalf("opened store: prefix %q owns %v maxItem %d timeout %v idle %d", ms.prefix, ms.owns, ms.maxItem, ms.c.Timeout, ms.c.MaxIdleConns)
	}
	if err := st.Set(t.Context(), "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(wantItemKey(p, "k")); err != nil {
		t.Fatalf("the store opened by URL wrote elsewhere: %v", err)
	}
	if err := ms.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(t.Context(), "k"); err == nil {
		t.Fatal("Get after Close succeeded")
	}
}

func TestOpenURLErrors(t *testing.T) {
	// The wanted texts are the store's words, not parts of the URL, which
	// sesh.Open repeats in every error.
	storetest.OpenErrors(t, map[string]string{
		"memcache://127.0.0.1:1":                                    "unreachable",
		"memcache://":                                               "names no server",
		"memcache://127.0.0.1:11211?bogus=1":                        "unknown parameter",
		"memcache://127.0.0.1:11211?prefix=a%20b":                   "printable ASCII",
		"memcache://127.0.0.1:11211?prefix=":                        "is empty",
		"memcache://127.0.0.1:11211?prefix=a&prefix=b":              "given 2 times",
		"memcache://127.0.0.1:11211?timeout=fast":                   "Go duration",
		"memcache://127.0.0.1:11211?timeout=-1s":                    "must be positive",
		"memcache://127.0.0.1:11211?max_idle_conns=0":               "at least 1",
		"memcache://127.0.0.1:11211?max_item_size=12q":              "not a size",
		"memcache://127.0.0.1:11211?max_item_size=100":              "smallest item size",
		"memcache://127.0.0.1:11211?a=%zz":                          "malformed query",
		"memcache://user:pw@127.0.0.1:11211":                        "no authentication",
		"memcache://127.0.0.1:11211/db":                             "has a path",
		"memcache://127.0.0.1:11211#frag":                           "fragment",
		"memcache://127.0.0.1:0":                                    "from 1 to 65535",
		"memcache://127.0.0.1:11211,,127.0.0.1:11212":               "empty server name",
		"memcache://a:b:c:11211":                                    "[IPv6]:port",
		"memcache://127.0.0.1:11211?prefix=" + long(MaxPrefixLen+1): "memcached's 250-byte key limit",
	})
}

func long(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'p'
	}
	return string(b)
}

func TestParseURL(t *testing.T) {
	for raw, want := range map[string][]string{
		"memcache://host":                      {"host:11211"},
		"memcache://host:1":                    {"host:1"},
		"memcache://a,b:2":                     {"a:11211", "b:2"},
		"memcache://[::1]":                     {"[::1]:11211"},
		"memcache://[::1]:5/":                  {"[::1]:5"},
		"memcache://cache.internal:11211,c2:1": {"cache.internal:11211", "c2:1"},
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		cfg, err := parseURL(u)
		if err != nil || !slices.Equal(cfg.servers, want) {
			t.Errorf("parseURL(%s) = %q, %v; want %q", raw, cfg.servers, err, want)
		}
		if cfg.maxIdleConns != urlMaxIdleConns || cfg.timeout != 0 || cfg.opts.Prefix != "" || cfg.opts.MaxItemSize != 0 || cfg.opts.Now != nil {
			t.Errorf("parseURL(%s): defaults %+v", raw, cfg)
		}
	}
}

// Allocation bound of url.Parse and parseURL, for URLs up to 64 KB. The
// costliest URL lists one-letter servers ("a,a,…"): per 2 bytes, the
// split's string header (16), a failed net.SplitHostPort's error (about
// 80), the name with the default port and its join (16), and the servers
// slice, doubled as it grows (32): about 72 bytes per byte, as measured.
// Queries cost little: url.ParseQuery refuses more than 10000 parameters.
// k = 96.
const (
	parseURLAllocK = 96
	parseURLAllocC = 8 << 10
)

// FuzzParseURL: parseURL never panics, and what it accepts New accepts,
// with servers gomemcache can use, within parseURLAllocK bytes per byte.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"memcache://h", "memcache://a:1,b:2?prefix=x:&timeout=1s", "memcache://[::1]?max_item_size=2m",
		"memcache://h?max_idle_conns=3&max_item_size=1048576", "memcache://u@h/p#f", "memcache://h?prefix=%00",
		// 64 KB: the most servers, a long escaped prefix, the most parameters.
		"memcache://" + strings.Repeat("a,", 32<<10-8) + "a", "memcache://h?prefix=" + strings.Repeat("%41", 21000),
		"memcache://h?" + strings.Repeat("a=1&", 10000) + strings.Repeat("b", 64<<10-40020)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		alloctest.Check(t, "parseURL", len(raw), parseURLAllocK, parseURLAllocC, func() {
			if u, err := url.Parse(raw); err == nil {
				parseURL(u)
			}
		})
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		cfg, err := parseURL(u)
		if err != nil {
			return
		}
		if len(cfg.servers) == 0 || cfg.maxIdleConns < 1 || cfg.timeout < 0 {
			t.Fatalf("accepted %q as %+v", raw, cfg)
		}
		for _, s := range cfg.servers {
			host, port, err := net.SplitHostPort(s)
			n, perr := strconv.Atoi(port)
			if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
				t.Fatalf("accepted %q with server %q", raw, s)
			}
		}
		if _, err := New(memcache.New(), cfg.opts); err != nil {
			t.Fatalf("parseURL accepted %q but New refuses its options: %v", raw, err)
		}
	})
}
