package bench

import (
	"context"
	"io"
	"math/rand/v2"
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

// The "raw" library issues, through the driver alone, the commands sesh's
// store issues for the same request: the floor under sesh on a server
// backend. It skips everything a session library adds (ID validation and
// hashing, decoding, expiry checks, the cookie), so sesh's overhead over
// it is the price of the session layer on that backend.

// sessionID returns the session ID from the request's cookie.
func sessionID(r *http.Request) string {
	c, err := r.Cookie("session")
	if err != nil {
		return ""
	}
	return c.Value
}

// rawSwap is redisstore's compare-and-set script, word for word.
var rawSwap = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if cur then return 0 end
else
  if not cur then return -1 end
  if string.match(cur, '^(%d+):') ~= ARGV[1] then return 0 end
end
if ARGV[3] == '0' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
end
return 1
`)

func rawRedisLib(b *testing.B) lib {
	c := redisClient(b)
	st, err := redisstore.New(c, redisstore.Options{Prefix: "bench:raw:"})
	if err != nil {
		b.Fatal(err)
	}
	seeder := seshLib(b, st, nil)
	return lib{cookie: "session", seed: seeder.handler("write"), close: func() { st.Clear(context.Background()); c.Close() },
		handler: func(sc string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx := r.Context()
				key := "bench:raw:s:" + sesh.HashID(sessionID(r))
				v, err := c.Get(ctx, key).Result()
				if err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				if sc == "write" {
					ver := v[:strings.IndexByte(v, ':')]
					exp := time.Now().Add(time.Hour).UnixMilli()
					nv := strconv.FormatInt(rand.Int64N(1<<62)+1, 10) + ":" + strconv.FormatInt(exp, 10) + ":0:" + `{"v":{"count":2}}`
					if err := rawSwap.Run(ctx, c, []string{key}, ver, nv, exp).Err(); err != nil {
						http.Error(w, err.Error(), 500)
						return
					}
				}
				io.WriteString(w, "1")
			})
		}}
}

func rawPostgresLib(b *testing.B) lib {
	p := pgPool(b)
	st, err := pgstore.New(p, pgstore.Options{Table: "bench_raw_sessions"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := st.CreateTable(ctx); err != nil {
		b.Fatal(err)
	}
	st.Clear(ctx)
	seeder := seshLib(b, st, nil)
	return lib{cookie: "session", seed: seeder.handler("write"),
		close: func() { st.DropTable(ctx); st.Close(); p.Close() },
		handler: func(sc string) http.Handler {
			return rawPostgresHandler(p, sc)
		}}
}

func rawPostgresHandler(p *pgxpool.Pool, sc string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		key := sesh.HashID(sessionID(r))
		now := time.Now().UnixMicro()
		var data []byte
		var exp, ver int64
		var user string
		err := p.QueryRow(ctx, `SELECT data, expires, version, user_id FROM "bench_raw_sessions" WHERE id = $1 AND expires > $2`, key, now).
			Scan(&data, &exp, &ver, &user)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if sc == "write" {
			_, err := p.Exec(ctx, `UPDATE "bench_raw_sessions" SET data = $1, expires = $2, version = $3, user_id = $4 WHERE id = $5 AND version = $6 AND expires > $7`,
				data, time.Now().Add(time.Hour).UnixMicro(), rand.Int64N(1<<62)+1, user, key, ver, now)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
		}
		io.WriteString(w, "1")
	})
}
