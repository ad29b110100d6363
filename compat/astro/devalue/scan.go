package devalue

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// devalue's text is a JSON array of nodes; a node is a JSON scalar, or an
// array or object whose members are scalars (indexes and strings). Nothing
// devalue writes nests deeper, so the scanner refuses anything that does:
// it needs no recursion, and its memory is two slices sized exactly, by a
// first pass that only counts.

// Kinds of scanned values.
const (
	kNull byte = iota + 1
	kTrue
	kFalse
	kNum
	kStr
	kArr
	kObj
)

// jnode is one node of the top-level array.
type jnode struct {
	text string // a number's literal or a string's value
	lo   int32  // first member in scanner.items
	n    int32  // members (objects: key and value, so 2 per property)
	kind byte
}

// jitem is a member of an array or object node.
type jitem struct {
	text string
	kind byte // kNum or kStr
}

type scanner struct {
	src   string
	pos   int
	fill  bool
	nodes []jnode
	items []jitem
	nn    int // nodes counted
	ni    int // items counted
}

func (s *scanner) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", ErrInvalid, what, s.pos)
}

// scan reads src. A bare number (devalue's form for undefined, NaN, ±Inf
// and -0) is returned as root; otherwise root is empty and the nodes are in
// s.nodes.
func scan(src string) (s *scanner, root string, err error) {
	if len(src) >= math.MaxInt32 {
		return nil, "", fmt.Errorf("%w: input too long", ErrInvalid)
	}
	s = &scanner{src: src}
	if root, err = s.run(); err != nil || root != "" {
		return s, root, err
	}
	s.nodes = make([]jnode, 0, s.nn)
	s.items = make([]jitem, 0, s.ni)
	s.fill, s.pos, s.nn, s.ni = true, 0, 0, 0
	_, err = s.run()
	return s, "", err
}

func (s *scanner) ws() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos < len(s.src) {
		return s.src[s.pos]
	}
	return 0
}

func (s *scanner) run() (string, error) {
	c := s.peek()
	if c == '-' || '0' <= c && c <= '9' {
		num, err := s.number()
		if err != nil {
			return "", err
		}
		if s.peek() != 0 {
			return "", s.fail("trailing data")
		}
		return num, nil
	}
	if c != '[' {
		return "", s.fail("not an array")
	}
	s.pos++
	if s.peek() == ']' {
		return "", s.fail("an empty array")
	}
	for {
		if err := s.node(); err != nil {
			return "", err
		}
		switch s.peek() {
		case ',':
			s.pos++
			continue
		case ']':
			s.pos++
			if s.peek() != 0 {
				return "", s.fail("trailing data")
			}
			return "", nil
		}
		return "", s.fail("expected , or ]")
	}
}

// node reads one element of the top-level array.
func (s *scanner) node() error {
	n := jnode{}
	switch c := s.peek(); c {
	case '[', '{':
		s.pos++
		n.kind, n.lo = kArr, int32(s.ni)
		end := byte(']')
		if c == '{' {
			n.kind, end = kObj, '}'
		}
		if s.peek() == end {
			s.pos++
			break
		}
		for {
			if c == '{' {
				if s.peek() != '"' {
					return s.fail("expected a key")
				}
				if err := s.item(); err != nil {
					return err
				}
				if s.peek() != ':' {
					return s.fail("expected :")
				}
				s.pos++
			}
			if err := s.item(); err != nil {
				return err
			}
			if p := s.peek(); p == ',' {
				s.pos++
				continue
			} else if p == end {
				s.pos++
				break
			}
			return s.fail("expected , or the end of a node")
		}
		n.n = int32(s.ni) - n.lo
	case '"':
		str, err := s.string()
		if err != nil {
			return err
		}
		n.kind, n.text = kStr, str
	case 't', 'f', 'n':
		word, kind := "null", kNull
		if c == 't' {
			word, kind = "true", kTrue
		} else if c == 'f' {
			word, kind = "false", kFalse
		}
		if !strings.HasPrefix(s.src[s.pos:], word) {
			return s.fail("unexpected literal")
		}
		s.pos += len(word)
		n.kind = kind
	default:
		num, err := s.number()
		if err != nil {
			return err
		}
		n.kind, n.text = kNum, num
	}
	s.nn++
	if s.fill {
		s.nodes = append(s.nodes, n)
	}
	return nil
}

