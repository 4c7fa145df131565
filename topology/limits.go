package topology

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Limits of a model, documented in docs/limits.md. Each bounds what a short
// file could otherwise make blackstart allocate.
const (
	// MaxModelBytes bounds the size of all model files of one load, bytes.
	MaxModelBytes = 64 << 20
	// MaxNesting bounds how deeply arrays and inline tables nest in a model
	// file; the format itself needs 2 (feeds_cycle, overload).
	MaxNesting = 16
	// MaxDevices bounds the devices of a model, groups expanded (a
	// 25,000-rack site of 40 servers is 1,000,000).
	MaxDevices = 1_000_000
	// MaxInstancesPerService bounds a service's instances.
	MaxInstancesPerService = 100_000
	// MaxInstances bounds the workload instances of a whole model, all
	// services and groups together.
	MaxInstances = 500_000
	// MaxStartMeanS bounds the mean of a service's start distribution,
	// seconds (115 days, as progress event times): a lognormal whose p90_s
	// is far above its median_s has a mean that dwarfs both (median_s =
	// 1e-6 s, p90_s = 1e9 s: about 5e151 s), and plans in such units
	// are no answer.
	MaxStartMeanS = 1e7
	// MaxIDEcho is how many characters of an id or other quoted text a
	// message repeats; the rest is elided.
	MaxIDEcho = 80
)

// MaxTOMLItems bounds the tables, keys and array values of the model files
// of one load, all together (see CheckTOML): the TOML parser and the
// decoder take about 0.5 to 1.2 KB of memory for each, whatever its
// size in the file (a 9-byte "[[rack]]\n"), so that a file within
// MaxModelBytes could have taken gigabytes (2.5 million bare [[rack]]
// tables, 22 MB, ran out of a 2 GiB address space).
const MaxTOMLItems = 800_000

// TOMLCounts is what CheckTOML counted in the files of one load so far.
type TOMLCounts struct {
	// Items counts table headers ([x], [[x]]), inline tables, keys and
	// array values (an array counts one, and one more for each comma in
	// it).
	Items int
}

