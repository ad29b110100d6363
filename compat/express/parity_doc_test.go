package express_test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sesh-go/sesh/compat/express/expresstest"
)

// TestParityDocMatchesSuite: docs/express-session-parity.md lists exactly
// the ported suite's differing and not-applicable cases, and its counts
// are the suite's.
func TestParityDocMatchesSuite(t *testing.T) {
	b, err := os.ReadFile("../../docs/express-session-parity.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	section := func(title string) []string {
		i := strings.Index(doc, "## "+title+"\n")
		if i < 0 {
			t.Fatalf("no section %q", title)
		}
		body := doc[i+len(title)+4:]
		if j := strings.Index(body, "\n## "); j >= 0 {
			body = body[:j]
		}
		var names []string
		for _, line := range strings.Split(body, "\n") {
			if !strings.HasPrefix(line, "| `") {
				continue
			}
			cell := strings.TrimSpace(strings.SplitN(line[1:], " | ", 2)[0])
			if strings.HasPrefix(cell, "``") {
				cell = strings.TrimSpace(strings.Trim(cell, "`"))
			} else {
				cell = strings.Trim(cell, "`")
			}
			names = append(names, cell)
		}
		return names
	}
	var differs, na []string
	counts := map[string]map[expresstest.Kind]int{}
	for _, c := range expresstest.Cases() {
		if counts[c.File] == nil {
			counts[c.File] = map[expresstest.Kind]int{}
		}
		counts[c.File][c.Kind]++
		switch c.Kind {
		case expresstest.Differs:
			differs = append(differs, c.Name)
		case expresstest.NotApplicable:
			na = append(na, c.Name)
		}
	}
	for title, want := range map[string][]string{
		"Cases sesh does not follow on purpose": differs,
		"Not applicable":                        na,
	} {
		got := section(title)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the doc lists\n%s\nthe suite has\n%s", title, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	total := map[expresstest.Kind]int{}
	all := 0
	for file, k := range counts {
		n := k[expresstest.Follows] + k[expresstest.Differs] + k[expresstest.NotApplicable]
		row := fmt.Sprintf("| %s | %d | %d | %d | %d | %d |", file, n, n-k[expresstest.NotApplicable],
			k[expresstest.Follows], k[expresstest.Differs], k[expresstest.NotApplicable])
		if !strings.Contains(doc, row+"\n") {
			t.Errorf("the doc lacks the counts row %q", row)
		}
		for kind, v := range k {
			total[kind] += v
		}
		all += n
	}
	line := fmt.Sprintf("%d cases: %d applicable, %d pass as express-session does, %d differ by design, %d not applicable.",
		all, all-total[expresstest.NotApplicable], total[expresstest.Follows], total[expresstest.Differs], total[expresstest.NotApplicable])
	if !strings.Contains(doc, line) {
		t.Errorf("the doc lacks %q", line)
	}
	if !regexp.MustCompile(`(?m)^160 cases`).MatchString(doc) || all != 160 {
		t.Errorf("the suite has %d cases, express-session 1.19.0 has 160", all)
	}
}
