// Package storekit holds the two steps every store of this repository
// takes the same way: refuse a bad key or a done context before any I/O,
// and wrap a driver error so that the context's error stays visible to
// errors.Is.
package storekit

import (
	"context"
	"errors"
	"fmt"

	"github.com/sesh-go/sesh"
)

// CheckKey validates key (sesh.ErrInvalidKey) and then ctx, before any I/O.
func CheckKey(ctx context.Context, key string) error {
	if err := sesh.ValidateKey(key); err != nil {
		return err
	}
	return ctx.Err()
}

// Wrap prefixes a driver error with "<pkg>: <op>: ". When ctx is done and
// the driver reported something else, ctx's error is wrapped too.
func Wrap(ctx context.Context, pkg, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%s: %s: %w (%w)", pkg, op, cerr, err)
	}
	return fmt.Errorf("%s: %s: %w", pkg, op, err)
}
