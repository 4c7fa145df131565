package outfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// TestWriteRefuses: every destination that is not a regular file, or is an
// input, is refused with a *PathError naming the path, and left as it was.
func TestWriteRefuses(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	os.WriteFile(p("model.toml"), []byte("[site]\n"), 0o644)
	os.WriteFile(p("target"), []byte("keep"), 0o644)
	os.Symlink(p("target"), p("link.html"))
	os.Link(p("model.toml"), p("hard.toml"))
	os.Mkdir(p("sub"), 0o755)
	os.WriteFile(p("file"), []byte("x"), 0o644)
	if err := syscall.Mkfifo(p("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, want string
	}{
		{"device", "/dev/null", "character device"},
		{"fifo", p("fifo"), "named pipe"},
		{"symlink", p("link.html"), "symbolic link"},
		{"directory", p("sub"), "is a directory"},
		{"input", p("model.toml"), "one of this command's inputs"},
		{"hard link to an input", p("hard.toml"), "same file as the input"},
		{"missing parent", p("nope/x.html"), "does not exist"},
		{"parent is a file", p("file/x.html"), "is not a directory"},
		{"empty", "", "empty output path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Write(c.path, ours, []string{p("model.toml")}, writeString("<html>"))
			var pe *PathError
			if !errors.As(err, &pe) {
				t.Fatalf("Write(%s) = %v, want a *PathError", c.path, err)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
				t.Errorf("got %q, want it to name %q and say %q", err, c.path, c.want)
			}
		})
	}
	if b, _ := os.ReadFile(p("target")); string(b) != "keep" {
		t.Errorf("the symlink's target was changed to %q", b)
	}
	if fi, err := os.Lstat(p("link.html")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced")
	}
	if fi, err := os.Lstat(p("fifo")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced")
	}
	if b, _ := os.ReadFile(p("model.toml")); string(b) != "[site]\n" {
		t.Errorf("the input was overwritten: %q", b)
	}
}

// ours recognises the files these tests write as their own ("old", "new",
// "<html>"…: anything but a user's).
func ours(head []byte) bool { return !strings.HasPrefix(string(head), "mine") }

