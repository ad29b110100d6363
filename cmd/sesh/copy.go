package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesh-go/sesh"
)

// copyURLs resolves SRC and DST: --src-file / --dst-file, else the command
// line (the URLs not given by file, in order), else $SESH_SRC_URL /
// $SESH_DST_URL.
func (x *cmd) copyURLs() (src, dst string, err error) {
	type slot struct {
		file, env, flag string
		url             *string
	}
	slots := []slot{{x.o.srcFile, envSrc, "--src-file", &src}, {x.o.dstFile, envDst, "--dst-file", &dst}}
	var missing []slot
	for _, s := range slots {
		if s.file == "" {
			missing = append(missing, s)
			continue
		}
		if *s.url, err = readURLFile(s.file); err != nil {
			return "", "", err
		}
	}
	switch {
	case len(x.args) == len(missing):
		for i, s := range missing {
			*s.url = x.args[i]
		}
	case len(x.args) == 0:
		for _, s := range missing {
			if *s.url = x.sys.getenv(s.env); *s.url == "" {
				return "", "", fail(exitUsage, "no %s URL: give SRC and DST as arguments, with %s, or in $%s", strings.TrimSuffix(strings.TrimPrefix(s.flag, "--"), "-file"), s.flag, s.env)
			}
		}
	default:
		return "", "", fail(exitUsage, "want SRC and DST URLs (%d given by file), got %d argument(s)", 2-len(missing), len(x.args))
	}
	return src, dst, nil
}

// withPool gives a PostgreSQL URL without pool_max_conns a pool of n
// connections, so that n workers do not queue for pgx's default of four.
func withPool(raw string, n int) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	switch u.Scheme {
	case "postgres", "postgresql", "connectpg":
	default:
		return raw
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil || q.Has("pool_max_conns") {
		return raw
	}
	q.Set("pool_max_conns", strconv.Itoa(n))
	u.RawQuery = q.Encode()
	return u.String()
}

// copyStats are copy's counters, updated by the workers.
type copyStats struct {
	seen, copied, already, changed, expired atomic.Int64
}

func runCopy(ctx context.Context, x *cmd) error {
	if x.o.workers < 1 {
		return fail(exitUsage, "--workers must be at least 1")
	}
	if x.o.dryRun && x.o.move {
		return fail(exitUsage, "--dry-run and --move do not go together")
	}
	srcURL, dstURL, err := x.copyURLs()
	if err != nil {
		return err
	}
	srcName, dstName := redactURL(srcURL), redactURL(dstURL)
	if srcName == dstName {
		return fail(exitUsage, "SRC and DST are the same store")
	}
	src, closeSrc, err := x.open(ctx, withPool(srcURL, x.o.workers))
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer closeSrc()
	dst, closeDst, err := x.open(ctx, withPool(dstURL, x.o.workers))
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	defer closeDst()
	l, ok := src.(sesh.Lister)
	if !ok {
		return unsupported("the source "+srcName, src, "sesh.Lister (Range)", "its records cannot be enumerated")
	}
	if x.o.move {
		if err := x.confirm(fmt.Sprintf("Move every session from %s to %s (each source record ends once copied)?", srcName, dstName)); err != nil {
			return err
		}
	}
	total, err := l.Len(ctx)
	if err != nil {
		return fmt.Errorf("count the source's records: %w", err)
	}

	var st copyStats
	var sk skipped
	cp := &copier{x: x, src: src, dst: dst, st: &st}
	cp.srcSw, _ = src.(sesh.Swapper)
	cp.dstSw, _ = dst.(sesh.Swapper)

	verb := "copy"
	switch {
	case x.o.dryRun:
		verb = "dry run"
	case x.o.move:
		verb = "move"
	}
	prog := newProgress(x.sys.stderr, x.sys.stderrTTY, verb, total, &st)
	prog.start()

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type item struct {
		key string
		rec sesh.Record
	}
	work := make(chan item, 4*x.o.workers)
	var firstErr error
	var errOnce sync.Once
	setErr := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	var wg sync.WaitGroup
	for range x.o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				if wctx.Err() != nil {
					continue
				}
				if err := cp.one(wctx, it.key, it.rec); err != nil {
					setErr(err)
				}
			}
		}()
	}
	rangeErr := l.Range(wctx, func(key string, rec sesh.Record) bool {
		if k := kind(key, rec); k != "session" {
			sk.count(k)
			return true
		}
		select {
		case work <- item{key, rec}:
			return true
		case <-wctx.Done():
			return false
		}
	})
	close(work)
	wg.Wait()
	prog.stop()
	if firstErr == nil && rangeErr != nil {
		firstErr = fmt.Errorf("list the source: %w", rangeErr)
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}

	if x.o.json {
		out := struct {
			Source       string  `json:"source"`
			Destination  string  `json:"destination"`
			DryRun       bool    `json:"dry_run"`
			Move         bool    `json:"move"`
			Copied       int64   `json:"copied"`
			AlreadyThere int64   `json:"already_there"`
			Changed      int64   `json:"changed"`
			Expired      int64   `json:"expired"`
			Skipped      skipped `json:"skipped"`
			Complete     bool    `json:"complete"`
		}{srcName, dstName, x.o.dryRun, x.o.move, st.copied.Load(), st.already.Load(), st.changed.Load(), st.expired.Load(), sk, firstErr == nil}
		if err := writeJSON(x.sys.stdout, out); err != nil {
			return err
		}
	} else {
		what := "copied"
		switch {
		case x.o.dryRun:
			what = "would copy"
		case x.o.move:
			what = "moved"
		}
		fmt.Fprintf(x.sys.stdout, "%s: %s %d session(s) to %s; %d already there, %d changed during the copy (run again to pick them up), %d expired meanwhile; skipped %d tombstone(s) and %d lock(s)\n",
			srcName, what, st.copied.Load(), dstName, st.already.Load(), st.changed.Load(), st.expired.Load(), sk.Tombstones, sk.Locks)
	}
	if firstErr != nil {
		return fmt.Errorf("stopped (run again to resume): %w", firstErr)
	}
	return nil
}

