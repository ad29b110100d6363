// Command readmecheck checks that translations of a README keep up with
// it: make lint runs it on README.md and README.ja.md. Two files agree when
//
//   - they have the same "## " and "### " headings, counted and in order of
//     levels (the words differ between languages; the outline does not);
//   - every line of their ```sh blocks, without its comment, appears in
//     both;
//   - every command they quote, `make …` or `.ci/run…` in a code span or a
//     ```sh block, appears in both.
//
// It prints each difference and exits 1 if there is any, 2 on a usage or
// read error.
//
// Usage:
//
//	readmecheck README.md README.ja.md
package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: readmecheck README.md README.ja.md")
		os.Exit(2)
	}
	var docs [2]doc
	for i, name := range os.Args[1:] {
		b, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		docs[i] = parse(name, string(b))
	}
	problems := compare(docs[0], docs[1])
	for _, p := range problems {
		fmt.Println(p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}

// doc is what readmecheck compares of one file.
type doc struct {
	name     string
	headings []heading
	sh       []string // lines of ```sh blocks, without comments
	commands []string // make … and .ci/run… in code spans and sh blocks
}

type heading struct {
	level int
	text  string
	line  int
}

var (
	codeSpan = regexp.MustCompile("`([^`]+)`")
	spaces   = regexp.MustCompile(`\s+`)
)

// isCommand reports whether s (trimmed) is a command readmecheck follows.
func isCommand(s string) bool {
	return strings.HasPrefix(s, "make ") || s == "make" || s == ".ci/run" || strings.HasPrefix(s, ".ci/run ")
}

func parse(name, text string) doc {
	d := doc{name: name}
	fence := "" // the info string of the open fenced block, "" outside one
	inFence := false
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			if inFence {
				inFence, fence = false, ""
			} else {
				inFence, fence = true, strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))
			}
			continue
		}
		if inFence {
			if fence == "sh" || fence == "shell" || fence == "bash" {
				cmd := stripComment(line)
				if cmd != "" {
					d.sh = append(d.sh, cmd)
					if isCommand(cmd) {
						d.commands = append(d.commands, cmd)
					}
				}
			}
			continue
		}
		switch {
		case strings.HasPrefix(line, "### "):
			d.headings = append(d.headings, heading{3, strings.TrimSpace(line[4:]), i + 1})
		case strings.HasPrefix(line, "## "):
			d.headings = append(d.headings, heading{2, strings.TrimSpace(line[3:]), i + 1})
		}
		for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
			if s := spaces.ReplaceAllString(strings.TrimSpace(m[1]), " "); isCommand(s) {
				d.commands = append(d.commands, s)
			}
		}
	}
	return d
}

// stripComment removes a shell comment (a # at the start or after a
// blank) and collapses blanks.
func stripComment(line string) string {
	for i, r := range line {
		if r == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			line = line[:i]
			break
		}
	}
	return spaces.ReplaceAllString(strings.TrimSpace(line), " ")
}

// compare lists every difference between a and b.
func compare(a, b doc) []string {
	var problems []string
	if !slices.EqualFunc(a.headings, b.headings, func(x, y heading) bool { return x.level == y.level }) {
		problems = append(problems, fmt.Sprintf("%s and %s have different outlines (## and ### headings, in order):", a.name, b.name))
		for i := range max(len(a.headings), len(b.headings)) {
			mark := "  "
			if i >= len(a.headings) || i >= len(b.headings) || a.headings[i].level != b.headings[i].level {
				mark = "≠ "
			}
			problems = append(problems, fmt.Sprintf("  %s%-40s %s", mark, outline(a.headings, i), outline(b.headings, i)))
		}
	}
	problems = append(problems, missing("line of a ```sh block", a, b, a.sh, b.sh)...)
	problems = append(problems, missing("command", a, b, a.commands, b.commands)...)
	return problems
}

func outline(hs []heading, i int) string {
	if i >= len(hs) {
		return "(none)"
	}
	return fmt.Sprintf("%d: %s %s", hs[i].line, strings.Repeat("#", hs[i].level), hs[i].text)
}

// missing reports each of xs absent from ys and each of ys absent from xs.
func missing(what string, a, b doc, xs, ys []string) []string {
	var problems []string
	for _, x := range dedupe(xs) {
		if !slices.Contains(ys, x) {
			problems = append(problems, fmt.Sprintf("%s: %s %q is not in %s", a.name, what, x, b.name))
		}
	}
	for _, y := range dedupe(ys) {
		if !slices.Contains(xs, y) {
			problems = append(problems, fmt.Sprintf("%s: %s %q is not in %s", b.name, what, y, a.name))
		}
	}
	return problems
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
