package cfkvstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/sesh-go/sesh"
)

// DefaultTokenEnv is the environment variable a cfkv:// URL without a
// password takes the API token from.
const DefaultTokenEnv = "CLOUDFLARE_API_TOKEN"

func init() {
	sesh.Register("cfkv", openURL)
}

// openURL opens cfkv://[:TOKEN@]ACCOUNT/NAMESPACE[?layout=&prefix=&base_url=&token_env=]
// (see the package doc) and checks it with one keys-list request.
func openURL(ctx context.Context, u *url.URL) (sesh.Store, error) {
	const form = "want cfkv://[:TOKEN@]ACCOUNT_ID/NAMESPACE_ID[?layout=native|remix&prefix=…&base_url=…&token_env=NAME]"
	if u.Opaque != "" || u.Host == "" || u.Port() != "" {
		return nil, fmt.Errorf("cfkvstore: %s", form)
	}
	ns := strings.TrimPrefix(u.Path, "/")
	if ns == "" || strings.Contains(ns, "/") {
		return nil, fmt.Errorf("cfkvstore: the URL's path must be the namespace ID: %s", form)
	}
	opts := Options{AccountID: u.Host, NamespaceID: ns}
	layoutName, tokenEnv := "native", ""
	for k, vs := range u.Query() {
		if len(vs) != 1 {
			return nil, fmt.Errorf("cfkvstore: parameter %s given %d times", k, len(vs))
		}
		v := vs[0]
		switch k {
		case "layout":
			if v != "native" && v != "remix" {
				return nil, fmt.Errorf("cfkvstore: layout=%q: want native or remix", v)
			}
			layoutName = v
		case "prefix":
			if v == "" {
				return nil, errors.New("cfkvstore: prefix is empty (leave it out for the layout's default)")
			}
			opts.Prefix = v
		case "base_url":
			opts.BaseURL = v
		case "token_env":
			if v == "" {
				return nil, errors.New("cfkvstore: token_env is empty")
			}
			tokenEnv = v
		default:
			return nil, fmt.Errorf("cfkvstore: unknown parameter %q (known: layout, prefix, base_url, token_env)", k)
		}
	}
	if u.User != nil {
		if u.User.Username() != "" {
			return nil, errors.New("cfkvstore: the URL has a user name; put the API token in the password: cfkv://:TOKEN@ACCOUNT_ID/NAMESPACE_ID")
		}
		if tokenEnv != "" {
			return nil, errors.New("cfkvstore: the URL has both a token and token_env; give one")
		}
		opts.APIToken, _ = u.User.Password()
	}
	if opts.APIToken == "" {
		if tokenEnv == "" {
			tokenEnv = DefaultTokenEnv
		}
		opts.APIToken = os.Getenv(tokenEnv)
		if opts.APIToken == "" {
			return nil, fmt.Errorf("cfkvstore: no API token: the URL has no password and %s is unset or empty", tokenEnv)
		}
	}
	var st sesh.Store
	var s *Store
	if layoutName == "remix" {
		r, err := NewRemix(opts)
		if err != nil {
			return nil, err
		}
		st, s = r, r.Store
	} else {
		n, err := New(opts)
		if err != nil {
			return nil, err
		}
		st, s = n, n
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return st, nil
}
