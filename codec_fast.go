package sesh

import (
	"bytes"
	"encoding/json"
	"time"
)

// decodeFast parses the exact form JSONCodec.Encode writes — no
// whitespace, the one-letter member names, strings without escapes or
// non-ASCII bytes, integers without exponents — and reports false for
// anything else, which Decode then hands to encoding/json. On every input
// it accepts it yields what encoding/json would (FuzzJSONCodecDecode checks
// this). It makes one copy of src; values are slices of that copy.
func decodeFast(src []byte, d *Data) bool {
	p := fastParser{b: append([]byte(nil), src...)}
	var out Data
	if !p.eat('{') {
		return false
	}
	if p.eat('}') {
		*d = out
		return p.i == len(p.b)
	}
	var seen [128]bool
	for {
		if !p.eat('"') || p.i+2 >= len(p.b) || p.b[p.i+1] != '"' || p.b[p.i+2] != ':' {
			return false
		}
		k := p.b[p.i]
		if k >= 128 || seen[k] {
			return false
		}
		seen[k] = true
		p.i += 3
		var ok bool
		switch k {
		case 'c', 's', 'p', 'n', 'r':
			var n int64
			if n, ok = p.int(); !ok {
				return false
			}
			switch k {
			case 'c':
				if n != 0 {
					out.Created = time.UnixMilli(n)
				}
			case 's':
				if n != 0 {
					out.SignedIn = time.UnixMilli(n)
				}
			case 'p':
				out.Persist = time.Duration(n) * time.Millisecond
			case 'n':
				if n != 0 {
					out.AuthTime = time.UnixMilli(n)
				}
			case 'r':
				out.Restored = n != 0
			}
		case 'i', 'u', 'a':
			var s string
			if s, ok = p.str(); !ok {
				return false
			}
			switch k {
			case 'i':
				out.ID = s
			case 'u':
				out.UserID = s
			case 'a':
				out.UserAgent = s
			}
		case 'v':
			out.Values = map[string]json.RawMessage{}
			ok = p.object(func(key string) bool {
				start := p.i
				if !p.value(2) { // inside the record and its "v": encoding/json counts those levels too
					return false
				}
				out.Values[key] = json.RawMessage(p.b[start:p.i:p.i])
				return true
			})
		case 't':
			out.Deadlines = nil
			deadlines := map[string]time.Time{}
			ok = p.object(func(key string) bool {
				n, ok := p.int()
				deadlines[key] = time.UnixMilli(n)
				return ok
			})
			if len(deadlines) > 0 {
				out.Deadlines = deadlines
			}
		default:
			return false
		}
		if !ok {
			return false
		}
		if p.eat(',') {
			continue
		}
		if !p.eat('}') || p.i != len(p.b) {
			return false
		}
		*d = out
		return true
	}
}

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string of ASCII without escapes or control bytes.
func (p *fastParser) str() (string, bool) {
	if !p.eat('"') {
		return "", false
	}
	q := bytes.IndexByte(p.b[p.i:], '"')
	if q < 0 {
		return "", false
	}
	run := p.b[p.i : p.i+q]
	if ctl, high := controlOrHigh(run); ctl|high != 0 || bytes.IndexByte(run, '\\') >= 0 {
		return "", false
	}
	p.i += q + 1
	return string(run), true
}

// int reads -?(0|[1-9][0-9]*) that fits an int64 and is followed by a
// delimiter.
func (p *fastParser) int() (int64, bool) {
	neg := p.eat('-')
	start := p.i
	var n int64
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		if n > (1<<63-1-9)/10 {
			return 0, false // near overflow: let encoding/json decide
		}
		n = n*10 + int64(p.b[p.i]-'0')
		p.i++
	}
	digits := p.i - start
	if digits == 0 || (digits > 1 && p.b[start] == '0') {
		return 0, false
	}
	if p.i < len(p.b) && p.b[p.i] != ',' && p.b[p.i] != '}' {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// object reads {"key":<value>,…} calling member after each key's colon;
// member reads the value. An empty object is accepted.
func (p *fastParser) object(member func(key string) bool) bool {
	if !p.eat('{') {
		return false
	}
	if p.eat('}') {
		return true
	}
	for {
		k, ok := p.str()
		if !ok || !p.eat(':') || !member(k) {
			return false
		}
		if p.eat(',') {
			continue
		}
		return p.eat('}')
	}
}

// maxDepth is encoding/json's nesting limit: a deeper value is invalid
// there, so it is here.
const maxDepth = 10000

// value checks one JSON value (RFC 8259, as encoding/json's scanner reads
// it: strings are not checked for UTF-8) and moves past it, in one pass.
// Whitespace is accepted inside arrays and objects, not around the value:
// the caller's form has none there.
func (p *fastParser) value(depth int) bool {
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; c {
	case '{':
		if depth >= maxDepth {
			return false
		}
		p.i++
		p.ws()
		if p.eat('}') {
			return true
		}
		for {
			if !p.anyString() {
				return false
			}
			p.ws()
			if !p.eat(':') {
				return false
			}
			p.ws()
			if !p.value(depth + 1) {
				return false
			}
			p.ws()
			if p.eat(',') {
				p.ws()
				continue
			}
			return p.eat('}')
		}
	case '[':
		if depth >= maxDepth {
			return false
		}
		p.i++
		p.ws()
		if p.eat(']') {
			return true
		}
		for {
			if !p.value(depth + 1) {
				return false
			}
			p.ws()
			if p.eat(',') {
				p.ws()
				continue
			}
			return p.eat(']')
		}
	case '"':
		return p.anyString()
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	}
	return p.number()
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastParser) literal(lit string) bool {
	if len(p.b)-p.i < len(lit) || string(p.b[p.i:p.i+len(lit)]) != lit {
		return false
	}
	p.i += len(lit)
	return true
}

// anyString checks a JSON string: no control bytes, valid escapes.
func (p *fastParser) anyString() bool {
	if !p.eat('"') {
		return false
	}
	// The usual string has no escape: its end is the next '"' (found by
	// the runtime's vector code), and it only remains to check the bytes
	// before it for control bytes and backslashes.
	q := bytes.IndexByte(p.b[p.i:], '"')
	if q < 0 {
		return false
	}
	if run := p.b[p.i : p.i+q]; bytes.IndexByte(run, '\\') < 0 && !hasControl(run) {
		p.i += q + 1
		return true
	}
	for p.i < len(p.b) {
		p.i = stringStop(p.b, p.i)
		if p.i >= len(p.b) {
			return false
		}
		c := p.b[p.i]
		p.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if p.i >= len(p.b) {
				return false
			}
			e := p.b[p.i]
			p.i++
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(p.b)-p.i < 4 {
					return false
				}
				for _, h := range p.b[p.i : p.i+4] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				p.i += 4
			default:
				return false
			}
		}
	}
	return false
}

// number checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (p *fastParser) number() bool {
	p.eat('-')
	switch {
	case p.eat('0'):
	case p.i < len(p.b) && '1' <= p.b[p.i] && p.b[p.i] <= '9':
		p.digits()
	default:
		return false
	}
	if p.eat('.') && !p.digits() {
		return false
	}
	if p.eat('e') || p.eat('E') {
		if !p.eat('+') {
			p.eat('-')
		}
		if !p.digits() {
			return false
		}
	}
	return true
}

// digits moves past [0-9]+ and reports whether there was one.
func (p *fastParser) digits() bool {
	start := p.i
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}
