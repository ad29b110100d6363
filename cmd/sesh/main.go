package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"
	"golang.org/x/term"

	// Every store module, so that each URL scheme is registered.
	_ "github.com/sesh-go/sesh/cfkvstore"               // cfkv://ACCOUNT/NAMESPACE
	_ "github.com/sesh-go/sesh/dynamostore"             // dynamodb://TABLE?region=…
	_ "github.com/sesh-go/sesh/filestore"               // file:///DIR
	_ "github.com/sesh-go/sesh/memcachestore"           // memcache://HOST:PORT
	_ "github.com/sesh-go/sesh/memstore"                // memory://
	_ "github.com/sesh-go/sesh/mysqlstore"              // mysql://USER@HOST/DB
	_ "github.com/sesh-go/sesh/natsstore"               // nats://HOST:PORT/BUCKET
	_ "github.com/sesh-go/sesh/pgstore"                 // postgres://USER@HOST/DB
	_ "github.com/sesh-go/sesh/pgstore/connectpg"       // connectpg://USER@HOST/DB (connect-pg-simple)
	_ "github.com/sesh-go/sesh/redisstore"              // redis://HOST:PORT/DB
	_ "github.com/sesh-go/sesh/redisstore/connectredis" // connectredis://HOST:PORT/DB (connect-redis, unstorage)
	_ "github.com/sesh-go/sesh/sqlitestore"             // sqlite:///PATH
)

// quiet drops go-redis's own log lines (retries, pool dials): the
// command reports the error it ends with, once.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func main() {
	redis.SetLogger(quiet{})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &sys{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		getenv:    os.Getenv,
		stdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	})
	stop()
	os.Exit(code)
}
