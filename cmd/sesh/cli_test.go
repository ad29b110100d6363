package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/express"
	"github.com/sesh-go/sesh/storetest"
)

// TestMain runs main itself when asked to, so a test can run the program
// as a process and see its real exit code.
func TestMain(m *testing.M) {
	if os.Getenv("SESH_CLI_TEST_MAIN") == "1" {
		os.Args = append([]string{"sesh"}, strings.Fields(os.Getenv("SESH_CLI_TEST_ARGS"))...)
		main()
		return
	}
	os.Exit(m.Run())
}

// result is one run of the program.
type result struct {
	stdout, stderr string
	code           int
}

// transcript collects every output of a test, to check at the end that no
// session ID, store key or password ever appeared.
type transcript struct {
	mu  sync.Mutex
	all strings.Builder
}

func (tr *transcript) add(r result) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.all.WriteString(r.stdout)
	tr.all.WriteString(r.stderr)
}

// mustNotContain fails if any output held one of the secrets.
func (tr *transcript) mustNotContain(t *testing.T, what string, secrets ...string) {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := tr.all.String()
	if out == "" {
		t.Fatal("empty transcript: nothing was checked")
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Fatalf("the output contains a %s", what)
		}
	}
}

// cli runs the program in this process.
type cli struct {
	t      *testing.T
	env    map[string]string
	tr     *transcript
	stdin  string
	ttyIn  bool
	ttyErr bool
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, env: map[string]string{}, tr: &transcript{}}
}

func (c *cli) run(args ...string) result {
	c.t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code := run(ctx, args, &sys{
		stdin: strings.NewReader(c.stdin), stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string { return c.env[k] }, stdinTTY: c.ttyIn, stderrTTY: c.ttyErr,
	})
	r := result{stdout.String(), stderr.String(), code}
	c.tr.add(r)
	return r
}

