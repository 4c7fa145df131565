package topology

import (
	"strconv"
	"strings"
)

// posIndex maps key paths of one TOML document to the position where the key
// (or the table header) is written. BurntSushi/toml decodes the document but
// does not expose per-instance positions of keys inside arrays of tables, so
// this scanner walks the (already parsed, hence valid) text once more and
// records them. Paths look like `rack_pdu[0].bank[1].line` or
// `ups[0].overload[2].time_s`.
type posIndex struct {
	file string
	m    map[string]Pos
	// rejected holds the key paths the decoder reported (wrong type, or
	// likely misspelt as an unknown key); see at.rejected.
	rejected map[string]bool
}

// lookup returns the position of path, or of its nearest recorded ancestor,
// or a position with only the file name.
func (ix *posIndex) lookup(path string) Pos {
	for path != "" {
		if p, ok := ix.m[path]; ok {
			return p
		}
		if p, ok := ix.m[path+"[0]"]; ok { // [[key]] written where [key] belongs
			return p
		}
		cut := strings.LastIndexAny(path, ".[")
		if cut < 0 {
			break
		}
		path = path[:cut]
	}
	return Pos{File: ix.file}
}

// scanner state; it never panics on any input and always makes progress.
type posScanner struct {
	src    []byte
	i      int
	line   int
	lineAt int // offset of the first byte of the current line
	ix     *posIndex
	arrays map[string]int // array-of-tables path → instances seen
}

func buildPosIndex(file string, src []byte) *posIndex {
	ix := &posIndex{file: file, m: make(map[string]Pos, 64), rejected: map[string]bool{}}
	s := &posScanner{src: src, line: 1, ix: ix, arrays: map[string]int{}}
	s.document()
	return ix
}

func (s *posScanner) pos() Pos {
	return Pos{File: s.ix.file, Line: s.line, Col: s.i - s.lineAt + 1}
}

func (s *posScanner) peek() byte {
	if s.i < len(s.src) {
		return s.src[s.i]
	}
	return 0
}

func (s *posScanner) advance() {
	if s.i >= len(s.src) {
		return
	}
	if s.src[s.i] == '\n' {
		s.line++
		s.lineAt = s.i + 1
	}
	s.i++
}

// skipSpace skips blanks and, when nl is set, newlines and comments too.
func (s *posScanner) skipSpace(nl bool) {
	for s.i < len(s.src) {
		switch c := s.src[s.i]; {
		case c == ' ' || c == '\t' || c == '\r':
			s.advance()
		case nl && c == '\n':
			s.advance()
		case nl && c == '#':
			for s.i < len(s.src) && s.src[s.i] != '\n' {
				s.advance()
			}
		default:
			return
		}
	}
}

func (s *posScanner) document() {
	current := ""
	for s.i < len(s.src) {
		s.skipSpace(true)
		if s.i >= len(s.src) {
			return
		}
		start := s.pos()
		if s.peek() == '[' {
			s.advance()
			array := s.peek() == '['
			if array {
				s.advance()
			}
			keys := s.keys()
			for s.i < len(s.src) && s.src[s.i] != '\n' && s.src[s.i] != '#' {
				s.advance()
			}
			current = s.resolveHeader(keys, array)
			s.ix.m[current] = start
			continue
		}
		before := s.i
		keys := s.keys()
		if len(keys) == 0 {
			if s.i == before {
				s.advance()
			}
			continue
		}
		path := joinPath(current, keys)
		s.ix.m[path] = start
		s.skipSpace(false)
		if s.peek() == '=' {
			s.advance()
		}
		s.skipSpace(false)
		s.value(path)
	}
}

