package cfkvstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/jsonwrap"
	"github.com/sesh-go/sesh/internal/storekit"
)

// Retry timing: the first retry waits retryBase, each next one twice as
// long; a wait (Retry-After included) longer than maxRetryWait, or than
// the context's deadline leaves, is not made.
const (
	retryBase    = 100 * time.Millisecond
	maxRetryWait = 5 * time.Second
)

// Response size bounds besides a value's.
const (
	maxJSONResponse = 8 << 20  // a keys-list page, a write's answer
	maxBulkResponse = 64 << 20 // bulk/get: text values, JSON-escaped
)

// Codes in Cloudflare's error answers that the store interprets.
const (
	codeKeyNotFound    = 10009
	codeAuthentication = 10000
	codeAuthHeader     = 6111 // "Invalid format for Authorization header"
)

// APIError is an answer of Cloudflare's API that refuses a call. It
// matches ErrAuth (401, 403, a malformed Authorization header) and
// ErrTooLarge (413) with errors.Is. It never contains the API token.
type APIError struct {
	// Op is the store operation: get, set, delete, list, bulk get, …
	Op string
	// Status is the HTTP status code.
	Status int
	// Codes are Cloudflare's error codes (errors[].code and their
	// error_chain), if the answer had the API's JSON envelope.
	Codes []int
	// Message is Cloudflare's error messages, or the start of a body
	// that was not the envelope, with the request's KV keys replaced by
	// "<key>".
	Message string
	// RetryAfter is the wait a 429 answer asked for, if any.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cfkvstore: %s: HTTP %d", e.Op, e.Status)
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Codes) > 0 {
		b.WriteString(" (code")
		for _, c := range e.Codes {
			b.WriteString(" " + strconv.Itoa(c))
		}
		b.WriteString(")")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; retry after %v", e.RetryAfter)
	}
	return b.String()
}

// Unwrap returns ErrAuth or ErrTooLarge when the answer means that.
func (e *APIError) Unwrap() error {
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden || e.hasCode(codeAuthHeader) || e.hasCode(codeAuthentication):
		return ErrAuth
	case e.Status == http.StatusRequestEntityTooLarge:
		return ErrTooLarge
	}
	return nil
}

func (e *APIError) hasCode(c int) bool {
	for _, x := range e.Codes {
		if x == c {
			return true
		}
	}
	return false
}

type apiMessage struct {
	Code       int          `json:"code"`
	Message    string       `json:"message"`
	ErrorChain []apiMessage `json:"error_chain"`
}

// envelope is the API's JSON answer.
type envelope struct {
	Success    bool            `json:"success"`
	Errors     []apiMessage    `json:"errors"`
	Result     json.RawMessage `json:"result"`
	ResultInfo struct {
		Cursor string `json:"cursor"`
	} `json:"result_info"`
}

// response is an answer read whole (within its bound).
type response struct {
	status int
	header http.Header
	body   []byte
	keys   []string // the KV keys of the request, kept out of its errors
}

func (r *response) envelope() (*envelope, bool) {
	var e envelope
	if json.Unmarshal(r.body, &e) != nil {
		return nil, false
	}
	return &e, true
}

// keyNotFound reports Cloudflare's "key not found" (10009), as opposed to
// a 404 for a namespace or a route that does not exist.
func (r *response) keyNotFound() bool {
	e, ok := r.envelope()
	if !ok {
		return false
	}
	for _, m := range e.Errors {
		if m.Code == codeKeyNotFound {
			return true
		}
	}
	return false
}

// err turns a refusing answer into an *APIError.
func (r *response) err(op string) error {
	e := &APIError{Op: op, Status: r.status, RetryAfter: retryAfter(r.header)}
	if env, ok := r.envelope(); ok {
		var msgs []string
		var walk func([]apiMessage)
		walk = func(ms []apiMessage) {
			for _, m := range ms {
				e.Codes = append(e.Codes, m.Code)
				if m.Message != "" {
					msgs = append(msgs, m.Message)
				}
				walk(m.ErrorChain)
			}
		}
		walk(env.Errors)
		e.Message = clip(redact(strings.Join(msgs, "; "), r.keys), 500)
	} else {
		e.Message = clip(redact(printable(r.body), r.keys), 120)
	}
	return e
}

