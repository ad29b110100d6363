// Package shortsecret is the one warning the compat packages log when a
// peer's signing secret is shorter than 32 bytes: accepted, because the
// Node app already signs with it, and never printed.
package shortsecret

import "log/slog"

// MinLen is the secret length below which Warn logs.
const MinLen = 32

// Warn logs, unless allow, one warning naming the positions of the secrets
// shorter than MinLen in the list (never their bytes or lengths), to l or
// slog.Default(). msg is the peer's own wording.
func Warn(l *slog.Logger, allow bool, msg string, secrets [][]byte) {
	if allow {
		return
	}
	var short []int
	for i, s := range secrets {
		if len(s) < MinLen {
			short = append(short, i)
		}
	}
	if len(short) == 0 {
		return
	}
	if l == nil {
		l = slog.Default()
	}
	l.Warn(msg, "secret_index", short)
}
