package cookie

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every error Validate and SetCookie return.
var ErrInvalid = errors.New("cookie: invalid cookie")

// SameSite is the SameSite attribute. The zero value omits it.
type SameSite uint8

const (
	SameSiteOmit SameSite = iota
	SameSiteLax
	SameSiteStrict
	SameSiteNone
)

// Priority is Chromium's Priority attribute. The zero value omits it.
type Priority uint8

const (
	PriorityNone Priority = iota
	PriorityLow
	PriorityMedium
	PriorityHigh
)

// Attr names one Set-Cookie attribute, for Options.Order.
type Attr uint8

const (
	AttrMaxAge Attr = iota
	AttrDomain
	AttrPath
	AttrExpires
	AttrHttpOnly
	AttrSecure
	AttrPartitioned
	AttrPriority
	AttrSameSite
	numAttrs
)

var (
	// OrderDefault is net/http's order, with Priority last.
	OrderDefault = []Attr{AttrPath, AttrDomain, AttrExpires, AttrMaxAge, AttrHttpOnly, AttrSecure, AttrSameSite, AttrPartitioned, AttrPriority}
	// OrderJS is the order of the npm cookie package's serialize, which Remix uses.
	OrderJS = []Attr{AttrMaxAge, AttrDomain, AttrPath, AttrExpires, AttrHttpOnly, AttrSecure, AttrPartitioned, AttrPriority, AttrSameSite}
	// OrderExpress is express-session's order (it never writes Max-Age; if
	// one is set it comes first).
	OrderExpress = []Attr{AttrMaxAge, AttrDomain, AttrPath, AttrExpires, AttrHttpOnly, AttrSecure, AttrPartitioned, AttrPriority, AttrSameSite}
)

// MaxAgeCap is the longest Max-Age written: RFC 6265bis caps cookie
// lifetimes at 400 days.
const MaxAgeCap = 400 * 24 * 3600

