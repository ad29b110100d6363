package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sesh-go/sesh"
)

// jsonTime is a time in JSON: RFC 3339 in UTC, or null when unknown.
type jsonTime struct{ time.Time }

func (t jsonTime) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339))
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// oneLine makes a value safe for one table cell: no control characters,
// at most n runes.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}

// sessionJSON is one session in ls's JSON.
type sessionJSON struct {
	Handle    string   `json:"handle"`
	User      string   `json:"user"`
	Created   jsonTime `json:"created"`
	LastSeen  jsonTime `json:"last_seen"`
	Expires   jsonTime `json:"expires"`
	Size      int      `json:"size"`
	UserAgent string   `json:"user_agent"`
	Decoded   bool     `json:"decoded"` // false: the codec could not read the data
}

// lsRow is what ls keeps of a session: not its data, so that listing a
// large store holds little memory.
type lsRow struct {
	handle, user, agent string
	created, expires    time.Time
	lastSeen            time.Time
	size                int
	decoded             bool
}

func runLs(ctx context.Context, x *cmd) error {
	st, _, where, closeFn, err := x.openOne(ctx, 0)
	if err != nil {
		return err
	}
	defer closeFn()
	now := time.Now()
	var rows []lsRow
	add := func(r *record) bool {
		rows = append(rows, lsRow{handle: r.handle, user: r.user(), agent: r.data.UserAgent, created: r.data.Created,
			expires: r.rec.Expires, lastSeen: r.lastSeen(x.o.idle, now), size: len(r.rec.Data), decoded: r.decErr == nil})
		return true
	}
	var sk skipped
	if x.o.user != "" {
		var recs []*record
		recs, sk, err = x.userRecords(ctx, st, where, x.o.user)
		for _, r := range recs {
			add(r)
		}
	} else {
		sk, err = x.walk(ctx, st, where, "it cannot enumerate its records", add)
	}
	if err != nil {
		return err
	}
	undecodable := 0
	for _, r := range rows {
		if !r.decoded {
			undecodable++
		}
	}
	slices.SortFunc(rows, func(a, b lsRow) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return strings.Compare(a.handle, b.handle)
	})
	total := len(rows)
	if x.o.limit > 0 && len(rows) > x.o.limit {
		rows = rows[:x.o.limit]
	}
	if x.o.json {
		out := struct {
			Store       string        `json:"store"`
			Count       int           `json:"count"`
			Shown       int           `json:"shown"`
			Undecodable int           `json:"undecodable"`
			Skipped     skipped       `json:"skipped"`
			Sessions    []sessionJSON `json:"sessions"`
		}{Store: where, Count: total, Shown: len(rows), Undecodable: undecodable, Skipped: sk, Sessions: []sessionJSON{}}
		for _, r := range rows {
			out.Sessions = append(out.Sessions, sessionJSON{
				Handle: r.handle, User: r.user, Created: jsonTime{r.created}, LastSeen: jsonTime{r.lastSeen},
				Expires: jsonTime{r.expires}, Size: r.size, UserAgent: r.agent, Decoded: r.decoded,
			})
		}
		return writeJSON(x.sys.stdout, out)
	}
	tw := table(x.sys.stdout)
	fmt.Fprintln(tw, "HANDLE\tUSER\tCREATED\tLAST SEEN\tEXPIRES\tSIZE\tUSER AGENT")
	for _, r := range rows {
		agent := r.agent
		if !r.decoded {
			agent = "(cannot decode with --codec " + x.o.codec + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.handle, oneLine(r.user, 32), fmtTime(r.created),
			fmtTime(r.lastSeen), fmtTime(r.expires), r.size, oneLine(agent, 48))
	}
	tw.Flush()
	fmt.Fprintf(x.sys.stderr, "%d session(s)", total)
	if len(rows) < total {
		fmt.Fprintf(x.sys.stderr, ", %d shown", len(rows))
	}
	fmt.Fprintf(x.sys.stderr, "; skipped %d tombstone(s) and %d lock(s)\n", sk.Tombstones, sk.Locks)
	if undecodable > 0 {
		fmt.Fprintf(x.sys.stderr, "%d session(s) could not be decoded with --codec %s\n", undecodable, x.o.codec)
	}
	return nil
}

