package dynamostore

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/remix"
	"github.com/sesh-go/sesh/internal/nodepeer"
	"github.com/sesh-go/sesh/storetest"
)

// remixTable is the Arc table shared with the real Remix; its store has no
// prefix, since Remix looks items up by the bare ID.
const remixTable = "sesh_test_remix"

const remixSecret = "arc s3cr3t"

// remixPeer runs testdata/dynalite/remix.js: @remix-run/architect's
// createArcTableSessionStorage over @architect/functions' table client.
type remixPeer struct {
	t     *testing.T
	port  string
	table string
}

func newRemixPeer(t *testing.T) *remixPeer {
	t.Helper()
	u, _ := url.Parse(endpoint(t))
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		t.Fatalf("endpoint %s: %v", u, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		// Architect's sandbox client dials localhost:<ports.tables> only.
		storetest.Unavailable(t, "the Remix peer (Architect reaches tables on localhost only; "+EndpointEnv+" is "+u.String()+")", nil)
	}
	return &remixPeer{t: t, port: port, table: remixTable}
}

// run runs one command of remix.js and decodes its JSON output.
func (p *remixPeer) run(args ...string) map[string]any {
	p.t.Helper()
	out := nodepeer.Run(p.t, peerDir, append([]string{"remix.js", p.port, p.table, remixSecret}, args...)...)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		p.t.Fatalf("remix.js %s: %q: %v", strings.Join(args, " "), out, err)
	}
	return m
}

// cookieOf returns "__session=<value>" from a Set-Cookie line.
func cookieOf(t *testing.T, setCookie string) string {
	t.Helper()
	pair, _, _ := strings.Cut(setCookie, ";")
	if !strings.HasPrefix(pair, "__session=") {
		t.Fatalf("Set-Cookie %q is not Remix's __session", setCookie)
	}
	return pair
}

// idOf decodes the session ID a Remix cookie carries.
func idOf(t *testing.T, header string) string {
	t.Helper()
	v, err := url.PathUnescape(strings.TrimPrefix(header, "__session="))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := remix.NewIDCookie([]byte(remixSecret))
	id, ok := c.DecodeID(v)
	if !ok {
		t.Fatalf("cookie %q does not carry a signed ID", header)
	}
	return id
}

func wantJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		t.Fatalf("%s = %s, want %s", what, g, want)
	}
}

