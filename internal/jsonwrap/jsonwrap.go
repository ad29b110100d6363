// Package jsonwrap lets a store whose peer format demands JSON (a json
// column, a "data" member) still keep any bytes: JSON is stored verbatim,
// anything else as {"__sesh_bytes":"<base64>"}.
package jsonwrap

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"unicode/utf8"
)

const prefix = `{"__sesh_bytes":"`

// Wrap returns data itself if it is UTF-8 JSON that Unwrap will not
// mistake for a wrapper, and the wrapper otherwise. (json.Valid accepts
// strings that are not UTF-8; a json column, JSON.parse on the Node side or
// a text API would not keep them.)
func Wrap(data []byte) []byte {
	if json.Valid(data) && utf8.Valid(data) && !bytes.HasPrefix(bytes.TrimSpace(data), []byte(prefix[:len(prefix)-1])) {
		return data
	}
	return []byte(prefix + base64.StdEncoding.EncodeToString(data) + `"}`)
}

// Unwrap reverses Wrap. A wrapper whose base64 is damaged is an error.
func Unwrap(b []byte) ([]byte, error) {
	if b64, ok := bytes.CutPrefix(b, []byte(prefix)); ok && bytes.HasSuffix(b64, []byte(`"}`)) {
		return base64.StdEncoding.DecodeString(string(b64[:len(b64)-2]))
	}
	return b, nil
}