// TestWriteOwned: an existing file is replaced only when it is empty or
// Owned recognises it; a user's file is refused, named, and left whole,
// before and after the output is computed.
func TestWriteOwned(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	os.WriteFile(p("notes.txt"), []byte("mine: three years of notes"), 0o644)
	os.WriteFile(p("empty.html"), nil, 0o644)
	os.WriteFile(p("chart.html"), []byte("old chart"), 0o644)
	os.WriteFile(p("big.html"), []byte(strings.Repeat("x", 3*HeadBytes)), 0o644)
	var seen int
	sees := func(head []byte) bool { seen = len(head); return true }
	for _, c := range []struct {
		name  string
		owned Owned
		ok    bool
	}{
		{"notes.txt", ours, false},
		{"notes.txt", nil, false},
		{"empty.html", nil, true},
		{"chart.html", nil, false},
		{"chart.html", ours, true},
		{"new.html", nil, true},
		{"big.html", sees, true},
	} {
		err := Write(p(c.name), c.owned, nil, writeString("new"))
		b, _ := os.ReadFile(p(c.name))
		if c.ok && (err != nil || string(b) != "new") {
			t.Errorf("%s: %v, holds %.20q; want it written", c.name, err, b)
		}
		var pe *PathError
		if !c.ok && (!errors.As(err, &pe) || err.Error() != p(c.name)+": exists and was not written by blackstart: not replaced (remove it or choose another path)" || string(b) == "new") {
			t.Errorf("%s: %v, holds %.20q; want it refused and kept", c.name, err, b)
		}
	}
	if seen != HeadBytes {
		t.Errorf("Owned saw %d bytes of a larger file, want HeadBytes", seen)
	}
	// Also found just before the rename: a file a user puts there while
	// the output is computed is kept.
	err := Write(p("late.html"), ours, nil, func(w io.Writer) error {
		os.WriteFile(p("late.html"), []byte("mine too"), 0o644)
		_, err := io.WriteString(w, "new")
		return err
	})
	if b, _ := os.ReadFile(p("late.html")); err == nil || string(b) != "mine too" {
		t.Errorf("a user's file made during the write: %v, holds %q; want it refused and kept", err, b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 6 {
		t.Errorf("%d entries, want 6 (no temporary file left)", len(ents))
	}
}

// TestWriteAtomic: a write that fails leaves the earlier file whole and no
// temporary file behind; one that succeeds replaces it.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.html")
	os.WriteFile(out, []byte("old"), 0o644)
	boom := errors.New("boom")
	err := Write(out, ours, nil, func(w io.Writer) error { io.WriteString(w, "half"); return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the writer's error", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Errorf("after a failed write the file holds %q, want %q", b, "old")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d entries left, want 1 (no temporary file)", len(ents))
	}
	if err := Write(out, ours, nil, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "new" {
		t.Errorf("file holds %q, want %q", b, "new")
	}
}

func fill(names ...string) func(string) ([]string, error) {
	return func(tmp string) ([]string, error) {
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(tmp, n), []byte("report "+n), 0o644); err != nil {
				return nil, err
			}
		}
		return names, nil
	}
}

// TestWriteDirKeepsUserFiles: replacing an earlier report replaces the
// files it wrote and keeps (moves into the new one) every file a user
// added; a user file with the name of a new report file stops the write
// before anything changes.
func TestWriteDirKeepsUserFiles(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "pm")
	if err := WriteDir(dir, nil, fill("index.html", "a.html")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	os.Mkdir(filepath.Join(dir, "photos"), 0o755)
	os.WriteFile(filepath.Join(dir, "photos", "rack.jpg"), []byte("jpg"), 0o644)
	if err := WriteDir(dir, nil, fill("index.html", "b.html")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
		t.Errorf("notes.txt = %q, want the user's file kept", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "photos", "rack.jpg")); string(b) != "jpg" {
		t.Errorf("photos/rack.jpg = %q, want the user's folder kept", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.html")); !os.IsNotExist(err) {
		t.Errorf("a.html of the earlier report is still there: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "b.html")); string(b) != "report b.html" {
		t.Errorf("b.html = %q", b)
	}
	if ents, _ := os.ReadDir(base); len(ents) != 1 {
		t.Errorf("%d entries beside the report, want none left over", len(ents)-1)
	}
	// A user file named like a file of the new report: refused, unchanged.
	os.WriteFile(filepath.Join(dir, "c.html"), []byte("mine too"), 0o644)
	err := WriteDir(dir, nil, fill("index.html", "c.html"))
	var pe *PathError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "c.html") {
		t.Fatalf("got %v, want a *PathError naming c.html", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "c.html")); string(b) != "mine too" {
		t.Errorf("c.html = %q, want the user's file untouched", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "b.html")); err != nil {
		t.Errorf("the earlier report was changed by a refused write: %v", err)
	}
}

// TestCheckDirRefuses: a folder that is not a report, a file, a symbolic
// link, a missing parent, and an input among the files a report replaces.
func TestCheckDirRefuses(t *testing.T) {
	base := t.TempDir()
	p := func(n string) string { return filepath.Join(base, n) }
	os.Mkdir(p("thesis"), 0o755)
	os.WriteFile(p("thesis/thesis.tex"), []byte("x"), 0o644)
	os.WriteFile(p("file"), []byte("x"), 0o644)
	os.Mkdir(p("real"), 0o755)
	os.Symlink(p("real"), p("link"))
	if err := WriteDir(p("pm"), nil, fill("events.jsonl")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, dir string
		inputs    []string
		want      string
	}{
		{"not a report", p("thesis"), nil, "not a blackstart report"},
		{"a file", p("file"), nil, "is a regular file"},
		{"a symlink", p("link"), nil, "symbolic link"},
		{"missing parent", p("nope/pm"), nil, "does not exist"},
		{"input in the report", p("pm"), []string{p("pm/events.jsonl")}, "copy it elsewhere"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := WriteDir(c.dir, c.inputs, fill("index.html"))
			var pe *PathError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want a *PathError saying %q", err, c.want)
			}
		})
	}
	if _, err := os.Stat(p("thesis/thesis.tex")); err != nil {
		t.Error("the foreign folder was touched")
	}
}