// TestRemixPeer shares an Arc table with the real Remix
// (createArcTableSessionStorage from @remix-run/architect 2.17.0 over
// @architect/functions 5.4.1 and lib-dynamodb), both ways: a session the Go
// store writes reads in Remix with its values as top-level attributes and
// _idx/_ttl taken off; a session Remix creates or rewrites reads in Go and
// survives Go's compare-and-set; a destroy on either side ends it for both.
func TestRemixPeer(t *testing.T) {
	peer := newRemixPeer(t)
	store, err := NewArc(client(t), Options{Table: remixTable})
	if err != nil {
		t.Fatal(err)
	}
	ensureTable(t, store.Store)
	clearOnCleanup(t, store.Store) // the whole table: only this test uses it
	var cfg sesh.Config
	if err := remix.ConfigureIDStorage(&cfg, store, []byte(remixSecret)); err != nil {
		t.Fatal(err)
	}
	m, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(hdr string, fn func(s *sesh.Session)) string { return nodepeer.Serve(t, m, hdr, fn) }

	var goHdr string
	t.Run("GoWritesRemixReads", func(t *testing.T) {
		goHdr = serve("", func(s *sesh.Session) {
			s.Set("user", "alice")
			s.Set("cart", []any{1, 2.5, "x", nil, true})
			s.Set("n", 42)
			s.Flash("notice", "saved")
			s.SetUserID("user-1")
		})
		id := idOf(t, goHdr)
		if len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("session ID %q: want Remix's 16 lower-case hex digits", id)
		}
		// The item as Architect's table.get returns it to readData.
		item := peer.run("get", id)
		if item["_idx"] != id {
			t.Fatalf("_idx = %v, want %s", item["_idx"], id)
		}
		ttl, ok := item["_ttl"].(float64)
		if exp := time.Now().Add(30 * time.Minute).Unix(); !ok || ttl < float64(exp-60) || ttl > float64(exp+60) {
			t.Fatalf("_ttl = %v, want about %d (the idle deadline in Unix seconds)", item["_ttl"], exp)
		}
		wantJSON(t, "user", item["user"], `"alice"`)
		wantJSON(t, "cart", item["cart"], `[1,2.5,"x",null,true]`)
		wantJSON(t, "n", item["n"], `42`)
		wantJSON(t, "__flash_notice__", item["__flash_notice__"], `"saved"`)
		wantJSON(t, "_sesh_user", item["_sesh_user"], `"user-1"`)
		if meta, ok := item["_sesh"].(map[string]any); !ok || meta["t"] != ttl {
			t.Fatalf("_sesh = %v, want sesh's record fields with t = _ttl", item["_sesh"])
		}
		if _, ok := item["__sesh"].(map[string]any); !ok {
			t.Fatalf("__sesh = %v, want the codec's metadata as a map", item["__sesh"])
		}
		// And what getSession makes of it: readData's result.
		got := peer.run("read", goHdr)
		if got["id"] != id {
			t.Fatalf("Remix's session id = %v, want %s", got["id"], id)
		}
		data := got["data"].(map[string]any)
		if _, ok := data["_idx"]; ok {
			t.Fatal("readData kept _idx")
		}
		if _, ok := data["_ttl"]; ok {
			t.Fatal("readData kept _ttl")
		}
		wantJSON(t, "Remix's user", data["user"], `"alice"`)
		wantJSON(t, "Remix's cart", data["cart"], `[1,2.5,"x",null,true]`)
		wantJSON(t, "Remix's flash", data["__flash_notice__"], `"saved"`)
	})

	var remixHdr string
	t.Run("RemixWritesGoReads", func(t *testing.T) {
		w := peer.run("write", "-", `{"user":"bob","n":7,"prefs":{"theme":"dark","sizes":[1,2]}}`, `{"error":"boom"}`, "3600")
		remixHdr = cookieOf(t, w["setCookie"].(string))
		var user, flash, theme string
		var n int
		var exp time.Time
		hdr := serve(remixHdr, func(s *sesh.Session) {
			user, _ = sesh.Get[string](s, "user")
			n, _ = sesh.Get[int](s, "n")
			prefs, _ := sesh.Get[map[string]any](s, "prefs")
			theme, _ = prefs["theme"].(string)
			flash, _ = sesh.Get[string](s, "error")
			exp = s.Meta().Expires
			s.Set("views", 1)
		})
		if user != "bob" || n != 7 || theme != "dark" || flash != "boom" {
			t.Fatalf("Go read user %q n %d theme %q flash %q from Remix's item", user, n, theme, flash)
		}
		if want := time.Now().Add(time.Hour); exp.Before(want.Add(-time.Minute)) || exp.After(want.Add(time.Minute)) {
			t.Fatalf("Go read the deadline %v, want about %v (Remix's maxAge)", exp, want)
		}
		if hdr != remixHdr {
			t.Fatalf("Go replaced Remix's cookie %q with %q", remixHdr, hdr)
		}
		data := peer.run("read", remixHdr)["data"].(map[string]any)
		wantJSON(t, "Remix's user after Go's write", data["user"], `"bob"`)
		wantJSON(t, "Remix's views after Go's write", data["views"], `1`)
		wantJSON(t, "Remix's prefs after Go's write", data["prefs"], `{"theme":"dark","sizes":[1,2]}`)
		if _, ok := data["__flash_error__"]; ok {
			t.Fatal("the flash value Go read is still there for Remix")
		}
	})

	t.Run("RemixRewritesGoSession", func(t *testing.T) {
		// Remix's updateData puts the whole item back, sesh's attributes as
		// it read them, with a new _ttl.
		peer.run("write", goHdr, `{"theme":"light"}`, `{}`, "7200")
		var user, theme, notice string
		serve(goHdr, func(s *sesh.Session) {
			user, _ = sesh.Get[string](s, "user")
			theme, _ = sesh.Get[string](s, "theme")
			notice, _ = sesh.Get[string](s, "notice") // Remix did not read the flash: still there
			s.Set("views", 2)
		})
		if user != "alice" || theme != "light" || notice != "saved" {
			t.Fatalf("Go read user %q theme %q notice %q after Remix's rewrite", user, theme, notice)
		}
		data := peer.run("read", goHdr)["data"].(map[string]any)
		wantJSON(t, "Remix's view of Go's write over its rewrite", map[string]any{"user": data["user"], "theme": data["theme"], "views": data["views"]},
			`{"user":"alice","theme":"light","views":2}`)
		// Remix carried _sesh_user along: the user index still finds it.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		recs, err := store.ByUser(ctx, "user-1")
		if _, ok := recs[idOf(t, goHdr)]; err != nil || !ok {
			t.Fatalf("ByUser(user-1) = %v, %v", recs, err)
		}
	})

	// What sesh leaves in the table besides sessions reads to Remix as an
	// empty session (readData returns every item it finds: nothing reads
	// as no session), and Remix's writes over it read in Go as Remix's.
	t.Run("TombstoneAndLock", func(t *testing.T) {
		onlyMeta := func(what string, data map[string]any) {
			t.Helper()
			if _, ok := data["_sesh"].(map[string]any); !ok || len(data) != 1 {
				t.Fatalf("Remix read %s as %v, want an empty session (sesh's _sesh only)", what, data)
			}
		}
		oldHdr := serve("", func(s *sesh.Session) { s.Set("user", "dave") })
		newHdr := serve(oldHdr, func(s *sesh.Session) { s.Regenerate() })
		if newHdr == oldHdr {
			t.Fatal("Regenerate kept the ID")
		}
		// The old ID holds a tombstone: Remix reads an empty session.
		onlyMeta("the tombstone", peer.run("read", oldHdr)["data"].(map[string]any))
		// A Remix request still carrying the old cookie writes there;
		// Go then reads Remix's session (not a tombstone for as long as
		// Remix's _ttl), and its writes reach Remix.
		peer.run("write", oldHdr, `{"theme":"dark"}`, `{}`, "3600")
		var theme, user string
		var status sesh.Status
		if hdr := serve(oldHdr, func(s *sesh.Session) {
			status = s.Status()
			theme, _ = sesh.Get[string](s, "theme")
			user, _ = sesh.Get[string](s, "user")
			s.Set("views", 1)
		}); hdr != oldHdr {
			t.Fatalf("Go replaced the cookie of Remix's session: %q", hdr)
		}
		if status != sesh.StatusUnmodified || theme != "dark" || user != "" {
			t.Fatalf("Go read Remix's write over the tombstone as %v theme %q user %q", status, theme, user)
		}
		data := peer.run("read", oldHdr)["data"].(map[string]any)
		wantJSON(t, "Remix's views", data["views"], `1`)
		wantJSON(t, "Remix's theme", data["theme"], `"dark"`)
		if got := peer.run("read", newHdr)["data"].(map[string]any); got["user"] != "dave" {
			t.Fatalf("the regenerated session: %v", got)
		}

		// A lock record (Config.Serialize), read while a request holds it,
		// through a cookie for its key (which only the secret can sign).
		var lcfg sesh.Config
		if err := remix.ConfigureIDStorage(&lcfg, store, []byte(remixSecret)); err != nil {
			t.Fatal(err)
		}
		lcfg.Serialize = true
		lm, err := sesh.New(lcfg)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := remix.NewIDCookie([]byte(remixSecret))
		lock := "lock:" + sesh.HashID(idOf(t, newHdr))
		var item, lockData map[string]any
		nodepeer.Serve(t, lm, newHdr, func(s *sesh.Session) {
			item = peer.run("get", lock)
			lockData = peer.run("read", "__session="+c.EncodeID(lock))["data"].(map[string]any)
		})
		if item["_idx"] != lock {
			t.Fatalf("no lock record while the request ran: %v", item)
		}
		onlyMeta("the lock record", lockData)
	})

	t.Run("DestroyEitherSide", func(t *testing.T) {
		peer.run("destroy", goHdr)
		var status sesh.Status
		var user string
		serve(goHdr, func(s *sesh.Session) {
			user, _ = sesh.Get[string](s, "user")
			status = s.Status()
		})
		if user != "" || status != sesh.StatusNew {
			t.Fatalf("after Remix's destroySession Go read user %q, status %v", user, status)
		}
		serve(remixHdr, func(s *sesh.Session) { s.Destroy() })
		got := peer.run("read", remixHdr)
		if data := got["data"].(map[string]any); len(data) != 0 {
			t.Fatalf("after Go's Destroy Remix read %v", data)
		}
		if item := peer.run("get", idOf(t, remixHdr)); len(item) != 0 {
			t.Fatalf("after Go's Destroy the item is still there: %v", item)
		}
	})
}
