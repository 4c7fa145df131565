package readings

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"blackstart/topology"
)

func readAll(t *testing.T, name, src string) ([]Reading, error) {
	t.Helper()
	var out []Reading
	err := Read(name, strings.NewReader(src), func(r *Reading) error {
		out = append(out, *r)
		return nil
	})
	return out, err
}

func TestReadCSV(t *testing.T) {
	src := "time,element,power_w,current_a,line\n" +
		"1793491200,pdu-a,3000.5,,\n" +
		"2026-11-01T00:01:00Z,pdu-a,,4.25,L2\n" +
		"1793491260.250,dev-1,120,0.55,\n"
	got, err := readAll(t, "r.csv", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d readings, want 3", len(got))
	}
	a, b, c := got[0], got[1], got[2]
	if a.TimeMS != 1793491200000 || a.Element != "pdu-a" || a.PowerW != 3000.5 || !math.IsNaN(a.CurrentA) || a.Line != "" || a.Pos.Line != 2 {
		t.Errorf("row 1: got %+v", a)
	}
	if b.TimeMS != 1793491260000 || b.Line != "L2" || b.CurrentA != 4.25 || !math.IsNaN(b.PowerW) {
		t.Errorf("row 2: got %+v", b)
	}
	if c.TimeMS != 1793491260250 || c.PowerW != 120 || c.CurrentA != 0.55 {
		t.Errorf("row 3: got %+v", c)
	}
}

func TestReadJSONLines(t *testing.T) {
	src := `{"time": 1793491200, "element": "pdu-a", "power_w": 3000}` + "\n\n" +
		`{"time": "2026-11-01T00:01:00+01:00", "element": "pdu-a", "line": "L3", "current_a": 7.5}` + "\n"
	got, err := readAll(t, "r.jsonl", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].PowerW != 3000 || got[1].TimeMS != 1793487660000 || got[1].Line != "L3" || got[1].CurrentA != 7.5 || got[1].Pos.Line != 3 {
		t.Errorf("got %+v", got)
	}
}

// TestReadErrors: each bad row is named at file:line:col, all at once.
func TestReadErrors(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"csv", "time,element,power_w,line\n" +
			"yesterday,a,1,\n" +
			"1793491200,a,3 kW,\n" +
			"1793491200,a,-5,\n" +
			"1793491200,a,5,L4\n" +
			"1793491200,a,1e308,\n" +
			"1793491200,a,1000000001,\n" +
			"1793491200,,5,\n" +
			"1793491200,a,,\n" +
			"1793491200,a\n",
			[]string{`f:2:1: time "yesterday": not Unix seconds or an RFC 3339 time`,
				`f:3:14: power_w "3 kW": a plain number of W, without a unit`,
				`f:4:14: power_w -5: must be a finite number of W >= 0`,
				`f:5:16: line "L4": must be L1, L2 or L3`,
				`f:6:14: power_w 1e308: must be a finite number of W >= 0 and at most 1e+09`,
				`f:7:14: power_w 1000000001: must be a finite number of W >= 0 and at most 1e+09`,
				`f:8:12: empty element id`,
				`f:9:1: element "a": the reading has neither power_w nor current_a`,
				`f:10:1: 2 fields, the header has 4`}},
		{"header", "time,element,power_kw\n1,a,1\n", []string{`f:1:14: unknown column "power_kw" (power is power_w, in watts)`,
			"f:1:1: the header must name the columns time, element and power_w and/or current_a"}},
		{"no value column", "time,element\n1,a\n", []string{"f:1:1: the header must name the columns time, element and power_w and/or current_a"}},
		{"json", `{"time": 1793491200, "element": "a", "power_w": "5"}` + "\n" +
			`{"time": 1793491200, "element": "a", "powr_w": 5}` + "\n" +
			`{"time": -3, "element": "a", "power_w": 5}` + "\n" +
			`{"time": 1793491200, "element": "a", "current_a": 1e300}` + "\n" +
			`{"time": 1793491200, "element": "a", "power_w": 5` + "\n",
			[]string{`f:1:38: power_w "5": a JSON number of W, not a string`,
				`f:2:1: unknown field "powr_w": the fields are time, element, power_w, current_a, line`,
				`f:3:2: time "-3": Unix seconds out of range`,
				`f:4:38: current_a 1e300: must be a finite number of A >= 0 and at most 1e+09`,
				`f:5:1: unexpected EOF`}},
		{"empty", "\n\n", []string{"f: the file holds no readings"}},
		{"header only", "time,element,power_w\n", []string{"f: the file holds no readings"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := readAll(t, "f", c.src)
			var list topology.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("got %v, want an ErrorList", err)
			}
			if len(list) != len(c.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(list), len(c.want), err)
			}
			for i, w := range c.want {
				if !strings.HasPrefix(list[i].Error(), w) {
					t.Errorf("problem %d: got %q, want %q…", i, list[i].Error(), w)
				}
			}
		})
	}
}

