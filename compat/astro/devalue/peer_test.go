package devalue

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sesh-go/sesh/internal/nodepeer"
)

var peerDir = filepath.Join("testdata", "node")

type peerCase struct {
	Name  string `json:"name"`
	Plain string `json:"plain,omitempty"`
	Astro string `json:"astro,omitempty"`
	Text  string `json:"text,omitempty"`
	Error string `json:"error,omitempty"`
}

// peerCheck is a string for devalue to read and write back.
type peerCheck struct {
	Name   string   `json:"name"`
	Text   string   `json:"text"`
	Astro  bool     `json:"astro"`
	Custom []string `json:"custom,omitempty"`
}

// checkWithPeer has devalue read each case's text and write it back, and
// fails a case that devalue cannot read or writes back differently.
func checkWithPeer(t *testing.T, cases []peerCheck) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "cases.json")
	b, _ := json.Marshal(cases)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var res []peerCase
	if err := json.Unmarshal([]byte(nodepeer.Run(t, peerDir, "peer.js", "check", file)), &res); err != nil {
		t.Fatal(err)
	}
	if len(res) != len(cases) {
		t.Fatalf("%d results for %d cases", len(res), len(cases))
	}
	for i, r := range res {
		if r.Error != "" {
			t.Errorf("%s: devalue could not read Go's %s: %s", r.Name, cases[i].Text, r.Error)
		} else if r.Text != cases[i].Text {
			t.Errorf("%s: Go wrote\n%s\ndevalue re-wrote\n%s", r.Name, cases[i].Text, r.Text)
		}
	}
}

// TestPeerRoundTrip: every value of the corpus the real devalue package
// writes (devalue 5.9.1, committed lockfile) parses in Go and re-stringifies
// to the same bytes, with and without Astro's URL reducer; and devalue
// reads what Go writes back to the same value.
func TestPeerRoundTrip(t *testing.T) {
	var corpus []peerCase
	if err := json.Unmarshal([]byte(nodepeer.Run(t, peerDir, "peer.js", "corpus")), &corpus); err != nil {
		t.Fatal(err)
	}
	if len(corpus) < 60 {
		t.Fatalf("corpus of %d cases", len(corpus))
	}
	var back []peerCheck
	for _, c := range corpus {
		for _, mode := range []struct {
			text  string
			astro bool
		}{{c.Plain, false}, {c.Astro, true}} {
			v, err := Parse(mode.text)
			if err != nil {
				t.Errorf("%s (astro=%v): Parse(%s): %v", c.Name, mode.astro, mode.text, err)
				continue
			}
			got, err := Stringify(v, Options{AstroURL: mode.astro})
			if err != nil {
				t.Errorf("%s: Stringify: %v", c.Name, err)
				continue
			}
			if got != mode.text {
				t.Errorf("%s (astro=%v): devalue wrote\n%s\nGo re-wrote\n%s", c.Name, mode.astro, mode.text, got)
			}
			back = append(back, peerCheck{Name: c.Name, Text: got, Astro: mode.astro})
		}
	}
	// Values built in Go, written by Go, read by devalue.
	shared := NewObject()
	shared.Set("k", "v")
	u, _ := url.Parse("https://example.com/x")
	obj := NewObject()
	obj.Set("when", &Date{Time: time.Date(2025, 3, 4, 5, 6, 7, 8e6, time.UTC)})
	obj.Set("tags", &Set{Elems: []any{"a", "b"}})
	obj.Set("big", big.NewInt(-42))
	obj.Set("url", u)
	obj.Set("a", shared)
	obj.Set("b", shared)
	obj.Set("list", &Array{Elems: []any{1.5, Hole{}, Undefined{}, nil, true}})
	obj.Set("sparse", &SparseArray{Len: 100, Index: []int{3, 97}, Elems: []any{"x", shared}})
	obj.Set("bytes", &TypedArray{Type: "Uint8Array", Buffer: &ArrayBuffer{Data: []byte{1, 2, 3, 4}}, Offset: 1, Length: 2})
	obj.Set("query", &URLSearchParams{Params: []Param{{"a b", "ü&="}, {"", ""}}})
	obj.Set("boxed", &Boxed{Value: big.NewInt(7)})
	obj.Set("self", obj)
	for _, astro := range []bool{false, true} {
		s, err := Stringify(obj, Options{AstroURL: astro})
		if err != nil {
			t.Fatal(err)
		}
		back = append(back, peerCheck{Name: "go-built", Text: s, Astro: astro})
	}
	checkWithPeer(t, back)
	t.Logf("%d devalue strings checked both ways", len(back))
}

