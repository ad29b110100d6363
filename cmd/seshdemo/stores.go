package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/sesh-go/sesh"
)

// storesTag is the build tag that compiles in every store driver.
const storesTag = "allstores"

// otherSchemes are the store URL schemes only a build with storesTag
// registers, each with the package that registers it. TestStoreSchemes
// checks this table against both builds.
var otherSchemes = map[string]string{
	"cfkv":           "cfkvstore",
	"dynamodb":       "dynamostore",
	"memcache":       "memcachestore",
	"mysql":          "mysqlstore",
	"nats":           "natsstore",
	"postgres":       "pgstore",
	"postgresql":     "pgstore",
	"redis":          "redisstore",
	"rediss":         "redisstore",
	"redis+cluster":  "redisstore",
	"rediss+cluster": "redisstore",
	"redis+sentinel": "redisstore",
}

// notBuiltInError is returned for a store URL whose driver this build
// leaves out. It wraps sesh.ErrUnknownScheme.
type notBuiltInError struct {
	scheme, pkg string
	url         string // redacted
}

func (e *notBuiltInError) Error() string {
	return fmt.Sprintf("store scheme %q (%s) is not compiled into this build, which has only the sqlite, "+
		"memory and file stores so that it builds fast. Run it with every store driver:\n"+
		"\t%-40s at the repository root (make adds -tags %s)\n"+
		"\t%-40s in cmd/seshdemo, with STORE as it is",
		e.scheme, e.pkg, "make demo STORE="+shellQuote(e.url), storesTag, "go run -tags "+storesTag+" .")
}

func (e *notBuiltInError) Unwrap() error { return sesh.ErrUnknownScheme }

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// openStore opens the store rawURL names. A scheme the default build leaves
// out gets a *notBuiltInError, which says how to build the demo with it.
func openStore(ctx context.Context, rawURL string) (sesh.Store, error) {
	store, err := sesh.Open(ctx, rawURL)
	if err == nil || !errors.Is(err, sesh.ErrUnknownScheme) || allStores {
		return store, err
	}
	u, perr := url.Parse(rawURL)
	if perr != nil {
		return nil, err
	}
	scheme := strings.ToLower(u.Scheme)
	if pkg, ok := otherSchemes[scheme]; ok {
		return nil, &notBuiltInError{scheme: scheme, pkg: pkg, url: u.Redacted()}
	}
	others := slices.Sorted(maps.Keys(otherSchemes))
	return nil, fmt.Errorf("%w (with -tags %s: also %s)", err, storesTag, strings.Join(others, ", "))
}
