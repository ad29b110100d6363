package devalue

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The rest of devalue 5.9.1's test/index.test.js that concerns parse and
// stringify (uneval, stringifyAsync and DevalueError's path/value/root
// have no Go counterpart), under the original names.

// buildSparseDoSPayload is the upstream helper: a root object whose count
// keys each refer to a sparse array claiming perArrayLen elements.
func buildSparseDoSPayload(count, perArrayLen int) string {
	var b strings.Builder
	b.WriteString("[{")
	for i := 0; i < count; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i+1)
	}
	b.WriteString("}")
	for i := 0; i < count; i++ {
		fmt.Fprintf(&b, ",[-7,%d,0,%d]", perArrayLen, count+1)
	}
	b.WriteString(",42]")
	return b.String()
}

func TestUpstreamSparseDoS(t *testing.T) {
	// Each row claims ~2.5e9 elements in all (~20 GB if materialized);
	// upstream asserts the process survives, Go asserts the bound on what
	// Parse allocates, which is far below the claim.
	for _, row := range []struct{ perArrayLen, count int }{
		{10_000, 250_000}, {100_000, 25_000}, {1_000_000, 2_500}, {10_000_000, 250}, {100_000_000, 25},
	} {
		t.Run(fmt.Sprintf("does not eagerly allocate sparse arrays (len=%d, count=%d)", row.perArrayLen, row.count), func(t *testing.T) {
			payload := buildSparseDoSPayload(row.count, row.perArrayLen)
			var v any
			var err error
			got := allocated(func() { v, err = Parse(payload) })
			if err != nil {
				t.Fatal(err)
			}
			if limit := allocBound(len(payload)); got > limit {
				t.Errorf("%d bytes of input allocated %d bytes, more than %d", len(payload), got, limit)
			}
			root := v.(*Object)
			for _, k := range []string{"k0", fmt.Sprintf("k%d", row.count-1)} {
				a, _ := root.Get(k)
				sa, ok := a.(*SparseArray)
				if !ok || sa.Len != row.perArrayLen || len(sa.Index) != 1 || sa.Index[0] != 0 || sa.Elems[0] != 42.0 {
					t.Fatalf("%s = %#v", k, a)
				}
			}
		})
	}
}

func TestUpstreamSparse(t *testing.T) {
	t.Run("valid sparse array parses correctly", func(t *testing.T) {
		v, err := Parse(`[[-7,3,0,1,2,2],"a","c"]`)
		if err != nil {
			t.Fatal(err)
		}
		if err := same(v, &SparseArray{Len: 3, Index: []int{0, 2}, Elems: []any{"a", "c"}}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("rejects sparse array __proto__ pollution via parse", func(t *testing.T) {
		if _, err := Parse(`[[-7,1,"__proto__",{"polluted":true}]]`); !errors.Is(err, ErrInvalid) {
			t.Fatal(err)
		}
	})
	t.Run("sparse array CPU exhaustion payload is rejected", func(t *testing.T) {
		const layers = 49_000
		var head, rest strings.Builder
		head.WriteString("[[-7,0")
		for i := 3; i < 3+layers; i++ {
			fmt.Fprintf(&head, `,"__proto__",%d`, i)
			fmt.Fprintf(&rest, `,[-7,0,"__proto__",%d]`, i-1)
		}
		payload := head.String() + "],0,[]" + rest.String() + "]"
		if _, err := Parse(payload); !errors.Is(err, ErrInvalid) {
			t.Fatal(err)
		}
	})
	t.Run("sparse array type confusion via __proto__ is blocked", func(t *testing.T) {
		payload := `[[-7,0,"x",1,"y",2,"magnitude",3,"__proto__",4],3,4,"nope",["Vector",5],[6,7],8,9]`
		if _, err := Parse(payload); !errors.Is(err, ErrInvalid) {
			t.Fatal(err)
		}
	})
	t.Run("handles very sparse arrays efficiently", func(t *testing.T) {
		// Upstream times it (< 100 ms); a busy machine makes that a coin
		// toss, so Go bounds the allocation instead.
		a := &SparseArray{Len: 1_000_001, Index: []int{1_000_000}, Elems: []any{"x"}}
		var s string
		var err error
		if got := allocated(func() { s, err = Stringify(a, Options{}) }); got > 16<<10 {
			t.Errorf("stringify allocated %d bytes", got)
		}
		if err != nil || s != `[[-7,1000001,1000000,1],"x"]` {
			t.Fatalf("%s, %v", s, err)
		}
		v, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := same(v, a); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUpstreamStringifyThrows(t *testing.T) {
	t.Run("stringify throws for non-POJOs", func(t *testing.T) {
		type Foo struct{}
		if _, err := Stringify(&Foo{}, Options{}); !errors.Is(err, ErrUnsupported) {
			t.Fatal(err)
		}
	})
	t.Run("stringify throws for __proto__ keys", func(t *testing.T) {
		if _, err := Stringify(obj("foo", obj("__proto__", 1.0)), Options{}); !errors.Is(err, ErrUnsupported) {
			t.Fatal(err)
		}
	})
}

// "circular references through custom types": upstream's revivers cache
// their instances to keep identity; a Custom keeps it by being a pointer.
func TestUpstreamCircularCustomTypes(t *testing.T) {
	t.Run("resolves circular reference through two custom types", func(t *testing.T) {
		fooVal := obj("name", "outer")
		foo := &Custom{"Foo", fooVal}
		fooVal.Set("ref", &Custom{"Bar", obj("name", "inner", "ref", foo)})
		const want = `[["Foo",1],{"name":2,"ref":3},"outer",["Bar",4],{"name":5,"ref":0},"inner"]`
		checkBothWays(t, foo, want)
	})
	t.Run("resolves self-referencing custom type", func(t *testing.T) {
		val := obj("name", "self")
		foo := &Custom{"Foo", val}
		val.Set("ref", foo)
		checkBothWays(t, foo, `[["Foo",1],{"name":2,"ref":0},"self"]`)
	})
}

func checkBothWays(t *testing.T, v any, want string) {
	t.Helper()
	if s, err := Stringify(v, Options{}); err != nil || s != want {
		t.Fatalf("stringify: %s, %v", s, err)
	}
	back, err := Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	if err := same(back, v); err != nil {
		t.Fatal(err)
	}
}
