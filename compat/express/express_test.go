package express

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
)

// Vectors measured against cookie-signature and the cookie package in Node
// (see the reference notes on express-session).
var vectors = []struct{ sid, secret, value string }{
	{"apple", "keyboard cat", "s%3Aapple.D8Y%2BpkTAmeR0PobOhY4G97PRW%2Bj7bUnP%2F5m6%2FOn1MCU"},
	{"%", "keyboard cat", "s%3A%25.kzQ6x52kKVdF35Qh62AWk4ZekS28K5XYCXKa%2FOTZ01g"},
	{"/foo", "keyboard cat", "s%3A%2Ffoo.paEKBtAHbV5s1IB8B2zPnzAgYmmnRPIqObW4VRYj%2FMQ"},
	{"abc/+= x", "keyboard cat", "s%3Aabc%2F%2B%3D%20x.bta0D1HgFfaJ5JKW8c%2Fpm%2FYlCOdbtf4Kay%2BkvLjI%2B4w"},
}

// unescape is what sesh's cookie parser does to a value with a '%'.
func unescape(t *testing.T, v string) string {
	t.Helper()
	got := cookie.Values([]string{"c=" + v}, "c")
	if len(got) != 1 {
		t.Fatalf("cookie parse of %q: %q", v, got)
	}
	return got[0]
}

func TestCookieValueVectors(t *testing.T) {
	for _, v := range vectors {
		cv, err := NewCookieValue([]byte(v.secret))
		if err != nil {
			t.Fatal(err)
		}
		if got := cv.EncodeID(v.sid); got != v.value {
			t.Errorf("EncodeID(%q) = %q, want %q", v.sid, got, v.value)
		}
		if id, ok := cv.DecodeID(unescape(t, v.value)); !ok || id != v.sid {
			t.Errorf("DecodeID(%q) = %q, %v", v.value, id, ok)
		}
	}
}

func TestCookieValueRefusals(t *testing.T) {
	cv, _ := NewCookieValue([]byte("keyboard cat"))
	good := unescape(t, vectors[0].value) // s:apple.D8Y+…
	for name, v := range map[string]string{
		"no s: prefix":    strings.TrimPrefix(good, "s:"),
		"padding":         good + "=",
		"trailing":        good + "x",
		"truncated":       good[:len(good)-1],
		"other secret":    "s:" + mustSign(t, "apple", "another secret"),
		"no signature":    "s:apple",
		"empty":           "",
		"prefix only":     "s:",
		"garbage before":  "xs:" + strings.TrimPrefix(good, "s:"),
		"changed ID":      strings.Replace(good, "apple", "apply", 1),
		"url-safe base64": strings.NewReplacer("+", "-", "/", "_").Replace(good),
	} {
		if id, ok := cv.DecodeID(v); ok {
			t.Errorf("%s: DecodeID(%q) accepted (%q)", name, v, id)
		}
	}
}

func mustSign(t *testing.T, id, secret string) string {
	t.Helper()
	cv, err := NewCookieValue([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(unescape(t, cv.EncodeID(id)), "s:")
}

func TestRotation(t *testing.T) {
	old, _ := NewCookieValue([]byte("old secret"))
	both, _ := NewCookieValue([]byte("new secret"), []byte("old secret"))
	v := unescape(t, old.EncodeID("abc"))
	if id, ok := both.DecodeID(v); !ok || id != "abc" {
		t.Fatalf("a cookie signed with the old secret: %q %v", id, ok)
	}
	if both.EncodeID("abc") == old.EncodeID("abc") {
		t.Fatal("the first secret does not sign")
	}
	if _, err := NewCookieValue(); err == nil {
		t.Fatal("no secret accepted")
	}
}

func TestNewIDShape(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if len(id) != 32 || !ValidID(id) || seen[id] {
			t.Fatalf("NewID() = %q", id)
		}
		seen[id] = true
	}
}

// Records as express-session 1.19 writes them (measured, reference notes).
func TestDecodeNodeRecords(t *testing.T) {
	var d sesh.Data
	if err := (Codec{}).Decode([]byte(`{"cookie":{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/"}}`), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Values) != 0 || d.Persist != sesh.BrowserSession {
		t.Fatalf("empty record: %+v", d)
	}
	src := `{"cookie":{"originalMaxAge":60000,"partitioned":true,"priority":"high","expires":"2026-11-23T19:49:56.011Z","secure":false,"httpOnly":true,"domain":"example.com","path":"/","sameSite":"lax"},"user":{"name":"bob"},"n":1,"save":"ignored"}`
	if err := (Codec{}).Decode([]byte(src), &d); err != nil {
		t.Fatal(err)
	}
	if string(d.Values["user"]) != `{"name":"bob"}` || string(d.Values["n"]) != "1" || len(d.Values) != 2 {
		t.Fatalf("values: %q", d.Values)
	}
	if d.Persist != time.Minute {
		t.Fatalf("Persist = %v, want originalMaxAge's minute", d.Persist)
	}
	for _, bad := range []string{`{"n":1}`, `[]`, `{"cookie":1}`, `{`, `{"cookie":{},"__sesh":"x"}`, `{"cookie":null}`,
		`{"cookie":{"originalMaxAge":"42"}}`, `{"cookie":{"originalMaxAge":{}}}`} {
		if err := (Codec{}).Decode([]byte(bad), &d); !errors.Is(err, sesh.ErrDecode) {
			t.Errorf("Decode(%s) = %v, want ErrDecode", bad, err)
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	now = func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) }
	defer func() { now = time.Now }()
	c := Codec{Cookie: sesh.CookieConfig{Path: "/", SameSite: 0}}
	d := sesh.Data{
		Values:    map[string]json.RawMessage{"views": json.RawMessage("3"), "user": json.RawMessage(`{"name":"bob"}`), "fromNode": json.RawMessage(`[1,"x"]`)},
		Deadlines: map[string]time.Time{"views": time.UnixMilli(1800000000000)},
		Created:   time.UnixMilli(1700000000000),
		UserID:    "bob",
		Persist:   time.Hour,
	}
	b, err := c.Encode(nil, &d)
	if err != nil {
		t.Fatal(err)
	}
	// sesh's cookies are Secure by default, and the record says so, as
	// express-session records the secure it sent.
	want := `{"cookie":{"originalMaxAge":3600000,"expires":"2026-11-24T13:00:00.000Z","secure":true,"httpOnly":true,"path":"/","sameSite":"lax"},"fromNode":[1,"x"],"user":{"name":"bob"},"views":3,"__sesh":{"c":1700000000000,"u":"bob","t":{"views":1800000000000}}}`
	if string(b) != want {
		t.Fatalf("Encode =\n%s\nwant\n%s", b, want)
	}
	var back sesh.Data
	if err := c.Decode(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.UserID != "bob" || !back.Created.Equal(d.Created) || back.Persist != time.Hour || len(back.Values) != 3 ||
		!back.Deadlines["views"].Equal(d.Deadlines["views"]) {
		t.Fatalf("round trip: %+v", back)
	}
	d.Values["cookie"] = json.RawMessage("1")
	if _, err := c.Encode(nil, &d); err == nil {
		t.Fatal("a value named cookie was written over the record's cookie object")
	}
}