// want runs the program and checks its exit code.
func (c *cli) want(code int, args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != code {
		c.t.Fatalf("sesh %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	return r
}

// jsonOf runs the program with --json, wants exit 0 and decodes stdout.
func jsonOf[T any](c *cli, args ...string) T {
	c.t.Helper()
	r := c.want(0, append(args, "--json")...)
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		c.t.Fatalf("sesh %s --json: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
	return v
}

// lsJSON is ls's JSON.
type lsJSON struct {
	Store       string `json:"store"`
	Count       int    `json:"count"`
	Shown       int    `json:"shown"`
	Undecodable int    `json:"undecodable"`
	Skipped     struct {
		Tombstones int `json:"tombstones"`
		Locks      int `json:"locks"`
	} `json:"skipped"`
	Sessions []struct {
		Handle    string     `json:"handle"`
		User      string     `json:"user"`
		Created   *time.Time `json:"created"`
		LastSeen  *time.Time `json:"last_seen"`
		Expires   *time.Time `json:"expires"`
		Size      int        `json:"size"`
		UserAgent string     `json:"user_agent"`
		Decoded   bool       `json:"decoded"`
	} `json:"sessions"`
}

func (l lsJSON) handles() []string {
	var hs []string
	for _, s := range l.Sessions {
		hs = append(hs, s.Handle)
	}
	slices.Sort(hs)
	return hs
}

// seeded is what seed wrote: sessions by name, and the secrets that must
// never be printed.
type seeded struct {
	ids, keys map[string]string // by session name
	data      map[string][]byte
	secrets   []string
}

func (s *seeded) handle(name string) string { return sesh.Handle(s.keys[name]) }

func (s *seeded) handles(names ...string) []string {
	var hs []string
	for _, n := range names {
		hs = append(hs, s.handle(n))
	}
	slices.Sort(hs)
	return hs
}

var idSeq atomic.Int64

// distinctiveID is a session ID that cannot appear in any output by
// accident.
func distinctiveID(name string) string {
	id := fmt.Sprintf("ZqX%sRAWSESSIONID%06d", name, idSeq.Add(1))
	return (id + strings.Repeat("Q", sesh.IDLen))[:sesh.IDLen]
}

// seed writes, through the store's own API, the sessions every scenario
// starts from: alice has three sessions, bob one, one is anonymous; plus a
// tombstone, a lock and (where expired is not zero) a record that expires
// after expired.
func seed(t *testing.T, st sesh.Store, expired time.Duration) *seeded {
	t.Helper()
	ctx := context.Background()
	s := &seeded{ids: map[string]string{}, keys: map[string]string{}, data: map[string][]byte{}}
	now := time.Now().Truncate(time.Millisecond)
	put := func(name, user, agent string, values map[string]any, created time.Time) {
		d := sesh.Data{Values: map[string]json.RawMessage{}, Created: created, UserID: user, UserAgent: agent}
		if user != "" {
			d.SignedIn = created
		}
		for k, v := range values {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			d.Values[k] = b
		}
		b, err := sesh.JSONCodec{}.Encode(nil, &d)
		if err != nil {
			t.Fatal(err)
		}
		id := distinctiveID(name)
		key := sesh.HashID(id)
		if err := st.Set(ctx, key, sesh.Record{Data: b, Expires: now.Add(30 * time.Minute), UserID: user}); err != nil {
			t.Fatal(err)
		}
		s.ids[name], s.keys[name], s.data[name] = id, key, b
		s.secrets = append(s.secrets, id, key)
	}
	put("alice1", "alice", "Mozilla/5.0 (X11; Linux) Firefox/140.0", map[string]any{"cart": []int{1, 2}, "theme": "dark"}, now.Add(-3*time.Hour))
	put("alice2", "alice", "curl/8.0", map[string]any{"n": 1}, now.Add(-2*time.Hour))
	put("alice3", "alice", "Safari", map[string]any{"n": 2}, now.Add(-1*time.Hour))
	put("bob1", "bob", "Edge", map[string]any{"big": strings.Repeat("x", 2000)}, now.Add(-30*time.Minute))
	put("anon1", "", "Chrome", map[string]any{"visits": 7}, now.Add(-10*time.Minute))
	tomb := sesh.HashID(distinctiveID("tomb"))
	lock := "lock:" + sesh.HashID(distinctiveID("lock"))
	must(t, st.Set(ctx, tomb, sesh.Record{Expires: now.Add(10 * time.Minute)}))
	must(t, st.Set(ctx, lock, sesh.Record{Data: []byte("{}"), Expires: now.Add(10 * time.Minute)}))
	s.secrets = append(s.secrets, tomb, lock)
	if expired > 0 {
		id := distinctiveID("exp")
		key := sesh.HashID(id)
		must(t, st.Set(ctx, key, sesh.Record{Data: []byte(`{"v":{"a":1}}`), Expires: time.Now().Add(expired)}))
		s.secrets = append(s.secrets, id, key)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, raw string) sesh.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := sesh.Open(ctx, raw)
	if err != nil {
		t.Fatalf("open a test store: %v", err)
	}
	t.Cleanup(func() {
		if c, ok := st.(io.Closer); ok {
			c.Close()
		}
	})
	return st
}

// backend is a store the scenario runs against: a way to make a fresh,
// isolated URL of it.
type backend struct {
	name     string
	newURL   func(t *testing.T) string
	purger   bool // the store keeps expired records until purged
	pinger   bool
	password string // a password in the URL, to check it is never printed
}

var tableSeq atomic.Int64

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", prefix, time.Now().UnixNano()%1e9, tableSeq.Add(1))
}

// pgURL returns SESH_POSTGRES_URL with a password (the local server trusts
// every connection, so any password works) and a fresh table, dropped when
// the test ends.
func pgURL(t *testing.T, password string) string {
	t.Helper()
	base := storetest.Service(t, "SESH_POSTGRES_URL")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	table := uniqueName("seshcli")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		p, err := pgxpool.New(ctx, base)
		if err != nil {
			return
		}
		defer p.Close()
		p.Exec(ctx, "DROP TABLE IF EXISTS "+table)
	})
	if password != "" {
		u.User = url.UserPassword(u.User.Username(), password)
	}
	q := u.Query()
	q.Set("table", table)
	u.RawQuery = q.Encode()
	return u.String()
}