// redact replaces each of keys in msg: Cloudflare's messages may quote the
// request's path ("Could not route to …/values/<key>") or a key, and a key
// may be a raw session ID (Remix's layout).
func redact(msg string, keys []string) string {
	for _, k := range keys {
		if k == "" {
			continue
		}
		msg = strings.ReplaceAll(msg, k, "<key>")
		if esc := url.PathEscape(k); esc != k {
			msg = strings.ReplaceAll(msg, esc, "<key>")
		}
	}
	return msg
}

// urlless returns a transport error without the request's URL, which holds
// the KV key (a raw session ID in Remix's layout): net/http's *url.Error
// quotes it. The operation and the cause stay, and so does what errors.Is
// and errors.As find in the cause.
func urlless(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request: %w", ue.Op, ue.Err)
	}
	return err
}

// check returns nil for a 2xx answer whose envelope says success.
func (r *response) check(op string) error {
	if r.status/100 == 2 {
		if e, ok := r.envelope(); ok && e.Success {
			return nil
		}
	}
	return r.err(op)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func printable(b []byte) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\uFFFD' {
			return ' '
		}
		return r
	}, string(b[:min(len(b), 512)]))
}

// retryAfter reads a Retry-After header in seconds (its HTTP-date form is
// not used by Cloudflare's API).
func retryAfter(h http.Header) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(min(n, 3600)) * time.Second
}

var errTooBig = errors.New("response over its size bound")

// do sends one call, with the retries of the package doc, and reads the
// answer up to limit bytes. It returns an error for a transport failure
// (wrapping ctx's error when ctx ended) and a response otherwise,
// including a final 429 or 5xx. keys are the KV keys the call names (in
// its URL or body): no error holds them.
func (s *Store) do(ctx context.Context, op, method, u string, body []byte, contentType string, limit int64, keys ...string) (*response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := s.once(ctx, method, u, body, contentType, limit)
		if resp != nil {
			resp.keys = keys
		}
		err = urlless(err)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, errTooBig) {
				return nil, storekit.Wrap(ctx, "cfkvstore", op, err)
			}
		} else if resp.status != http.StatusTooManyRequests && resp.status < 500 {
			return resp, nil
		}
		wait := retryBase << attempt
		if resp != nil {
			if ra := retryAfter(resp.header); ra > 0 {
				wait = ra
			}
		}
		if attempt >= s.retries || wait > maxRetryWait || !leaves(ctx, wait) {
			if err != nil {
				return nil, storekit.Wrap(ctx, "cfkvstore", op, err)
			}
			return resp, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			if err == nil {
				err = resp.err(op)
			}
			return nil, storekit.Wrap(ctx, "cfkvstore", op, err)
		case <-t.C:
		}
	}
}

// leaves reports whether ctx's deadline, if any, is more than d away.
func leaves(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
}

func (s *Store) once(ctx context.Context, method, u string, body []byte, contentType string, limit int64) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", s.auth)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w (%d bytes)", errTooBig, limit)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// listedKey is one key of a keys-list page.
type listedKey struct {
	Name       string          `json:"name"`
	Expiration float64         `json:"expiration"`
	Metadata   json.RawMessage `json:"metadata"`
}

type page struct {
	keys   []listedKey
	cursor string // "" on the last page
}

