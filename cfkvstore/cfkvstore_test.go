package cfkvstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// Both layouts keep the exact deadline in Unix milliseconds. Every call is
// an HTTP request to miniflare: a quarter of the concurrency load keeps the
// suite's checks at a busy machine's pace.
var precision = storetest.Options{Precision: time.Millisecond, Load: 0.25}

func TestConformance(t *testing.T) {
	e := testEngine(t)
	opts := precision
	opts.Corrupt = nativeCorruptions
	storetest.RunWith(t, func(t *testing.T) sesh.Store { return newNative(t, e, nil) }, opts)
}

func TestConformanceRemix(t *testing.T) {
	e := testEngine(t)
	storetest.RunWith(t, func(t *testing.T) sesh.Store { return newRemix(t, e, nil) }, precision)
}

// TestNativeLayout checks the documented native layout: the envelope, the
// metadata and the KV expiration, rounded up.
func TestNativeLayout(t *testing.T) {
	e := testEngine(t)
	s := newNative(t, e, nil)
	r := raw{e, t}
	exp := time.Now().Add(time.Hour).Truncate(time.Second).Add(250 * time.Millisecond)
	if err := s.Set(t.Context(), "k", sesh.Record{Data: []byte("hello"), Expires: exp, UserID: "alice"}); err != nil {
		t.Fatal(err)
	}
	v, expiration := r.value(s.Prefix() + "k")
	ver, rest, _ := strings.Cut(string(v), ":")
	if n, err := strconv.ParseInt(ver, 10, 64); err != nil || n <= 0 || rest != fmt.Sprintf("%d:5:alicehello", exp.UnixMilli()) {
		t.Fatalf("stored value %q", v)
	}
	if want := strconv.FormatInt(exp.Unix()+1, 10); expiration != want {
		t.Fatalf("KV expiration %s, want %s (the deadline rounded up)", expiration, want)
	}
	k, ok := r.listed(s.Prefix() + "k")
	if !ok || string(k.Metadata) != fmt.Sprintf(`{"%s":%d}`, metaField, exp.UnixMilli()) {
		t.Fatalf("metadata %s (listed %v)", k.Metadata, ok)
	}
	got, err := s.Get(t.Context(), "k")
	if err != nil || string(got.Data) != "hello" || got.UserID != "alice" || !got.Expires.Equal(exp) || got.Version != 0 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
}

// TestRemixLayout is the Remix layout check: the key is the raw ID, the
// value is JSON.stringify(data) and nothing else, and the KV expiration is
// Math.round(expires/1000), as createWorkersKVSessionStorage writes them.
func TestRemixLayout(t *testing.T) {
	e := testEngine(t)
	o := e.options() // no prefix: Remix's own layout
	s, err := NewRemix(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := raw{e, t}
	ctx := t.Context()
	for _, frac := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond} {
		id, err := s.Create(ctx, sesh.Record{Data: []byte(`{"user":"alice","n":1}`), Expires: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Delete(context.Background(), id) })
		if len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("Create minted %q, want Remix's 16 lower-case hex digits", id)
		}
		exp := time.Now().Add(2 * time.Hour).Truncate(time.Second).Add(frac)
		data := []byte(`{"user":"bob","cart":[1,2],"__flash_msg__":"hi"}`)
		if err := s.Set(ctx, id, sesh.Record{Data: data, Expires: exp}); err != nil {
			t.Fatal(err)
		}
		v, expiration := r.value(id) // the raw ID is the whole key
		if !bytes.Equal(v, data) {
			t.Fatalf("stored value %q, want the data alone: %q", v, data)
		}
		want := int64(math.Round(float64(exp.UnixMilli()) / 1000)) // Math.round(expires.getTime() / 1000)
		if expiration != strconv.FormatInt(want, 10) {
			t.Fatalf("KV expiration %s for a deadline %v, want %d", expiration, exp, want)
		}
		got, err := s.Get(ctx, id)
		if err != nil || !bytes.Equal(got.Data, data) || !got.Expires.Equal(exp) {
			t.Fatalf("Get = %+v, %v; want the exact deadline %v from the metadata", got, err, exp)
		}
	}
	// Bytes that are not UTF-8 JSON are wrapped, still as a JSON object.
	exp := time.Now().Add(time.Hour)
	for _, data := range [][]byte{{0, 1, 0xff}, []byte("\"\xff\""), []byte("plain text")} {
		id, err := s.Create(ctx, sesh.Record{Data: data, Expires: exp})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Delete(context.Background(), id) })
		v, _ := r.value(id)
		if !bytes.HasPrefix(v, []byte(`{"__sesh_bytes":"`)) {
			t.Fatalf("non-JSON data %q stored as %q", data, v)
		}
		if got, err := s.Get(ctx, id); err != nil || !bytes.Equal(got.Data, data) {
			t.Fatalf("Get of wrapped %q = %q, %v", data, got.Data, err)
		}
	}
}

