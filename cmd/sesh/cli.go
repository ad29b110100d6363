package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/astro"
	"github.com/sesh-go/sesh/compat/express"
	"github.com/sesh-go/sesh/compat/remix"
)

// Exit codes. They are part of the interface: scripts rely on them.
const (
	exitOK          = 0 // done
	exitError       = 1 // the store failed, the answer was no, a record did not decode
	exitUsage       = 2 // bad command line, or a confirmation that cannot be asked
	exitNotFound    = 3 // the handle or user named matched no session
	exitUnsupported = 4 // the store lacks the capability the command needs
)

// sys is what a command may touch of the outside world (main wires the
// process's; tests their own).
type sys struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// stdinTTY and stderrTTY say whether stdin (confirmation prompts) and
	// stderr (the progress bar) are terminals.
	stdinTTY, stderrTTY bool
}

// cliError carries an exit code and a message that is safe to print.
type cliError struct {
	code int
	err  error
}

func (e *cliError) Error() string { return e.err.Error() }
func (e *cliError) Unwrap() error { return e.err }

func fail(code int, format string, args ...any) error {
	return &cliError{code: code, err: fmt.Errorf(format, args...)}
}

// opts holds every flag; each command registers those it takes.
type opts struct {
	json    bool
	codec   string
	urlFile string
	srcFile string
	dstFile string
	timeout time.Duration
	idle    time.Duration

	user    string
	limit   int
	raw     bool
	yes     bool
	except  string
	expired bool
	top     int
	dryRun  bool
	move    bool
	workers int
}

type command struct {
	name    string
	args    string // synopsis of the arguments
	summary string
	flags   func(fs *flag.FlagSet, o *opts)
	run     func(ctx context.Context, c *cmd) error
}

// cmd is one invocation: the options, the positional arguments, the
// world, and what must be scrubbed from its messages.
type cmd struct {
	o      *opts
	args   []string
	sys    *sys
	codec  sesh.Codec
	secret *scrubber
}

func commonFlags(fs *flag.FlagSet, o *opts) {
	fs.BoolVar(&o.json, "json", false, "print JSON for scripts instead of a table")
	fs.DurationVar(&o.timeout, "timeout", 0, "give up after this long (0: no limit)")
}

func storeFlags(fs *flag.FlagSet, o *opts) {
	commonFlags(fs, o)
	fs.StringVar(&o.urlFile, "url-file", "", "read the store URL from this file instead of the command line or $SESH_URL")
}

func decodeFlags(fs *flag.FlagSet, o *opts) {
	fs.StringVar(&o.codec, "codec", "json", "how session data is encoded: json (sesh's default), express, remix or astro")
	fs.DurationVar(&o.idle, "idle", 30*time.Minute, "the application's idle timeout, to estimate when a session was last seen (0: do not estimate)")
}