// TestReadCallbackError: what fn refuses is positioned like a bad row.
func TestReadCallbackError(t *testing.T) {
	err := Read("f", strings.NewReader("time,element,power_w\n1793491200,x,1\n1793491200,y,1\n"), func(r *Reading) error {
		if r.Element == "y" {
			return errors.New(`unknown element "y"`)
		}
		return nil
	})
	if err == nil || err.Error() != `f:3:1: unknown element "y"` {
		t.Errorf("got %v", err)
	}
}

func TestReadStopsAfterMaxErrors(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("time,element,power_w\n")
	for i := 0; i < 200; i++ {
		b.WriteString("x,a,1\n")
	}
	err := Read("f", &b, func(*Reading) error { return nil })
	var list topology.ErrorList
	if !errors.As(err, &list) || len(list) != MaxErrors+1 || !strings.Contains(list[MaxErrors].Msg, "stopped reading") {
		t.Errorf("got %d problems: %v", len(list), err)
	}
}

// FuzzRead: any bytes give readings that hold their invariants, or an
// error; never a panic.
func FuzzRead(f *testing.F) {
	f.Add([]byte("time,element,power_w,current_a,line\n1793491200,a,1,2,L1\n"))
	f.Add([]byte(`{"time":"2026-11-01T00:00:00Z","element":"a","current_a":1}` + "\n"))
	f.Add([]byte("time,element,power_w\n\"1\",\"a\"\"b\",1e3\n"))
	f.Add([]byte("{\"time\":1.5,\"element\":\"\",\"power_w\":null}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		Read("fuzz", bytes.NewReader(data), func(r *Reading) error {
			if r.TimeMS <= 0 || r.Element == "" {
				t.Fatalf("bad reading %+v", r)
			}
			if r.Line != "" && r.Line != "L1" && r.Line != "L2" && r.Line != "L3" {
				t.Fatalf("bad line %q", r.Line)
			}
			if math.IsNaN(r.PowerW) && math.IsNaN(r.CurrentA) {
				t.Fatal("a reading without a value")
			}
			for _, v := range []float64{r.PowerW, r.CurrentA} {
				if !math.IsNaN(v) && (v < 0 || math.IsInf(v, 0)) {
					t.Fatalf("bad value %v", v)
				}
			}
			return nil
		})
	})
}

// readBoth reads src with the CSV fast path and with encoding/csv alone
// and returns what each gave: the readings and the error, as text.
func readBoth(src []byte) (fast, slow string) {
	run := func(slowCSV bool) string {
		var b strings.Builder
		p := parser{name: "f", slowCSV: slowCSV, fn: func(r *Reading) error {
			fmt.Fprintf(&b, "%+v\n", *r)
			return nil
		}}
		br := bufio.NewReaderSize(bytes.NewReader(src), 1<<16)
		err := p.csv(br)
		fmt.Fprintf(&b, "err %v\nproblems %v\n", err, p.errs)
		return b.String()
	}
	return run(false), run(true)
}