// TestShortExpiry: KV refuses expirations under 60 s ahead; the store
// rounds them up and still ends the record at its own deadline.
func TestShortExpiry(t *testing.T) {
	e := testEngine(t)
	r := raw{e, t}
	// The engine enforces the service's rule, so the rounding is tested.
	if status, body := r.put("rule-check", fmt.Sprintf("?expiration=%d", time.Now().Unix()+2), []byte("x")); status != http.StatusBadRequest {
		t.Fatalf("PUT with an expiration 2 s ahead: %d %s, want 400 as the real service answers", status, body)
	}
	if status, body := r.put("rule-check", "?expiration_ttl=30", []byte("x")); status != http.StatusBadRequest {
		t.Fatalf("PUT with expiration_ttl=30: %d %s, want 400", status, body)
	}
	for name, st := range map[string]*Store{"native": newNative(t, e, nil), "remix": newRemix(t, e, nil).Store} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			exp := time.Now().Add(2 * time.Second)
			if err := st.Set(ctx, "short", sesh.Record{Data: []byte(`{"a":1}`), Expires: exp}); err != nil {
				t.Fatalf("Set of a record expiring in 2 s: %v", err)
			}
			k, ok := r.listed(st.Prefix() + "short")
			if !ok || int64(k.Expiration) < time.Now().Unix()+60 {
				t.Fatalf("KV expiration %v (listed %v), want at least a minute ahead", k.Expiration, ok)
			}
			if got, err := st.Get(ctx, "short"); err != nil || !got.Expires.Equal(exp.Truncate(time.Millisecond)) {
				t.Fatalf("Get before the deadline = %+v, %v", got, err)
			}
			time.Sleep(time.Until(exp) + 20*time.Millisecond)
			if _, err := st.Get(ctx, "short"); !errors.Is(err, sesh.ErrNotFound) {
				t.Fatalf("Get after the deadline = %v, want ErrNotFound", err)
			}
			if _, ok := r.listed(st.Prefix() + "short"); !ok {
				t.Fatal("KV no longer holds the pair: this test no longer shows that the deadline is checked in code")
			}
			if n, err := st.Len(ctx); err != nil || n != 0 {
				t.Fatalf("Len after the deadline = %d, %v", n, err)
			}
			var seen []string
			if err := st.Range(ctx, func(k string, _ sesh.Record) bool { seen = append(seen, k); return true }); err != nil || len(seen) != 0 {
				t.Fatalf("Range after the deadline saw %q, %v", seen, err)
			}
		})
	}
}

