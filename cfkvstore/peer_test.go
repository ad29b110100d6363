package cfkvstore

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/compat/remix"
	"github.com/sesh-go/sesh/internal/nodepeer"
)

// remixPeer calls the engine's Remix side: @remix-run/cloudflare's
// createWorkersKVSessionStorage on the same KV namespace.
type remixPeer struct {
	t      *testing.T
	url    string
	secret string
}

func (p remixPeer) call(route string, in map[string]any) map[string]any {
	p.t.Helper()
	in["secrets"] = []string{p.secret}
	in["maxAge"] = 3600
	b, _ := json.Marshal(in)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", p.url+route, bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("Remix %s: %d %s", route, resp.StatusCode, body)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		p.t.Fatalf("Remix %s: %s: %v", route, body, err)
	}
	return out
}

// commit has Remix set values and commit; it returns the Cookie header.
func (p remixPeer) commit(cookie string, set map[string]any) string {
	p.t.Helper()
	sc, _ := p.call("/remix/commit", map[string]any{"cookie": cookie, "set": set})["setCookie"].(string)
	name, _, _ := strings.Cut(sc, ";")
	return name
}

func (p remixPeer) read(cookie string) (string, map[string]any) {
	p.t.Helper()
	out := p.call("/remix/read", map[string]any{"cookie": cookie})
	id, _ := out["id"].(string)
	data, _ := out["data"].(map[string]any)
	return id, data
}

// TestRemixPeer shares sessions with the real createWorkersKVSessionStorage
// (@remix-run/cloudflare 2.17) on one namespace, both ways, with logout on
// either side.
func TestRemixPeer(t *testing.T) {
	e := testEngine(t)
	requirePeer(t, e)
	const secret = "kv s3cr3t"
	st, err := NewRemix(e.options()) // no prefix: Remix's raw IDs
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var cfg sesh.Config
	if err := remix.ConfigureIDStorage(&cfg, st, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	m, err := sesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(hdr string, fn func(s *sesh.Session)) string { return nodepeer.Serve(t, m, hdr, fn) }
	peer := remixPeer{t: t, url: e.peer, secret: secret}
	r := raw{e, t}
	var ids []string
	defer func() {
		for _, id := range ids {
			st.Delete(context.Background(), id)
		}
	}()

	t.Run("RemixWritesGoReads", func(t *testing.T) {
		peer.t = t
		hdr := peer.commit("", map[string]any{"user": "bob"})
		id, _ := peer.read(hdr)
		ids = append(ids, id)
		k, ok := r.listed(id)
		if !ok || len(k.Metadata) != 0 && string(k.Metadata) != "null" {
			t.Fatalf("Remix's pair: %+v (listed %v): want no metadata", k, ok)
		}
		if d := int64(k.Expiration) - time.Now().Add(time.Hour).Unix(); d < -5 || d > 5 {
			t.Fatalf("Remix's KV expiration %v, want about an hour ahead", k.Expiration)
		}
		var user string
		hdr2 := serve(hdr, func(s *sesh.Session) {
			user, _ = sesh.Get[string](s, "user")
			s.Set("views", 1)
		})
		if user != "bob" {
			t.Fatalf("Go read user %q from Remix's session", user)
		}
		gotID, data := peer.read(hdr2)
		if gotID != id || data["user"] != "bob" || data["views"] != float64(1) {
			t.Fatalf("Remix after Go's write: id %q (was %q), data %v", gotID, id, data)
		}
		if k, _ := r.listed(id); !strings.Contains(string(k.Metadata), metaField) {
			t.Fatalf("Go's rewrite has metadata %s", k.Metadata)
		}
		// Remix logs out; Go no longer sees the session.
		peer.call("/remix/destroy", map[string]any{"cookie": hdr2})
		user = "?"
		serve(hdr2, func(s *sesh.Session) { user, _ = sesh.Get[string](s, "user") })
		if user != "" {
			t.Fatalf("Go still reads user %q after Remix's destroySession", user)
		}
	})

	t.Run("GoWritesRemixReads", func(t *testing.T) {
		peer.t = t
		hdr := serve("", func(s *sesh.Session) { s.Set("user", "alice") })
		id, data := peer.read(hdr)
		ids = append(ids, id)
		if len(id) != 16 || data["user"] != "alice" {
			t.Fatalf("Remix read Go's session as id %q, data %v", id, data)
		}
		v, _ := r.value(id)
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(v, &obj); err != nil || string(obj["user"]) != `"alice"` {
			t.Fatalf("stored value %s: want Remix's data object at the top level", v)
		}
		hdr = peer.commit(hdr, map[string]any{"cart": 3})
		var cart int
		serve(hdr, func(s *sesh.Session) { cart, _ = sesh.Get[int](s, "cart") })
		if cart != 3 {
			t.Fatalf("Go read cart %d after Remix's update", cart)
		}
		// Go logs out; Remix no longer sees the session.
		serve(hdr, func(s *sesh.Session) { s.Destroy() })
		if _, data := peer.read(hdr); len(data) != 0 {
			t.Fatalf("Remix still reads %v after Go's Destroy", data)
		}
	})
}
