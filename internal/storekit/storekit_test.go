package storekit

import (
	"context"
	"errors"
	"testing"

	"github.com/sesh-go/sesh"
)

func TestCheckKey(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := CheckKey(done, "../x"); !errors.Is(err, sesh.ErrInvalidKey) {
		t.Fatalf("bad key and done ctx: %v, want ErrInvalidKey first", err)
	}
	if err := CheckKey(done, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("done ctx: %v", err)
	}
	if err := CheckKey(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
}

func TestWrap(t *testing.T) {
	driver := errors.New("i/o timeout")
	done, cancel := context.WithCancel(context.Background())
	cancel()
	err := Wrap(done, "pkg", "get", driver)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, driver) || err.Error() != "pkg: get: context canceled (i/o timeout)" {
		t.Fatalf("Wrap = %v", err)
	}
	if err := Wrap(context.Background(), "pkg", "get", driver); err.Error() != "pkg: get: i/o timeout" || !errors.Is(err, driver) {
		t.Fatalf("Wrap = %v", err)
	}
}