var commands = []*command{
	{
		name: "ls", args: "[URL]", summary: "list sessions: handle, user, created, last seen, expires, size, user agent",
		flags: func(fs *flag.FlagSet, o *opts) {
			storeFlags(fs, o)
			decodeFlags(fs, o)
			fs.StringVar(&o.user, "user", "", "only the sessions of this user")
			fs.IntVar(&o.limit, "limit", 0, "list at most this many, newest first (0: all)")
		},
		run: runLs,
	},
	{
		name: "show", args: "[URL] HANDLE", summary: "show one session's metadata and values",
		flags: func(fs *flag.FlagSet, o *opts) {
			storeFlags(fs, o)
			decodeFlags(fs, o)
			fs.BoolVar(&o.raw, "raw", false, "write the stored bytes as they are, and nothing else")
		},
		run: runShow,
	},
	{
		name: "end", args: "[URL] HANDLE | [URL] --user USER [--except HANDLE]", summary: "end (revoke) one session, or every session of a user",
		flags: func(fs *flag.FlagSet, o *opts) {
			storeFlags(fs, o)
			decodeFlags(fs, o)
			fs.StringVar(&o.user, "user", "", "end every session of this user")
			fs.StringVar(&o.except, "except", "", "with --user: keep this session")
			fs.BoolVar(&o.yes, "yes", false, "do not ask for confirmation (required when stdin is not a terminal)")
		},
		run: runEnd,
	},
	{
		name: "purge", args: "[URL] --expired", summary: "delete expired records now (stores whose engine keeps them: SQL, files)",
		flags: func(fs *flag.FlagSet, o *opts) {
			storeFlags(fs, o)
			fs.BoolVar(&o.expired, "expired", false, "delete the records whose expiry has passed (required)")
		},
		run: runPurge,
	},
	{
		name: "stats", args: "[URL]", summary: "count sessions, by user, and by size",
		flags: func(fs *flag.FlagSet, o *opts) {
			storeFlags(fs, o)
			decodeFlags(fs, o)
			fs.IntVar(&o.top, "top", 10, "list this many users with the most sessions (0: all)")
		},
		run: runStats,
	},
	{
		name: "copy", args: "SRC DST", summary: "copy live sessions from one store to another (resumable)",
		flags: func(fs *flag.FlagSet, o *opts) {
			commonFlags(fs, o)
			fs.StringVar(&o.srcFile, "src-file", "", "read the source URL from this file (else the command line or $SESH_SRC_URL)")
			fs.StringVar(&o.dstFile, "dst-file", "", "read the destination URL from this file (else the command line or $SESH_DST_URL)")
			fs.BoolVar(&o.dryRun, "dry-run", false, "count what would be copied; write nothing")
			fs.BoolVar(&o.move, "move", false, "end each source record once copied (for an application running on sesh.Migrating(SRC, DST))")
			fs.BoolVar(&o.yes, "yes", false, "with --move: do not ask for confirmation")
			fs.IntVar(&o.workers, "workers", 16, "records copied in parallel (a PostgreSQL URL without pool_max_conns gets a pool of this size)")
		},
		run: runCopy,
	},
	{
		name: "ping", args: "[URL]", summary: "check that the store's server answers",
		flags: func(fs *flag.FlagSet, o *opts) {
			storeFlags(fs, o)
		},
		run: runPing,
	},
}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

const envURL, envSrc, envDst = "SESH_URL", "SESH_SRC_URL", "SESH_DST_URL"

