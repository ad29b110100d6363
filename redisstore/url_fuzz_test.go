package redisstore

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/alloctest"
	"github.com/sesh-go/sesh/internal/leaktest"
)

// Allocation bounds of sesh.Open under a cancelled context, for URLs up to
// 64 KB.
//
//   - redis, rediss and redis+sentinel: the URL's parts, the query written
//     again without prefix and parsed again by go-redis, the client
//     (a constant, about 20 KB), and an error that quotes the part at fault
//     with %q (a byte \xff becomes 4, in fmt's buffer, which doubles as it
//     grows, then in the message). Measured worst: 27 per byte (a sentinel
//     list of one-letter hosts); openAllocK = 48.
//   - the +cluster schemes: go-redis builds a client (about 10 KB) for every
//     address of the URL (host list and addr= parameters, 9 bytes each)
//     when the first command asks for the command table. Measured:
//     1100 per byte; clusterAllocK = 1536.
const (
	openAllocK    = 48
	clusterAllocK = 1536
	openAllocC    = 64 << 10
)

// clusterAddrs returns addr=h:p& parameters up to n bytes.
func clusterAddrs(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString("addr=" + strconv.Itoa(i%10) + ":" + strconv.Itoa(1+i/10) + "&")
	}
	return b.String()
}

// FuzzOpenURL: openURL parses the URL (its prefix parameter, then
// go-redis's parsers, or parseSentinel), builds the client and pings it in
// one function; under a cancelled context the ping fails before any
// connection is taken from the pool, so the target reaches every parser
// without a connection (and, with the resolver below, without DNS). Two go-redis parameters are left out, since they act
// at construction: min_idle_conns dials at once, in the background, and
// pool_size allocates in proportion to its value (about 288 bytes per
// connection: 288 MB for pool_size=1000000, and a crash for 2000000000;
// reported: redisstore should bound it). sesh.Open never panics, never
// returns a store, fails on the URL or with the context's error, never
// shows the password in an error, and allocates within the bounds above.
func FuzzOpenURL(f *testing.F) {
	for _, s := range []string{"redis://127.0.0.1:6379/0", "redis://u:secret@h:6379/3?prefix=app:&dial_timeout=1s",
		"rediss://h/0?skip_verify=true", "redis+cluster://a:1,b:2?prefix=x:&read_only=true", "rediss+cluster://h:1?addr=h2:2",
		"redis+sentinel://:secret@h1:26379,h2:26379/mymaster?db=2", "redis+sentinel://h/", "redis+sentinel://h/m?db=-1",
		"redis+sentinel://h/m?bogus=1", "redis://h/0?prefix=", "redis://h/0?prefix=a&prefix=b", "redis://h/x", "redis://h/0?bogus=1",
		"redis://u:secret@h:x/", "redis://:secret@h/0?db=secret", "REDIS://h/0", "redis://h/0?protocol=2&client_name=a%20b",
		// 64 KB: a parameter %q escapes, a long sentinel list, many cluster addresses.
		"redis://h/0?" + strings.Repeat("\xff", 64<<10-20) + "=1", "redis+sentinel://" + strings.Repeat("a,", 32<<10-20) + "a/m",
		"redis+cluster://h:1?" + clusterAddrs(60000), "redis://h/0?prefix=" + strings.Repeat("%41", 21000)} {
		f.Add(s)
	}
	// go-redis 9.22's NewClient resolves the address's host name while it
	// builds the client (maintnotifications' endpoint detection, under its
	// own timeout, whatever the caller's context), and NewClusterClient
	// and NewFailoverClient build such clients: the resolver answers from
	// /etc/hosts only for the duration, so the target sends no DNS query.
	old := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS in FuzzOpenURL")
	}}
	f.Cleanup(func() { net.DefaultResolver = old })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return // sesh.Open's own parsing is FuzzOpen's, in the root module
		}
		scheme := strings.ToLower(u.Scheme)
		switch scheme {
		case "redis", "rediss", "redis+cluster", "rediss+cluster", "redis+sentinel":
		default:
			return
		}
		q := u.Query()
		if q.Has("min_idle_conns") || q.Has("pool_size") {
			return
		}
		st, err := sesh.Open(ctx, raw)
		if st != nil || err == nil {
			t.Fatalf("Open(%.200q) under a cancelled context = %v, %v", raw, st, err)
		}
		if leaktest.ShowsPassword(u, err, func(v *url.URL) error { _, err := sesh.Open(ctx, v.String()); return err }) {
			t.Fatalf("Open(%.200q): the error shows the password: %.200v", raw, err)
		}
		if errors.Is(err, context.Canceled) && u.Host == "" && scheme == "redis+sentinel" {
			t.Fatalf("Open(%.200q): a sentinel URL without hosts got as far as the ping", raw)
		}
		k := uint64(openAllocK)
		if strings.HasSuffix(scheme, "+cluster") {
			k = clusterAllocK
		}
		alloctest.Check(t, "Open", len(raw), k, openAllocC, func() { sesh.Open(ctx, raw) })
	})
}
