package readings

import (
	"errors"
	"io"
	"strings"
	"testing"

	"blackstart/topology"
)

// problems reads src and returns its problems as text, one a line; it
// fails the test on an error that is not a problem list.
func problems(t *testing.T, src string) (n int, text string) {
	t.Helper()
	got, err := readAll(t, "f", src)
	if err == nil {
		return len(got), ""
	}
	var list topology.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %v (%T), want a problem list", err, err)
	}
	var b strings.Builder
	for _, e := range list {
		b.WriteString(e.Error() + "\n")
	}
	return len(got), b.String()
}

// TestValueUnitMessages: a value that is not a number is told "without a
// unit" when a blank or a letter other than e/E follows at least one
// character (the unit after a number), "not a number" otherwise.
func TestValueUnitMessages(t *testing.T) {
	for s, want := range map[string]string{
		"3kW":  `power_w "3kW": a plain number of W, without a unit`,
		"9 W":  `power_w "9 W": a plain number of W, without a unit`,
		"3e":   `power_w "3e": not a number`,
		"kW":   `power_w "kW": not a number`,
		"1.2.": `power_w "1.2.": not a number`,
	} {
		var v float64
		err := setValue(&v, s, "power_w", "W")
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %s", s, err, want)
		}
	}
}

// TestReadLongFirstLine: a first CSV line longer than the 64-KiB read
// buffer (a comment here) is handed to encoding/csv, and the readings
// after it are read at their lines.
func TestReadLongFirstLine(t *testing.T) {
	src := "#" + strings.Repeat("x", 70_000) + "\ntime,element,power_w\n1793491200,a,1\n"
	got, err := readAll(t, "f", src)
	if err != nil || len(got) != 1 || got[0].PowerW != 1 || got[0].Pos.Line != 3 {
		t.Errorf("got %+v, %v; want one reading of 1 W at line 3", got, err)
	}
	if fast, slow := readBoth([]byte(src)); fast != slow {
		t.Errorf("the fast path read\n%s\nencoding/csv read\n%s", fast, slow)
	}
}

// TestReadJSONLinesShapes: a JSON line longer than the read buffer is
// gathered whole; a last line without a newline is read; every problem
// of one line is reported, each at its field.
func TestReadJSONLinesShapes(t *testing.T) {
	long := strings.Repeat("x", 70_000)
	got, err := readAll(t, "f", `{"time": 1793491200, "element": "`+long+`", "power_w": 2}`+"\n"+
		`{"time": 1793491260, "element": "b", "power_w": 3}`)
	if err != nil || len(got) != 2 || got[0].Element != long || got[0].PowerW != 2 ||
		got[1].Element != "b" || got[1].PowerW != 3 || got[1].Pos.Line != 2 {
		t.Fatalf("got %d readings, %v; want 2: %d-byte a at 2 W, b at 3 W on line 2", len(got), err, len(long))
	}
	n, text := problems(t, `{"time": 1793491200, "power_w": -1}`+"\n"+`{"time": 1793491200, "element": "a", "power_w": 1}`+"\n")
	want := "f:1:1: no element\nf:1:22: power_w -1: must be a finite number of W >= 0 and at most 1e+09\n"
	if n != 1 || text != want {
		t.Errorf("got %d readings and\n%swant 1 and\n%s", n, text, want)
	}
}

// TestReadCSVParseErrorAtTheCap: a CSV parse error that is the
// MaxErrors-th problem stops the file with "more than 50 problems", as
// any other.
func TestReadCSVParseErrorAtTheCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("time,element,power_w\n")
	for i := 1; i < MaxErrors; i++ {
		b.WriteString("x,a,1\n")
	}
	b.WriteString("17934912\"00,a,1\n1793491200,a,2\n")
	_, text := problems(t, b.String())
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != MaxErrors+1 || !strings.HasPrefix(lines[MaxErrors-1], "f:51:") ||
		lines[MaxErrors] != "f: more than 50 problems: stopped reading" {
		t.Errorf("got %d problems, want %d, the 50th at line 51, then the cap:\n%s", len(lines), MaxErrors+1, text)
	}
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	return n, err
}

// TestReadLongCSVLine: a CSV line longer than maxLine (1 MiB) is a
// problem at its line, and reading stops there rather than gather the
// line whole (a file of one endless line, /dev/zero, held 4.8 GB for
// 200 MB): whether the long line is the header, a reading, or follows a
// quoted field, at most maxLine and a buffer more are read.
func TestReadLongCSVLine(t *testing.T) {
	const size = 8 << 20
	long := strings.Repeat("x", size)
	for _, c := range []struct{ name, head, want string }{
		{"header", "", "f:1:1: a line longer than 1 MiB"},
		{"reading", "time,element,power_w\n1793491200,a,1\n", "f:3:1: a line longer than 1 MiB"},
		{"after a quote", "time,element,power_w\n1793491200,\"a\",1\n1793491200,a,1\n", "f:4:1: a line longer than 1 MiB"},
		{"NUL bytes", "", "f:1:1: a line longer than 1 MiB"},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := long
			if c.name == "NUL bytes" {
				body = strings.Repeat("\x00", size)
			}
			src := &countingReader{r: strings.NewReader(c.head + body + "\n")}
			err := Read("f", src, func(*Reading) error { return nil })
			var list topology.ErrorList
			if !errors.As(err, &list) || len(list) != 1 || list[0].Error() != c.want {
				t.Errorf("got %v, want the one problem %q", err, c.want)
			}
			if src.n > len(c.head)+maxLine+1<<17 {
				t.Errorf("read %d bytes of %d, want at most the line bound and a buffer more", src.n, len(c.head)+size+1)
			}
		})
	}
	// A line of exactly maxLine bytes is read (a comment here).
	src := "#" + strings.Repeat("x", maxLine-1) + "\ntime,element,power_w\n1793491200,\"a\",1\n"
	if got, err := readAll(t, "f", src); err != nil || len(got) != 1 {
		t.Errorf("a line of maxLine bytes: got %d readings, %v; want 1", len(got), err)
	}
}
