package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh/storetest"
)

func TestRoundTrip(t *testing.T) {
	url := storetest.Service(t, "SESH_REDIS_URL")
	prefix := "seshtest-example:" + time.Now().Format("150405.000000") + ":"
	c, err := fromEnv(env{"REDIS_URL": url, "PREFIX": prefix, "SECRET": "keyboard cat"}.get)
	if err != nil {
		t.Fatal(err)
	}
	h, done, err := newHandler(c)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	srv := httptest.NewServer(h)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	get := func(path string) string {
		resp, err := hc.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b))
	}
	if get("/views") != "1" || get("/views") != "2" {
		t.Fatal("views do not count")
	}
	if d := get("/dump"); d != `{"views":2}` {
		t.Fatalf("dump %s", d)
	}
	get("/logout")
	if get("/views") != "1" {
		t.Fatal("logout did not end the session")
	}
	if _, err := fromEnv(func(string) string { return "" }); err == nil {
		t.Fatal("no SECRET accepted")
	}
}

type env map[string]string

func (e env) get(k string) string { return e[k] }
