package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/pgstore"
	"github.com/sesh-go/sesh/redisstore"
)

// The "raw" library is the driver alone issuing the fewest commands that
// give sesh's guarantees on that backend:
//
//	read   one GET / one SELECT (expiry checked by the server)
//	write  GET, then a compare-and-set on the version read (Redis: one
//	       EVALSHA of a script that compares and SETs; PostgreSQL: UPDATE …
//	       WHERE version = $read)
//	new    mint a 256-bit ID, then SET NX PXAT / INSERT (fails if present)
//
// with the store key the SHA-256 of the ID, as sesh's default. It skips
// everything else a session library does (decoding the values, deadlines
// and metadata, the cookie's attributes), so sesh over raw is the price of
// the session layer in client instructions. Sessions are seeded by sesh,
// so raw reads and writes sesh's own records.
//
// "getset" is not a library: GET then a plain SET PXAT with no
// compare-and-set, the Redis server-CPU baseline of a write. Nor is
// "luafloor": GET then one EVALSHA of a script that only SETs (no read, no
// compare), the least server CPU a write through any Lua compare-and-set
// can cost: such a script writes the key from Lua at least once.

// sessionID returns the session ID from the request's cookie.
func sessionID(r *http.Request) string {
	c, err := r.Cookie("session")
	if err != nil {
		return ""
	}
	return c.Value
}

// rawSwap compares the version at the head of the stored value with
// ARGV[1] and, if equal, sets ARGV[2] expiring at ARGV[3] (Unix ms).
var rawSwap = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return -1 end
if string.match(cur, '^(%d+):') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
return 1
`)

// setOnlyScript is luafloor's script: rawSwap without its GET and
// compare, the same arguments.
var setOnlyScript = redis.NewScript(`
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
return 1
`)

// rawWrite is how a raw Redis write ends after its GET.
type rawWrite int

const (
	writeCAS      rawWrite = iota // EVALSHA of rawSwap: raw
	writePlain                    // SET PXAT: getset
	writeLuaFloor                 // EVALSHA of setOnlyScript: luafloor
)

// rawData is what a new session holds, about the size of sesh's encoding
// of {"count":1} with its creation time.
const rawData = `{"c":1765000000000,"v":{"count":1}}`

// mintID returns a new 256-bit ID in unpadded base64url, as sesh.NewID.
func mintID() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func rawEnvelope(exp int64, data string) string {
	return strconv.FormatInt(mrand.Int64N(1<<62)+1, 10) + ":" + strconv.FormatInt(exp, 10) + ":0:" + data
}

func rawRedisLib(b *testing.B, mode rawWrite) lib {
	c, p := redisClient(b)
	const prefix = "bench:raw:"
	st, err := redisstore.New(c, redisstore.Options{Prefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	seeder := seshLib(b, sesh.Config{Store: st, Cookie: sesh.CookieConfig{Name: "session"}}) // the raw handlers read "session"
	return lib{cookie: "session", seed: seeder.handler("write"), probe: p,
		close: func() { st.Clear(context.Background()); c.Close(); p.close() },
		handler: func(sc string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx := r.Context()
				exp := time.Now().Add(30 * time.Minute).UnixMilli()
				if sc == "new" {
					id := mintID()
					// PXAT spelled out: go-redis's SetArgs.ExpireAt sends whole-second EXAT.
					ok, err := c.Do(ctx, "SET", prefix+"s:"+sesh.HashID(id), rawEnvelope(exp, rawData), "NX", "PXAT", exp).Text()
					if err != nil || ok != "OK" {
						http.Error(w, "set nx failed", 500)
						return
					}
					w.Header().Add("Set-Cookie", "session="+id+"; Path=/; HttpOnly; SameSite=Lax")
					io.WriteString(w, "1")
					return
				}
				key := prefix + "s:" + sesh.HashID(sessionID(r))
				v, err := c.Get(ctx, key).Result()
				if err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				if sc == "write" {
					// <version>:<expires>:0:<data> (sesh's envelope, no user ID)
					i := strings.IndexByte(v, ':')
					j := i + 1 + strings.IndexByte(v[i+1:], ':')
					nv := rawEnvelope(exp, v[j+3:])
					switch mode {
					case writePlain:
						err = c.Do(ctx, "SET", key, nv, "PXAT", exp).Err()
					case writeLuaFloor:
						err = setOnlyScript.Run(ctx, c, []string{key}, v[:i], nv, exp).Err()
					default:
						var n int64
						n, err = rawSwap.Run(ctx, c, []string{key}, v[:i], nv, exp).Int64()
						if err == nil && n != 1 {
							http.Error(w, "conflict", 500)
							return
						}
					}
					if err != nil {
						http.Error(w, err.Error(), 500)
						return
					}
				}
				io.WriteString(w, "1")
			})
		}}
}

func rawPostgresLib(b *testing.B) lib {
	p, pr := pgPool(b)
	st, err := pgstore.New(p, pgstore.Options{Table: "bench_raw_sessions"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := st.CreateTable(ctx); err != nil {
		b.Fatal(err)
	}
	st.Clear(ctx)
	seeder := seshLib(b, sesh.Config{Store: st, Cookie: sesh.CookieConfig{Name: "session"}}) // the raw handlers read "session"
	return lib{cookie: "session", seed: seeder.handler("write"), probe: pr,
		close: func() { st.DropTable(ctx); st.Close(); p.Close() },
		handler: func(sc string) http.Handler {
			return rawPostgresHandler(p, sc)
		}}
}

func rawPostgresHandler(p *pgxpool.Pool, sc string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		now := time.Now()
		exp := now.Add(30 * time.Minute).UnixMicro()
		if sc == "new" {
			id := mintID()
			_, err := p.Exec(ctx, `INSERT INTO "bench_raw_sessions" (id, data, expires, version, user_id) VALUES ($1, $2, $3, $4, '')`,
				sesh.HashID(id), []byte(rawData), exp, mrand.Int64N(1<<62)+1)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.Header().Add("Set-Cookie", "session="+id+"; Path=/; HttpOnly; SameSite=Lax")
			io.WriteString(w, "1")
			return
		}
		key := sesh.HashID(sessionID(r))
		var data []byte
		var ver int64
		var user string
		err := p.QueryRow(ctx, `SELECT data, version, user_id FROM "bench_raw_sessions" WHERE id = $1 AND expires > $2`, key, now.UnixMicro()).
			Scan(&data, &ver, &user)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if sc == "write" {
			tag, err := p.Exec(ctx, `UPDATE "bench_raw_sessions" SET data = $1, expires = $2, version = $3, user_id = $4 WHERE id = $5 AND version = $6 AND expires > $7`,
				data, exp, mrand.Int64N(1<<62)+1, user, key, ver, now.UnixMicro())
			if err == nil && tag.RowsAffected() != 1 {
				http.Error(w, "conflict", 500)
				return
			}
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
		}
		io.WriteString(w, "1")
	})
}
