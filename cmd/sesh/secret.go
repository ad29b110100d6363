package main

import (
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/sesh-go/sesh"
)

// secretParam reports whether a URL query parameter holds a secret.
func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"pass", "secret", "token", "key", "credential", "auth"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

const redacted = "xxxxx"

// redactURL returns the URL with its password and secret query
// parameters replaced, for printing.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), redacted)
		}
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			u.RawQuery = redacted
		} else {
			for k, vs := range q {
				if secretParam(k) {
					for i := range vs {
						vs[i] = redacted
					}
				}
			}
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// scrubber removes secrets from messages before they are printed: a
// driver's error may quote its connection string.
type scrubber struct {
	mu      sync.Mutex
	secrets []string
}

func (s *scrubber) add(secret string) {
	if len(secret) < 3 { // too short to find without mangling the message
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.secrets, secret) {
		s.secrets = append(s.secrets, secret)
	}
}

// addURL registers the secrets of a store URL: the password (as written
// and decoded) and the values of secret-looking query parameters.
func (s *scrubber) addURL(raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		// Not parseable: everything after "//" up to "@" may be a
		// password; scrub the whole URL.
		s.add(raw)
		return
	}
	if u.User != nil {
		if p, has := u.User.Password(); has {
			s.add(p)
			s.add(url.QueryEscape(p))
			s.add(url.PathEscape(p))
		}
	}
	if q, err := url.ParseQuery(u.RawQuery); err == nil {
		for k, vs := range q {
			if secretParam(k) {
				for _, v := range vs {
					s.add(v)
					s.add(url.QueryEscape(v))
				}
			}
		}
	}
}

// scrub returns msg with every registered secret replaced.
func (s *scrubber) scrub(msg string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sec := range s.secrets {
		msg = strings.ReplaceAll(msg, sec, redacted)
	}
	return msg
}

// keyError is a store error about one key, with the key (and its long
// fragments, as a file path splits it) replaced by the session's handle in
// its message. It still unwraps to the store's error.
type keyError struct {
	msg string
	err error
}

func (e *keyError) Error() string { return e.msg }
func (e *keyError) Unwrap() error { return e.err }

// hideKey returns err with key hidden from its message (nil stays nil).
func hideKey(key string, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	h := "<session " + sesh.Handle(key) + ">"
	msg = strings.ReplaceAll(msg, key, h)
	for i := 1; len(key)-i >= 12; i++ {
		msg = strings.ReplaceAll(msg, key[i:], h)
	}
	for i := len(key) - 1; i >= 12; i-- {
		msg = strings.ReplaceAll(msg, key[:i], h)
	}
	return &keyError{msg: msg, err: err}
}
