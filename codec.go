package sesh

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sesh-go/sesh/cookie"
)

// Data is the content of a session as a Codec sees it: the values (each a
// JSON document), per-value deadlines and the metadata kept beside them.
type Data struct {
	// Values maps each key to its JSON encoding. Flash values are kept under
	// "__flash_<key>__", as Remix does.
	Values map[string]json.RawMessage
	// Deadlines holds the per-value expiry of keys set with a TTL.
	Deadlines map[string]time.Time
	// Created is when the session was first saved; the absolute timeout
	// counts from it and Regenerate keeps it.
	Created time.Time
	// ID is the session's own ID inside a sealed cookie (cookie-only
	// sessions); server-side sessions leave it empty (the ID is the cookie).
	ID string
	// UserID ties the session to a user (see Session.SetUserID).
	UserID string
	// SignedIn is when SetUserID last set UserID.
	SignedIn time.Time
	// UserAgent is the User-Agent of the request that created the session,
	// kept for listing a user's sessions.
	UserAgent string
	// AuthTime is when the user last really signed in (SetUserID): a
	// session restored from a remember-me token keeps the original time,
	// and Regenerate keeps it too.
	AuthTime time.Time
	// Restored marks a session started from a remember-me token rather than
	// by a sign-in.
	Restored bool
	// Persist, when > 0, makes the session cookie persistent for that long
	// ("remember me"); BrowserSession (< 0) makes it a browser-session
	// cookie; 0 follows the Manager's cookie configuration.
	Persist time.Duration
}

// A Codec turns Data into the bytes a Store keeps and back. Decode must
// accept only what Encode produces (no polymorphic decoding); the bytes it
// sees come from the store, never from the client. Encode never returns
// empty output: a record with empty Data is a tombstone (see Swapper).
type Codec interface {
	Encode(dst []byte, d *Data) ([]byte, error)
	Decode(src []byte, d *Data) error
}

// CookieCodec is implemented by a Codec whose format records the session
// cookie beside the data, as express-session's stored JSON does
// (compat/express): for a server-side session the Manager calls
// EncodeCookie instead of Encode, with the cookie as the committing request
// sends it (whether or not this response carries a Set-Cookie).
type CookieCodec interface {
	Codec
	EncodeCookie(dst []byte, d *Data, c *CommitCookie) ([]byte, error)
}

// CommitCookie is the session cookie as one commit sends it.
type CommitCookie struct {
	// Attrs are the cookie's attributes for the committing request
	// (Config.CookieFor applied, SecureAuto and SameSiteAuto resolved);
	// its Expires and MaxAge are zero.
	Attrs cookie.Options
	// Lifetime is a persistent cookie's lifetime (Session.Persist, else
	// CookieConfig.MaxAge); 0 for a browser-session cookie.
	Lifetime time.Duration
	// Expires is the absolute expiry this commit gave the cookie
	// (Manager.CommitWith), zero otherwise; it wins over Lifetime.
	Expires time.Time
	// Now is the Manager's clock at the commit.
	Now time.Time
}

// ErrDecode wraps every error a Codec returns from Decode.
var ErrDecode = errors.New("sesh: cannot decode session data")

// JSONCodec is the default Codec: one compact JSON object,
//
//	{"c":created_unix_ms,"i":"id","u":"user","s":signed_in_unix_ms,"n":auth_time_unix_ms,"r":1,"a":"agent","p":persist_ms,"v":{values},"t":{"key":deadline_unix_ms}}
//
// with empty members left out. Values are embedded verbatim (they are
// already JSON), so encoding copies bytes and decoding does not re-encode.
type JSONCodec struct{}

// Encode appends the JSON encoding of d to dst.
func (JSONCodec) Encode(dst []byte, d *Data) ([]byte, error) {
	dst = append(dst, '{')
	first := true
	sep := func() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
	}
	if !d.Created.IsZero() {
		sep()
		dst = append(dst, `"c":`...)
		dst = strconv.AppendInt(dst, d.Created.UnixMilli(), 10)
	}
	if d.ID != "" {
		sep()
		dst = append(dst, `"i":`...)
		dst = appendJSONString(dst, d.ID)
	}
	if d.UserID != "" {
		sep()
		dst = append(dst, `"u":`...)
		dst = appendJSONString(dst, d.UserID)
	}
	if !d.SignedIn.IsZero() {
		sep()
		dst = append(dst, `"s":`...)
		dst = strconv.AppendInt(dst, d.SignedIn.UnixMilli(), 10)
	}
	if !d.AuthTime.IsZero() {
		sep()
		dst = append(dst, `"n":`...)
		dst = strconv.AppendInt(dst, d.AuthTime.UnixMilli(), 10)
	}
	if d.Restored {
		sep()
		dst = append(dst, `"r":1`...)
	}
	if d.UserAgent != "" {
		sep()
		dst = append(dst, `"a":`...)
		dst = appendJSONString(dst, d.UserAgent)
	}
	if d.Persist != 0 {
		sep()
		dst = append(dst, `"p":`...)
		dst = strconv.AppendInt(dst, d.Persist.Milliseconds(), 10)
	}
	if len(d.Values) > 0 {
		sep()
		dst = append(dst, `"v":{`...)
		n := 0
		var kb [16]string
		for _, k := range appendSortedKeys(kb[:0], d.Values) {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = append(dst, d.Values[k]...)
		}
		dst = append(dst, '}')
	}
	if len(d.Deadlines) > 0 {
		sep()
		dst = append(dst, `"t":{`...)
		n := 0
		var kb [16]string
		for _, k := range appendSortedKeys(kb[:0], d.Deadlines) {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = strconv.AppendInt(dst, d.Deadlines[k].UnixMilli(), 10)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}'), nil
}

type jsonData struct {
	C int64                      `json:"c"`
	I string                     `json:"i"`
	S int64                      `json:"s"`
	U string                     `json:"u"`
	A string                     `json:"a"`
	P int64                      `json:"p"`
	N int64                      `json:"n"`
	R int64                      `json:"r"`
	V map[string]json.RawMessage `json:"v"`
	T map[string]int64           `json:"t"`
}

// Decode parses src into d, replacing its content.
func (JSONCodec) Decode(src []byte, d *Data) error {
	if decodeFast(src, d) {
		return nil
	}
	return decodeSlow(src, d)
}

// decodeSlow is the reference decoder: encoding/json, strict.
func decodeSlow(src []byte, d *Data) error {
	var j jsonData
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("%w: %w", ErrDecode, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data", ErrDecode)
	}
	*d = Data{Values: j.V, ID: j.I, UserID: j.U, UserAgent: j.A, Persist: time.Duration(j.P) * time.Millisecond}
	if j.C != 0 {
		d.Created = time.UnixMilli(j.C)
	}
	if j.S != 0 {
		d.SignedIn = time.UnixMilli(j.S)
	}
	if j.N != 0 {
		d.AuthTime = time.UnixMilli(j.N)
	}
	d.Restored = j.R != 0
	if len(j.T) > 0 {
		d.Deadlines = make(map[string]time.Time, len(j.T))
		for k, ms := range j.T {
			d.Deadlines[k] = time.UnixMilli(ms)
		}
	}
	return nil
}

func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // rare path: let encoding/json escape it
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