// listPage reads one page of the keys under the store's prefix.
func (s *Store) listPage(ctx context.Context, op, cursor string, limit int) (page, error) {
	q := url.Values{}
	if s.prefix != "" {
		q.Set("prefix", s.prefix)
	}
	q.Set("limit", strconv.Itoa(limit))
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	resp, err := s.do(ctx, op, http.MethodGet, s.base+"/keys?"+q.Encode(), nil, "", maxJSONResponse)
	if err != nil {
		return page{}, err
	}
	if err := resp.check(op); err != nil {
		return page{}, err
	}
	env, _ := resp.envelope()
	var p page
	if err := json.Unmarshal(env.Result, &p.keys); err != nil {
		return page{}, fmt.Errorf("cfkvstore: %s: unexpected answer: %w", op, err)
	}
	p.cursor = env.ResultInfo.Cursor
	if p.cursor != "" && len(p.keys) == 0 && cursor == p.cursor {
		return page{}, fmt.Errorf("cfkvstore: %s: the API returned the same cursor with no keys", op)
	}
	return p, nil
}

// bulkResult is one key's outcome of a bulk/get in the Remix layout.
type bulkResult struct {
	rec sesh.Record
	err error // sesh.ErrCorrupt for a value the store cannot read
}

// bulkGet reads KV keys (at most 100) with their metadata in one request,
// as text, and returns the live records by KV key; absent and expired keys
// are left out. An answer over its bound is split in two and retried.
func (s *Store) bulkGet(ctx context.Context, op string, kvKeys []string) (map[string]bulkResult, error) {
	body, _ := json.Marshal(struct {
		Keys         []string `json:"keys"`
		Type         string   `json:"type"`
		WithMetadata bool     `json:"withMetadata"`
	}{kvKeys, "text", true})
	resp, err := s.do(ctx, op, http.MethodPost, s.base+"/bulk/get", body, "application/json", maxBulkResponse, kvKeys...)
	if errors.Is(err, errTooBig) && len(kvKeys) > 1 && ctx.Err() == nil {
		a, err := s.bulkGet(ctx, op, kvKeys[:len(kvKeys)/2])
		if err != nil {
			return nil, err
		}
		b, err := s.bulkGet(ctx, op, kvKeys[len(kvKeys)/2:])
		if err != nil {
			return nil, err
		}
		for k, v := range b {
			a[k] = v
		}
		return a, nil
	}
	if err != nil {
		return nil, err
	}
	if err := resp.check(op); err != nil {
		return nil, err
	}
	env, _ := resp.envelope()
	return s.decodeBulk(op, env.Result)
}

// decodeBulk reads the result of a bulk/get with withMetadata and type
// text: live records by KV key, absent and expired keys left out.
func (s *Store) decodeBulk(op string, raw json.RawMessage) (map[string]bulkResult, error) {
	var result struct {
		Values map[string]*struct {
			Value      json.RawMessage `json:"value"`
			Metadata   json.RawMessage `json:"metadata"`
			Expiration float64         `json:"expiration"`
		} `json:"values"`
	}
	if err := json.Unmarshal(raw, &result); err != nil {
		return nil, fmt.Errorf("cfkvstore: %s: unexpected answer: %w", op, err)
	}
	out := make(map[string]bulkResult, len(result.Values))
	for k, v := range result.Values {
		if v == nil || len(v.Value) == 0 || string(v.Value) == "null" {
			continue
		}
		exp := remixDeadline(v.Metadata, v.Expiration)
		if !s.live(exp) {
			continue
		}
		var text string
		if err := json.Unmarshal(v.Value, &text); err != nil {
			out[k] = bulkResult{err: fmt.Errorf("cfkvstore: %s: value is not text: %w", op, sesh.ErrCorrupt)}
			continue
		}
		data, err := jsonwrap.Unwrap([]byte(text))
		if err != nil {
			out[k] = bulkResult{err: fmt.Errorf("cfkvstore: %s: damaged wrapper: %w", op, sesh.ErrCorrupt)}
			continue
		}
		out[k] = bulkResult{rec: sesh.Record{Data: data, Expires: exp}}
	}
	return out, nil
}
