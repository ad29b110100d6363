package main

import (
	"context"
	"errors"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/sesh-go/sesh"
)

// shippedSchemes are the store URL schemes the repository's store packages
// register.
var shippedSchemes = []string{"memory", "file", "sqlite", "postgres", "postgresql", "mysql", "redis", "rediss",
	"redis+cluster", "rediss+cluster", "redis+sentinel", "nats", "memcache", "dynamodb", "cfkv"}

// defaultSchemes are those of the default build.
var defaultSchemes = []string{"file", "memory", "sqlite"}

// TestStoreSchemes: $STORE accepts every store the repository ships, the
// sqlite, memory and file stores in the default build and all of them with
// -tags allstores; otherSchemes names exactly the difference. Run without
// the tag, it runs itself again with it (go test -tags allstores).
func TestStoreSchemes(t *testing.T) {
	registered := sesh.Schemes()
	want := slices.Clone(defaultSchemes)
	if allStores {
		want = append(want, slices.Collect(maps.Keys(otherSchemes))...)
	}
	slices.Sort(want)
	if !slices.Equal(registered, want) {
		t.Fatalf("allstores=%v: registered schemes %v, want %v", allStores, registered, want)
	}
	for _, s := range shippedSchemes {
		if _, other := otherSchemes[s]; !other && !slices.Contains(defaultSchemes, s) {
			t.Errorf("shipped scheme %q is in neither build of the demo", s)
		}
	}
	if allStores {
		return
	}
	if testing.Short() {
		t.Skip("-short: not building the demo with -tags allstores")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on PATH, so the allstores build cannot be checked: %v", err)
	}
	args := []string{"test", "-tags", storesTag, "-count=1", "-run", "^TestStoreSchemes$"}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := exec.CommandContext(t.Context(), goBin, append(args, ".")...).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok") {
		t.Fatalf("go %s .: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestDefaultBuildIsLean: without the tag, no third-party store driver (nor
// the AWS SDK) is compiled into the demo. The sqlite driver is, by design.
// (go list reads the default build whatever tags this test binary has.)
func TestDefaultBuildIsLean(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on PATH: %v", err)
	}
	out, err := exec.CommandContext(t.Context(), goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/sesh-go/sesh/sqlitestore") {
		t.Fatalf("the default build lacks sqlitestore:\n%s", out)
	}
	for _, d := range deps {
		for _, heavy := range []string{"github.com/aws/", "github.com/redis/", "github.com/jackc/", "github.com/nats-io/",
			"github.com/go-sql-driver/", "github.com/bradfitz/gomemcache", "github.com/sesh-go/sesh/pgstore",
			"github.com/sesh-go/sesh/redisstore", "github.com/sesh-go/sesh/mysqlstore", "github.com/sesh-go/sesh/natsstore",
			"github.com/sesh-go/sesh/memcachestore", "github.com/sesh-go/sesh/dynamostore", "github.com/sesh-go/sesh/cfkvstore"} {
			if strings.HasPrefix(d, heavy) {
				t.Errorf("the default build compiles %s", d)
			}
		}
	}
}

// TestRunNamesTheBuildToUse: a $STORE whose driver the default build leaves
// out fails at once with the commands that build it in.
func TestRunNamesTheBuildToUse(t *testing.T) {
	if allStores {
		t.Skip("this build has every store driver")
	}
	for _, storeURL := range []string{"redis://127.0.0.1:6379/0", "postgres://u:secret@127.0.0.1/db", "DynamoDB://sessions"} {
		err := run(context.Background(), func(k string) string {
			return map[string]string{"ADDR": "127.0.0.1:0", "STORE": storeURL}[k]
		}, io.Discard)
		var nb *notBuiltInError
		if !errors.As(err, &nb) || !errors.Is(err, sesh.ErrUnknownScheme) {
			t.Fatalf("STORE=%s: err %v, want a *notBuiltInError wrapping sesh.ErrUnknownScheme", storeURL, err)
		}
		msg := err.Error()
		for _, want := range []string{"go run -tags allstores .", "make demo STORE='", "not compiled into this build"} {
			if !strings.Contains(msg, want) {
				t.Errorf("STORE=%s: message does not say %q:\n%s", storeURL, want, msg)
			}
		}
		if strings.Contains(msg, "secret") {
			t.Errorf("the message shows the URL's password:\n%s", msg)
		}
	}
	// A scheme no build knows keeps sesh's error, and names what the tag adds.
	err := run(context.Background(), func(k string) string {
		return map[string]string{"ADDR": "127.0.0.1:0", "STORE": "nosuch://x"}[k]
	}, io.Discard)
	var nb *notBuiltInError
	if err == nil || errors.As(err, &nb) || !errors.Is(err, sesh.ErrUnknownScheme) ||
		!strings.Contains(err.Error(), "memory") || !strings.Contains(err.Error(), "with -tags allstores: also cfkv") {
		t.Fatalf("unknown scheme: err %v", err)
	}
}
