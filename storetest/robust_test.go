package storetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// corruptible is the naive store with a place for corrupt records (keys
// whose record it holds but cannot read), handled as the suite wants, and
// with planted bugs in that handling, in Touch under contention and in
// its error messages.
type corruptible struct {
	*naive
	bug string
	bad map[string]bool // guarded by naive.mu
}

func newCorruptible(bug string) *corruptible {
	return &corruptible{naive: newNaive(), bug: bug, bad: map[string]bool{}}
}

// plant is the CorruptFunc of corruptible.
func plant(t *testing.T, st sesh.Store, key string) {
	c, ok := st.(*corruptible)
	if !ok {
		t.Fatalf("plant: store %T", st)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
	c.bad[key] = true
}

var errDriver = errors.New("driver: WRONGTYPE Operation against a key holding the wrong kind of value")

func (c *corruptible) isBad(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bad[key]
}

func (c *corruptible) Get(ctx context.Context, key string) (sesh.Record, error) {
	if c.bug == "keyInErrors" && ctx.Err() != nil {
		return sesh.Record{}, fmt.Errorf("get %s: %w", key, ctx.Err())
	}
	if err := ctx.Err(); err == nil && c.isBad(key) {
		if c.bug == "corruptGetRaw" {
			return sesh.Record{}, errDriver
		}
		return sesh.Record{}, fmt.Errorf("store: %w", sesh.ErrCorrupt)
	}
	return c.naive.Get(ctx, key)
}

func (c *corruptible) Set(ctx context.Context, key string, rec sesh.Record) error {
	err := c.naive.Set(ctx, key, rec)
	if err == nil {
		c.mu.Lock()
		delete(c.bad, key)
		c.mu.Unlock()
	}
	return err
}

func (c *corruptible) Delete(ctx context.Context, key string) error {
	if c.bug == "corruptDeleteFails" && ctx.Err() == nil && c.isBad(key) {
		return errDriver
	}
	err := c.naive.Delete(ctx, key)
	if err == nil {
		c.mu.Lock()
		delete(c.bad, key)
		c.mu.Unlock()
	}
	return err
}

func (c *corruptible) Touch(ctx context.Context, key string, exp time.Time) error {
	if ctx.Err() == nil && c.isBad(key) {
		if c.bug == "corruptTouchRaw" {
			return errDriver
		}
		return sesh.ErrNotFound
	}
	switch c.bug {
	case "touchRaceRaw", "touchWritesBack":
		// A get and a compare-and-set without retry (touchRaceRaw), or a
		// get and a blind write (touchWritesBack).
		cur, err := c.naive.Get(ctx, key)
		if err != nil {
			return err
		}
		time.Sleep(200 * time.Microsecond)
		c.mu.Lock()
		defer c.mu.Unlock()
		now, ok := c.m[key]
		if c.bug == "touchRaceRaw" {
			if !ok || now.Version != cur.Version {
				return errors.New("compare-and-set failed")
			}
			now.Expires = exp
			c.put(key, now, false)
			return nil
		}
		cur.Expires = exp
		c.m[key] = cur
		return nil
	}
	return c.naive.Touch(ctx, key, exp)
}

func (c *corruptible) Swap(ctx context.Context, key string, rec sesh.Record) (int64, error) {
	if ctx.Err() == nil && c.isBad(key) {
		if c.bug == "corruptSwapRaw" {
			return 0, errDriver
		}
		return 0, fmt.Errorf("store: %w (%w)", sesh.ErrConflict, sesh.ErrCorrupt)
	}
	return c.naive.Swap(ctx, key, rec)
}

func (c *corruptible) Range(ctx context.Context, fn func(string, sesh.Record) bool) error {
	c.mu.Lock()
	n := len(c.bad)
	c.mu.Unlock()
	if c.bug == "corruptRangeFails" && n > 0 && ctx.Err() == nil {
		return errDriver
	}
	return c.naive.Range(ctx, fn)
}

func (c *corruptible) Len(ctx context.Context) (int, error) {
	n := 0
	err := c.Range(ctx, func(string, sesh.Record) bool { n++; return true })
	return n, err
}

var corruptOptions = Options{Corrupt: map[string]CorruptFunc{"planted": plant}}

// TestReferenceCorrupt runs the suite, corrupt records included, against
// the correct corruptible store: every subtest must pass.
func TestReferenceCorrupt(t *testing.T) {
	RunWith(t, func(t *testing.T) sesh.Store { return newCorruptible("") }, corruptOptions)
}

// robustMutants pairs each planted bug of corruptible with the subtest
// that must catch it.
var robustMutants = []struct{ bug, subtest string }{
	{"corruptGetRaw", "Corrupt/planted"},
	{"corruptDeleteFails", "Corrupt/planted"},
	{"corruptTouchRaw", "Corrupt/planted"},
	{"corruptSwapRaw", "Corrupt/planted"},
	{"corruptRangeFails", "Corrupt/planted"},
	{"keyInErrors", "NoKeyInErrors/DoneContexts"},
	{"touchRaceRaw", "TouchRacesSwap"},
	{"touchWritesBack", "TouchRacesSwap"},
}

// TestRobustSuiteCatchesBugs runs the suite against corruptible stores
// with one planted bug each, in a child process, and checks that the
// expected subtest fails.
func TestRobustSuiteCatchesBugs(t *testing.T) {
	if os.Getenv("STORETEST_ROBUST_MUTANT") != "" {
		t.Skip("inside a mutant run")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range robustMutants {
		t.Run(m.bug, func(t *testing.T) {
			t.Parallel()
			pattern := "^TestRobustMutant$"
			for _, part := range strings.Split(m.subtest, "/") {
				pattern += "/^" + part + "$"
			}
			cmd := exec.CommandContext(t.Context(), exe, "-test.run="+pattern, "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "STORETEST_ROBUST_MUTANT="+m.bug)
			out, err := cmd.CombinedOutput()
			want := "--- FAIL: TestRobustMutant/" + m.subtest
			if err == nil || !strings.Contains(string(out), want) {
				t.Fatalf("the suite did not catch bug %q in %s (exit: %v); output:\n%s", m.bug, m.subtest, err, out)
			}
		})
	}
}

// TestRobustMutant is run by TestRobustSuiteCatchesBugs in a child process.
func TestRobustMutant(t *testing.T) {
	bug := os.Getenv("STORETEST_ROBUST_MUTANT")
	if bug == "" {
		t.Skip("run by TestRobustSuiteCatchesBugs with STORETEST_ROBUST_MUTANT set")
	}
	RunWith(t, func(t *testing.T) sesh.Store { return newCorruptible(bug) }, corruptOptions)
}

func TestLeaked(t *testing.T) {
	for _, c := range []struct {
		msg  string
		want bool
	}{
		{"filestore: open /var/sessions/Cana/ry7Qx9Lm2Vp4Rt8Kw3Zn6: no such file", true}, // the path splits the key
		{`cfkvstore: get: Get "https://api/values/sesh:` + canaryKey + `": EOF`, true},
		{"sqlstore(sqlite): get: context deadline exceeded", false},
		{"Canary7Qx9L", false}, // shorter than leakWindow
	} {
		if got := leaked(c.msg, canaryKey); got != c.want {
			t.Errorf("leaked(%q) = %v, want %v", c.msg, got, c.want)
		}
	}
}