func runShow(ctx context.Context, x *cmd) error {
	st, rest, where, closeFn, err := x.openOne(ctx, 1)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := checkHandle(rest[0]); err != nil {
		return err
	}
	r, err := x.find(ctx, st, where, rest[0])
	if err != nil {
		return err
	}
	if x.o.raw {
		_, err := x.sys.stdout.Write(r.rec.Data)
		return err
	}
	if r.decErr != nil {
		return fmt.Errorf("session %s: the data (%d bytes) does not decode with --codec %s: %w (try another --codec, or --raw)",
			r.handle, len(r.rec.Data), x.o.codec, r.decErr)
	}
	now := time.Now()
	values := map[string]json.RawMessage{}
	for k, v := range r.data.Values {
		values[k] = v
	}
	deadlines := map[string]jsonTime{}
	for k, t := range r.data.Deadlines {
		deadlines[k] = jsonTime{t}
	}
	if x.o.json {
		return writeJSON(x.sys.stdout, struct {
			Handle    string                     `json:"handle"`
			User      string                     `json:"user"`
			Created   jsonTime                   `json:"created"`
			LastSeen  jsonTime                   `json:"last_seen"`
			Expires   jsonTime                   `json:"expires"`
			SignedIn  jsonTime                   `json:"signed_in"`
			Persist   string                     `json:"persist,omitempty"`
			Size      int                        `json:"size"`
			UserAgent string                     `json:"user_agent"`
			Values    map[string]json.RawMessage `json:"values"`
			Deadlines map[string]jsonTime        `json:"deadlines,omitempty"`
		}{r.handle, r.user(), jsonTime{r.data.Created}, jsonTime{r.lastSeen(x.o.idle, now)}, jsonTime{r.rec.Expires},
			jsonTime{r.data.SignedIn}, persist(r.data.Persist), len(r.rec.Data), r.data.UserAgent, values, deadlines})
	}
	tw := table(x.sys.stdout)
	for _, row := range [][2]string{
		{"handle", r.handle},
		{"user", oneLine(r.user(), 200)},
		{"created", fmtTime(r.data.Created)},
		{"last seen", fmtTime(r.lastSeen(x.o.idle, now)) + " (estimated from --idle " + x.o.idle.String() + ")"},
		{"expires", fmtTime(r.rec.Expires)},
		{"signed in", fmtTime(r.data.SignedIn)},
		{"persist", oneLine(persist(r.data.Persist), 40)},
		{"size", fmt.Sprintf("%d bytes", len(r.rec.Data))},
		{"user agent", oneLine(r.data.UserAgent, 200)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
	}
	tw.Flush()
	if len(deadlines) > 0 {
		fmt.Fprintln(x.sys.stdout, "value deadlines:")
		for _, k := range slices.Sorted(mapKeys(deadlines)) {
			fmt.Fprintf(x.sys.stdout, "  %s: %s\n", oneLine(k, 80), fmtTime(deadlines[k].Time))
		}
	}
	fmt.Fprintln(x.sys.stdout, "values:")
	b, err := json.Marshal(values)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, b, "", "  "); err != nil {
		return err
	}
	pretty.WriteByte('\n')
	_, err = pretty.WriteTo(x.sys.stdout)
	return err
}

