package dynamostore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/storekit"
)

// arcState is what the store knows of an Arc item beyond its record.
type arcState struct {
	// ours: _ttl equals _sesh.t, so the item is as this store wrote it (or
	// Touched it) and _sesh is authoritative. Otherwise another writer
	// (Remix) put it.
	ours bool
	// The attributes a foreign item's version derives from, as read, for
	// the condition that it is still the same item.
	hasTTL, hasMV, hasMT bool
	ttl, mv, mt          string
	meta                 map[string]types.AttributeValue
}

// foreignVersions are the versions derived for items another writer put:
// above every version storekit.NewVersion returns (at most 1<<62), so that
// the two never meet.
const foreignBase = int64(1)<<62 + 1

// foreignVersion derives a version from the attributes a Remix rewrite
// changes (_ttl) and keeps (_sesh.v).
func foreignVersion(st *arcState) int64 {
	h := sha256.Sum256([]byte(fmt.Sprintf("%t:%s|%t:%s", st.hasTTL, st.ttl, st.hasMV, st.mv)))
	n := int64(binary.BigEndian.Uint64(h[:8]) >> 2) // [0, 2^62)
	return foreignBase + n%(1<<62-1)
}

func (s *Store) reservedArc(name string) bool {
	return name == s.keyAttr || name == s.ttlAttr || name == attrMeta || name == attrArcUser
}

// arcItem builds the Arc item for rec. base, when not nil, is the _sesh map
// to extend (an adopted item's).
func (s *Store) arcItem(key string, rec sesh.Record, version string, now time.Time) map[string]types.AttributeValue {
	ms := expiryMs(rec.Expires)
	ttl := ttlOf(max(ms, now.UnixMilli()))
	meta := map[string]types.AttributeValue{metaVersion: strAV(version), metaExp: numAV(ms), metaTTL: numAV(ttl)}
	item := map[string]types.AttributeValue{
		s.keyAttr: strAV(s.prefix + key),
		s.ttlAttr: numAV(ttl),
		attrMeta:  &types.AttributeValueMemberM{Value: meta},
	}
	if rec.UserID != "" {
		item[attrArcUser] = strAV(rec.UserID)
	}
	sp, ok := spreadJSON(rec.Data, s.reservedArc)
	if !ok {
		meta[metaBytes] = &types.AttributeValueMemberB{Value: append([]byte{}, rec.Data...)}
		return item
	}
	for n, av := range sp.attrs {
		item[n] = av
	}
	if !sp.sorted() {
		order := make([]types.AttributeValue, len(sp.names))
		for i, n := range sp.names {
			order[i] = strAV(n)
		}
		meta[metaOrder] = &types.AttributeValueMemberL{Value: order}
	}
	if len(sp.raw) > 0 {
		raw := make(map[string]types.AttributeValue, len(sp.raw))
		for n, r := range sp.raw {
			raw[n] = strAV(r)
		}
		meta[metaRaw] = &types.AttributeValueMemberM{Value: raw}
	}
	return item
}

