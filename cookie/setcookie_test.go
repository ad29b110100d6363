package cookie

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	bad := map[string]struct {
		name string
		o    Options
	}{
		"empty name":           {"", Options{}},
		"space in name":        {"sess id", Options{}},
		"semicolon in name":    {"a;b", Options{}},
		"non-ASCII name":       {"séance", Options{}},
		"path semicolon":       {"a", Options{Path: "/;x"}},
		"path CRLF":            {"a", Options{Path: "/\r\nX: y"}},
		"path control":         {"a", Options{Path: "/\x00"}},
		"domain semicolon":     {"a", Options{Domain: "a.com;x"}},
		"domain space":         {"a", Options{Domain: "a .com"}},
		"path too long":        {"a", Options{Path: "/" + strings.Repeat("p", 1024)}},
		"None insecure":        {"a", Options{SameSite: SameSiteNone}},
		"Partitioned insecure": {"a", Options{Partitioned: true}},
		"__Host- insecure":     {"__Host-a", Options{Path: "/"}},
		"__host- domain":       {"__host-a", Options{Path: "/", Secure: true, Domain: "a.com"}},
		"__HOST- path":         {"__HOST-a", Options{Path: "/x", Secure: true}},
		"__Host- no path":      {"__Host-a", Options{Secure: true}},
		"__Secure- insecure":   {"__sEcUrE-a", Options{}},
		"duplicate order":      {"a", Options{Order: []Attr{AttrPath, AttrPath}}},
		"set but not ordered":  {"a", Options{HttpOnly: true, Order: []Attr{AttrPath}}},
		"unknown samesite":     {"a", Options{SameSite: 9}},
	}
	for what, c := range bad {
		if err := Validate(c.name, &c.o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate = %v", what, err)
		}
	}
	good := map[string]struct {
		name string
		o    Options
	}{
		"plain":    {"session", Options{Path: "/", HttpOnly: true, SameSite: SameSiteLax}},
		"host":     {"__Host-session", Options{Path: "/", Secure: true}},
		"secure":   {"__Secure-s", Options{Secure: true, Domain: "example.com"}},
		"none":     {"s", Options{SameSite: SameSiteNone, Secure: true, Partitioned: true}},
		"priority": {"s", Options{Priority: PriorityHigh}},
	}
	for what, c := range good {
		if err := Validate(c.name, &c.o); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
}

func TestAppendSetCookieOrders(t *testing.T) {
	exp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	o := Options{MaxAge: 3600, Domain: "example.com", Path: "/app", Expires: exp, HttpOnly: true, Secure: true,
		Partitioned: true, Priority: PriorityHigh, SameSite: SameSiteStrict}
	cases := map[string]struct {
		order []Attr
		want  string
	}{
		"default": {nil, "c=V; Path=/app; Domain=example.com; Expires=Fri, 02 Jan 2026 03:04:05 GMT; Max-Age=3600; HttpOnly; Secure; SameSite=Strict; Partitioned; Priority=High"},
		"js":      {OrderJS, "c=V; Max-Age=3600; Domain=example.com; Path=/app; Expires=Fri, 02 Jan 2026 03:04:05 GMT; HttpOnly; Secure; Partitioned; Priority=High; SameSite=Strict"},
	}
	for name, c := range cases {
		oo := o
		oo.Order = c.order
		got, err := SetCookie("c", "V", &oo)
		if err != nil || got != c.want {
			t.Errorf("%s:\n got %q %v\nwant %q", name, got, err, c.want)
		}
	}
	// Remix's destroySession output.
	if got := string(AppendExpire(nil, "__session", &Options{Path: "/", SameSite: SameSiteLax, Order: OrderJS})); got != "__session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax" {
		t.Errorf("expire (js) = %q", got)
	}
	noMaxAge := []Attr{AttrDomain, AttrPath, AttrExpires, AttrHttpOnly, AttrSecure, AttrPartitioned, AttrPriority, AttrSameSite}
	if got := string(AppendExpire(nil, "__session", &Options{Path: "/", SameSite: SameSiteLax, Order: noMaxAge})); got != "__session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax" {
		t.Errorf("expire without Max-Age in the order = %q", got)
	}
	if got := string(AppendSetCookie(nil, "a", "b", &Options{MaxAge: 1 << 30})); !strings.Contains(got, "Max-Age=34560000") {
		t.Errorf("Max-Age not capped: %q", got)
	}
	if got := string(AppendSetCookie(nil, "a", "b", &Options{MaxAge: -5})); got != "a=b; Max-Age=0" {
		t.Errorf("negative Max-Age: %q", got)
	}
	if _, err := SetCookie("a", "b c", &Options{}); !errors.Is(err, ErrInvalid) {
		t.Error("a value with a space was accepted")
	}
}

func BenchmarkAppendSetCookie(b *testing.B) {
	o := Options{Path: "/", HttpOnly: true, Secure: true, SameSite: SameSiteLax, MaxAge: 3600, Expires: time.Now()}
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendSetCookie(dst[:0], "session", "0123456789abcdef0123456789abcdef0123456789a", &o)
	}
}

func FuzzSetCookie(f *testing.F) {
	f.Add("session", "value", "/", "")
	f.Add("__Host-x", "v", "/", "a.com")
	f.Add("a;b", "v\r\n", "/;", "x y")
	f.Fuzz(func(t *testing.T, name, value, path, domain string) {
		o := Options{Path: path, Domain: domain, HttpOnly: true, SameSite: SameSiteLax}
		line, err := SetCookie(name, value, &o)
		if err != nil {
			return
		}
		c, perr := http.ParseSetCookie(line)
		if perr != nil || c.Name != name || c.Value != value {
			t.Fatalf("%q re-parsed as %+v, %v", line, c, perr)
		}
	})
}
