package sqlitestore

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/alloctest"
)

// Allocation bound of sesh.Open under a cancelled context, for
// URLs up to 64 KB: the URL's parts and their unescaped copies, the
// store's queries (which hold a valid table name, at most 63 bytes), and an
// error that quotes the part at fault with %q (a byte \xff becomes 4, in
// fmt's buffer, which doubles as it grows, then in the message). Measured
// worst: 26 per byte (an unknown parameter of 64 KB of \xff); k = 48. The
// constant covers the *sql.DB.
const (
	openURLAllocK = 48
	openURLAllocC = 16 << 10
)

// FuzzOpenURL: openURL (reached through sesh.Open) parses and checks the
// URL inline, then opens the database; under a cancelled context nothing
// is opened (database/sql
// checks the context before it asks the driver for a connection, and the
// driver opens the file only then), so the target reaches every check of
// the URL without touching a file. URLs that set cleanup under an hour are
// left out: their cleanup goroutine, started before the table is created,
// could run once with its own context and create the file. openURL never
// panics, never returns a store, fails either on the URL or with the
// context's error, and allocates within openURLAllocK bytes per byte.
// (openURL itself returns a typed nil *Store beside its errors; sesh.Open
// returns a nil Store.)
func FuzzOpenURL(f *testing.F) {
	for _, s := range []string{"sqlite:///var/lib/app/sessions.db", "sqlite:///x.db?table=s&cleanup=off", "sqlite://localhost/x.db",
		"sqlite://host/x.db", "sqlite:x.db", "sqlite:///", "sqlite://u@/x.db", "sqlite:///x.db#f", "sqlite:///x.db?bogus=1",
		"sqlite:///x.db?table=a.b.c", "sqlite:///x.db?table=", "sqlite:///x.db?%zz", "sqlite:///x.db?cleanup=2h",
		// 64 KB: a long table name, an unknown parameter %q escapes, a long path.
		"sqlite:///x.db?table=" + strings.Repeat("a", 64<<10-30), "sqlite:///x?" + strings.Repeat("\xff", 64<<10-30) + "=1",
		"sqlite:///" + strings.Repeat("a/", 32<<10-30)} {
		f.Add(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil || !strings.EqualFold(u.Scheme, "sqlite") {
			return // sesh.Open's own parsing is FuzzOpen's, in the root module
		}
		if q, err := url.ParseQuery(u.RawQuery); err == nil {
			for _, v := range q["cleanup"] {
				if d, err := time.ParseDuration(v); err == nil && d > 0 && d < time.Hour {
					return
				}
			}
		}
		st, err := sesh.Open(ctx, raw)
		if st != nil || err == nil {
			t.Fatalf("Open(%.200q) under a cancelled context = %v, %v", raw, st, err)
		}
		if errors.Is(err, context.Canceled) && (u.Path == "" || u.User != nil || u.Fragment != "" || u.Opaque != "") {
			t.Fatalf("Open(%.200q) got as far as the database: %v", raw, err)
		}
		alloctest.Check(t, "Open", len(raw), openURLAllocK, openURLAllocC, func() { sesh.Open(ctx, raw) })
	})
}