// TestFastCSVAsEncodingCSV: the fast path reads what encoding/csv reads,
// with the same positions, on the shapes it takes and those it hands on.
func TestFastCSVAsEncodingCSV(t *testing.T) {
	long := strings.Repeat("x", 70_000)
	for name, src := range map[string]string{
		"plain":         "time,element,power_w,current_a,line\n1793491200,a,1,2,L1\n1793491260,b,,3,\n",
		"crlf and bom":  "\ufefftime,element,power_w\r\n1793491200,a,1\r\n\r\n# note\r\n1793491260,a,2",
		"bad rows":      "time,element,power_w,line\nyesterday,a,1,\n1793491200,a,3 kW,\n1,a\n1793491200,,5,\n1793491200,a,5,L4\n",
		"quote later":   "time,element,power_w\n1793491200,a,1\n\"1793491260\",\"b\"\"c\",2\n1793491320,a,\"3\n\"\n1793491380,a,4\n",
		"quote header":  "\"time\",element,power_w\n1793491200,a,1\n",
		"bare quote":    "time,element,power_w\n1793491200,a,1\n17934912\"00,a,1\n1793491200,a,2\n",
		"long line":     "time,element,power_w\n1793491200," + long + ",1\n1793491200,a,1\n",
		"bad header":    "time,elemnt,power_kw\n1,a,1\n",
		"cr in a field": "time,element,power_w\n1793491200,a\r,1\n1793491200,a,1\r",
		"spaces":        "time , element,power_w\n 1793491200 , a , 1 \n   \n",
	} {
		fast, slow := readBoth([]byte(src))
		if fast != slow {
			t.Errorf("%s: the fast path read\n%s\nencoding/csv read\n%s", name, fast, slow)
		}
	}
}

// FuzzFastCSV: on any bytes the fast path and encoding/csv agree.
func FuzzFastCSV(f *testing.F) {
	f.Add([]byte("time,element,power_w,current_a,line\n1793491200,a,1,2,L1\n"))
	f.Add([]byte("time,element,power_w\r\n1793491200,a,1\r\n\r\n#x\n\"1\",\"a\"\"b\",1e3\n"))
	f.Add([]byte("time,element,power_w\n1,a\n\n2,b,3\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if fast, slow := readBoth(data); fast != slow {
			t.Errorf("the fast path read\n%s\nencoding/csv read\n%s", fast, slow)
		}
	})
}

// TestReadLeadingWhiteSpace: up to 4,097 bytes of white space (or byte
// order mark bytes) before the first line are skipped when sniffing the
// format.
func TestReadLeadingWhiteSpace(t *testing.T) {
	for _, n := range []int{1, 4097} {
		got, err := readAll(t, "r.csv", strings.Repeat(" ", n)+"time,element,power_w\n1793491200,a,1\n")
		if err != nil || len(got) != 1 || got[0].PowerW != 1 {
			t.Errorf("%d spaces first: got %+v, %v; want one reading of 1 W", n, got, err)
		}
	}
}

// TestReadColumnFirst: each column may come first in the header.
func TestReadColumnFirst(t *testing.T) {
	for _, src := range []string{
		"element,time,power_w\na,1793491200,2\n",
		"power_w,element,time\n2,a,1793491200\n",
		"current_a,time,element\n3,1793491200,a\n",
		"line,current_a,time,element\nL2,3,1793491200,a\n",
	} {
		got, err := readAll(t, "r.csv", src)
		if err != nil || len(got) != 1 || got[0].Element != "a" || got[0].TimeMS != 1793491200000 || got[0].PowerW != 2 && got[0].CurrentA != 3 ||
			strings.HasPrefix(src, "line") && got[0].Line != "L2" {
			t.Errorf("%q: got %+v, %v; want one reading of a at 1793491200 s", src, got, err)
		}
	}
	_, err := readAll(t, "r.csv", "time,time,element,power_w\n1,1,a,1\n")
	if err == nil || !strings.Contains(err.Error(), `r.csv:1:6: column "time" given twice`) {
		t.Errorf("time twice: got %v", err)
	}
	// The header goes on after a column given twice: the next problem is
	// named too.
	_, err = readAll(t, "r.csv", "time,element,power_w,power_w,watts\n1,a,1,1,1\n")
	if err == nil || !strings.Contains(err.Error(), `r.csv:1:22: column "power_w" given twice`) || !strings.Contains(err.Error(), `r.csv:1:30: unknown column "watts"`) {
		t.Errorf("power_w twice, then watts: got %v; want both named", err)
	}
}