// redisURL returns SESH_REDIS_URL with a password (the local server has
// none, and accepts any) and a fresh prefix, cleared when the test ends.
func redisURL(t *testing.T, password string) string {
	t.Helper()
	u, err := url.Parse(storetest.Service(t, "SESH_REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	if password != "" {
		u.User = url.UserPassword("", password)
	}
	q := u.Query()
	q.Set("prefix", uniqueName("seshcli")+":")
	u.RawQuery = q.Encode()
	raw := u.String()
	t.Cleanup(func() {
		st := open(t, raw)
		st.(sesh.Lister).Clear(context.Background())
	})
	return raw
}

var backends = []backend{
	{name: "filestore", purger: true, newURL: func(t *testing.T) string {
		return "file://" + filepath.Join(t.TempDir(), "sessions")
	}},
	{name: "sqlite", purger: true, pinger: true, newURL: func(t *testing.T) string {
		return "sqlite://" + filepath.Join(t.TempDir(), "sessions.db")
	}},
	{name: "redis", pinger: true, password: "Pw-redis-Distinct-5517", newURL: func(t *testing.T) string {
		return redisURL(t, "Pw-redis-Distinct-5517")
	}},
	{name: "postgres", purger: true, pinger: true, password: "Pw-pg-Distinct-8803", newURL: func(t *testing.T) string {
		return pgURL(t, "Pw-pg-Distinct-8803")
	}},
}

// TestCLI runs every command against each store, parses their JSON, checks
// their exit codes, and checks that no session ID, store key or password
// appears in any output.
func TestCLI(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { scenario(t, b) })
	}
}

