package filestore

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"time"

	"github.com/sesh-go/sesh"
)

func init() {
	sesh.Register("file", openURL)
}

// openURL opens "file:///abs/dir" (host empty or localhost) with an
// optional sweep parameter.
func openURL(_ context.Context, u *url.URL) (sesh.Store, error) {
	const form = "want file:///absolute/dir"
	if u.Opaque != "" {
		return nil, fmt.Errorf("filestore: %q is not an absolute path: %s", u.Opaque, form)
	}
	if u.User != nil {
		return nil, fmt.Errorf("filestore: a file URL has no user: %s", form)
	}
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("filestore: host %q not allowed (only empty or localhost); for a path relative to the current directory this is an error too: %s", u.Host, form)
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("filestore: a file URL has no fragment: %s", form)
	}
	if u.Path == "" || !path.IsAbs(u.Path) {
		return nil, fmt.Errorf("filestore: no absolute path in the URL: %s", form)
	}
	dir := filepath.Clean(filepath.FromSlash(u.Path))
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("filestore: %q is not an absolute path: %s", dir, form)
	}
	if dir == filepath.Dir(dir) {
		return nil, fmt.Errorf("filestore: refusing the root directory %q", dir)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("filestore: malformed query: %w", err)
	}
	var opts Options
	for name, vals := range q {
		if len(vals) != 1 {
			return nil, fmt.Errorf("filestore: parameter %q given %d times", name, len(vals))
		}
		v := vals[0]
		switch name {
		case "sweep":
			if v == "off" {
				opts.SweepInterval = -1
				break
			}
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("filestore: sweep=%q: want a positive duration such as 30s or 5m, or off", v)
			}
			opts.SweepInterval = d
		default:
			return nil, fmt.Errorf("filestore: unknown parameter %q (known: sweep)", name)
		}
	}
	return New(dir, opts)
}
