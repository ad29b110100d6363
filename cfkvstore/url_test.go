package cfkvstore

import (
	"io"
	"net/url"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

func TestOpenURL(t *testing.T) {
	e := testEngine(t)
	u := func(user *url.Userinfo, q url.Values) string {
		return (&url.URL{Scheme: "cfkv", User: user, Host: e.account, Path: "/" + e.namespace, RawQuery: q.Encode()}).String()
	}
	prefix := uniquePrefix()
	t.Setenv("SESH_TEST_CFKV_TOKEN", e.token)
	cases := map[string]string{
		"password":  u(url.UserPassword("", e.token), url.Values{"base_url": {e.base}, "prefix": {prefix}}),
		"token_env": u(nil, url.Values{"base_url": {e.base}, "prefix": {prefix}, "token_env": {"SESH_TEST_CFKV_TOKEN"}, "layout": {"native"}}),
	}
	t.Setenv(DefaultTokenEnv, e.token)
	cases["default env"] = u(nil, url.Values{"base_url": {e.base}, "prefix": {prefix}})
	for name, rawURL := range cases {
		st, err := sesh.Open(t.Context(), rawURL)
		if err != nil {
			t.Fatalf("%s: Open: %v", name, err)
		}
		s, ok := st.(*Store)
		if !ok || s.Prefix() != prefix || s.layout != layoutNative {
			t.Fatalf("%s: Open returned %T with prefix %q", name, st, s.Prefix())
		}
		if err := st.Set(t.Context(), "k", sesh.Record{Data: []byte("x"), Expires: time.Now().Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if _, ok := (raw{e, t}).listed(prefix + "k"); !ok {
			t.Fatalf("%s: the store opened by URL wrote elsewhere", name)
		}
		st.Delete(t.Context(), "k")
		st.(io.Closer).Close()
	}
	st, err := sesh.Open(t.Context(), u(url.UserPassword("", e.token), url.Values{"base_url": {e.base}, "layout": {"remix"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.(io.Closer).Close()
	if r, ok := st.(*RemixStore); !ok || r.Prefix() != "" {
		t.Fatalf("layout=remix opened %T", st)
	}
	if _, ok := st.(sesh.Creator); !ok {
		t.Fatal("the Remix layout is not a sesh.Creator")
	}
}

func TestOpenURLErrors(t *testing.T) {
	e := testEngine(t)
	t.Setenv(DefaultTokenEnv, "")
	good := "cfkv://:" + e.token + "@" + e.account + "/" + e.namespace
	base := "base_url=" + url.QueryEscape(e.base)
	storetest.OpenErrors(t, map[string]string{
		good + "?base_url=http://127.0.0.1:1/client/v4":                                      "127.0.0.1:1",   // nothing listens: the error names the server
		good + "?" + base + "&bogus=1":                                                       "bogus",         // unknown parameter
		good + "?" + base + "&layout=express":                                                "layout",        // unknown layout
		good + "?" + base + "&prefix=a&prefix=b":                                             "prefix",        // given twice
		good + "?" + base + "&prefix=a/b":                                                    "prefix",        // a character keys may not hold
		good + "?base_url=http://example.com/":                                               "loopback",      // a token in clear
		"cfkv://" + e.account + "/" + e.namespace + "?" + base:                               DefaultTokenEnv, // no token anywhere
		"cfkv://:" + e.token + "@" + e.account + "?" + base:                                  "namespace",     // no namespace
		"cfkv://:" + e.token + "@" + e.account + "/a/b?" + base:                              "namespace",     // a path that is no ID
		"cfkv://user:" + e.token + "@" + e.account + "/" + e.namespace + "?" + base:          "user name",
		"cfkv://:x@" + e.account + "/" + e.namespace + "?" + base + "&token_env=X":           "token_env",
		"cfkv://:wrong@" + e.account + "/" + e.namespace + "?" + base:                        "HTTP 403", // checked at Open
		"cfkv://:" + e.token + "@" + e.account + "/ffffffffffffffffffffffffffffffff?" + base: "namespace not found",
		"cfkv://:" + e.token + "@bad!account/" + e.namespace + "?" + base:                    "AccountID",
	})
}