func scenario(t *testing.T, b backend) {
	raw := b.newURL(t)
	st := open(t, raw)
	const expiring = 1500 * time.Millisecond
	s := seed(t, st, expiring)
	// The expiring record is gone for every listing, and (in the stores
	// whose engine keeps it) waits for purge.
	time.Sleep(expiring + 200*time.Millisecond)
	c := newCLI(t)
	c.env[envURL] = raw
	all := []string{"alice1", "alice2", "alice3", "bob1", "anon1"}

	// ls: every session, newest first, tombstone and lock skipped.
	ls := jsonOf[lsJSON](c, "ls", raw)
	if ls.Count != 5 || ls.Shown != 5 || len(ls.Sessions) != 5 {
		t.Fatalf("ls: count %d, shown %d, want 5 sessions", ls.Count, ls.Shown)
	}
	if ls.Skipped.Tombstones != 1 || ls.Skipped.Locks != 1 {
		t.Fatalf("ls: skipped %+v, want 1 tombstone and 1 lock", ls.Skipped)
	}
	byHandle := map[string]int{}
	for i, x := range ls.Sessions {
		byHandle[x.Handle] = i
	}
	for _, name := range all {
		i, ok := byHandle[s.handle(name)]
		if !ok {
			t.Fatalf("ls: session %s (handle %s) missing", name, s.handle(name))
		}
		x := ls.Sessions[i]
		if x.Size != len(s.data[name]) || x.Expires == nil || x.Created == nil || !x.Decoded {
			t.Fatalf("ls: %s = %+v", name, x)
		}
	}
	if x := ls.Sessions[byHandle[s.handle("alice1")]]; x.User != "alice" || x.UserAgent != "Mozilla/5.0 (X11; Linux) Firefox/140.0" || x.LastSeen == nil {
		t.Fatalf("ls: alice1 = %+v", x)
	}
	if x := ls.Sessions[byHandle[s.handle("anon1")]]; x.User != "" {
		t.Fatalf("ls: anon1 has user %q", x.User)
	}
	if i, j := byHandle[s.handle("anon1")], byHandle[s.handle("alice1")]; i > j {
		t.Fatalf("ls: not newest first (anon1 at %d, alice1 at %d)", i, j)
	}
	r := c.want(0, "ls", raw)
	if !strings.Contains(r.stdout, "HANDLE") || !strings.Contains(r.stdout, s.handle("bob1")) || !strings.Contains(r.stderr, "skipped 1 tombstone(s) and 1 lock(s)") {
		t.Fatalf("ls table:\n%s\n%s", r.stdout, r.stderr)
	}
	if got := jsonOf[lsJSON](c, "ls", "--user", "alice", raw); !slices.Equal(got.handles(), s.handles("alice1", "alice2", "alice3")) {
		t.Fatalf("ls --user alice = %q", got.handles())
	}
	if got := jsonOf[lsJSON](c, "ls", "--limit", "2"); got.Shown != 2 || len(got.Sessions) != 2 || got.Count != ls.Count {
		t.Fatalf("ls --limit 2 (URL from $SESH_URL): shown %d of %d", got.Shown, got.Count)
	}

	// show.
	type showJSON struct {
		Handle    string                     `json:"handle"`
		User      string                     `json:"user"`
		Values    map[string]json.RawMessage `json:"values"`
		UserAgent string                     `json:"user_agent"`
		Size      int                        `json:"size"`
	}
	sh := jsonOf[showJSON](c, "show", raw, s.handle("alice1"))
	if sh.Handle != s.handle("alice1") || sh.User != "alice" || compact(t, sh.Values["cart"]) != "[1,2]" || compact(t, sh.Values["theme"]) != `"dark"` {
		t.Fatalf("show --json = %+v", sh)
	}
	r = c.want(0, "show", raw, s.handle("alice1"), "--raw")
	if r.stdout != string(s.data["alice1"]) {
		t.Fatalf("show --raw = %q, want the stored bytes %q", r.stdout, s.data["alice1"])
	}
	r = c.want(0, "show", s.handle("bob1"))
	if !strings.Contains(r.stdout, "values:") || !strings.Contains(r.stdout, `"big": "xxx`) || !strings.Contains(r.stdout, " bob\n") {
		t.Fatalf("show table:\n%s", r.stdout)
	}
	c.want(exitNotFound, "show", raw, "0123456789abcdef01")
	r = c.want(exitUsage, "show", raw, s.ids["alice1"]) // an ID is not a handle, and is not echoed
	if !strings.Contains(r.stderr, "not a session handle") {
		t.Fatalf("show ID: %s", r.stderr)
	}

	// stats.
	type statsJSON struct {
		Sessions  int `json:"sessions"`
		Users     int `json:"users"`
		Anonymous int `json:"anonymous"`
		ByUser    []struct {
			User     string `json:"user"`
			Sessions int    `json:"sessions"`
		} `json:"by_user"`
		Sizes []struct {
			MaxBytes int `json:"max_bytes"`
			Sessions int `json:"sessions"`
		} `json:"sizes"`
		Skipped struct{ Tombstones, Locks int } `json:"skipped"`
	}
	stats := jsonOf[statsJSON](c, "stats", raw)
	if stats.Sessions != 5 || stats.Users != 2 || stats.Anonymous != 1 || len(stats.ByUser) != 2 || stats.ByUser[0].User != "alice" || stats.ByUser[0].Sessions != 3 || stats.ByUser[1].User != "bob" {
		t.Fatalf("stats = %+v", stats)
	}
	sum, big := 0, 0
	for _, bk := range stats.Sizes {
		sum += bk.Sessions
		if bk.MaxBytes == 4096 {
			big = bk.Sessions
		}
	}
	if sum != stats.Sessions || big != 1 {
		t.Fatalf("stats sizes %+v: sum %d (want %d), %d in the 4 KiB bucket (want bob's)", stats.Sizes, sum, stats.Sessions, big)
	}
	if r := c.want(0, "stats", raw); !strings.Contains(r.stdout, "users with the most sessions") {
		t.Fatalf("stats table:\n%s", r.stdout)
	}

	// end: confirmation.
	c.want(exitUsage, "end", raw, s.handle("anon1")) // stdin is no terminal, no --yes
	c.ttyIn, c.stdin = true, "n\n"
	r = c.want(exitError, "end", raw, s.handle("anon1"))
	if !strings.Contains(r.stderr, "[y/N]") {
		t.Fatalf("no prompt: %s", r.stderr)
	}
	mustLive(t, st, s.keys["anon1"])
	c.stdin = "y\n"
	c.want(0, "end", raw, s.handle("anon1"))
	mustGone(t, st, s.keys["anon1"])
	c.ttyIn, c.stdin = false, ""
	c.want(exitNotFound, "end", raw, s.handle("anon1"), "--yes")

	type endJSON struct {
		Ended   int      `json:"ended"`
		Handles []string `json:"handles"`
	}
	e := jsonOf[endJSON](c, "end", raw, "--user", "alice", "--except", s.handle("alice2"), "--yes")
	slices.Sort(e.Handles)
	if e.Ended != 2 || !slices.Equal(e.Handles, s.handles("alice1", "alice3")) {
		t.Fatalf("end --user alice --except alice2 = %+v", e)
	}
	mustGone(t, st, s.keys["alice1"])
	mustGone(t, st, s.keys["alice3"])
	mustLive(t, st, s.keys["alice2"])
	c.want(exitNotFound, "end", raw, "--user", "nobody", "--yes")
	c.want(exitNotFound, "end", raw, "--user", "alice", "--except", s.handle("bob1"), "--yes")
	mustLive(t, st, s.keys["alice2"])

	// purge.
	if b.purger {
		type purgeJSON struct {
			Purged int `json:"purged"`
		}
		if p := jsonOf[purgeJSON](c, "purge", raw, "--expired"); p.Purged != 1 {
			t.Fatalf("purge --expired = %d, want 1", p.Purged)
		}
		if p := jsonOf[purgeJSON](c, "purge", raw, "--expired"); p.Purged != 0 {
			t.Fatalf("second purge --expired = %d, want 0", p.Purged)
		}
	} else {
		r := c.want(exitUnsupported, "purge", raw, "--expired")
		if !strings.Contains(r.stderr, "sesh.Purger") {
			t.Fatalf("purge on a store without Purge: %s", r.stderr)
		}
	}
	c.want(exitUsage, "purge", raw)

	// ping.
	if b.pinger {
		c.want(0, "ping", raw)
	} else if r := c.want(exitUnsupported, "ping", raw); !strings.Contains(r.stderr, "sesh.Pinger") {
		t.Fatalf("ping on a store without Ping: %s", r.stderr)
	}

	// copy into a fresh store of the same kind: dry run, copy, re-run.
	dstRaw := b.newURL(t)
	type copyJSON struct {
		Copied       int  `json:"copied"`
		AlreadyThere int  `json:"already_there"`
		Changed      int  `json:"changed"`
		Complete     bool `json:"complete"`
		Skipped      struct{ Tombstones, Locks int }
	}
	left := []string{"alice2", "bob1"}
	if cp := jsonOf[copyJSON](c, "copy", raw, dstRaw, "--dry-run"); cp.Copied != 2 || cp.AlreadyThere != 0 {
		t.Fatalf("copy --dry-run = %+v", cp)
	}
	dst := open(t, dstRaw)
	if n, err := dst.(sesh.Lister).Len(context.Background()); err != nil || n != 0 {
		t.Fatalf("destination after a dry run holds %d records (%v)", n, err)
	}
	if cp := jsonOf[copyJSON](c, "copy", raw, dstRaw); cp.Copied != 2 || cp.Skipped.Tombstones != 1 || cp.Skipped.Locks != 1 || !cp.Complete {
		t.Fatalf("copy = %+v", cp)
	}
	if cp := jsonOf[copyJSON](c, "copy", raw, dstRaw); cp.Copied != 0 || cp.AlreadyThere != 2 {
		t.Fatalf("copy again = %+v", cp)
	}
	if got := jsonOf[lsJSON](c, "ls", dstRaw); !slices.Equal(got.handles(), s.handles(left...)) {
		t.Fatalf("ls of the destination = %q, want %q", got.handles(), s.handles(left...))
	}
	for _, n := range left {
		src, dstRec := mustLive(t, st, s.keys[n]), mustLive(t, dst, s.keys[n])
		if !bytes.Equal(src.Data, dstRec.Data) || src.UserID != dstRec.UserID || src.Expires.Sub(dstRec.Expires).Abs() > time.Millisecond {
			t.Fatalf("copy of %s differs: %+v vs %+v", n, src, dstRec)
		}
	}

	// The URL from a file, and from the environment.
	f := filepath.Join(t.TempDir(), "url")
	must(t, os.WriteFile(f, []byte(raw+"\n"), 0o600))
	if got := jsonOf[lsJSON](c, "ls", "--url-file", f); !slices.Equal(got.handles(), s.handles(left...)) {
		t.Fatalf("ls --url-file = %q", got.handles())
	}
	c.want(exitUsage, "ls", "--url-file", f, raw)

	c.tr.mustNotContain(t, "session ID or store key", s.secrets...)
	c.tr.mustNotContain(t, "password", b.password)
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	return b.String()
}