// item reads a member of a node: a number or a string.
func (s *scanner) item() error {
	var it jitem
	var err error
	if s.peek() == '"' {
		it.kind = kStr
		it.text, err = s.string()
	} else {
		it.kind = kNum
		it.text, err = s.number()
	}
	if err != nil {
		return err
	}
	s.ni++
	if s.fill {
		s.items = append(s.items, it)
	}
	return nil
}

// number reads a JSON number and returns its literal.
func (s *scanner) number() (string, error) {
	start := s.pos
	src := s.src
	digits := func() int {
		n := 0
		for s.pos < len(src) && '0' <= src[s.pos] && src[s.pos] <= '9' {
			s.pos++
			n++
		}
		return n
	}
	if s.pos < len(src) && src[s.pos] == '-' {
		s.pos++
	}
	if s.pos < len(src) && src[s.pos] == '0' {
		s.pos++
	} else if digits() == 0 {
		return "", s.fail("not a value")
	}
	if s.pos < len(src) && src[s.pos] == '.' {
		s.pos++
		if digits() == 0 {
			return "", s.fail("a bad number")
		}
	}
	if s.pos < len(src) && (src[s.pos] == 'e' || src[s.pos] == 'E') {
		s.pos++
		if s.pos < len(src) && (src[s.pos] == '+' || src[s.pos] == '-') {
			s.pos++
		}
		if digits() == 0 {
			return "", s.fail("a bad number")
		}
	}
	return src[start:s.pos], nil
}

// string reads a JSON string. Without escapes its value is a slice of the
// input (no copy); with them it is decoded in the fill pass only. A lone
// surrogate escape reads as U+FFFD, which is what a JavaScript string with
// that surrogate becomes when Node writes it as UTF-8. Input that is not
// UTF-8 is refused.
func (s *scanner) string() (string, error) {
	s.pos++ // the quote
	start := s.pos
	escaped := false
	src := s.src
	for {
		if s.pos >= len(src) {
			return "", s.fail("an unterminated string")
		}
		c := src[s.pos]
		switch {
		case c == '"':
			raw := src[start:s.pos]
			s.pos++
			if !escaped {
				return raw, nil
			}
			if !s.fill {
				return "", nil
			}
			return unescape(raw), nil
		case c == '\\':
			if s.pos+1 >= len(src) {
				return "", s.fail("an unterminated string")
			}
			escaped = true
			switch src[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(src) || !isHex4(src[s.pos+2:s.pos+6]) {
					return "", s.fail("a bad \\u escape")
				}
				s.pos += 6
			default:
				return "", s.fail("a bad escape")
			}
		case c < 0x20:
			return "", s.fail("a control character in a string")
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, n := utf8.DecodeRuneInString(src[s.pos:])
			if r == utf8.RuneError && n == 1 {
				return "", s.fail("a string that is not UTF-8")
			}
			s.pos += n
		}
	}
}

func isHex4(h string) bool {
	for i := 0; i < 4; i++ {
		if hexVal(h[i]) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

func hex4(h string) rune {
	return hexVal(h[0])<<12 | hexVal(h[1])<<8 | hexVal(h[2])<<4 | hexVal(h[3])
}

// unescape decodes the body of a string the scanner validated.
func unescape(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r := hex4(raw[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if r < 0xdc00 && i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if r2 := hex4(raw[i+2 : i+6]); 0xdc00 <= r2 && r2 <= 0xdfff {
						r = utf16.DecodeRune(r, r2)
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			b.WriteRune(r)
			continue
		default: // " \ /
			b.WriteByte(raw[i+1])
		}
		i += 2
	}
	return b.String()
}