type copier struct {
	x            *cmd
	src, dst     sesh.Store
	srcSw, dstSw sesh.Swapper
	st           *copyStats
}

// ended is an expiry in the past, to end a record with a compare-and-set.
func ended() time.Time { return time.Now().Add(-time.Hour) }

// one copies (or moves, or counts) one record read from the source.
func (c *copier) one(ctx context.Context, key string, rec sesh.Record) error {
	defer c.st.seen.Add(1)
	if !time.Now().Before(rec.Expires) {
		c.st.expired.Add(1)
		return nil
	}
	o := c.x.o
	if o.dryRun {
		_, err := c.dst.Get(ctx, key)
		switch {
		case err == nil:
			c.st.already.Add(1)
		case errors.Is(err, sesh.ErrNotFound):
			c.st.copied.Add(1)
		default:
			return fmt.Errorf("read the destination: %w", hideKey(key, err))
		}
		return nil
	}
	v, inserted, err := c.insert(ctx, key, rec)
	if err != nil {
		return fmt.Errorf("write the destination: %w", hideKey(key, err))
	}
	if !inserted {
		c.st.already.Add(1)
		if o.move {
			// The destination holds the key already: the source's copy is
			// stale; end it if it is still the version read.
			if err := c.endSource(ctx, key, rec); err != nil && !errors.Is(err, sesh.ErrNotFound) && !errors.Is(err, sesh.ErrConflict) {
				return fmt.Errorf("end the source record: %w", hideKey(key, err))
			}
		}
		return nil
	}
	if o.move {
		if err := c.endSource(ctx, key, rec); err != nil {
			// Ended or changed in the source since it was read: undo,
			// as sesh.Migrating does (the next run takes it again).
			if uerr := c.dst.Delete(context.WithoutCancel(ctx), key); uerr != nil {
				return fmt.Errorf("undo a move: %w", hideKey(key, errors.Join(err, uerr)))
			}
			if errors.Is(err, sesh.ErrNotFound) || errors.Is(err, sesh.ErrConflict) {
				c.st.changed.Add(1)
				return nil
			}
			return fmt.Errorf("end the source record: %w", hideKey(key, err))
		}
		c.st.copied.Add(1)
		return nil
	}
	// A plain copy is valid if the source still holds what was copied:
	// otherwise it was ended (destroy wins) or changed, and the copy is
	// taken back (only if untouched since, where the destination can
	// compare-and-set).
	cur, err := c.src.Get(ctx, key)
	same := err == nil && (c.srcSw == nil && bytes.Equal(cur.Data, rec.Data) || c.srcSw != nil && cur.Version == rec.Version)
	if err != nil && !errors.Is(err, sesh.ErrNotFound) {
		return fmt.Errorf("re-read the source: %w", hideKey(key, err))
	}
	if same {
		c.st.copied.Add(1)
		return nil
	}
	if c.dstSw != nil {
		_, err = c.dstSw.Swap(context.WithoutCancel(ctx), key, sesh.Record{Expires: ended(), Version: v})
		if errors.Is(err, sesh.ErrConflict) || errors.Is(err, sesh.ErrNotFound) {
			err = nil // written meanwhile by someone else: theirs
		}
	} else {
		err = c.dst.Delete(context.WithoutCancel(ctx), key)
	}
	if err != nil {
		return fmt.Errorf("take back a copy of a record that changed: %w", hideKey(key, err))
	}
	c.st.changed.Add(1)
	return nil
}

