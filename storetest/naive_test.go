package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sesh-go/sesh"
)

// naive is the smallest store with every capability, written as plainly as
// possible to check the suite itself. Each bug field plants one defect the
// suite must catch.
type naive struct {
	bugs map[string]bool

	mu      sync.Mutex
	m       map[string]sesh.Record
	version int64
	created int
}

func newNaive(bugs ...string) *naive {
	n := &naive{m: map[string]sesh.Record{}, bugs: map[string]bool{}}
	for _, b := range bugs {
		n.bugs[b] = true
	}
	return n
}

func (n *naive) check(ctx context.Context, key, op string) (string, error) {
	if !n.bugs["ignoresCtx"] && !(n.bugs["deleteIgnoresCtx"] && op == "delete") {
		if err := ctx.Err(); err != nil {
			return "", err
		}
	}
	if n.bugs["caseInsensitive"] {
		key = strings.ToLower(key)
	}
	if n.bugs["acceptsInvalidKeys"] {
		return key, nil
	}
	if err := sesh.ValidateKey(key); err != nil {
		return "", err
	}
	return key, nil
}

func (n *naive) dead(rec sesh.Record) bool {
	if n.bugs["zeroIsForever"] && rec.Expires.IsZero() {
		return false
	}
	if n.bugs["lateExpiry"] {
		return time.Now().After(rec.Expires.Add(2 * time.Second))
	}
	return !rec.Expires.After(time.Now())
}

func (n *naive) copyOut(rec sesh.Record) sesh.Record {
	if !n.bugs["aliases"] {
		rec.Data = append([]byte(nil), rec.Data...)
	}
	return rec
}

func (n *naive) Get(ctx context.Context, key string) (sesh.Record, error) {
	key, err := n.check(ctx, key, "get")
	if err != nil {
		return sesh.Record{}, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	rec, ok := n.m[key]
	if !ok || (n.dead(rec) && !n.bugs["noExpiryCheck"]) {
		return sesh.Record{}, sesh.ErrNotFound
	}
	return n.copyOut(rec), nil
}

func (n *naive) put(key string, rec sesh.Record, bump bool) int64 {
	if bump {
		n.version++
		rec.Version = n.version
	} else if old, ok := n.m[key]; ok {
		rec.Version = old.Version
	}
	if !n.bugs["aliases"] {
		rec.Data = append([]byte(nil), rec.Data...)
	}
	n.m[key] = rec
	return rec.Version
}

func (n *naive) Set(ctx context.Context, rawKey string, rec sesh.Record) error {
	key, err := n.check(ctx, rawKey, "set")
	if err != nil {
		if n.bugs["sanitizesKeys"] {
			n.mu.Lock()
			n.put(strings.Map(func(r rune) rune {
				if sesh.ValidateKey(string(r)) != nil {
					return '_'
				}
				return r
			}, rawKey), rec, true)
			n.mu.Unlock()
		}
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.put(key, rec, !n.bugs["setKeepsVersion"])
	return nil
}

func (n *naive) Delete(ctx context.Context, key string) error {
	key, err := n.check(ctx, key, "delete")
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.m, key)
	return nil
}

func (n *naive) Touch(ctx context.Context, key string, exp time.Time) error {
	key, err := n.check(ctx, key, "touch")
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	rec, ok := n.m[key]
	if !ok || n.dead(rec) {
		return sesh.ErrNotFound
	}
	rec.Expires = exp
	n.put(key, rec, n.bugs["touchBumpsVersion"])
	return nil
}

func (n *naive) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	key, err := n.check(ctx, key, "swap")
	if err != nil {
		return 0, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	cur, ok := n.m[key]
	live := ok && !n.dead(cur)
	switch {
	case rec.Version == 0 && live:
		return 0, sesh.ErrConflict
	case rec.Version != 0 && !live && !n.bugs["resurrects"]:
		return 0, sesh.ErrNotFound
	case rec.Version != 0 && live && cur.Version != rec.Version:
		return 0, sesh.ErrConflict
	}
	if n.bugs["racySwap"] {
		// Check, then write under a new lock: the classic lost update.
		n.mu.Unlock()
		time.Sleep(time.Millisecond)
		n.mu.Lock()
	}
	return n.put(key, rec, true), nil
}

func (n *naive) Range(ctx context.Context, fn func(string, sesh.Record) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.mu.Lock()
	if n.bugs["rangeHoldsLock"] {
		defer n.mu.Unlock()
		for k, rec := range n.m {
			if !n.dead(rec) && !fn(k, n.copyOut(rec)) {
				return nil
			}
		}
		return nil
	}
	snap := map[string]sesh.Record{}
	for k, rec := range n.m {
		if !n.dead(rec) || n.bugs["rangeSeesExpired"] {
			snap[k] = n.copyOut(rec)
		}
	}
	n.mu.Unlock()
	for k, rec := range snap {
		if !fn(k, rec) && !n.bugs["rangeIgnoresStop"] {
			return nil
		}
	}
	return nil
}

func (n *naive) Len(ctx context.Context) (int, error) {
	c := 0
	err := n.Range(ctx, func(string, sesh.Record) bool { c++; return true })
	return c, err
}

func (n *naive) Clear(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.m)
	return nil
}

func (n *naive) Create(ctx context.Context, rec sesh.Record) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.bugs["createReusesKeys"] {
		n.created++
	}
	key := fmt.Sprintf("created-%d", n.created)
	n.put(key, rec, true)
	return key, nil
}

func (n *naive) ByUser(ctx context.Context, user string) (map[string]sesh.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]sesh.Record{}
	if user == "" {
		return out, nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for k, rec := range n.m {
		match := rec.UserID == user
		if n.bugs["userPrefixMatch"] {
			match = strings.HasPrefix(rec.UserID, user)
		}
		if match && !n.dead(rec) {
			out[k] = n.copyOut(rec)
		}
	}
	return out, nil
}