// Options are a cookie's attributes.
type Options struct {
	Domain, Path string
	// Expires is written as an IMF-fixdate; zero omits it.
	Expires time.Time
	// MaxAge in seconds: 0 omits it, < 0 writes Max-Age=0, > 0 is capped
	// at MaxAgeCap.
	MaxAge                        int
	HttpOnly, Secure, Partitioned bool
	SameSite                      SameSite
	Priority                      Priority
	// Order lists the attributes in the order they are written; nil means
	// OrderDefault. An attribute that is set must appear in it.
	Order []Attr
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func checkAttrValue(what, v string) error {
	if len(v) > 1024 {
		return invalid("%s longer than 1024 bytes", what)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f || c == ';' {
			return invalid("%s contains %q", what, c)
		}
	}
	return nil
}

func validDomain(d string) bool {
	d = strings.TrimPrefix(d, ".")
	if d == "" || len(d) > 253 {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Validate checks a cookie's name and attributes against RFC 6265bis and
// what browsers enforce, so that nothing is dropped silently later.
func Validate(name string, o *Options) error {
	if !isToken(name) {
		return invalid("name %q is not an RFC 9110 token", name)
	}
	if err := checkAttrValue("Path", o.Path); err != nil {
		return err
	}
	if err := checkAttrValue("Domain", o.Domain); err != nil {
		return err
	}
	if o.Domain != "" && !validDomain(o.Domain) {
		return invalid("Domain %q is not a host name", o.Domain)
	}
	if o.SameSite > SameSiteNone {
		return invalid("unknown SameSite %d", o.SameSite)
	}
	if o.Priority > PriorityHigh {
		return invalid("unknown Priority %d", o.Priority)
	}
	if o.SameSite == SameSiteNone && !o.Secure {
		return invalid("SameSite=None requires Secure")
	}
	if o.Partitioned && !o.Secure {
		return invalid("Partitioned requires Secure")
	}
	if hasPrefixFold(name, "__Host-") {
		switch {
		case !o.Secure:
			return invalid("a __Host- cookie requires Secure")
		case o.Domain != "":
			return invalid("a __Host- cookie cannot have a Domain")
		case o.Path != "/":
			return invalid("a __Host- cookie requires Path=/")
		}
	}
	if hasPrefixFold(name, "__Secure-") && !o.Secure {
		return invalid("a __Secure- cookie requires Secure")
	}
	order := o.Order
	if order == nil {
		order = OrderDefault
	}
	var seen [numAttrs]bool
	for _, a := range order {
		if a >= numAttrs {
			return invalid("unknown attribute %d in Order", a)
		}
		if seen[a] {
			return invalid("attribute %d twice in Order", a)
		}
		seen[a] = true
	}
	set := map[Attr]bool{
		AttrMaxAge: o.MaxAge != 0, AttrDomain: o.Domain != "", AttrPath: o.Path != "",
		AttrExpires: !o.Expires.IsZero(), AttrHttpOnly: o.HttpOnly, AttrSecure: o.Secure,
		AttrPartitioned: o.Partitioned, AttrPriority: o.Priority != PriorityNone, AttrSameSite: o.SameSite != SameSiteOmit,
	}
	for a, on := range set {
		if on && !seen[a] {
			return invalid("attribute %d is set but missing from Order", a)
		}
	}
	return nil
}

// ValidValue reports whether v consists of RFC 6265 cookie-octets only.
func ValidValue(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\' {
			return false
		}
	}
	return true
}

// SetCookie validates the cookie and returns its Set-Cookie header value.
func SetCookie(name, value string, o *Options) (string, error) {
	if err := Validate(name, o); err != nil {
		return "", err
	}
	if !ValidValue(value) {
		return "", invalid("value of %s has characters outside cookie-octet", name)
	}
	return string(AppendSetCookie(nil, name, value, o)), nil
}

// AppendSetCookie appends "name=value; attributes" in o.Order to dst. It
// trusts that Validate(name, o) and ValidValue(value) hold.
func AppendSetCookie(dst []byte, name, value string, o *Options) []byte {
	dst = append(dst, name...)
	dst = append(dst, '=')
	dst = append(dst, value...)
	order := o.Order
	if order == nil {
		order = OrderDefault
	}
	for _, a := range order {
		switch a {
		case AttrPath:
			if o.Path != "" {
				dst = append(dst, "; Path="...)
				dst = append(dst, o.Path...)
			}
		case AttrDomain:
			if o.Domain != "" {
				dst = append(dst, "; Domain="...)
				dst = append(dst, o.Domain...)
			}
		case AttrExpires:
			if !o.Expires.IsZero() {
				dst = append(dst, "; Expires="...)
				dst = o.Expires.UTC().AppendFormat(dst, http.TimeFormat)
			}
		case AttrMaxAge:
			switch {
			case o.MaxAge > 0:
				dst = append(dst, "; Max-Age="...)
				dst = strconv.AppendInt(dst, int64(min(o.MaxAge, MaxAgeCap)), 10)
			case o.MaxAge < 0:
				dst = append(dst, "; Max-Age=0"...)
			}
		case AttrHttpOnly:
			if o.HttpOnly {
				dst = append(dst, "; HttpOnly"...)
			}
		case AttrSecure:
			if o.Secure {
				dst = append(dst, "; Secure"...)
			}
		case AttrPartitioned:
			if o.Partitioned {
				dst = append(dst, "; Partitioned"...)
			}
		case AttrPriority:
			switch o.Priority {
			case PriorityLow:
				dst = append(dst, "; Priority=Low"...)
			case PriorityMedium:
				dst = append(dst, "; Priority=Medium"...)
			case PriorityHigh:
				dst = append(dst, "; Priority=High"...)
			}
		case AttrSameSite:
			switch o.SameSite {
			case SameSiteLax:
				dst = append(dst, "; SameSite=Lax"...)
			case SameSiteStrict:
				dst = append(dst, "; SameSite=Strict"...)
			case SameSiteNone:
				dst = append(dst, "; SameSite=None"...)
			}
		}
	}
	return dst
}

// AppendExpire appends the Set-Cookie value that deletes the cookie: an
// empty value, Expires at the Unix epoch and, if o.Order has it, Max-Age=0,
// with o's Domain, Path, Secure, HttpOnly, Partitioned, SameSite and
// Priority (a browser deletes only the cookie that matches them).
func AppendExpire(dst []byte, name string, o *Options) []byte {
	e := *o
	e.Expires = time.Unix(0, 0)
	e.MaxAge = -1
	return AppendSetCookie(dst, name, "", &e)
}