// TestReadHeaderErrorsCapped: a header of 60 unknown columns stops at
// MaxErrors problems and says so.
func TestReadHeaderErrorsCapped(t *testing.T) {
	var cols []string
	for i := range 60 {
		cols = append(cols, fmt.Sprintf("c%d", i))
	}
	_, err := readAll(t, "r.csv", strings.Join(cols, ",")+"\n")
	var list topology.ErrorList
	if !errors.As(err, &list) || len(list) != MaxErrors+1 || !strings.Contains(list[MaxErrors].Msg, "more than 50 problems") {
		t.Errorf("got %d problems, want %d and the last 'more than 50 problems': %v", len(list), MaxErrors+1, err)
	}
}

// TestParseTime pins the time forms and their bounds: Unix seconds 1 to
// 253402300799 (9999-12-31T23:59:59Z), fractional seconds to the
// millisecond, RFC 3339 from 1 ms after the epoch to the end of 9999.
func TestParseTime(t *testing.T) {
	for s, want := range map[string]int64{
		"1": 1000, "253402300799": 253402300799000, "0.001": 1, "1.5": 1500, "253402300799.999": 253402300799999,
		"9.5": 9500, ".5": 500, "+1.5": 1500, "0.5": 500,
		"1970-01-01T00:00:00.001Z": 1, "9999-12-31T23:59:59.999Z": 253402300799999, "2026-11-01T01:00:00+01:00": 1793491200000,
	} {
		if got, err := ParseTime(s); err != nil || got != want {
			t.Errorf("ParseTime(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0", "-1", "253402300800", "0.0", "-0.5", "253402300800.001", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "yesterday", "NaN"} {
		if got, err := ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q) = %d, want an error", s, got)
		}
	}
	for s, want := range map[string]string{
		"0":                    `time "0": Unix seconds out of range (1 .. 253402300799)`,
		"-0.5":                 `time "-0.5": not Unix seconds > 0 or an RFC 3339 time`,
		".":                    `time ".": not Unix seconds > 0 or an RFC 3339 time`,
		"+x":                   `time "+x": not Unix seconds > 0 or an RFC 3339 time`,
		"1969-12-31T23:59:59Z": `time "1969-12-31T23:59:59Z": before 1970 or after 9999`,
		"yesterday":            `time "yesterday": not Unix seconds or an RFC 3339 time (2026-11-02T10:00:00Z)`,
	} {
		if _, err := ParseTime(s); err == nil || err.Error() != want {
			t.Errorf("ParseTime(%q): got %v, want %q", s, err, want)
		}
	}
}

// TestReadZeroAccepted: 0 W and 0 A are readings (a device off); below 0
// is refused; MaxValue is accepted (above it is refused: TestReadErrors).
func TestReadZeroAccepted(t *testing.T) {
	got, err := readAll(t, "r.csv", "time,element,power_w,current_a\n1793491200,a,0,0\n")
	if err != nil || len(got) != 1 || got[0].PowerW != 0 || got[0].CurrentA != 0 {
		t.Errorf("0 W, 0 A: got %+v, %v; want one reading of 0 W and 0 A", got, err)
	}
	if _, err := readAll(t, "r.csv", "time,element,power_w\n1793491200,a,-0.001\n"); err == nil || !strings.Contains(err.Error(), "power_w -0.001: must be a finite number of W >= 0") {
		t.Errorf("-0.001 W: got %v, want refused", err)
	}
	// The upper bound, MaxValue, is a reading too.
	if got, err := readAll(t, "r.csv", "time,element,power_w,current_a\n1793491200,a,1e9,1000000000\n"); err != nil || len(got) != 1 || got[0].PowerW != 1e9 || got[0].CurrentA != 1e9 {
		t.Errorf("1e9 W, 1e9 A: got %+v, %v; want one reading at the bound", got, err)
	}
}
