package cfkvstore

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/alloctest"
	"github.com/sesh-go/sesh/internal/leaktest"
)

// Allocation bound of sesh.Open under a cancelled context, for URLs up to
// 64 KB: the URL's parts, the store (a constant: its HTTP transport), and
// errors that hold the part at fault twice, quoted with %q (a byte \xff
// becomes 4, in fmt's buffer, which doubles as it grows) and in the
// redacted URL sesh.Open adds (escaped: 3 bytes per byte). Measured worst:
// 58 per byte (an account ID of 64 KB of \xff); k = 96.
const (
	openAllocK = 96
	openAllocC = 32 << 10
)

// FuzzOpenURL: openURL parses the URL, builds the store and checks it with
// one request, in one function; Ping returns the context's error before
// any request, so under a cancelled context the target reaches every check
// without a network. sesh.Open never panics, never returns a store, fails
// on the URL or with the context's error, never shows the API token in an
// error, and allocates within openAllocK bytes per byte.
func FuzzOpenURL(f *testing.F) {
	for _, s := range []string{"cfkv://:tok@0123456789abcdef0123456789abcdef/fedcba9876543210fedcba9876543210",
		"cfkv://:secret@acc/ns?layout=remix&prefix=app:&base_url=http://127.0.0.1:8787", "cfkv://acc/ns?token_env=NO_SUCH_VARIABLE",
		"cfkv://u:secret@acc/ns", "cfkv://:secret@acc/ns?token_env=X", "cfkv://:secret@acc/", "cfkv://:secret@acc:1/ns",
		"cfkv://:secret@acc/ns?layout=x", "cfkv://:secret@acc/ns?base_url=http://example.com", "cfkv://:secret@acc/ns?base_url=ftp://h",
		"cfkv://:secret@acc/ns?base_url=https://u:p@h", "cfkv://:secret@acc/ns?prefix=", "cfkv://:se%20cret@acc/ns", "cfkv://:secret@acc/ns?prefix=a.b",
		"cfkv://:secret@acc/ns?bogus=1&bogus=2", "cfkv://:secret@a.b/ns", "cfkv:opaque",
		// 64 KB: an account ID, a base URL and a parameter %q escapes, a long token.
		"cfkv://:tok@" + strings.Repeat("\xff", 64<<10-20) + "/ns", "cfkv://:tok@acc/ns?base_url=" + strings.Repeat("\xff", 64<<10-60),
		"cfkv://:tok@acc/ns?" + strings.Repeat("\xff", 64<<10-60) + "=1", "cfkv://:" + strings.Repeat("a", 64<<10-20) + "@acc/ns"} {
		f.Add(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "cfkv" {
			return // sesh.Open's own parsing is FuzzOpen's, in the root module
		}
		st, err := sesh.Open(ctx, raw)
		if st != nil || err == nil {
			t.Fatalf("Open(%.200q) under a cancelled context = %v, %v", raw, st, err)
		}
		// The token is the URL's password.
		if leaktest.ShowsPassword(u, err, func(v *url.URL) error { _, err := sesh.Open(ctx, v.String()); return err }) {
			t.Fatalf("Open(%.200q): the error shows the token: %.200v", raw, err)
		}
		if errors.Is(err, context.Canceled) && (u.Host == "" || strings.Trim(u.Path, "/") == "") {
			t.Fatalf("Open(%.200q): a URL without account or namespace got as far as the ping", raw)
		}
		alloctest.Check(t, "Open", len(raw), openAllocK, openAllocC, func() { sesh.Open(ctx, raw) })
	})
}