// inspectArc reads an Arc item at now.
func (s *Store) inspectArc(item map[string]types.AttributeValue, now time.Time) (state, error) {
	bad := func(what string) (state, error) {
		return state{}, fmt.Errorf("dynamostore: arc item with %s: %w", what, sesh.ErrCorrupt)
	}
	var st arcState
	if av, ok := item[attrMeta]; ok {
		m, ok := av.(*types.AttributeValueMemberM)
		if !ok {
			return bad(attrMeta + " not a map")
		}
		st.meta = m.Value
	}
	if av, ok := item[s.ttlAttr]; ok {
		n, ok := av.(*types.AttributeValueMemberN)
		if !ok {
			return bad("a TTL attribute that is not a number")
		}
		if st.ttl, ok = normNumber(n.Value); !ok {
			return bad("a malformed TTL attribute")
		}
		st.hasTTL = true
	}
	if av, ok := st.meta[metaVersion]; ok {
		v, ok := av.(*types.AttributeValueMemberS)
		if !ok {
			return bad("a version that is not a string")
		}
		st.mv, st.hasMV = v.Value, true
	}
	if av, ok := st.meta[metaTTL]; ok {
		n, ok := av.(*types.AttributeValueMemberN)
		if !ok {
			return bad("_sesh.t not a number")
		}
		if st.mt, ok = normNumber(n.Value); !ok {
			return bad("a malformed _sesh.t")
		}
		st.hasMT = true
	}
	st.ours = st.hasTTL && st.hasMT && st.ttl == st.mt

	var rec sesh.Record
	live := true
	if st.ours {
		v, err := strconv.ParseInt(st.mv, 10, 64)
		if !st.hasMV || err != nil || v <= 0 {
			return bad("no valid version")
		}
		ms, ok := intAttr(st.meta[metaExp])
		if !ok {
			return bad("no valid deadline")
		}
		rec.Version, rec.Expires = v, time.UnixMilli(ms)
		live = now.UnixMilli() < ms
	} else {
		rec.Version = foreignVersion(&st)
		if st.hasTTL {
			sec, err := strconv.ParseInt(st.ttl, 10, 64)
			if err != nil || sec > 1<<43 || sec < -(1<<43) {
				return bad("a TTL attribute that is not whole seconds")
			}
			// Remix rounds its deadline to the nearest second: the
			// earliest it can have been is half a second before.
			ms := sec*1000 - 500
			rec.Expires = time.UnixMilli(ms)
			live = now.UnixMilli() < ms
		}
	}
	if av, ok := item[attrArcUser]; ok {
		u, ok := av.(*types.AttributeValueMemberS)
		if !ok {
			return bad("a user that is not a string")
		}
		rec.UserID = u.Value
	}
	// _sesh.b holds data that has no attribute form (a Regenerate's
	// tombstone: no data at all) while the item is this store's. Once
	// Remix rewrote the item, its attributes are the session (Remix reads
	// them so, and writes its changes there): _sesh.b, which Remix carries
	// along, is stale, and a rewritten tombstone is Remix's live session.
	if av, ok := st.meta[metaBytes]; ok && st.ours {
		b, ok := av.(*types.AttributeValueMemberB)
		if !ok {
			return bad("_sesh.b not binary")
		}
		rec.Data = b.Value
		if rec.Data == nil {
			rec.Data = []byte{}
		}
	} else {
		members := make(map[string]types.AttributeValue, len(item))
		for n, av := range item {
			if !s.reservedArc(n) {
				members[n] = av
			}
		}
		var order []string
		if l, ok := st.meta[metaOrder].(*types.AttributeValueMemberL); ok {
			for _, e := range l.Value {
				if n, ok := e.(*types.AttributeValueMemberS); ok {
					order = append(order, n.Value)
				}
			}
		}
		var raw map[string]string
		if m, ok := st.meta[metaRaw].(*types.AttributeValueMemberM); ok {
			raw = make(map[string]string, len(m.Value))
			for n, e := range m.Value {
				if r, ok := e.(*types.AttributeValueMemberS); ok {
					raw[n] = r.Value
				}
			}
		}
		data, err := unspreadJSON(members, order, raw)
		if err != nil {
			return bad("an attribute that has no JSON form")
		}
		rec.Data = data
	}
	return state{rec: rec, live: live, arc: st}, nil
}

// arcLive is "present and unexpired" for the Arc layout: by _sesh.e if the
// item is this store's, by _ttl (half a second early) if another writer's.
// arcDead is "absent or expired". Both are false for an unreadable item.
func arcLive(now time.Time) cond {
	return cond{
		condition: "attribute_exists(#k) AND ((#ttl = #m.#t AND #m.#e > :now) OR " +
			"(NOT (#ttl = #m.#t) AND (attribute_not_exists(#ttl) OR #ttl > :tnow)))",
		values: arcNow(now),
	}
}

func arcDead(now time.Time) cond {
	return cond{
		condition: "attribute_not_exists(#k) OR (#ttl = #m.#t AND #m.#e <= :now) OR (NOT (#ttl = #m.#t) AND #ttl <= :tnow)",
		values:    arcNow(now),
	}
}