// resolveHeader turns header keys into an indexed path, counting instances
// of arrays of tables.
func (s *posScanner) resolveHeader(keys []string, array bool) string {
	p := ""
	for k, key := range keys {
		if p == "" {
			p = key
		} else {
			p += "." + key
		}
		last := k == len(keys)-1
		if n, ok := s.arrays[p]; ok && !last {
			p += "[" + strconv.Itoa(n-1) + "]"
		}
		if last && array {
			n := s.arrays[p]
			s.arrays[p] = n + 1
			p += "[" + strconv.Itoa(n) + "]"
		}
	}
	return p
}

func joinPath(prefix string, keys []string) string {
	p := prefix
	for _, k := range keys {
		if p == "" {
			p = k
		} else {
			p += "." + k
		}
	}
	return p
}

// keys reads a possibly dotted key; it stops before '=' or ']' .
func (s *posScanner) keys() []string {
	var keys []string
	for s.i < len(s.src) {
		s.skipSpace(false)
		switch c := s.peek(); {
		case c == '"' || c == '\'':
			start := s.i
			s.str()
			raw := string(s.src[start:s.i])
			if k, err := strconv.Unquote(raw); err == nil && c == '"' {
				keys = append(keys, k)
			} else {
				keys = append(keys, strings.Trim(raw, `"'`))
			}
		case isBare(c):
			start := s.i
			for s.i < len(s.src) && isBare(s.src[s.i]) {
				s.advance()
			}
			keys = append(keys, string(s.src[start:s.i]))
		default:
			return keys
		}
		s.skipSpace(false)
		if s.peek() != '.' {
			return keys
		}
		s.advance()
	}
	return keys
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// value skips one value, recording the positions of array elements and of
// keys of inline tables under path.
func (s *posScanner) value(path string) {
	switch s.peek() {
	case '"', '\'':
		s.str()
	case '[':
		s.advance()
		for n := 0; s.i < len(s.src); {
			s.skipSpace(true)
			c := s.peek()
			if c == ']' {
				s.advance()
				return
			}
			if c == ',' {
				s.advance()
				continue
			}
			p := path + "[" + strconv.Itoa(n) + "]"
			s.ix.m[p] = s.pos()
			before := s.i
			s.value(p)
			if s.i == before {
				s.advance()
			}
			n++
		}
	case '{':
		s.advance()
		for s.i < len(s.src) {
			s.skipSpace(true)
			c := s.peek()
			if c == '}' {
				s.advance()
				return
			}
			if c == ',' {
				s.advance()
				continue
			}
			start := s.pos()
			before := s.i
			keys := s.keys()
			if len(keys) == 0 {
				if s.i == before {
					s.advance()
				}
				continue
			}
			p := joinPath(path, keys)
			s.ix.m[p] = start
			s.skipSpace(false)
			if s.peek() == '=' {
				s.advance()
			}
			s.skipSpace(false)
			s.value(p)
		}
	default:
		for s.i < len(s.src) {
			switch s.src[s.i] {
			case ',', ']', '}', '\n', '#':
				return
			}
			s.advance()
		}
	}
}

// str skips a basic, literal or multi-line string.
func (s *posScanner) str() {
	q := s.peek()
	if s.i+2 < len(s.src) && s.src[s.i+1] == q && s.src[s.i+2] == q {
		s.advance()
		s.advance()
		s.advance()
		for s.i < len(s.src) {
			if q == '"' && s.src[s.i] == '\\' {
				s.advance()
				s.advance()
				continue
			}
			if s.src[s.i] == q && s.i+2 < len(s.src) && s.src[s.i+1] == q && s.src[s.i+2] == q {
				s.advance()
				s.advance()
				s.advance()
				// up to two more quotes may belong to the content
				for k := 0; k < 2 && s.peek() == q; k++ {
					s.advance()
				}
				return
			}
			s.advance()
		}
		return
	}
	s.advance()
	for s.i < len(s.src) {
		c := s.src[s.i]
		if c == '\n' {
			return
		}
		if q == '"' && c == '\\' {
			s.advance()
			s.advance()
			continue
		}
		s.advance()
		if c == q {
			return
		}
	}
}
