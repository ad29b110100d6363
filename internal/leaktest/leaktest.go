// Package leaktest helps the fuzz targets of URL parsers check that an
// error never shows the URL's password: an error shows it when its text
// contains the password and the same call, with another password of the
// same shape, gives an error that does not.
package leaktest

import (
	"net/url"
	"strings"
)

// kinds are the classes of bytes Replacement keeps: a parser that checks a
// password's characters (no spaces or control bytes, ASCII only) treats
// the replacement as it treats the password.
var kinds = []string{
	"abcdefghijklmnopqrstuvwxyz",
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"0123456789",
	"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
}

// Replacement returns a string of p's length in which every byte is
// replaced by another byte of its kind (lower-case letter, upper-case
// letter, digit, ASCII punctuation, space or control byte, non-ASCII byte)
// that p does not contain. ok is false when a kind has no such byte left.
func Replacement(p string) (_ string, ok bool) {
	b := []byte(p)
	for i, c := range b {
		var pool string
		switch {
		case c <= ' ' || c == 0x7f:
			pool = " \t\n\r\x00\x01\x02\x03\x7f"
		case c >= 0x80:
			pool = "\x80\x81\x82\x83\x84\x85\xfe\xff"
		default:
			for _, k := range kinds {
				if strings.IndexByte(k, c) >= 0 {
					pool = k
				}
			}
		}
		found := false
		for j := 0; j < len(pool) && !found; j++ {
			if strings.IndexByte(p, pool[j]) < 0 {
				b[i], found = pool[j], true
			}
		}
		if !found {
			return "", false
		}
	}
	return string(b), true
}

// Shows reports whether an error whose text is got shows the password p,
// given other: the text of the error of the same call with Replacement(p)
// in its place ("" if that call did not fail).
func Shows(got, p, other string) bool {
	return p != "" && strings.Contains(got, p) && !strings.Contains(other, p)
}

// ShowsPassword reports whether err, the error of a call on u, shows u's
// password: its text contains the password, and retry, the same call on u
// with Replacement of the password, returns an error that does not (or
// none). It is false when u has no password or err does not contain it,
// and when the password has no replacement (retry is then not called).
func ShowsPassword(u *url.URL, err error, retry func(*url.URL) error) bool {
	if u.User == nil {
		return false
	}
	p, set := u.User.Password()
	if !set || !strings.Contains(err.Error(), p) {
		return false
	}
	q, ok := Replacement(p)
	if !ok {
		return false
	}
	v := *u
	v.User = url.UserPassword(u.User.Username(), q)
	other := ""
	if err2 := retry(&v); err2 != nil {
		other = err2.Error()
	}
	return Shows(err.Error(), p, other)
}
