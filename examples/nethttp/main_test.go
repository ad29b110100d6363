package main

import (
	"testing"

	"github.com/sesh-go/sesh/examples/internal/walk"
)

func TestWalk(t *testing.T) {
	h, done := newHandler()
	defer done()
	walk.Run(t, h)
}