// TestRemoveTemps: an interrupt during a write (RemoveTemps, as the
// command's signal handler calls it) removes the temporary file or folder
// and leaves the destination as it was.
func TestRemoveTemps(t *testing.T) {
	// Whatever happens below, later tests in the package may write again.
	t.Cleanup(func() { temps.Lock(); temps.stopped = false; temps.Unlock() })
	dir := t.TempDir()
	out := filepath.Join(dir, "out.html")
	os.WriteFile(out, []byte("old"), 0o644)
	stop := errors.New("interrupted")
	err := Write(out, ours, nil, func(w io.Writer) error {
		io.WriteString(w, "half")
		if n := RemoveTemps(); n != 1 {
			t.Errorf("RemoveTemps during a write removed %d entries, want 1", n)
		}
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("got %v", err)
	}
	// After the interrupt no write begins (the command is exiting).
	if err := Write(filepath.Join(dir, "late.html"), ours, nil, writeString("x")); err == nil {
		t.Error("a write after RemoveTemps succeeded")
	}
	temps.Lock()
	temps.stopped = false // the rest of the test interrupts a report
	temps.Unlock()
	pm := filepath.Join(dir, "pm")
	if err := WriteDir(pm, nil, fill("index.html")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(pm, "notes.txt"), []byte("mine"), 0o644)
	err = WriteDir(pm, nil, func(tmp string) ([]string, error) {
		os.WriteFile(filepath.Join(tmp, "index.html"), []byte("new"), 0o644)
		if n := RemoveTemps(); n != 1 {
			t.Errorf("RemoveTemps during a report removed %d entries, want 1", n)
		}
		if _, err := os.Stat(tmp); err == nil {
			t.Error("the report's temporary folder is still there")
		}
		return nil, stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("got %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("%d entries in the folder, want out.html and pm only", len(ents))
	}
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Errorf("out.html = %q, want it as it was", b)
	}
	if b, _ := os.ReadFile(filepath.Join(pm, "notes.txt")); string(b) != "mine" {
		t.Errorf("pm/notes.txt = %q", b)
	}
	if RemoveTemps() != 0 {
		t.Error("entries left tracked after the writes returned")
	}
}

// TestTempRemovedOnInterrupt: an entry made through Temp (a database copy
// of db backup, a folder of db checkout), and the journal files beside it,
// are removed by RemoveTemps; once forgotten, they are not.
func TestTempRemovedOnInterrupt(t *testing.T) {
	t.Cleanup(func() { temps.Lock(); temps.stopped = false; temps.Unlock() })
	dir := t.TempDir()
	kept, forget, err := Temp(func() (string, error) { return os.MkdirTemp(dir, ".kept-*") })
	if err != nil {
		t.Fatal(err)
	}
	forget()
	p, _, err := Temp(func() (string, error) { return filepath.Join(dir, ".db.backup-1"), nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "-wal"} {
		if err := os.WriteFile(p+s, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n := RemoveTemps(); n != 4 {
		t.Errorf("RemoveTemps removed %d entries, want 4 (the copy and its -journal, -wal, -shm)", n)
	}
	for _, s := range []string{"", "-wal"} {
		if _, err := os.Lstat(p + s); err == nil {
			t.Errorf("%s is still there", p+s)
		}
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("a forgotten entry was removed: %v", err)
	}
	if _, _, err := Temp(func() (string, error) { return filepath.Join(dir, "late"), nil }); err == nil {
		t.Error("Temp after RemoveTemps succeeded")
	}
}
