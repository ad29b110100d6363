package sesh

import (
	"errors"
	"fmt"
	"reflect"
)

// ErrResponseStarted is returned by a change that needs a Set-Cookie the
// response can no longer carry: Set, Flash or Update on a session that has
// no cookie yet, Regenerate, or Destroy, once the middleware has committed
// the session (the handler wrote its first byte, or flushed). Make such
// changes before writing the response. A session that already had its
// cookie is still saved at the end of the request; Destroy still deletes
// the record.
var ErrResponseStarted = errors.New("sesh: the response has started: the session cookie can no longer be sent (change the session before writing the response)")

// ErrOutsidePath is returned by the Session methods that change or read
// it, when the middleware serves a request whose path is outside the
// session cookie's Path (CookieConfig.Path): the browser sends no cookie
// there, so there is no session, and none is created.
var ErrOutsidePath = errors.New("sesh: the request's path is outside the session cookie's Path: no session here")

// ErrWrongType is wrapped by the error Lookup returns when the stored value
// exists but does not decode into the requested type.
var ErrWrongType = errors.New("sesh: stored value has another type")

// ValueTypeError reports a stored value that does not decode into the type
// asked for. errors.Is(err, ErrWrongType) holds for it.
type ValueTypeError struct {
	Key  string       // the value key
	Type reflect.Type // the type asked for
	JSON string       // the JSON kind stored: "number", "string", "object", …
	Err  error        // the decoder's error
}

func (e *ValueTypeError) Error() string {
	return fmt.Sprintf("sesh: value %q is a JSON %s and does not decode into %v: %v", e.Key, e.JSON, e.Type, e.Err)
}

// Unwrap returns ErrWrongType and the decoder's error.
func (e *ValueTypeError) Unwrap() []error { return []error{ErrWrongType, e.Err} }

// jsonKind names the kind of a JSON document by its first byte.
func jsonKind(raw []byte) string {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '"':
			return "string"
		case '{':
			return "object"
		case '[':
			return "array"
		case 't', 'f':
			return "boolean"
		case 'n':
			return "null"
		default:
			return "number"
		}
	}
	return "empty document"
}

// errNoValue is Lookup's error for an absent or expired key.
func errNoValue(key string) error {
	return fmt.Errorf("sesh: no value under %q: %w", key, ErrNotFound)
}

// ConflictError is returned when a commit cannot be applied because other
// requests kept changing the session: the compare-and-set replays ran out,
// the session's lock could not be had in time (Config.Serialize), or the
// lock was lost before the write. Nothing of the request was saved, and the
// client's cookie is left alone; retrying the request is safe.
// errors.Is(err, ErrConflict) holds for it. The middleware's default
// ErrorHandler answers 503 with Retry-After.
type ConflictError struct {
	Reason string
}

func (e *ConflictError) Error() string { return "sesh: session busy: " + e.Reason }

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// ErrTooLarge is wrapped by SizeError.
var ErrTooLarge = errors.New("sesh: session too large")

// SizeError is returned when a server-side session's encoded data would
// pass Config.MaxSize: by Set, Flash or Update for a single value over the
// limit, and by the commit for the whole session. Nothing is saved. The
// middleware's default ErrorHandler answers 413.
type SizeError struct {
	Size  int // bytes of the value or of the encoded session
	Limit int // Config.MaxSize
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("sesh: session too large: %d bytes, limit %d (Config.MaxSize)", e.Size, e.Limit)
}

// Unwrap returns ErrTooLarge.
func (e *SizeError) Unwrap() error { return ErrTooLarge }