// CheckTOML scans a TOML file before the TOML parser sees it, outside
// strings and comments, for
//   - arrays and inline tables nested deeper than MaxNesting (the parser
//     recurses once per level);
//   - keys (dotted keys, table headers) of more than MaxNesting dotted
//     parts (the parser makes a table per part: a 400 KB key of 200,000
//     parts took 6 GB);
//   - more than MaxTOMLItems tables, keys and array values, counted into
//     used across the files of one load (nil: this file alone).
//
// It returns nil or the position of the first bracket too deep, dot too
// many or item past the limit. It makes one pass and allocates next to nothing.
func CheckTOML(name string, data []byte, used *TOMLCounts) *Error {
	if used == nil {
		used = &TOMLCounts{}
	}
	line, col := 1, 0
	tooMany := func() *Error {
		return &Error{Pos: Pos{File: name, Line: line, Col: col},
			Msg: fmt.Sprintf("more than %d tables, keys and array values in the model's files, all together (the limit: each takes the TOML parser about a kilobyte of memory)", MaxTOMLItems)}
	}
	count := func() bool {
		used.Items++
		return used.Items > MaxTOMLItems
	}
	// open holds the arrays ('[') and inline tables ('{') open here.
	var open []byte
	// At the start of a line (after blanks), '[' opens a table header, not
	// an array: header brackets do not nest.
	lineStart := true
	// A key begins at a line's start outside arrays and inline tables, and
	// after '{' or ',' in an inline table; it ends at '='. dots counts its
	// dots outside quotes.
	inKey, keyNext, dots := false, false, 0
	tooLong := func() *Error {
		return &Error{Pos: Pos{File: name, Line: line, Col: col},
			Msg: fmt.Sprintf("a key of more than %d dotted parts here", MaxNesting)}
	}
	// skipString skips the string that opens at data[i] (basic or literal,
	// single- or multi-line), leaving i at its last byte.
	skipString := func(i int) int {
		q := data[i]
		multi := i+2 < len(data) && data[i+1] == q && data[i+2] == q
		if multi {
			i += 2
			col += 2
		}
		for i++; i < len(data); i++ {
			col++
			if data[i] == '\n' {
				line, col = line+1, 0
			}
			if q == '"' && data[i] == '\\' {
				i++
				col++
				continue
			}
			if data[i] != q {
				continue
			}
			if !multi {
				break
			}
			if i+2 < len(data) && data[i+1] == q && data[i+2] == q {
				// up to two more quotes may belong to the string
				for i+3 < len(data) && data[i+3] == q {
					i++
					col++
				}
				i += 2
				col += 2
				break
			}
		}
		return i
	}
	for i := 0; i < len(data); i++ {
		c := data[i]
		col++
		switch c {
		case '\n':
			line, col, lineStart = line+1, 0, true
			continue
		case ' ', '\t', '\r':
			continue
		case '#':
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
			continue
		}
		first := lineStart
		if first && len(open) == 0 && c != '[' || keyNext {
			inKey, dots = true, 0
		}
		lineStart, keyNext = false, false
		switch c {
		case '"', '\'':
			i = skipString(i)
			continue
		case '.':
			if inKey {
				if dots++; dots >= MaxNesting {
					return tooLong()
				}
			}
		case '=':
			if inKey && count() {
				return tooMany()
			}
			inKey = false
		case '[':
			if first && len(open) == 0 {
				// a table header, [x] or [[x]]: its dotted parts are
				// counted to its line's end (or a comment)
				if count() {
					return tooMany()
				}
				dots = 0
				for i+1 < len(data) && data[i+1] != '\n' && data[i+1] != '#' {
					i++
					col++
					switch data[i] {
					case '"', '\'':
						i = skipString(i)
					case '.':
						if dots++; dots >= MaxNesting {
							return tooLong()
						}
					}
				}
				continue
			}
			if count() {
				return tooMany()
			}
			open = append(open, '[')
		case '{':
			if count() {
				return tooMany()
			}
			open = append(open, '{')
			keyNext = true
		case ']', '}':
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		case ',':
			keyNext = len(open) > 0 && open[len(open)-1] == '{'
			if len(open) > 0 && open[len(open)-1] == '[' && count() {
				return tooMany()
			}
		}
		if len(open) > MaxNesting {
			return &Error{Pos: Pos{File: name, Line: line, Col: col},
				Msg: fmt.Sprintf("arrays and inline tables nest more than %d deep here", MaxNesting)}
		}
	}
	return nil
}

// idProblem says what makes s unfit as an id, or "": control, format
// (invisible) and other non-printing characters, and spaces and quotes,
// which would make messages and ids typed back ambiguous.
func idProblem(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	for i, r := range s {
		switch {
		case r == ' ' || r == '"' || r == '\'' || unicode.IsSpace(r):
			return "must not contain spaces or quotes"
		case !unicode.IsPrint(r):
			return fmt.Sprintf("must not contain invisible or control characters (%U at byte %d)", r, i)
		}
	}
	return ""
}

// Clip shortens every double-quoted Go-syntax string in msg longer than
// MaxIDEcho characters to its first MaxIDEcho characters, followed by "…"
// and the full length, so that a message never repeats a huge id whole.
func Clip(msg string) string {
	if len(msg) <= MaxIDEcho+2 {
		return msg
	}
	var out []byte
	for i := 0; i < len(msg); {
		if msg[i] != '"' {
			out = append(out, msg[i])
			i++
			continue
		}
		// Find the end of a quoted string, honouring escapes.
		j := i + 1
		for j < len(msg) && msg[j] != '"' {
			if msg[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(msg) {
			out = append(out, msg[i:]...)
			break
		}
		q := msg[i : j+1]
		if u, err := strconv.Unquote(q); err == nil && utf8.RuneCountInString(u) > MaxIDEcho {
			runes := []rune(u)
			short := strconv.Quote(string(runes[:MaxIDEcho]))
			out = append(out, short[:len(short)-1]...)
			out = append(out, fmt.Sprintf("…\" (%d characters)", len(runes))...)
		} else {
			out = append(out, q...)
		}
		i = j + 1
	}
	return string(out)
}
