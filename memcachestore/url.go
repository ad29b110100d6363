package memcachestore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/sesh-go/sesh"
)

// Scheme is the URL scheme the package registers with sesh.Open.
const Scheme = "memcache"

// DefaultPort is the port of a server named without one.
const DefaultPort = "11211"

// urlMaxIdleConns is max_idle_conns when the URL does not give it:
// gomemcache's own default (2) makes a busy server dial for most calls.
const urlMaxIdleConns = 64

func init() { sesh.Register(Scheme, openURL) }

// urlConfig is what a memcache:// URL describes.
type urlConfig struct {
	servers      []string
	opts         Options
	timeout      time.Duration // 0: gomemcache's default
	maxIdleConns int
}

const urlForm = "memcache://host[:port][,host[:port]…][?prefix=…&timeout=…&max_idle_conns=…&max_item_size=…]"

// parseURL reads a memcache:// URL without any I/O; the options it returns
// pass New's checks.
func parseURL(u *url.URL) (urlConfig, error) {
	cfg := urlConfig{maxIdleConns: urlMaxIdleConns}
	if u.User != nil {
		return cfg, errors.New("memcachestore: the URL has user info, but memcached's text protocol has no authentication: remove it")
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") {
		return cfg, fmt.Errorf("memcachestore: the URL has a path (%q); want %s", u.EscapedPath()+u.Opaque, urlForm)
	}
	if u.Fragment != "" || u.RawFragment != "" {
		return cfg, fmt.Errorf("memcachestore: the URL has a fragment; want %s", urlForm)
	}
	if u.Host == "" {
		return cfg, fmt.Errorf("memcachestore: the URL names no server; want %s", urlForm)
	}
	for _, h := range strings.Split(u.Host, ",") {
		addr, err := serverAddr(h)
		if err != nil {
			return cfg, err
		}
		cfg.servers = append(cfg.servers, addr)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return cfg, fmt.Errorf("memcachestore: malformed query: %w", err)
	}
	for name, vs := range q {
		if len(vs) != 1 {
			return cfg, fmt.Errorf("memcachestore: parameter %s given %d times", name, len(vs))
		}
		v := vs[0]
		switch name {
		case "prefix":
			if v == "" {
				return cfg, errors.New("memcachestore: parameter prefix is empty (leave it out for the default)")
			}
			cfg.opts.Prefix = v
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil {
				return cfg, fmt.Errorf("memcachestore: timeout=%q is not a Go duration such as 500ms", v)
			}
			if d <= 0 {
				return cfg, fmt.Errorf("memcachestore: timeout=%q must be positive", v)
			}
			cfg.timeout = d
		case "max_idle_conns":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return cfg, fmt.Errorf("memcachestore: max_idle_conns=%q must be an integer of at least 1", v)
			}
			cfg.maxIdleConns = n
		case "max_item_size":
			n, err := parseSize(v)
			if err != nil {
				return cfg, err
			}
			cfg.opts.MaxItemSize = n
		default:
			return cfg, fmt.Errorf("memcachestore: unknown parameter %q (known: prefix, timeout, max_idle_conns, max_item_size)", name)
		}
	}
	opts := cfg.opts
	if err := validate(&opts); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// serverAddr checks one host[:port] of the URL and adds the default port.
func serverAddr(h string) (string, error) {
	if h == "" {
		return "", errors.New("memcachestore: empty server name in the URL's server list")
	}
	if _, _, err := net.SplitHostPort(h); err != nil {
		bracketed := strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]")
		if !bracketed && strings.Contains(h, ":") {
			return "", fmt.Errorf("memcachestore: server %q: want host, host:port or [IPv6]:port", h)
		}
		h += ":" + DefaultPort
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil || host == "" {
		return "", fmt.Errorf("memcachestore: server %q: want host, host:port or [IPv6]:port", h)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("memcachestore: server %q: port %q is not a number from 1 to 65535", h, port)
	}
	return net.JoinHostPort(host, port), nil
}

// parseSize reads a byte count, optionally with memcached's k or m suffix.
func parseSize(v string) (int, error) {
	mult := 1
	num := v
	switch {
	case strings.HasSuffix(v, "k"), strings.HasSuffix(v, "K"):
		mult, num = 1<<10, v[:len(v)-1]
	case strings.HasSuffix(v, "m"), strings.HasSuffix(v, "M"):
		mult, num = 1<<20, v[:len(v)-1]
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > (1<<30)/mult {
		return 0, fmt.Errorf("memcachestore: max_item_size=%q is not a size from 1024 to 1g, in bytes or with a k or m suffix", v)
	}
	return n * mult, nil
}

// openURL opens a store from a memcache:// URL (see the package doc): the
// store owns its client, and every server must answer a version request.
func openURL(ctx context.Context, u *url.URL) (sesh.Store, error) {
	cfg, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	servers := new(memcache.ServerList)
	c := memcache.NewFromSelector(servers)
	c.Timeout = cfg.timeout
	c.MaxIdleConns = cfg.maxIdleConns
	s, err := New(c, cfg.opts)
	if err != nil {
		return nil, err
	}
	s.owns = true
	// Resolving the names and pinging both run under ctx.
	err = s.call(ctx, func() error { return servers.SetServers(cfg.servers...) })
	if err == nil {
		err = s.call(ctx, c.Ping)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("memcachestore: memcached unreachable at %s: %w", strings.Join(cfg.servers, ","), err)
	}
	return s, nil
}
