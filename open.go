package sesh

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// ErrUnknownScheme is returned by Open for a URL whose scheme no imported
// store package has registered.
var ErrUnknownScheme = errors.New("sesh: unknown store scheme")

// OpenFunc opens a Store described by a URL. The URL has already been parsed
// and its scheme matched; the function validates the rest.
type OpenFunc func(ctx context.Context, u *url.URL) (Store, error)

var registry struct {
	sync.RWMutex
	m map[string]OpenFunc
}

// Register makes a store available to Open under a URL scheme. Store packages
// call it from init, so importing the package (even as _) is enough. It
// panics if scheme is empty or already registered: both are programming
// errors found at start-up.
func Register(scheme string, open OpenFunc) {
	scheme = strings.ToLower(scheme)
	if scheme == "" || open == nil {
		panic("sesh: Register with empty scheme or nil OpenFunc")
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.m == nil {
		registry.m = make(map[string]OpenFunc)
	}
	if _, dup := registry.m[scheme]; dup {
		panic("sesh: Register called twice for scheme " + scheme)
	}
	registry.m[scheme] = open
}

// Schemes returns the registered URL schemes, sorted.
func Schemes() []string {
	registry.RLock()
	defer registry.RUnlock()
	s := make([]string, 0, len(registry.m))
	for k := range registry.m {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}

// Open returns the Store a URL names, such as "memory://",
// "file:///var/lib/app/sessions" or "redis://127.0.0.1:6379/0". The store's
// package must have been imported so that it registered its scheme. Close
// the store when done if it implements io.Closer.
func Open(ctx context.Context, rawURL string) (Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error quotes the whole URL, password included: keep
		// only what it says is wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("sesh: malformed store URL: %w", err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("sesh: store URL %q has no scheme (registered: %s)", redactURL(u), strings.Join(Schemes(), ", "))
	}
	registry.RLock()
	open := registry.m[strings.ToLower(u.Scheme)]
	registry.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("%w %q (registered: %s; import the store's package to register it)",
			ErrUnknownScheme, u.Scheme, strings.Join(Schemes(), ", "))
	}
	s, err := open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("sesh: open %s: %w", redactURL(u), err)
	}
	return s, nil
}

// redactURL hides a password in error messages.
func redactURL(u *url.URL) string { return u.Redacted() }
