package devalue

import (
	"encoding/json"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sesh-go/sesh/internal/nodepeer"
)

var peerDir = filepath.Join("testdata", "node")

type peerCase struct {
	Name  string `json:"name"`
	Plain string `json:"plain,omitempty"`
	Astro string `json:"astro,omitempty"`
	Text  string `json:"text,omitempty"`
	IsAst bool   `json:"astro_mode,omitempty"`
	Error string `json:"error,omitempty"`
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
	if len(corpus) < 30 {
		t.Fatalf("corpus of %d cases", len(corpus))
	}
	type check struct {
		Name  string `json:"name"`
		Text  string `json:"text"`
		Astro bool   `json:"astro"`
	}
	var back []check
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
			back = append(back, check{Name: c.Name, Text: got, Astro: mode.astro})
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
	obj.Set("self", obj)
	for _, astro := range []bool{false, true} {
		s, err := Stringify(obj, Options{AstroURL: astro})
		if err != nil {
			t.Fatal(err)
		}
		back = append(back, check{Name: "go-built", Text: s, Astro: astro})
	}

	file := filepath.Join(t.TempDir(), "cases.json")
	b, _ := json.Marshal(back)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var res []peerCase
	if err := json.Unmarshal([]byte(nodepeer.Run(t, peerDir, "peer.js", "check", file)), &res); err != nil {
		t.Fatal(err)
	}
	if len(res) != len(back) {
		t.Fatalf("%d results for %d cases", len(res), len(back))
	}
	for i, r := range res {
		if r.Error != "" {
			t.Errorf("%s: devalue could not read Go's %s: %s", r.Name, back[i].Text, r.Error)
		} else if r.Text != back[i].Text {
			t.Errorf("%s: Go wrote\n%s\ndevalue re-wrote\n%s", r.Name, back[i].Text, r.Text)
		}
	}
	t.Logf("%d devalue strings checked both ways", len(back))
}
