package natsstore

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/sesh-go/sesh"
)

func init() {
	sesh.Register("nats", openURL)
}

// urlForm is the URL shape openURL accepts.
const urlForm = "want nats://[user:password@]host:port[/bucket][?prefix=…&max_age=…]"

// drainTimeout bounds how long Close waits for in-flight calls.
const drainTimeout = 5 * time.Second

// openURL opens a store from nats://[user:password@]host:port[/bucket]
// [?prefix=…&max_age=…]. The store owns its connection.
func openURL(ctx context.Context, u *url.URL) (sesh.Store, error) {
	opts, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	closed := make(chan struct{})
	nopts := []nats.Option{
		nats.Name("sesh natsstore"),
		nats.MaxReconnects(-1),
		nats.ReconnectBufSize(-1), // a call during a reconnect fails now, not replayed later
		nats.DrainTimeout(drainTimeout),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
	}
	if dl, ok := ctx.Deadline(); ok {
		nopts = append(nopts, nats.Timeout(max(time.Until(dl), time.Millisecond)))
	}
	conn := url.URL{Scheme: "nats", User: u.User, Host: u.Host}
	nc, err := nats.Connect(conn.String(), nopts...)
	if err != nil {
		return nil, fmt.Errorf("natsstore: connect to %s: %w", u.Host, err)
	}
	js, err := jetstream.New(nc)
	if err == nil {
		var s *Store
		if s, err = New(ctx, js, opts); err == nil {
			s.nc, s.closed = nc, closed
			return s, nil
		}
	}
	nc.Close()
	return nil, err
}

// parseURL reads the store's options from u, before any I/O.
func parseURL(u *url.URL) (Options, error) {
	var opts Options
	if u.Opaque != "" || u.Host == "" {
		return opts, fmt.Errorf("natsstore: malformed URL: %s", urlForm)
	}
	if strings.Contains(u.Host, ",") {
		return opts, fmt.Errorf("natsstore: one host per URL: %s", urlForm)
	}
	bucket := strings.TrimPrefix(u.Path, "/")
	if strings.Contains(bucket, "/") {
		return opts, fmt.Errorf("natsstore: bucket %q: one path segment: %s", bucket, urlForm)
	}
	opts.Bucket = bucket
	if u.Fragment != "" {
		return opts, fmt.Errorf("natsstore: URL has a fragment: %s", urlForm)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return opts, fmt.Errorf("natsstore: malformed query: %w", err)
	}
	for k, vs := range q {
		if len(vs) != 1 || vs[0] == "" {
			return opts, fmt.Errorf("natsstore: parameter %s given %d times or empty", k, len(vs))
		}
		switch k {
		case "prefix":
			opts.Prefix = vs[0]
		case "max_age":
			d, err := time.ParseDuration(vs[0])
			if err != nil || d <= 0 {
				return opts, fmt.Errorf("natsstore: max_age=%q: want a positive duration such as 24h", vs[0])
			}
			opts.MaxAge = d
		default:
			return opts, fmt.Errorf("natsstore: unknown parameter %q (known: prefix, max_age)", k)
		}
	}
	return checkOptions(opts)
}
