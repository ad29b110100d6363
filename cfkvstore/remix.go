package cfkvstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/storekit"
)

// RemixStore is a store in the layout of Remix's
// createWorkersKVSessionStorage (see the package doc), for a Go service
// that shares sessions with a Remix app: configure its Manager with
// compat/remix.ConfigureIDStorage (Remix's signed ID cookie and data
// codec). It implements sesh.Lister and sesh.Creator.
type RemixStore struct {
	*Store
}

var (
	_ sesh.Store   = (*RemixStore)(nil)
	_ sesh.Lister  = (*RemixStore)(nil)
	_ sesh.Creator = (*RemixStore)(nil)
)

// NewRemix returns a store in Remix's layout: the key is Options.Prefix
// (none by default) and the session ID. It does no I/O.
func NewRemix(opts Options) (*RemixStore, error) {
	s, err := newStore(opts, layoutRemix)
	if err != nil {
		return nil, err
	}
	return &RemixStore{s}, nil
}

// Create mints a session ID as Remix does (8 random bytes in lower-case
// hex) and writes rec under it in one PUT. Unlike Remix's createData it
// does not read the ID first: KV has no put-if-absent, so the read would
// not make the write safe (and may be stale), a collision among 2^64 IDs
// is negligible, and the read would double the cost of every new session
// under the API's rate limit. A record whose deadline has passed is not
// written; its ID is returned all the same.
func (s *RemixStore) Create(ctx context.Context, rec sesh.Record) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var b [8]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	if err := storekit.CheckKey(ctx, id); err != nil {
		return "", err
	}
	if !s.now().Before(rec.Expires) {
		return id, nil
	}
	if err := s.put(ctx, "create", id, rec); err != nil {
		return "", err
	}
	return id, nil
}