// TestRoundTrips checks the documented cost of each call.
func TestRoundTrips(t *testing.T) {
	e := testEngine(t)
	for _, name := range []string{"native", "remix"} {
		t.Run(name, func(t *testing.T) {
			hc, c := countingClient()
			mod := func(o *Options) { o.HTTPClient = hc }
			var st *Store
			if name == "native" {
				st = newNative(t, e, mod)
			} else {
				st = newRemix(t, e, mod).Store
			}
			ctx := t.Context()
			step := func(what string, want int64, fn func() error) {
				t.Helper()
				before := c.n.Load()
				if err := fn(); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if got := c.n.Load() - before; got != want {
					t.Fatalf("%s made %d requests, want %d", what, got, want)
				}
			}
			rec := sesh.Record{Data: []byte(`{"x":1}`), Expires: time.Now().Add(time.Hour)}
			step("Set", 1, func() error { return st.Set(ctx, "k", rec) })
			step("Get", 1, func() error { _, err := st.Get(ctx, "k"); return err })
			step("Get of a missing key", 1, func() error {
				if _, err := st.Get(ctx, "nope"); !errors.Is(err, sesh.ErrNotFound) {
					return fmt.Errorf("err = %v", err)
				}
				return nil
			})
			step("Delete", 1, func() error { return st.Delete(ctx, "k") })
			step("Set of a past record (a delete)", 1, func() error { return st.Set(ctx, "k", sesh.Record{Data: []byte("x")}) })
			step("Len", 1, func() error { _, err := st.Len(ctx); return err })
		})
	}
}

