package seshotel

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sesh-go/sesh"
)

func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, OutcomeOK},
		{sesh.ErrNotFound, OutcomeNotFound},
		{fmt.Errorf("redisstore: get: %w", sesh.ErrNotFound), OutcomeNotFound},
		{fmt.Errorf("swap: %w", sesh.ErrConflict), OutcomeConflict},
		{&sesh.ConflictError{Reason: "r"}, OutcomeConflict},
		{fmt.Errorf("dial: %w", context.Canceled), OutcomeCanceled},
		{fmt.Errorf("read: %w", context.DeadlineExceeded), OutcomeTimeout},
		{fmt.Errorf("x: %w", sesh.ErrCorrupt), OutcomeError},
		{errors.New("connection refused"), OutcomeError},
	} {
		if got := outcomeNames[outcome(tc.err)]; got != tc.want {
			t.Errorf("outcome(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestErrorType(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&sesh.ConflictError{Reason: "r"}, "conflict"},
		{&sesh.CookieTooLargeError{Size: 5000, Limit: 4096}, "cookie_too_large"},
		{fmt.Errorf("commit: %w", &sesh.SizeError{Size: 9, Limit: 8}), "too_large"},
		{fmt.Errorf("load: %w", context.Canceled), "canceled"},
		{fmt.Errorf("load: %w", context.DeadlineExceeded), "timeout"},
		{errors.New("connection refused"), "_OTHER"},
		{nil, "_OTHER"},
	} {
		if got := errorType(tc.err); got != tc.want {
			t.Errorf("errorType(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
	// Every error.type has its precomputed attribute set.
	o := New()
	for _, e := range errorTypes {
		if o.events[sesh.EventFailClosed].byType[e] == nil {
			t.Errorf("no attributes for error.type %s", e)
		}
	}
}