func mustLive(t *testing.T, st sesh.Store, key string) sesh.Record {
	t.Helper()
	rec, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("a session that should be live: %v", hideKey(key, err))
	}
	return rec
}

func mustGone(t *testing.T, st sesh.Store, key string) {
	t.Helper()
	if _, err := st.Get(context.Background(), key); err == nil {
		t.Fatalf("session %s still live", sesh.Handle(key))
	}
}

// TestUsage: exit codes of malformed command lines, none of which touch a
// store.
func TestUsage(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"ls"}, // no URL anywhere
		{"ls", "--bogus", "memory://"},
		{"ls", "nosuchscheme://x"},
		{"ls", "--codec", "gob", "memory://"},
		{"show", "memory://"},
		{"show", "memory://", "a", "b"},
		{"end", "memory://", "--except", "0123456789abcdef01"},
		{"purge", "memory://"},
		{"copy", "memory://"},
		{"copy", "memory://", "memory://", "--dry-run", "--move"},
		{"copy", "memory://", "memory://?x=1", "--workers", "0"},
		{"ls", "--url-file", "/nonexistent/file"},
	} {
		c.want(exitUsage, args...)
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"help", "copy"}, {"ls", "-h"}} {
		c.want(exitOK, args...)
	}
	if r := c.want(exitOK, "help"); !strings.Contains(r.stdout, "Exit codes") {
		t.Fatalf("help: %s", r.stdout)
	}
}