// TestPagination walks more keys than one page of the keys list, and (in
// the Remix layout) more than one bulk/get.
func TestPagination(t *testing.T) {
	e := testEngine(t)
	cases := []struct {
		name      string
		remix     bool
		limit, n  int
		pages     int64 // keys-list requests for one walk
		bulkCalls int64 // bulk/get requests for one Range
	}{
		{"native", false, 10, 25, 3, 0},
		{"remix", true, 10, 25, 3, 3},
		{"remixBulkBatches", true, 1000, 130, 1, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hc, cnt := countingClient()
			mod := func(o *Options) { o.HTTPClient = hc; o.ListLimit = c.limit }
			var st *Store
			if c.remix {
				st = newRemix(t, e, mod).Store
			} else {
				st = newNative(t, e, mod)
			}
			ctx := t.Context()
			want := map[string]bool{}
			for i := range c.n {
				k := fmt.Sprintf("k%03d", i)
				want[k] = true
				if err := st.Set(ctx, k, sesh.Record{Data: []byte(`"` + k + `"`), Expires: time.Now().Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			// Expired in code but kept by KV: listed, never reported.
			if err := st.Set(ctx, "dying", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(50 * time.Millisecond)}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(60 * time.Millisecond)
			cnt.keys.Store(0)
			cnt.bulk.Store(0)
			got := map[string]bool{}
			err := st.Range(ctx, func(k string, rec sesh.Record) bool {
				if got[k] {
					t.Errorf("Range reported %s twice", k)
				}
				got[k] = true
				if string(rec.Data) != `"`+k+`"` {
					t.Errorf("Range: %s holds %q", k, rec.Data)
				}
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("Range reported %d keys, want %d", len(got), len(want))
			}
			for k := range want {
				if !got[k] {
					t.Fatalf("Range missed %s", k)
				}
			}
			if p := cnt.keys.Load(); p != c.pages {
				t.Fatalf("Range read %d pages of the keys list, want %d", p, c.pages)
			}
			if b := cnt.bulk.Load(); b != c.bulkCalls {
				t.Fatalf("Range made %d bulk/get requests, want %d", b, c.bulkCalls)
			}
			if n, err := st.Len(ctx); err != nil || n != c.n {
				t.Fatalf("Len = %d, %v; want %d", n, err, c.n)
			}
			if err := st.Clear(ctx); err != nil {
				t.Fatal(err)
			}
			if n, err := st.Len(ctx); err != nil || n != 0 {
				t.Fatalf("Len after Clear = %d, %v", n, err)
			}
			if _, ok := (raw{e, t}).listed(st.Prefix() + "dying"); ok {
				t.Fatal("Clear left the expired pair in KV")
			}
		})
	}
}

// TestAuthFailure: a refused token or account is ErrAuth (never "not
// found"), the error does not contain the token, and a wrong namespace is
// a plain error.
func TestAuthFailure(t *testing.T) {
	e := testEngine(t)
	const secret = "wrong-token-do-not-print"
	cases := map[string]func(*Options){
		"token":   func(o *Options) { o.APIToken = secret },
		"account": func(o *Options) { o.AccountID = "00000000000000000000000000000000" },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			o := e.options()
			mod(&o)
			for layout, open := range map[string]func(Options) (sesh.Store, error){
				"native": func(o Options) (sesh.Store, error) { return New(o) },
				"remix":  func(o Options) (sesh.Store, error) { return NewRemix(o) },
			} {
				st, err := open(o)
				if err != nil {
					t.Fatal(err)
				}
				ctx := t.Context()
				_, gerr := st.Get(ctx, "k")
				serr := st.Set(ctx, "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Hour)})
				derr := st.Delete(ctx, "k")
				_, lerr := st.(sesh.Lister).Len(ctx)
				for op, err := range map[string]error{"Get": gerr, "Set": serr, "Delete": derr, "Len": lerr} {
					var ae *APIError
					if !errors.Is(err, ErrAuth) || errors.Is(err, sesh.ErrNotFound) || !errors.As(err, &ae) || ae.Status != http.StatusForbidden {
						t.Errorf("%s %s with a bad %s: %v, want ErrAuth from a 403", layout, op, name, err)
					}
					if err != nil && strings.Contains(err.Error(), secret) {
						t.Errorf("%s %s: the error shows the token: %v", layout, op, err)
					}
				}
			}
		})
	}
	t.Run("namespace", func(t *testing.T) {
		o := e.options()
		o.NamespaceID = "00000000000000000000000000000000"
		st, _ := New(o)
		_, err := st.Get(t.Context(), "k")
		var ae *APIError
		if errors.Is(err, sesh.ErrNotFound) || errors.Is(err, ErrAuth) || !errors.As(err, &ae) || ae.Status != http.StatusNotFound || !strings.Contains(err.Error(), "namespace not found") {
			t.Fatalf("Get in a namespace that does not exist = %v, want the API's 404 (not ErrNotFound)", err)
		}
	})
	t.Run("malformedHeader", func(t *testing.T) {
		status, _, body := (raw{engine{base: e.base, account: e.account, namespace: e.namespace, token: ""}, t}).do("GET", "/keys", "", nil)
		if status != http.StatusBadRequest || !strings.Contains(string(body), "6111") {
			t.Fatalf("no bearer token: %d %s", status, body)
		}
	})
}

// TestCorrupt: values under the prefix that the store did not write read
// as ErrCorrupt, not as data.
func TestCorrupt(t *testing.T) {
	e := testEngine(t)
	r := raw{e, t}
	exp := fmt.Sprintf("?expiration=%d", time.Now().Unix()+3600)
	st := newNative(t, e, nil)
	for i, v := range []string{"garbage", "12:", "0:1:0:", "5:x:0:data"} {
		k := fmt.Sprintf("c%d", i)
		if status, body := r.put(st.Prefix()+k, exp, []byte(v)); status != http.StatusOK {
			t.Fatalf("raw put: %d %s", status, body)
		}
		if _, err := st.Get(t.Context(), k); !errors.Is(err, sesh.ErrCorrupt) {
			t.Errorf("native Get over %q = %v, want ErrCorrupt", v, err)
		}
	}
	rs := newRemix(t, e, nil)
	if status, body := r.put(rs.Prefix()+"bad", exp, []byte(`{"__sesh_bytes":"!!!"}`)); status != http.StatusOK {
		t.Fatalf("raw put: %d %s", status, body)
	}
	if _, err := rs.Get(t.Context(), "bad"); !errors.Is(err, sesh.ErrCorrupt) {
		t.Errorf("remix Get over a damaged wrapper = %v, want ErrCorrupt", err)
	}
	// A pair Remix wrote (no metadata) reads with its KV expiration.
	at := time.Now().Unix() + 3600
	if status, body := r.put(rs.Prefix()+"fromremix", fmt.Sprintf("?expiration=%d", at), []byte(`{"user":"carol"}`)); status != http.StatusOK {
		t.Fatalf("raw put: %d %s", status, body)
	}
	got, err := rs.Get(t.Context(), "fromremix")
	if err != nil || string(got.Data) != `{"user":"carol"}` || got.Expires.Unix() != at {
		t.Fatalf("Get of a pair Remix wrote = %+v, %v; want its data and expiration %d", got, err, at)
	}
}

// TestTooLarge: a value over KV's limit fails before any request.
func TestTooLarge(t *testing.T) {
	e := testEngine(t)
	hc, c := countingClient()
	for _, st := range []sesh.Store{newNative(t, e, func(o *Options) { o.HTTPClient = hc }), newRemix(t, e, func(o *Options) { o.HTTPClient = hc })} {
		before := c.n.Load()
		err := st.Set(t.Context(), "big", sesh.Record{Data: make([]byte, MaxValueSize), Expires: time.Now().Add(time.Hour)})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Set of %d bytes = %v, want ErrTooLarge", MaxValueSize, err)
		}
		if c.n.Load() != before {
			t.Fatal("the oversized Set reached the API")
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	good := Options{AccountID: testAccount, NamespaceID: testNamespace, APIToken: testToken}
	if _, err := New(good); err != nil {
		t.Fatalf("good options: %v", err)
	}
	cases := map[string]func(*Options){
		"no account":        func(o *Options) { o.AccountID = "" },
		"account with /":    func(o *Options) { o.AccountID = "a/b" },
		"long namespace":    func(o *Options) { o.NamespaceID = strings.Repeat("a", 33) },
		"namespace with ..": func(o *Options) { o.NamespaceID = ".." },
		"no token":          func(o *Options) { o.APIToken = "" },
		"token with space":  func(o *Options) { o.APIToken = "a b" },
		"token with CRLF":   func(o *Options) { o.APIToken = "a\r\nX-Evil: 1" },
		"http remote":       func(o *Options) { o.BaseURL = "http://api.example.com/client/v4" },
		"ftp":               func(o *Options) { o.BaseURL = "ftp://127.0.0.1/" },
		"base with query":   func(o *Options) { o.BaseURL = "https://api.example.com/?a=1" },
		"base with user":    func(o *Options) { o.BaseURL = "https://u:p@api.example.com/" },
		"prefix too long":   func(o *Options) { o.Prefix = strings.Repeat("p", MaxPrefixLen+1) },
		"prefix with /":     func(o *Options) { o.Prefix = "a/" },
		"prefix with space": func(o *Options) { o.Prefix = "a " },
		"list limit 5":      func(o *Options) { o.ListLimit = 5 },
		"list limit 1001":   func(o *Options) { o.ListLimit = 1001 },
		"retries 11":        func(o *Options) { o.Retries = 11 },
	}
	for name, mod := range cases {
		o := good
		mod(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "X-Evil") || strings.Contains(err.Error(), ":p@") {
			t.Errorf("%s: the error shows a secret: %v", name, err)
		}
		if _, err := NewRemix(o); err == nil {
			t.Errorf("%s: accepted by NewRemix", name)
		}
	}
	for _, base := range []string{"http://127.0.0.1:8787/client/v4/", "http://[::1]:1", "http://localhost:1", "https://api.example.com"} {
		o := good
		o.BaseURL = base
		s, err := New(o)
		if err != nil {
			t.Errorf("base URL %s refused: %v", base, err)
		} else if strings.HasSuffix(s.base, "//accounts") {
			t.Errorf("base URL %s: trailing slash kept: %s", base, s.base)
		}
	}
}