// insert writes rec under key in the destination unless the key is there
// already: atomically where the destination can compare-and-set, else
// after a read.
func (c *copier) insert(ctx context.Context, key string, rec sesh.Record) (version int64, inserted bool, err error) {
	rec = sesh.Record{Data: rec.Data, Expires: rec.Expires, UserID: rec.UserID}
	if c.dstSw != nil {
		v, err := c.dstSw.Swap(ctx, key, rec)
		if errors.Is(err, sesh.ErrConflict) {
			return 0, false, nil
		}
		return v, err == nil, err
	}
	_, err = c.dst.Get(ctx, key)
	switch {
	case err == nil:
		return 0, false, nil
	case !errors.Is(err, sesh.ErrNotFound):
		return 0, false, err
	}
	return 0, true, c.dst.Set(ctx, key, rec)
}

// endSource ends the source record if it still holds what was read.
func (c *copier) endSource(ctx context.Context, key string, rec sesh.Record) error {
	if c.srcSw != nil {
		_, err := c.srcSw.Swap(ctx, key, sesh.Record{Expires: ended(), Version: rec.Version})
		return err
	}
	cur, err := c.src.Get(ctx, key)
	if err != nil {
		return err
	}
	if !bytes.Equal(cur.Data, rec.Data) {
		return sesh.ErrConflict
	}
	return c.src.Delete(ctx, key)
}

// progress shows how far copy got: a bar redrawn in place on a terminal,
// a plain line every few seconds otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	verb  string
	total int
	st    *copyStats
	begin time.Time
	every time.Duration
	done  chan struct{}
	wg    sync.WaitGroup
}

func newProgress(w io.Writer, tty bool, verb string, total int, st *copyStats) *progress {
	p := &progress{w: w, tty: tty, verb: verb, total: total, st: st, done: make(chan struct{}), every: 2 * time.Second}
	if tty {
		p.every = 100 * time.Millisecond
	}
	return p
}

func (p *progress) start() {
	p.begin = time.Now()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				p.draw(false)
			}
		}
	}()
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
	p.draw(true)
}

func (p *progress) draw(final bool) {
	n := int(p.st.seen.Load())
	el := time.Since(p.begin)
	rate := 0.0
	if el > 0 {
		rate = float64(n) / el.Seconds()
	}
	total := max(p.total, n) // the count was taken before the walk
	pct := 100.0
	if total > 0 {
		pct = 100 * float64(n) / float64(total)
	}
	if !p.tty {
		state := "progress"
		if final {
			state = "done"
		}
		fmt.Fprintf(p.w, "%s %s: %d/%d records (%.0f%%), %.0f/s, %s\n", p.verb, state, n, total, pct, rate, el.Round(time.Second))
		return
	}
	const width = 30
	fill := int(pct / 100 * width)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	eta := "-"
	if rate > 0 && n < total {
		eta = (time.Duration(float64(total-n)/rate) * time.Second).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r%s [%s] %3.0f%% %d/%d %.0f/s ETA %s   ", p.verb, bar, pct, n, total, rate, eta)
	if final {
		fmt.Fprintf(p.w, "\n")
	}
}