// TestSecretsNeverPrinted: a password in the URL (and in a secret query
// parameter) stays out of errors and output, wherever the URL came from.
func TestSecretsNeverPrinted(t *testing.T) {
	c := newCLI(t)
	const pw = "Sup3r-Secret-Pw-4471"
	for _, raw := range []string{
		"postgres://postgres:" + pw + "@127.0.0.1:1/test?sslmode=disable",
		"postgres://postgres@127.0.0.1:1/test?sslmode=disable&password=" + pw,
		"redis://:" + pw + "@127.0.0.1:1/0",
		"mysql://root:" + pw + "@127.0.0.1:1/test",
		"nosuch://user:" + pw + "@host/",
	} {
		r := c.run("ping", raw)
		if r.code == exitOK {
			t.Fatalf("ping of a closed port succeeded")
		}
		if !strings.Contains(r.stderr, redacted) && !strings.Contains(raw, "nosuch") {
			t.Errorf("ping %s: no redacted URL in the error: %s", redactURL(raw), r.stderr)
		}
		c.env[envURL] = raw
		c.run("ls")
		f := filepath.Join(t.TempDir(), "url")
		must(t, os.WriteFile(f, []byte(raw), 0o600))
		c.run("stats", "--url-file", f)
		c.run("copy", raw, "memory://")
	}
	c.tr.mustNotContain(t, "password", pw, url.QueryEscape(pw))
}