func usage(w io.Writer) {
	fmt.Fprintf(w, "sesh operates session stores (github.com/sesh-go/sesh).\n\nUsage:\n  sesh COMMAND [flags] ARGS\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-6s %s\n         %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintf(w, `
A store is named by URL (sesh.Open), e.g. redis://127.0.0.1:6379/0,
postgres://user@host/db, file:///var/lib/app/sessions. Give it on the command
line, or keep its password off the command line with --url-file FILE or
$%s ($%s and $%s for copy). Passwords are never printed.

Sessions are named by handle (see ls), never by ID or store key.
Run 'sesh help COMMAND' for a command's flags.

Exit codes: 0 done, 1 error, 2 usage, 3 no session matched, 4 the store lacks
the capability the command needs.
`, envURL, envSrc, envDst)
}

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, s *sys) int {
	if len(args) == 0 {
		usage(s.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && name == "help" {
			if c := findCommand(args[1]); c != nil {
				fs, _ := newFlagSet(c, s.stdout)
				fmt.Fprintf(s.stdout, "Usage: sesh %s [flags] %s\n  %s\n\nFlags:\n", c.name, c.args, c.summary)
				fs.PrintDefaults()
				return exitOK
			}
		}
		usage(s.stdout)
		return exitOK
	}
	c := findCommand(name)
	if c == nil {
		fmt.Fprintf(s.stderr, "sesh: unknown command %q\n\n", name)
		usage(s.stderr)
		return exitUsage
	}
	fs, o := newFlagSet(c, s.stderr)
	pos, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(s.stderr, "sesh %s: %v (see 'sesh help %s')\n", c.name, err, c.name)
		return exitUsage
	}
	x := &cmd{o: o, args: pos, sys: s, secret: &scrubber{}}
	if err := x.setCodec(); err != nil {
		return x.report(c, err)
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	return x.report(c, c.run(ctx, x))
}

func newFlagSet(c *command, out io.Writer) (*flag.FlagSet, *opts) {
	fs := flag.NewFlagSet("sesh "+c.name, flag.ContinueOnError)
	fs.SetOutput(out)
	o := &opts{}
	c.flags(fs, o)
	return fs, o
}

// report prints err (scrubbed of secrets) and returns its exit code.
func (x *cmd) report(c *command, err error) int {
	if err == nil {
		return exitOK
	}
	code := exitError
	var ce *cliError
	if errors.As(err, &ce) {
		code = ce.code
	}
	fmt.Fprintf(x.sys.stderr, "sesh %s: %s\n", c.name, x.secret.scrub(err.Error()))
	if code == exitUsage {
		fmt.Fprintf(x.sys.stderr, "(see 'sesh help %s')\n", c.name)
	}
	return code
}

// parseInterleaved parses flags placed before, between and after the
// positional arguments ("sesh ls URL --user U"); "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		used := len(args) - len(rest)
		if used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func (x *cmd) setCodec() error {
	switch x.o.codec {
	case "", "json":
		x.codec = sesh.JSONCodec{}
	case "express":
		x.codec = express.Codec{}
	case "remix":
		x.codec = remix.Codec{}
	case "astro":
		x.codec = astro.Codec{}
	default:
		return fail(exitUsage, "--codec %q: want json, express, remix or astro", x.o.codec)
	}
	return nil
}

// storeURL returns the store URL of a one-store command that takes
// nargs other arguments, and those arguments. The URL comes from
// --url-file, else from the command line (nargs+1 arguments), else from
// $SESH_URL.
func (x *cmd) storeURL(nargs int) (string, []string, error) {
	switch {
	case x.o.urlFile != "":
		if len(x.args) != nargs {
			return "", nil, fail(exitUsage, "want %d argument(s) besides --url-file, got %d", nargs, len(x.args))
		}
		u, err := readURLFile(x.o.urlFile)
		return u, x.args, err
	case len(x.args) == nargs+1:
		return x.args[0], x.args[1:], nil
	case len(x.args) == nargs && x.sys.getenv(envURL) != "":
		return x.sys.getenv(envURL), x.args, nil
	case len(x.args) == nargs:
		return "", nil, fail(exitUsage, "no store URL: give it as the first argument, with --url-file, or in $%s", envURL)
	default:
		return "", nil, fail(exitUsage, "want %d argument(s) after the store URL, got %d", nargs, max(len(x.args)-1, 0))
	}
}

func readURLFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fail(exitUsage, "--url-file: %w", err)
	}
	u := strings.TrimSpace(string(b))
	if u == "" || strings.ContainsAny(u, "\n\r") {
		return "", fail(exitUsage, "--url-file %s: want one URL on one line", path)
	}
	return u, nil
}

// open opens the store a URL names. Its secrets are scrubbed from every
// message from now on.
func (x *cmd) open(ctx context.Context, raw string) (sesh.Store, func(), error) {
	x.secret.addURL(raw)
	st, err := sesh.Open(ctx, raw)
	if errors.Is(err, sesh.ErrUnknownScheme) {
		return nil, nil, fail(exitUsage, "%w", err)
	}
	if err != nil {
		return nil, nil, err
	}
	closeFn := func() {
		if c, ok := st.(io.Closer); ok {
			c.Close()
		}
	}
	return st, closeFn, nil
}

// openOne opens the store of a one-store command.
func (x *cmd) openOne(ctx context.Context, nargs int) (sesh.Store, []string, string, func(), error) {
	raw, rest, err := x.storeURL(nargs)
	if err != nil {
		return nil, nil, "", nil, err
	}
	st, closeFn, err := x.open(ctx, raw)
	if err != nil {
		return nil, nil, "", nil, err
	}
	return st, rest, redactURL(raw), closeFn, nil
}

// unsupported is the error of a store that lacks a capability.
func unsupported(where string, st sesh.Store, capability, why string) error {
	return fail(exitUnsupported, "%s (a %s) does not implement %s: %s", where, storeKind(st), capability, why)
}

// storeKind names a store's type without its package path noise.
func storeKind(st sesh.Store) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", st), "*")
}
