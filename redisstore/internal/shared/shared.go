// Package shared holds what redisstore and connectredis both need: client
// and prefix validation, key checks and error wrapping.
package shared

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
)

// CheckClient refuses a nil client and one that ignores context deadlines
// (go-redis's ContextTimeoutEnabled off): with it a slow Redis would hold
// every request past its deadline.
func CheckClient(pkg string, client redis.UniversalClient) error {
	if client == nil {
		return errors.New(pkg + ": nil client")
	}
	if !contextTimeouts(client) {
		return errors.New(pkg + ": the client ignores context deadlines: set ContextTimeoutEnabled: true in its options")
	}
	return nil
}

// contextTimeouts reports whether client honours context deadlines (true
// for client types whose options it cannot read).
func contextTimeouts(client redis.UniversalClient) bool {
	switch c := client.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return true
}

// CheckPrefix refuses a key prefix with SCAN pattern characters or
// whitespace.
func CheckPrefix(pkg, p string) error {
	if strings.ContainsAny(p, "*?[]\\ \t\r\n") {
		return fmt.Errorf("%s: prefix %q contains a SCAN pattern character or whitespace", pkg, p)
	}
	return nil
}

// CheckKey validates key and ctx before any I/O.
func CheckKey(ctx context.Context, key string) error {
	if err := sesh.ValidateKey(key); err != nil {
		return err
	}
	return ctx.Err()
}

// Wrap gives a driver error the package's prefix, keeping the context's
// error visible to errors.Is even when the driver reports it otherwise.
func Wrap(ctx context.Context, pkg, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%s: %s: %w (%w)", pkg, op, cerr, err)
	}
	return fmt.Errorf("%s: %s: %w", pkg, op, err)
}
