package jsonwrap

import (
	"bytes"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, b := range [][]byte{nil, {}, {0, 1, 2}, []byte("not json"), []byte(`{"a":1}`), []byte(`{"__sesh_bytes":"x"}`),
		[]byte(` {"__sesh_bytes":"eA=="}`), []byte(`1`), []byte("\"\xff\"")} {
		got, err := Unwrap(Wrap(b))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("round trip of %q: %q, %v", b, got, err)
		}
	}
	if string(Wrap([]byte(`{"a":1}`))) != `{"a":1}` {
		t.Error("JSON is not kept verbatim")
	}
	if w := Wrap([]byte("\"\xff\"")); !bytes.HasPrefix(w, []byte(prefix)) {
		t.Errorf("JSON that is not UTF-8 kept verbatim: %q", w)
	}
	if _, err := Unwrap([]byte(`{"__sesh_bytes":"!!"}`)); err == nil {
		t.Error("a damaged wrapper read as data")
	}
}