func persist(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return d.String()
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func runEnd(ctx context.Context, x *cmd) error {
	nargs := 1
	if x.o.user != "" {
		nargs = 0
	} else if x.o.except != "" {
		return fail(exitUsage, "--except goes with --user")
	}
	st, rest, where, closeFn, err := x.openOne(ctx, nargs)
	if err != nil {
		return err
	}
	defer closeFn()
	var targets []*record
	var question string
	if x.o.user == "" {
		if err := checkHandle(rest[0]); err != nil {
			return err
		}
		r, err := x.find(ctx, st, where, rest[0])
		if err != nil {
			return err
		}
		targets = []*record{r}
		who := "no user"
		if u := r.user(); u != "" {
			who = fmt.Sprintf("user %q", oneLine(u, 80))
		}
		question = fmt.Sprintf("End session %s (%s) in %s?", r.handle, who, where)
	} else {
		if x.o.except != "" {
			if err := checkHandle(x.o.except); err != nil {
				return err
			}
		}
		recs, _, err := x.userRecords(ctx, st, where, x.o.user)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return fail(exitNotFound, "user %q has no live session in %s", x.o.user, where)
		}
		kept := false
		for _, r := range recs {
			if r.handle == x.o.except {
				kept = true
				continue
			}
			targets = append(targets, r)
		}
		if x.o.except != "" && !kept {
			return fail(exitNotFound, "--except %s is not a live session of user %q: nothing ended", x.o.except, x.o.user)
		}
		slices.SortFunc(targets, func(a, b *record) int { return strings.Compare(a.handle, b.handle) })
		question = fmt.Sprintf("End %d session(s) of user %q in %s?", len(targets), x.o.user, where)
	}
	if len(targets) > 0 {
		if err := x.confirm(question); err != nil {
			return err
		}
	}
	var ended []string
	for _, r := range targets {
		if err := st.Delete(ctx, r.key); err != nil {
			x.printEnded(ended)
			return fmt.Errorf("end session %s: %w", r.handle, hideKey(r.key, err))
		}
		ended = append(ended, r.handle)
	}
	return x.printEnded(ended)
}

func (x *cmd) printEnded(ended []string) error {
	if ended == nil {
		ended = []string{}
	}
	if x.o.json {
		return writeJSON(x.sys.stdout, struct {
			Ended   int      `json:"ended"`
			Handles []string `json:"handles"`
		}{len(ended), ended})
	}
	for _, h := range ended {
		fmt.Fprintf(x.sys.stdout, "ended %s\n", h)
	}
	fmt.Fprintf(x.sys.stdout, "%d session(s) ended\n", len(ended))
	return nil
}

func runPurge(ctx context.Context, x *cmd) error {
	if !x.o.expired {
		return fail(exitUsage, "say what to purge: --expired")
	}
	st, _, where, closeFn, err := x.openOne(ctx, 0)
	if err != nil {
		return err
	}
	defer closeFn()
	p, ok := st.(sesh.Purger)
	if !ok {
		return unsupported(where, st, "sesh.Purger (Purge)", "its engine expires records by itself; there is nothing to purge")
	}
	n, err := p.Purge(ctx)
	if err != nil {
		return fmt.Errorf("purge %s (after %d record(s)): %w", where, n, err)
	}
	if x.o.json {
		return writeJSON(x.sys.stdout, struct {
			Store  string `json:"store"`
			Purged int    `json:"purged"`
		}{where, n})
	}
	fmt.Fprintf(x.sys.stdout, "purged %d expired record(s) from %s\n", n, where)
	return nil
}

// sizeBuckets are the upper bounds of the size histogram, in bytes.
var sizeBuckets = []int{256, 1 << 10, 4 << 10, 16 << 10, 64 << 10}