// TestPeerRandom: devalue writes random values of every type (a seeded
// generator in peer.js: random doubles and strings, integer-like keys,
// sparse arrays, views on shared buffers, cycles, …); Go reads each and
// writes it back byte for byte, with and without Astro's URL reducer.
func TestPeerRandom(t *testing.T) {
	var corpus []peerCase
	if err := json.Unmarshal([]byte(nodepeer.Run(t, peerDir, "peer.js", "random", "2000", "20260101")), &corpus); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, c := range corpus {
		for _, mode := range []struct {
			text  string
			astro bool
		}{{c.Plain, false}, {c.Astro, true}} {
			v, err := Parse(mode.text)
			if err != nil {
				t.Errorf("%s: Parse(%s): %v", c.Name, mode.text, err)
				bad++
				continue
			}
			if got, err := Stringify(v, Options{AstroURL: mode.astro}); err != nil || got != mode.text {
				t.Errorf("%s (astro=%v): devalue wrote\n%s\nGo re-wrote\n%s (%v)", c.Name, mode.astro, mode.text, got, err)
				bad++
			}
		}
		if bad > 10 {
			t.Fatal("too many failures")
		}
	}
	t.Logf("%d random values, %d devalue strings, each written back byte for byte", len(corpus), 2*len(corpus))
}

// TestPeerFixtures: devalue reads what Go writes for each of its own
// fixtures back to the same value (so the fixture table's Go values are
// what devalue means, not only what Go means).
func TestPeerFixtures(t *testing.T) {
	var cases []peerCheck
	for _, fx := range fixtures {
		if fx.differs != "" {
			continue // devalue writes a lone surrogate where Go has U+FFFD
		}
		s, err := Stringify(fx.value(), Options{})
		if err != nil {
			t.Fatalf("%s: %v", fx.name, err)
		}
		cases = append(cases, peerCheck{Name: fx.suite + "/" + fx.name, Text: s, Custom: []string{"Foo", "Bar", "FunctionRef"}})
	}
	checkWithPeer(t, cases)
	t.Logf("%d fixtures written by Go, read back by devalue", len(cases))
}

// peerModes are devalue's readings of a string and of Go's writing of it.
type peerModes struct {
	Plain, Astro peerReading
}

type peerReading struct {
	Orig    *string `json:"orig"`    // devalue's re-stringification of the input, if it read it
	OrigErr string  `json:"origErr"` // why it could not
	Out     *string `json:"out"`     // the same for Go's output
	OutErr  string  `json:"outErr"`
}

// FuzzPeer checks Go against the real devalue on arbitrary input (the
// seeds: FuzzParse's, and its corpus in testdata). For each input that is
// UTF-8, without and with Astro's URL reducer:
//   - if devalue writes the input itself (reading and re-stringifying it
//     gives it back), Go reads it and writes it back byte for byte;
//   - if devalue and Go both read it, devalue reads Go's writing of it as
//     the same value as the input (same re-stringification).
//
// Input only one side reads is not compared: Go refuses input devalue
// reads by coercion (see Parse), and keeps some text devalue would check
// (a RegExp source, a URL), which devalue then refuses in both.
func FuzzPeer(f *testing.F) {
	base := nodepeer.Start(f, peerDir, "peer.js", "DEVALUE_PEER=serve")
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	for _, s := range corpusFiles(f, filepath.Join("testdata", "fuzz", "FuzzParse")) {
		f.Add(s)
	}
	client := &http.Client{Timeout: 2 * time.Minute} // catches a hung peer only
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || len(s) > 64<<10 {
			return // Go refuses input that is not UTF-8; Node would see other text
		}
		v, goErr := Parse(s)
		req := struct {
			S     string  `json:"s"`
			Plain *string `json:"plain"`
			Astro *string `json:"astro"`
		}{S: s}
		if goErr == nil {
			plain, err1 := Stringify(v, Options{})
			astro, err2 := Stringify(v, Options{AstroURL: true})
			if err1 != nil || err2 != nil {
				return // too deep when written; FuzzParse covers it
			}
			req.Plain, req.Astro = &plain, &astro
		}
		body, _ := json.Marshal(req)
		resp, err := client.Post(base, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got peerModes
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		for _, m := range []struct {
			name string
			r    peerReading
			out  *string
		}{{"plain", got.Plain, req.Plain}, {"astro", got.Astro, req.Astro}} {
			if m.r.OrigErr != "" {
				continue
			}
			if *m.r.Orig == s {
				if goErr != nil {
					t.Fatalf("%s: devalue writes %q; Go refuses it: %v", m.name, s, goErr)
				}
				if *m.out != s {
					t.Fatalf("%s: devalue writes\n%s\nGo writes it back as\n%s", m.name, s, *m.out)
				}
			}
			if goErr != nil {
				continue
			}
			if m.r.OutErr != "" {
				t.Fatalf("%s: devalue reads %q but not Go's writing of it, %s: %s", m.name, s, *m.out, m.r.OutErr)
			}
			if *m.r.Out != *m.r.Orig {
				t.Fatalf("%s: devalue reads %q as\n%s\nbut Go's writing of it, %s, as\n%s", m.name, s, *m.r.Orig, *m.out, *m.r.Out)
			}
		}
	})
}

// corpusFiles reads the string inputs of a fuzz corpus directory.
func corpusFiles(tb testing.TB, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if arg, ok := strings.CutPrefix(sc.Text(), "string("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(arg, ")")); err == nil {
					out = append(out, s)
				}
			}
		}
	}
	return out
}
