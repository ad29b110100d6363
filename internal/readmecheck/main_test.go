package main

import (
	"slices"
	"strings"
	"testing"
)

const english = "# Title\n\n```sh\nmake demo   # the demo\nmake test\n```\n\n## One\n\nRun `make lint` and `go test`.\n\n## Two\n\n### Two a\n\n```go\n## not a heading\n```\n\n## Tests\n\n```sh\n.ci/run   # what CI runs\n```\n"

const japanese = "# Title\n\n```sh\nmake demo   # デモ\nmake test\n```\n\n## 一\n\n`make lint` と `go test` を実行。\n\n## 二\n\n### 二 a\n\n```go\n## 見出しではない\n```\n\n## テスト\n\n```sh\n.ci/run   # CI が実行するもの\n```\n"

func check(a, b string) []string {
	return compare(parse("a.md", a), parse("b.md", b))
}

func TestAgree(t *testing.T) {
	if p := check(english, japanese); len(p) > 0 {
		t.Fatalf("a translation with the same outline and commands: %q", p)
	}
	d := parse("a.md", english)
	if want := []string{"make demo", "make test", ".ci/run"}; !slices.Equal(d.sh, want) {
		t.Errorf("sh lines = %q, want %q", d.sh, want)
	}
	if want := []string{"make demo", "make test", "make lint", ".ci/run"}; !slices.Equal(d.commands, want) {
		t.Errorf("commands = %q, want %q", d.commands, want)
	}
	if len(d.headings) != 4 || d.headings[2].level != 3 {
		t.Errorf("headings = %+v, want 4 with a ### third (the one in a go block is code)", d.headings)
	}
}

func TestDisagree(t *testing.T) {
	cases := []struct {
		name, ja, want string
	}{
		{"MissingSection", strings.Replace(japanese, "## 一\n", "", 1), "different outlines"},
		{"LevelChanged", strings.Replace(japanese, "### 二 a", "## 二 a", 1), "different outlines"},
		{"ExtraSection", japanese + "\n## 余分\n", "different outlines"},
		{"MissingShLine", strings.Replace(japanese, "make test\n", "", 1), `a.md: line of a ` + "```sh" + ` block "make test" is not in b.md`},
		{"ExtraShLine", strings.Replace(japanese, ".ci/run ", "make bench\n.ci/run ", 1), `b.md: line of a ` + "```sh" + ` block "make bench" is not in a.md`},
		{"MissingInlineCommand", strings.Replace(japanese, "`make lint`", "lint", 1), `a.md: command "make lint" is not in b.md`},
		{"ChangedCommand", strings.Replace(japanese, "`make lint`", "`make lint FOO=1`", 1), `b.md: command "make lint FOO=1" is not in a.md`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := check(english, c.ja)
			if !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, c.want) }) {
				t.Fatalf("problems = %q, want one containing %q", p, c.want)
			}
		})
	}
}