func runStats(ctx context.Context, x *cmd) error {
	st, _, where, closeFn, err := x.openOne(ctx, 0)
	if err != nil {
		return err
	}
	defer closeFn()
	type userCount struct {
		User     string `json:"user"`
		Sessions int    `json:"sessions"`
	}
	type bucket struct {
		MaxBytes int `json:"max_bytes"` // 0: larger than the last bound
		Sessions int `json:"sessions"`
	}
	var out struct {
		Store       string      `json:"store"`
		Sessions    int         `json:"sessions"`
		Bytes       int64       `json:"bytes"`
		Users       int         `json:"users"`
		Anonymous   int         `json:"anonymous"`
		Undecodable int         `json:"undecodable"`
		Skipped     skipped     `json:"skipped"`
		ByUser      []userCount `json:"by_user"`
		Sizes       []bucket    `json:"sizes"`
	}
	out.Store = where
	byUser := map[string]int{}
	sizes := make([]int, len(sizeBuckets)+1)
	out.Skipped, err = x.walk(ctx, st, where, "it cannot enumerate its records", func(r *record) bool {
		out.Sessions++
		out.Bytes += int64(len(r.rec.Data))
		if r.decErr != nil {
			out.Undecodable++
		}
		if u := r.user(); u != "" {
			byUser[u]++
		} else {
			out.Anonymous++
		}
		i, _ := slices.BinarySearch(sizeBuckets, len(r.rec.Data))
		sizes[i]++
		return true
	})
	if err != nil {
		return err
	}
	out.Users = len(byUser)
	out.ByUser = []userCount{}
	for u, n := range byUser {
		out.ByUser = append(out.ByUser, userCount{u, n})
	}
	slices.SortFunc(out.ByUser, func(a, b userCount) int {
		if a.Sessions != b.Sessions {
			return b.Sessions - a.Sessions
		}
		return strings.Compare(a.User, b.User)
	})
	if x.o.top > 0 && len(out.ByUser) > x.o.top {
		out.ByUser = out.ByUser[:x.o.top]
	}
	for i, n := range sizes {
		b := bucket{Sessions: n}
		if i < len(sizeBuckets) {
			b.MaxBytes = sizeBuckets[i]
		}
		out.Sizes = append(out.Sizes, b)
	}
	if x.o.json {
		return writeJSON(x.sys.stdout, out)
	}
	w := x.sys.stdout
	fmt.Fprintf(w, "store:      %s\nsessions:   %d (%d bytes)\nusers:      %d (and %d anonymous session(s))\nskipped:    %d tombstone(s), %d lock(s)\n",
		where, out.Sessions, out.Bytes, out.Users, out.Anonymous, out.Skipped.Tombstones, out.Skipped.Locks)
	if out.Undecodable > 0 {
		fmt.Fprintf(w, "undecodable with --codec %s: %d\n", x.o.codec, out.Undecodable)
	}
	fmt.Fprintln(w, "\nsessions by size:")
	tw := table(w)
	for _, b := range out.Sizes {
		label := "> " + byteSize(sizeBuckets[len(sizeBuckets)-1])
		if b.MaxBytes > 0 {
			label = "<= " + byteSize(b.MaxBytes)
		}
		fmt.Fprintf(tw, "  %s\t%d\n", label, b.Sessions)
	}
	tw.Flush()
	if len(out.ByUser) > 0 {
		fmt.Fprintf(w, "\nusers with the most sessions:\n")
		tw = table(w)
		for _, u := range out.ByUser {
			fmt.Fprintf(tw, "  %s\t%d\n", oneLine(u.User, 64), u.Sessions)
		}
		tw.Flush()
	}
	return nil
}

func byteSize(n int) string {
	if n >= 1<<10 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

func runPing(ctx context.Context, x *cmd) error {
	if x.o.timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	start := time.Now()
	st, _, where, closeFn, err := x.openOne(ctx, 0)
	if err != nil {
		return err
	}
	defer closeFn()
	p, ok := st.(sesh.Pinger)
	if !ok {
		return unsupported(where, st, "sesh.Pinger (Ping)", "it has no server to ask (opening it succeeded)")
	}
	pingStart := time.Now()
	if err := p.Ping(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", where, err)
	}
	took := time.Since(pingStart)
	if x.o.json {
		return writeJSON(x.sys.stdout, struct {
			Store  string  `json:"store"`
			OK     bool    `json:"ok"`
			PingMS float64 `json:"ping_ms"`
			OpenMS float64 `json:"open_ms"`
		}{where, true, ms(took), ms(pingStart.Sub(start))})
	}
	fmt.Fprintf(x.sys.stdout, "ok: %s answered in %s\n", where, took.Round(10*time.Microsecond))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
