package topology

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Pos is a position in a model file. Line and Col count from 1; a zero Line
// means the position is unknown and only File (and the key path of the Error
// that carries it) locate the problem.
type Pos struct {
	File string
	Line int // 1-based line, 0 when unknown
	Col  int // 1-based column in bytes, 0 when unknown
}

// String formats the position as file:line:col, or file when the line is unknown.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is one problem found in a model. Pos locates it when the decoder
// knows where; otherwise Path (a dotted key path such as "breaker[2].input")
// and ID (the id of the offending element, if any) do.
type Error struct {
	Pos  Pos
	Path string // key path in the file, used when Pos.Line is 0
	ID   string // id of the element the problem is about, may be empty
	Msg  string
}

// Error formats the problem as "file:line:col: message" when the position is
// known, else "file: key.path (id "x"): message".
func (e *Error) Error() string {
	if e.Pos.Line > 0 {
		return e.Pos.String() + ": " + Clip(e.Msg)
	}
	var b strings.Builder
	b.WriteString(e.Pos.File)
	if e.Path != "" {
		b.WriteString(": ")
		b.WriteString(e.Path)
	}
	if e.ID != "" && !strings.Contains(e.Msg, strconv.Quote(e.ID)) {
		b.WriteString(Clip(fmt.Sprintf(" (id %q)", e.ID)))
	}
	b.WriteString(": ")
	b.WriteString(Clip(e.Msg))
	return b.String()
}

// ErrorList is every problem found in one load, in the order of Sort:
// by file, line, column, then message. It is what Load returns on failure.
type ErrorList []*Error

// Error joins the messages, one per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Sort orders the list by file, line, column, path and message, and drops
// exact duplicates.
func (l *ErrorList) Sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Msg < b.Msg
	})
	out := s[:0]
	for i, e := range s {
		if i > 0 && e.Error() == s[i-1].Error() {
			continue
		}
		out = append(out, e)
	}
	*l = out
}

// Err returns nil when the list is empty, else the list itself.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
