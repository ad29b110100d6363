package alloctest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// recorder is a testing.TB that records Fatalf instead of stopping.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

var sink []byte

func TestCheck(t *testing.T) {
	r := &recorder{TB: t}
	Check(r, "big", 10, 1, 1<<10, func() { sink = make([]byte, 1<<20) })
	if r.failed == "" {
		t.Fatal("1 MB passed a bound of 1 KB")
	}
	r.failed = ""
	Check(r, "small", 10, 1, 1<<10, func() {})
	if r.failed != "" {
		t.Fatalf("nothing allocated, yet: %s", r.failed)
	}
	Check(r, "too long to check", MaxInput+1, 0, 0, func() { sink = make([]byte, 1<<20) })
	if r.failed != "" {
		t.Fatalf("an input over MaxInput was checked: %s", r.failed)
	}
}

func TestShapes(t *testing.T) {
	for _, n := range []int{16, 100, 4096, MaxInput} {
		m := Members(n, `{"v":{`, `0`, `}}`)
		var v struct{ V map[string]int }
		if len(m) > n || json.Unmarshal(m, &v) != nil || len(m) < n-8 {
			t.Fatalf("Members(%d): %d bytes, %v", n, len(m), json.Unmarshal(m, &v))
		}
		if want := bytes.Count(m, []byte(":")) - 1; len(v.V) != want {
			t.Fatalf("Members(%d): %d distinct keys of %d", n, len(v.V), want)
		}
		if f := Fill(n, `[`, `1`, `,`, `]`); len(f) > n || !json.Valid(f) || len(f) < n-2 {
			t.Fatalf("Fill(%d): %d bytes, valid %v", n, len(f), json.Valid(f))
		}
	}
	if got := string(Nest(3, "[", "0", "]")); got != "[[[0]]]" {
		t.Fatalf("Nest = %s", got)
	}
}