// arcNow holds :now (Unix ms) and :tnow, the last whole second s at which
// a foreign item with _ttl = s is expired (s*1000 - 500 <= now).
func arcNow(now time.Time) map[string]types.AttributeValue {
	ms := now.UnixMilli()
	return map[string]types.AttributeValue{":now": numAV(ms), ":tnow": numAV(floorDiv(ms+500, 1000))}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// arcOurs is the condition that the item is this store's, at version
// :old, and unexpired.
const arcOurs = "#m.#v = :old AND #ttl = #m.#t AND #m.#e > :now"

// sameForeign is the condition that a foreign item read as st is still the
// same item (its version would derive the same) and still live.
func sameForeign(st *arcState, now time.Time) cond {
	c := cond{values: arcNow(now)}
	parts := []string{"attribute_exists(#k)"}
	if st.hasTTL {
		parts = append(parts, "#ttl = :xttl", "#ttl > :tnow")
		c.values[":xttl"] = &types.AttributeValueMemberN{Value: st.ttl}
	} else {
		parts = append(parts, "attribute_not_exists(#ttl)")
	}
	if st.hasMV {
		parts = append(parts, "#m.#v = :xmv")
		c.values[":xmv"] = strAV(st.mv)
	} else {
		parts = append(parts, "attribute_not_exists(#m.#v)")
	}
	if st.hasMT {
		parts = append(parts, "#m.#t = :xmt")
		c.values[":xmt"] = &types.AttributeValueMemberN{Value: st.mt}
	} else {
		parts = append(parts, "attribute_not_exists(#m.#t)")
	}
	c.condition = strings.Join(parts, " AND ")
	return c
}

// casAttempts bounds the retries of a Swap or Touch that finds the item
// changing between its conditional write and the read that explains it.
const casAttempts = 4

// swapArc is Swap in the Arc layout. The version of an item this store
// wrote is _sesh.v: one conditional PutItem. An item Remix rewrote has a
// derived version: after reading it, the write is conditional on the
// attributes that version derives from.
func (s *Store) swapArc(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	ver := storekit.NewVersion()
	now := s.now()
	item := s.arcItem(key, rec, strconv.FormatInt(ver, 10), now)
	expired := !now.Before(rec.Expires)
	write := func(c cond) (bool, map[string]types.AttributeValue, error) {
		if expired {
			return s.remove(ctx, key, c)
		}
		return s.put(ctx, item, c)
	}
	if rec.Version == 0 {
		failed, _, err := write(arcDead(now))
		if err != nil {
			return 0, wrap(ctx, "swap", err)
		}
		if failed {
			return 0, sesh.ErrConflict
		}
		return ver, nil
	}
	for range casAttempts {
		now := s.now()
		c := cond{condition: arcOurs, values: arcNow(now)}
		c.values[":old"] = strAV(strconv.FormatInt(rec.Version, 10))
		failed, old, err := write(c)
		if err != nil {
			return 0, wrap(ctx, "swap", err)
		}
		if !failed {
			return ver, nil
		}
		st, err := s.classify(ctx, key, old)
		switch {
		case errors.Is(err, sesh.ErrCorrupt):
			return 0, fmt.Errorf("dynamostore: swap: %w (%w)", sesh.ErrConflict, err)
		case err != nil:
			return 0, wrap(ctx, "swap", err)
		case !st.live:
			return 0, sesh.ErrNotFound
		case st.rec.Version != rec.Version:
			return 0, sesh.ErrConflict
		case st.arc.ours:
			continue // it became this version's just now: try again
		}
		failed, _, err = write(sameForeign(&st.arc, s.now()))
		if err != nil {
			return 0, wrap(ctx, "swap", err)
		}
		if !failed {
			return ver, nil
		}
	}
	return 0, sesh.ErrConflict
}

// touchArc is Touch in the Arc layout for a deadline in the future. An
// item Remix rewrote is adopted: _sesh gets the derived version it reads
// with, so the version does not change.
func (s *Store) touchArc(ctx context.Context, key string, expires time.Time) (bool, error) {
	now := s.now()
	ms := expiryMs(expires)
	ttl := numAV(ttlOf(ms))
	c := cond{
		update: "SET #ttl = :ttl, #m.#t = :ttl, #m.#e = :e",
		// The store's own, live item; its version a string, as the store
		// writes it (an item with another type is unreadable: left alone).
		condition: "#ttl = #m.#t AND #m.#e > :now AND attribute_type(#m.#v, :str)",
		values:    map[string]types.AttributeValue{":ttl": ttl, ":e": numAV(ms), ":now": numAV(now.UnixMilli()), ":str": strAV("S")},
	}
	failed, old, err := s.update(ctx, key, c)
	st, decided, err := s.touchWritten(ctx, key, failed, old, err)
	switch {
	case decided:
		return true, err
	case !st.live:
		return true, sesh.ErrNotFound
	case st.arc.ours:
		return false, nil // changed under us: try again
	}
	meta := map[string]types.AttributeValue{
		metaVersion: strAV(strconv.FormatInt(st.rec.Version, 10)),
		metaExp:     numAV(ms),
		metaTTL:     ttl,
	}
	// The data was read from the attributes (never from _sesh.b, which a
	// foreign item's read ignores): keep what that read used, so the
	// adopted item reads the same.
	for _, k := range []string{metaOrder, metaRaw} {
		if av, ok := st.arc.meta[k]; ok {
			meta[k] = av
		}
	}
	c = sameForeign(&st.arc, s.now())
	c.update = "SET #ttl = :ttl, #m = :meta"
	c.values[":ttl"] = ttl
	c.values[":meta"] = &types.AttributeValueMemberM{Value: meta}
	failed, _, err = s.update(ctx, key, c)
	if err != nil {
		return true, wrap(ctx, "touch", err)
	}
	return !failed, nil
}

// Create stores rec under a new Remix ID (8 random bytes as 16 lower-case
// hex digits, as createData mints them) with a PutItem conditional on the
// ID being unused, and returns the ID. With a prefix, the item's key is
// Prefix + ID.
func (s *ArcStore) Create(ctx context.Context, rec sesh.Record) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	for range 10 {
		var b [8]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		item := s.arcItem(id, rec, strconv.FormatInt(storekit.NewVersion(), 10), s.now())
		failed, _, err := s.put(ctx, item, cond{condition: "attribute_not_exists(#k)"})
		if err != nil {
			return "", wrap(ctx, "create", err)
		}
		if !failed {
			return id, nil
		}
	}
	return "", errors.New("dynamostore: create: could not mint an unused session ID")
}
