//go:build linux

package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the program's side (a terminal)
// and the side a terminal emulator would read.
func openPTY(t *testing.T) (tty, master *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return s, m
}

// TestProgressOnlyOnTerminal: on a terminal the bar shows the units done
// of the total and the time; anywhere else (a buffer, a pipe, a file)
// nothing at all.
func TestProgressOnlyOnTerminal(t *testing.T) {
	var buf bytes.Buffer
	if progress(&buf, "x") != nil {
		t.Error("progress on a buffer: want no callback")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if progress(w, "x") != nil {
		t.Error("progress on a pipe: want no callback")
	}
	tty, master := openPTY(t)
	cb := progress(tty, "failover sweep (scenarios)")
	if cb == nil {
		t.Fatal("progress on a terminal: got no callback")
	}
	cb(3, 7)
	time.Sleep(150 * time.Millisecond) // past the bar's throttle
	cb(5, 7)
	got := make([]byte, 4096)
	master.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _ := master.Read(got)
	out := string(got[:n])
	for _, want := range []string{"failover sweep (scenarios)", "/7)", "%"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal shows %q, want it to contain %q", out, want)
		}
	}
}
