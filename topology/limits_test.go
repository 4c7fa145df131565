package topology

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// TestLimits: every bound of a model is refused past its limit with the
// position and the limit in the message.
func TestLimits(t *testing.T) {
	svc := func(id string, count, instances int) string {
		s := fmt.Sprintf("[[service]]\nid = %q\ninstances = %d\n", id, instances)
		if count > 0 {
			s += fmt.Sprintf("count = %d\n", count)
		}
		return s
	}
	cases := []struct {
		name, src, want string
	}{
		{"nested inline tables", "a = " + strings.Repeat("{b = ", 20000) + "1" + strings.Repeat("}", 20000), "m.toml:1:85: arrays and inline tables nest more than 16 deep"},
		{"nested arrays", "a = " + strings.Repeat("[", 17) + strings.Repeat("]", 17), "m.toml:1:21: arrays and inline tables nest more than 16 deep"},
		{"nested arrays on later lines", "[site]\nname = \"x\"\nz = [\n" + strings.Repeat("[", 16) + strings.Repeat("]", 17), "m.toml:4:16: arrays and inline tables nest"},
		{"instances of a service", svc("big", 0, 1_000_000_000), "m.toml:3:1: service \"big\": instances must be 1 to 100000, got 1000000000"},
		{"instances of a model", svc("w-%d", 6, 100_000), "the model's services have more than 500000 instances in all (this one brings the total to 600000)"},
		{"a tiny rating", "[[source]]\nid = \"u\"\nvoltage_v = 230\n[[breaker]]\nid = \"b\"\ninput = \"u\"\nstandard = \"ul489\"\nrating_a = 1e-308\n", "m.toml:8:1: breaker \"b\": rating_a must be 0 or at least 1e-6 in magnitude, got 1e-308"},
		{"a tiny voltage", "[[source]]\nid = \"u\"\nvoltage_v = 1e-300\n", "m.toml:3:1: source \"u\": voltage_v must be 0 or at least 1e-6"},
		{"a huge number", "[[source]]\nid = \"u\"\nvoltage_v = 1e308\n", "voltage_v must be at most 1e9 in magnitude"},
		{"NaN in an array", "[[source]]\nid = \"u\"\nvoltage_v = 400\n[[breaker]]\nid = \"b\"\ninput = \"u\"\nstandard = \"iec60947-2\"\nrating_a = 100\ninstantaneous_x = [8, nan]\n", "m.toml:9:23: breaker \"b\": instantaneous_x: element 2 must be a finite number, got NaN"},
		{"a zero-width space in an id", "[[rack]]\nid = \"r\u200b1\"\n", "m.toml:2:1: rack id \"r\\u200b1\" must not contain invisible or control characters (U+200B at byte 1)"},
		{"a control character in an id", "[[rack]]\nid = \"r\\u001b[31m\"\n", "must not contain invisible or control characters (U+001B at byte 1)"},
		{"an empty file", "", "m.toml: the file is empty: no tables or keys"},
		{"comments only", "# nothing\n\n", "m.toml: the file is empty"},
		{"nothing defined", "[site]\nname = \"x\"\n", "m.toml: the model defines no power elements, racks, devices or services"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(File{Name: "m.toml", Data: []byte(c.src)})
			if err == nil {
				t.Fatalf("loaded; want an error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("got:\n%v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

// TestNestingIgnoresStrings: brackets inside strings, multi-line strings,
// comments and table headers do not count.
func TestNestingIgnoresStrings(t *testing.T) {
	src := "# [[[[[[[[[[[[[[[[[[[[[[\n[[rack]]\nid = \"r1\"\nrow = \"" + strings.Repeat("[", 40) + "\"\nroom = '''\n" + strings.Repeat("{", 40) + "\n'''\n" +
		"[[rack]]\nid = \"r2\"\nrow = \"\\\"[[[[[[[[[[[[[[[[[[[[\"\nroom = \"\"\"a\"\"" + strings.Repeat("[", 40) + "\"\"\"\n"
	if _, err := Parse(File{Name: "m.toml", Data: []byte(src)}); err != nil {
		t.Fatalf("a model with brackets in strings and comments: %v", err)
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("x", 5000)
	got := Clip(fmt.Sprintf("rack %q is not defined; %q", long, "short"))
	want := fmt.Sprintf("rack %q…\" (5000 characters) is not defined; \"short\"", strings.Repeat("x", 80))
	want = strings.Replace(want, strings.Repeat("x", 80)+"\"…", strings.Repeat("x", 80)+"…", 1)
	if got != want {
		t.Errorf("Clip = %q\nwant %q", got, want)
	}
	if s := `id "abc" and "unterminated`; Clip(s+strings.Repeat("y", 100)) != s+strings.Repeat("y", 100) {
		t.Errorf("an unterminated quote must be left as it is")
	}
}

// TestModelSizeLimit: more than MaxModelBytes in all is refused before
// parsing.
func TestModelSizeLimit(t *testing.T) {
	big := make([]byte, MaxModelBytes/2+1)
	for i := range big {
		big[i] = '\n'
	}
	_, err := Parse(File{Name: "a.toml", Data: big}, File{Name: "b.toml", Data: big})
	if err == nil || !strings.Contains(err.Error(), "more than the limit of 67108864") {
		t.Errorf("got %v, want the size limit", err)
	}
}

// TestNestingScanPositions: CheckTOML ends each string, comment and
// table header where TOML does and counts lines and columns through
// them: the first bracket 17 deep after each is found at its own line and
// column (1-based, bytes), and brackets that close, or close nothing,
// leave the depth right.
func TestNestingScanPositions(t *testing.T) {
	deep := strings.Repeat("[", 17)
	for _, c := range []struct {
		name, src, want string // want "line:col" or "" for none
	}{
		{"plain", "a = " + deep, "1:21"},
		{"16 deep is fine", "a = " + strings.Repeat("[", 16), ""},
		{"after a basic string", `a = "[[[" ` + deep, "1:27"},
		{"an escaped quote does not end it", `a = "\"` + deep + `"`, ""},
		{"an escaped backslash does", `a = "\\" ` + deep, "1:26"},
		{"a literal string ends at its quote", `a = 'x\' ` + deep, "1:26"},
		{"after a multi-line basic string", "a = \"\"\"\n[[[\n\"\"\"\nb = " + deep, "4:21"},
		{"after a multi-line literal string", "a = '''[[\n[[[ '''  " + deep, "2:26"},
		{"two more quotes close a multi-line string", "a = \"\"\"x\"\"\"\"\"\nb = " + deep, "2:21"},
		{"... and count as columns", "a = \"\"\"x\"\"\"\"\" " + deep, "1:31"},
		{"one quote inside a multi-line string", "a = \"\"\"x\"y\"\"\" " + deep, "1:31"},
		{"after a comment", "a = 1 # " + deep + "\nb = " + deep, "2:21"},
		{"a comment at the end", "# " + deep, ""},
		{"table headers do not nest", "[[a]]\n  [[b]] # [[[\n[c]\nd = " + deep, "4:21"},
		{"brackets close", "a = " + strings.Repeat("[", 16) + strings.Repeat("]", 16) + "\nb = " + strings.Repeat("[", 16), ""},
		{"braces close", "a = " + strings.Repeat("{b = ", 16) + "1" + strings.Repeat("}", 16) + "\nc = " + strings.Repeat("[", 16), ""},
		{"closing nothing", "a = ]]}}\nb = " + deep, "2:21"},
		{"a multi-line string, then a bracket", "a = \"\"\"x\"\"\" " + deep, "1:29"},
		{"an empty string at the end", "a = \"\"", ""},
		{"a multi-line string at the end", "a = \"\"\"x\"\"\"", ""},
		{"a carriage return and a tab count as columns", "a =\r\t" + deep, "1:22"},
		{"a table header at the very end", "[a]", ""},
		{"an array-of-tables header at the very end", "x = 1\n[[a]]", ""},
		{"the rest of a header's line is the header's (the parser refuses it)", "[a] " + deep, ""},
		{"... up to a comment", "[[a]] # " + deep + "\nb = " + deep, "2:21"},
		{"a multi-line string left open, ending in one quote", "a = \"\"\"x\"", ""},
		{"... and in two", "a = \"\"\"x\"\"", ""},
		{"a literal one, ending in two", "a = '''x''", ""},
		// Keys of more than 16 dotted parts: the dot too many.
		{"a dotted key of 16 parts", strings.Repeat("a.", 15) + "a = 1", ""},
		{"... of 17", strings.Repeat("a.", 16) + "a = 1", "1:32"},
		{"... with blanks around the dots", strings.Repeat("a . ", 16) + "a = 1", "1:63"},
		{"a table header of 17 parts", "[" + strings.Repeat("a.", 16) + "a]", "1:33"},
		{"an array-of-tables header of 17", "x = 1\n  [[" + strings.Repeat("a.", 16) + "a]]", "2:36"},
		{"quoted dots are not parts", `"` + strings.Repeat("a.", 20) + `" = 1` + "\n[\"" + strings.Repeat("a.", 20) + `"]`, ""},
		{"... after a quoted part", `"x".` + strings.Repeat("a.", 15) + "a = 1", "1:34"},
		{"numbers are values, not keys", "a = 1.5\nb = [" + strings.Repeat("1.5, ", 30) + "]\nc = {d = 2.5, e = [3.5, 4.5]}", ""},
		{"a multi-line array's lines are values", "a = [\n" + strings.Repeat("1.5, 2.5, 3.5, 4.5, 5.5,\n", 5) + "]", ""},
		{"a dotted key in an inline table", "a = {" + strings.Repeat("b.", 16) + "c = 1}", "1:37"},
		{"... after a comma", "a = {x = 1.5, " + strings.Repeat("b.", 16) + "c = 1}", "1:46"},
	} {
		got := ""
		if err := CheckTOML("m.toml", []byte(c.src), nil); err != nil {
			got = fmt.Sprintf("%d:%d", err.Pos.Line, err.Pos.Col)
		}
		if got != c.want {
			t.Errorf("%s: %q: error at %q, want %q", c.name, c.src, got, c.want)
		}
	}
}

// TestClipEdges: a quoted string of exactly MaxIDEcho (80) characters is
// left whole, 81 are clipped; an escaped quote does not end a string;
// escapes count as the characters they stand for.
func TestClipEdges(t *testing.T) {
	a80, a81 := strings.Repeat("a", 80), strings.Repeat("a", 81)
	for _, c := range []struct{ in, want string }{
		{fmt.Sprintf("id %q is fine", a80), fmt.Sprintf("id %q is fine", a80)},
		{fmt.Sprintf("id %q is long", a81), `id "` + a80 + `…" (81 characters) is long`},
		// 79 a's, a quote and an a: 81 characters, the escaped quote inside
		{fmt.Sprintf("id %q and %q", a80[1:]+`"`+"a", "b"), `id "` + a80[1:] + `\"…" (81 characters) and "b"`},
		{fmt.Sprintf("id %q and %q", a80[2:]+`\`, "b"+a80), `id "` + a80[2:] + `\\" and "b` + a80[:79] + `…" (81 characters)`},
	} {
		if got := Clip(c.in); got != c.want {
			t.Errorf("Clip(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestReadFilesEdges: a file given twice is named; a file of exactly the
// limit is read whole, one byte more is too big.
func TestReadFilesEdges(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.toml")
	if err := os.WriteFile(p, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFiles(p, p); err == nil || err.Error() != p+": model file given twice" {
		t.Errorf("a file given twice: %v", err)
	}
	if data, err := ReadBounded(p, 10); err != nil || string(data) != "0123456789" {
		t.Errorf("10 bytes with a limit of 10: %q, %v; want them all", data, err)
	}
	if _, err := ReadBounded(p, 9); !errors.Is(err, ErrTooBig) {
		t.Errorf("10 bytes with a limit of 9: %v, want ErrTooBig", err)
	}
}

// TestReadBoundedStream: a stream of unknown length (a FIFO) is read in
// blocks: 2.5 MiB with a limit of exactly that come back whole and in
// order, one byte more is ErrTooBig; and reading /dev/zero up to a 64 MiB
// bound allocates about the bound, not the doubled slice io.ReadAll grows
// (which asked for twice the bound past it: a 256 MiB bound ran out of a
// 2 GiB address space in the hostile suite).
func TestReadBoundedStream(t *testing.T) {
	want := make([]byte, 5<<19)
	for i := range want {
		want[i] = byte(i * 7 / 3)
	}
	fifo := func(data []byte) string {
		p := filepath.Join(t.TempDir(), "fifo")
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatalf("mkfifo: %v", err)
		}
		go func() {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			defer f.Close()
			f.Write(data)
		}()
		return p
	}
	if got, err := ReadBounded(fifo(want), len(want)); err != nil || !bytes.Equal(got, want) {
		t.Errorf("a stream of %d bytes at a limit of as many: %d bytes, %v; want them all", len(want), len(got), err)
	}
	if _, err := ReadBounded(fifo(want), len(want)-1); !errors.Is(err, ErrTooBig) {
		t.Errorf("a stream of %d bytes at a limit one less: %v, want ErrTooBig", len(want), err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := ReadBounded("/dev/zero", 64<<20); !errors.Is(err, ErrTooBig) {
		t.Fatalf("/dev/zero: %v, want ErrTooBig", err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 66<<20 {
		t.Errorf("/dev/zero to a 64 MiB bound allocated %d MiB, want about 64", got>>20)
	}
}

// TestTOMLItemLimit: a model of many tiny tables within the byte limit is
// refused by the scan before the TOML parser, at the item past the limit
// and cheaply. 1,000,000 bare [[rack]] tables are 9 MB; parsed, they took
// about 1 GB of allocations (2.5 million, 22.5 MB, ran out of a 2 GiB
// address space), refused they take next to nothing.
func TestTOMLItemLimit(t *testing.T) {
	data := []byte(strings.Repeat("[[rack]]\n", 1_000_000))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Parse(File{Name: "m.toml", Data: data})
	runtime.ReadMemStats(&after)
	want := fmt.Sprintf("m.toml:%d:1: more than %d tables, keys and array values", MaxTOMLItems+1, MaxTOMLItems)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want an error starting %q", err, want)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("the refusal allocated %d bytes, want at most 1 MiB", n)
	}
}

// TestTOMLItemCounts: what counts as an item (table headers, inline
// tables, keys, an array and each comma in it), what does not (anything in
// strings and comments), and that the count runs across the files of a
// load: exactly MaxTOMLItems pass, one more is refused at its position.
func TestTOMLItemCounts(t *testing.T) {
	for _, c := range []struct {
		src  string
		want int
	}{
		{"[a]\n[[b]]\n[[b]]\n", 3},
		{"a = 1\nb.c = 2\n\"d\" = 3\n", 3},
		{"a = [1, 2, 3]\n", 4},
		{"a = [1, 2, 3,]\n", 5},
		{"a = []\n", 2},
		{"a = [[1, 2], [3]]\n", 6},
		{"a = {b = 1, c = {d = 2}}\n", 6},
		{"a = [{b = 1}, {}]\n", 6},
		{"a = \"[x, {y = 1}, z]\" # [b = {c = 1}]\nb = '''\n[[c]]\nd = 1\n'''\n", 2},
		{"# [a]\n#b = 1\n", 0},
	} {
		var n TOMLCounts
		if err := CheckTOML("m.toml", []byte(c.src), &n); err != nil || n.Items != c.want {
			t.Errorf("%q: %d items (%v), want %d", c.src, n.Items, err, c.want)
		}
	}
	// Across files: the first holds half the limit, the second the rest.
	half := strings.Repeat("a = 1\n", MaxTOMLItems/2)
	var n TOMLCounts
	if err := CheckTOML("a.toml", []byte(half), &n); err != nil {
		t.Fatal(err)
	}
	if err := CheckTOML("b.toml", []byte(half), &n); err != nil || n.Items != MaxTOMLItems {
		t.Fatalf("exactly the limit: %v, %d items", err, n.Items)
	}
	err := CheckTOML("c.toml", []byte("x = 1\ny = 2\n"), &n)
	if err == nil || err.Pos.File != "c.toml" || err.Pos.Line != 1 || err.Pos.Col != 3 {
		t.Errorf("one past the limit: %v, want it at c.toml:1:3", err)
	}
}
