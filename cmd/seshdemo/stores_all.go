//go:build allstores

package main

// With the build tag allstores the demo registers every store the
// repository ships. make demo adds the tag when $STORE names a scheme the
// default build leaves out (see otherSchemes).
import (
	_ "github.com/sesh-go/sesh/cfkvstore"     // cfkv://account/namespace (Cloudflare Workers KV)
	_ "github.com/sesh-go/sesh/dynamostore"   // dynamodb://table?region=…
	_ "github.com/sesh-go/sesh/memcachestore" // memcache://host:port
	_ "github.com/sesh-go/sesh/mysqlstore"    // mysql://
	_ "github.com/sesh-go/sesh/natsstore"     // nats://host:port/bucket
	_ "github.com/sesh-go/sesh/pgstore"       // postgres://, postgresql://
	_ "github.com/sesh-go/sesh/redisstore"    // redis://, rediss://, redis+cluster://, redis+sentinel://
)

// allStores tells whether this build has every store driver.
const allStores = true
