package pgstore

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sesh-go/sesh/internal/alloctest"
	"github.com/sesh-go/sesh/internal/leaktest"
	"github.com/sesh-go/sesh/sqlstore"
)

// parseURL is what openURL does before it connects: the store's options
// out of the query, then pgxpool.ParseConfig on the rest. openURL parses
// and connects in one function (pgxpool.NewWithConfig, which dials in the
// background for pool_min_conns even when its context is cancelled), so
// this target repeats its first three lines; see FuzzParseURL.
func parseURL(u *url.URL) (sqlstore.QueryOptions, *pgxpool.Config, error) {
	qo, err := sqlstore.OptionsFromQuery(u.RawQuery)
	if err != nil {
		return qo, nil, err
	}
	v := *u
	v.RawQuery = qo.Query.Encode()
	cfg, err := pgxpool.ParseConfig(v.String())
	return qo, cfg, err
}

// fileParams are the connection parameters that make pgconn read a file
// the URL names (or a service file): a fuzzed name could be /dev/zero or a
// FIFO. FuzzParseURL leaves them out.
var fileParams = []string{"sslrootcert", "sslcert", "sslkey", "passfile", "service", "servicefile"}

// Allocation bound of url.Parse and parseURL, for URLs up to 64 KB. pgconn
// builds a fallback configuration for every host of the URL (host list or
// host= parameter), two with the default sslmode=prefer (TLS, then plain),
// each with its own tls.Config: about 760 bytes per 2-byte host "a,", 380
// per byte, measured. Queries cost little (url.ParseQuery refuses more than
// 10000 parameters). k = 512; the constant covers pgconn's defaults and
// its look-up of the OS user and ~/.pgpass.
const (
	parseAllocK = 512
	parseAllocC = 64 << 10
)

// FuzzParseURL: openURL's parsing never panics; what it accepts keeps the
// URL's user, password and database and the store's table and cleanup
// options, without them in pgx's runtime parameters; an error never shows
// the password; and it allocates within parseAllocK bytes per byte.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgresql://u:secret@h/db?table=s&cleanup=5m",
		"postgres://u:p@h/db?cleanup=x", "postgres://u:p@h/db?table=", "postgres://u:p@h/db?pool_max_conns=0",
		"postgres://u:p@h/db?host=a,b&port=1,2", "postgres://u:p@h/db?sslmode=bogus", "postgres://u:p@h/db?connect_timeout=x",
		"postgres://u:secret@h/db?application_name=secret", "postgres://u:p@[::1]:5432/db", "postgres://u:p@h/db?%zz",
		"postgres://u:p@h/db?target_session_attrs=x", "postgres://u:p@h/db?options=-c%20x=1",
		// 64 KB: the most hosts, a parameter %q escapes, a long database name.
		"postgres://u:p@" + strings.Repeat("a,", 32<<10-20) + "a/db", "postgres://u:p@h/db?x=" + strings.Repeat("\xff", 64<<10-30),
		"postgres://u:p@h/" + strings.Repeat("a", 64<<10-30)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return
		}
		if q, err := url.ParseQuery(u.RawQuery); err == nil {
			for _, p := range fileParams {
				if q.Has(p) {
					return
				}
			}
		}
		alloctest.Check(t, "parseURL", len(raw), parseAllocK, parseAllocC, func() { parseURL(u) })
		qo, cfg, err := parseURL(u)
		if err != nil {
			if u.User == nil {
				return
			}
			if leaktest.ShowsPassword(u, err, func(v *url.URL) error { _, _, err := parseURL(v); return err }) {
				t.Fatalf("parseURL(%.200q): the error shows the password: %.200v", raw, err)
			}
			return
		}
		c := cfg.ConnConfig
		if _, ok := c.RuntimeParams["table"]; ok {
			t.Fatalf("parseURL(%.200q): the store's table parameter went to the server", raw)
		}
		if _, ok := c.RuntimeParams["cleanup"]; ok {
			t.Fatalf("parseURL(%.200q): the store's cleanup parameter went to the server", raw)
		}
		if qo.Table != "" && qo.Table != u.Query().Get("table") {
			t.Fatalf("parseURL(%.200q): table %q", raw, qo.Table)
		}
		if u.User != nil {
			if p, set := u.User.Password(); set && c.Password != p && !u.Query().Has("password") {
				t.Fatalf("parseURL(%.200q): password lost", raw)
			}
		}
		if cfg.MaxConns < 1 {
			t.Fatalf("parseURL(%.200q): MaxConns %d", raw, cfg.MaxConns)
		}
	})
}
