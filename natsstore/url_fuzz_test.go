package natsstore

import (
	"net/url"
	"strings"
	"testing"

	"github.com/sesh-go/sesh/internal/alloctest"
)

// Allocation bound of url.Parse and parseURL, for URLs up to 64 KB:
// url.Parse keeps the URL's parts (and a path's escaped form: up to 3
// bytes per byte), url.ParseQuery copies the unescaped parameters, and an
// error quotes the part at fault with %q: a byte \xff becomes 4, in fmt's
// buffer, which doubles as it grows, then in the message. Measured worst:
// 37 per byte (a bucket of 64 KB of \xff); k = 48.
const (
	parseURLAllocK = 48
	parseURLAllocC = 8 << 10
)

// FuzzParseURL: parseURL reads a nats:// URL without any I/O (openURL
// connects only after it). It never panics; what it accepts is a valid
// bucket, a one-token prefix and a max age of 0 or at least a second, which
// written back into a URL parse to the same options; and it allocates
// within parseURLAllocK bytes per byte.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"nats://127.0.0.1:4222", "nats://u:p@h:4222/sessions?prefix=app&max_age=24h", "nats://h/a/b",
		"nats://h/b.c", "nats://h1,h2/b", "nats:opaque", "nats:///b", "nats://h/b?prefix=%zz", "nats://h/b?max_age=10ms",
		"nats://h/b?prefix=a&prefix=b", "nats://h/b?bogus=1", "nats://h/b#f", "nats://h/?prefix=a.b",
		// 64 KB: a long bucket of bytes %q escapes, a long prefix, a long max age.
		"nats://h/" + strings.Repeat("\xff", 64<<10-10), "nats://h?prefix=" + strings.Repeat("%00", 21000),
		"nats://h?max_age=" + strings.Repeat("9", 64<<10-20)} {
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
		opts, err := parseURL(u)
		if err != nil {
			return
		}
		if !token(opts.Bucket, 255) || !token(opts.Prefix, maxPrefixLen) || opts.MaxAge < 0 || (opts.MaxAge > 0 && opts.MaxAge.Seconds() < 1) {
			t.Fatalf("accepted %.200q as %+v", raw, opts)
		}
		q := url.Values{"prefix": {opts.Prefix}}
		if opts.MaxAge > 0 {
			q.Set("max_age", opts.MaxAge.String())
		}
		back := url.URL{Scheme: "nats", Host: u.Host, Path: "/" + opts.Bucket, RawQuery: q.Encode()}
		again, err := parseURL(&back)
		if err != nil || again.Bucket != opts.Bucket || again.Prefix != opts.Prefix || again.MaxAge != opts.MaxAge {
			t.Fatalf("%.200q: %+v written back as %.200s reads %+v, %v", raw, opts, back.String(), again, err)
		}
	})
}
