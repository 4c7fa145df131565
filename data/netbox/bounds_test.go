package netbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadDirBounds: a folder's response files are bounded before any is
// decoded, in bytes all together (a file larger than what is left is
// refused from its size, unread) and in the objects of their results
// (the one past the limit named at its line and column). Before, each
// file was read whole and decoded: a /dev/zero or 3 million empty objects
// (6 MB) ran out of a 2 GiB address space.
func TestReadDirBounds(t *testing.T) {
	// A sparse file just past the limit: refused without being read.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "racks.json"), []byte(`{"count":0,"next":null,"previous":null,"results":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "devices.json")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxFolderBytes-10); err != nil {
		t.Fatal(err)
	}
	_, err := ReadDir(dir)
	want := big + ": the folder's response files are more than the limit of 268435456 bytes (256 MiB) in all"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("%d bytes after a small file: got %v, want %q", MaxFolderBytes-10, err, want)
	}

	// One object more than the limit, across two files.
	dir = t.TempDir()
	page := func(n int) []byte {
		return []byte(fmt.Sprintf("{\"count\":%d,\"next\":null,\"previous\":null,\n\"results\":[%s]}", n, strings.TrimSuffix(strings.Repeat("{},", n), ",")))
	}
	if err := os.WriteFile(filepath.Join(dir, "cables.json"), page(MaxFolderObjects/2+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "devices.json"), page(MaxFolderObjects/2), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadDir(dir)
	// devices.json is read before cables.json; its 500,000th object is
	// at column 12 + 3 × 499,999 of line 2.
	want = fmt.Sprintf("%s:2:%d: more than %d objects", filepath.Join(dir, "cables.json"), 12+3*(MaxFolderObjects/2), MaxFolderObjects)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("%d objects: got %v, want %q", MaxFolderObjects+1, err, want)
	}
}

// TestCountObjects: only the elements of an array in the top-level object
// count, not nested objects, not braces in strings (escaped quotes
// included), not the elements of a top-level array.
func TestCountObjects(t *testing.T) {
	for _, c := range []struct {
		src  string
		want int
	}{
		{`{"results":[{}, {"a":{"b":{}}, "c":[{}]}, {}]}`, 3},
		{`{"results":[{"s":"{{{\"}}}"}, {"t":"[{"}]}`, 2},
		{`{"count":2,"next":null,"x":{"y":[{}]},"results":[]}`, 0},
		{`[{}, {}]`, 0},
		{`{"results":[{}`, 1}, // cut short: the decoder refuses it
		{`{"results":"[{}]"}`, 0},
	} {
		n := 0
		if line, _ := countObjects([]byte(c.src), &n, 100); n != c.want || line != 0 {
			t.Errorf("%s: %d objects, want %d", c.src, n, c.want)
		}
	}
	n := 0
	if line, col := countObjects([]byte("{\"results\":[\n{}, {}]}"), &n, 1); line != 2 || col != 5 {
		t.Errorf("the second object past a limit of 1: at %d:%d, want 2:5", line, col)
	}
}

// TestOverlayBounded: an overlay is read at most to its limit: /dev/zero
// is refused, not read forever.
func TestOverlayBounded(t *testing.T) {
	_, err := ReadOverlay("/dev/zero")
	if err == nil || err.Error() != "/dev/zero: the overlay is more than the limit of 67108864 bytes (64 MiB)" {
		t.Errorf("got %v", err)
	}
}
