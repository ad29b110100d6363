package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSetAndDump(t *testing.T) {
	h, err := newHandler(func(k string) string { return map[string]string{"SECRET": "s3cr3t"}[k] })
	if err != nil {
		t.Fatal(err)
	}
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
	get("/set?k=user&v=bob")
	if d := get("/dump"); d != `{"user":"bob"}` {
		t.Fatalf("dump %s", d)
	}
	// A cookie written by Remix (set user, flash error): the flash shows once.
	u, _ := http.NewRequest("GET", srv.URL, nil)
	jar.SetCookies(u.URL, []*http.Cookie{{Name: "__session", Value: "eyJ1c2VyIjoibWphY2tzb24iLCJfX2ZsYXNoX2Vycm9yX18iOiJib29tIn0%3D.D6e7UYsSCyWpl802kmpbRwdm3b9jXiTP2CMq4pkikoQ", Path: "/"}})
	if d := get("/dump"); d != `{"error":"boom","user":"mjackson"}` {
		t.Fatalf("dump of Remix's cookie: %s", d)
	}
	if d := get("/dump"); d != `{"user":"mjackson"}` {
		t.Fatalf("the flash survived its read: %s", d)
	}
	if _, err := newHandler(func(string) string { return "" }); err == nil {
		t.Fatal("no SECRET accepted")
	}
}
