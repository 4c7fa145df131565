package readings

import (
	"errors"
	"strings"
	"testing"

	"blackstart/topology"
)

// TestReadRules: a value with letters other than an exponent's e or E
// after a digit ("5kW", "2.5E3x" has one) is said to carry a unit, one
// that is malformed with only digits, dots and signs ("19.9.9") is "not a
// number"; a line longer than the 64 KiB read buffer is read whole (CSV
// and JSON Lines, 70,000 spaces before the value); a JSON Lines file
// whose last line has no newline gives that line's reading; a JSON line
// with two problems reports both; a quote error that is the last problem
// allowed stops the reading as any other.
func TestReadRules(t *testing.T) {
	problems := func(src string) []string {
		t.Helper()
		_, err := readAll(t, "f", src)
		var list topology.ErrorList
		if !errors.As(err, &list) {
			t.Fatalf("%q: %v, want an ErrorList", src[:min(len(src), 60)], err)
		}
		var out []string
		for _, e := range list {
			out = append(out, e.Error())
		}
		return out
	}
	for value, want := range map[string]string{
		"5kW":    `f:2:14: power_w "5kW": a plain number of W, without a unit`,
		"5Ekw":   `f:2:14: power_w "5Ekw": a plain number of W, without a unit`,
		"5ekw":   `f:2:14: power_w "5ekw": a plain number of W, without a unit`,
		"19.9.9": `f:2:14: power_w "19.9.9": not a number`,
	} {
		if got := problems("time,element,power_w\n1793491200,a," + value + "\n"); len(got) != 1 || got[0] != want {
			t.Errorf("power_w %q: %q, want %q", value, got, want)
		}
	}
	pad := strings.Repeat(" ", 70000)
	for name, src := range map[string]string{
		"csv":  "time,element,power_w\n1793491200,a," + pad + "7\n",
		"json": `{"time": 1793491200, "element": "a", "power_w":` + pad + "7}\n",
	} {
		got, err := readAll(t, "f", src)
		if err != nil || len(got) != 1 || got[0].PowerW != 7 || got[0].Element != "a" {
			t.Errorf("%s, a line of 70,000 bytes: %d readings (%+v), %v; want one of 7 W", name, len(got), got, err)
		}
	}
	got, err := readAll(t, "f", `{"time": 1793491200, "element": "a", "power_w": 1}`+"\n"+`{"time": 1793491200, "element": "b", "power_w": 2}`)
	if err != nil || len(got) != 2 || got[1].Element != "b" || got[1].Pos.Line != 2 {
		t.Errorf("JSON Lines without a final newline: %+v, %v; want a and b", got, err)
	}
	if got, want := strings.Join(problems(`{"power_w": 1}`+"\n"), "; "), "f:1:1: no element; f:1:1: no time"; got != want {
		t.Errorf("a JSON line with two problems: %s, want %s", got, want)
	}
	// encoding/csv's path (a quoted field): a quote error that is the
	// MaxErrors-th problem stops the reading with its message, as any.
	var b strings.Builder
	b.WriteString("time,element,power_w\n\"x\",a,1\n")
	for range MaxErrors - 2 {
		b.WriteString("x,a,1\n")
	}
	b.WriteString("1793491200,a\"b,1\n1793491200,a,1\n")
	if got := problems(b.String()); len(got) != MaxErrors+1 || !strings.Contains(got[MaxErrors-1], "bare \" in non-quoted-field") || !strings.Contains(got[MaxErrors], "stopped reading") {
		t.Errorf("a quote error as problem %d: %d problems, the last %q", MaxErrors, len(got), got[len(got)-1])
	}
}
