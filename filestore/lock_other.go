//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package filestore

import "context"

// crossProcess reports whether key locks also hold across processes: not
// on this system, where only the in-process lock applies.
const crossProcess = false

// lockFile is a no-op where flock(2) is not available.
func lockFile(context.Context, string) (release func(), err error) {
	return func() {}, nil
}