// TestProcess runs the program as a process: the exit code is the one
// run returns, and stdin that is not a terminal makes end refuse without
// --yes.
func TestProcess(t *testing.T) {
	dir := "file://" + filepath.Join(t.TempDir(), "sessions")
	st := open(t, dir)
	s := seed(t, st, 0)
	for _, c := range []struct {
		args string
		code int
	}{
		{"ls " + dir, exitOK},
		{"show " + dir + " 0123456789abcdef01", exitNotFound},
		{"end " + dir + " " + s.handle("bob1"), exitUsage},
		{"ping " + dir, exitUnsupported},
		{"bogus", exitUsage},
	} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "SESH_CLI_TEST_MAIN=1", "SESH_CLI_TEST_ARGS="+c.args)
		cmd.Stdin = strings.NewReader("y\n")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code {
			t.Fatalf("sesh %s: exit %d, want %d\n%s", c.args, code, c.code, out)
		}
		for _, sec := range s.secrets {
			if strings.Contains(string(out), sec) {
				t.Fatalf("sesh %s printed a session ID or key", c.args)
			}
		}
	}
	mustLive(t, st, s.keys["bob1"])
}

// TestInterop: a store in connect-redis's layout keeps the raw session ID
// as its key. ls, show and stats decode express-session's records with
// --codec express, and never print the ID.
func TestInterop(t *testing.T) {
	base := storetest.Service(t, "SESH_REDIS_URL")
	raw := strings.Replace(base, "redis://", "connectredis://", 1)
	sep := "?"
	if strings.Contains(raw, "?") {
		sep = "&"
	}
	raw += sep + "prefix=" + uniqueName("seshcli-express") + ":"
	st := open(t, raw)
	t.Cleanup(func() { st.(sesh.Lister).Clear(context.Background()) })
	ctx := context.Background()
	var ids []string
	for i, user := range []string{"carol", "carol", "dave"} {
		sid := fmt.Sprintf("ExpressRawSid%dDistinctXYZ%d", i, idSeq.Add(1))
		d := sesh.Data{Values: map[string]json.RawMessage{"views": json.RawMessage(fmt.Sprint(i + 1))}, Created: time.Now().Add(-time.Hour), UserID: user}
		b, err := express.Codec{}.Encode(nil, &d)
		must(t, err)
		must(t, st.Set(ctx, sid, sesh.Record{Data: b, Expires: time.Now().Add(time.Hour)}))
		ids = append(ids, sid)
	}
	c := newCLI(t)
	ls := jsonOf[lsJSON](c, "ls", raw, "--codec", "express")
	if ls.Count != 3 || ls.Undecodable != 0 {
		t.Fatalf("ls --codec express = %+v", ls)
	}
	users := map[string]int{}
	for _, s := range ls.Sessions {
		users[s.User]++
	}
	if users["carol"] != 2 || users["dave"] != 1 {
		t.Fatalf("ls --codec express: users %v", users)
	}
	type showJSON struct {
		Values map[string]json.RawMessage `json:"values"`
	}
	sh := jsonOf[showJSON](c, "show", raw, sesh.Handle(ids[2]), "--codec", "express")
	if compact(t, sh.Values["views"]) != "3" {
		t.Fatalf("show --codec express: %+v", sh)
	}
	c.want(0, "stats", raw, "--codec", "express")
	c.want(exitOK, "end", raw, "--user", "carol", "--codec", "express", "--yes")
	if got := jsonOf[lsJSON](c, "ls", raw, "--codec", "express"); got.Count != 1 {
		t.Fatalf("after end --user carol: %d left", got.Count)
	}
	c.tr.mustNotContain(t, "raw session ID", ids...)
}
