package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"blackstart/data/generate"
	"blackstart/data/store"
)

// TestMain lets the test binary be the blackstart command: with
// BLACKSTART_TEST_MAIN=1 it runs the command line it was given, so that
// tests can run (and kill) real blackstart processes.
func TestMain(m *testing.M) {
	if os.Getenv("BLACKSTART_TEST_MAIN") == "1" {
		os.Exit(run(append([]string{"blackstart"}, os.Args[1:]...), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// blackstartCmd is a blackstart process (the test binary as the command).
func blackstartCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "BLACKSTART_TEST_MAIN=1")
	return cmd
}

func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// walSize returns the size of path's WAL, -1 when there is none. It calls
// stat(2) directly: os.Stat would log each of the watch loop's calls for
// go test's result cache.
func walSize(path string) int64 {
	var st syscall.Stat_t
	if err := syscall.Stat(path+"-wal", &st); err != nil {
		return -1
	}
	return st.Size
}

// crashRacks is the size of the model the crash test commits: 400 racks of
// 40 devices (16,000 devices, 0.85 MB of TOML). Each kill costs a process
// that loads it first; the 1,000-rack model takes about three times as
// long per kill for the same test.
const crashRacks = 400

// TestCrashDuringCommit SIGKILLs a real `db commit` of a generated model of
// crashRacks racks at 20 or more moments after it has begun to
// write (its WAL has grown past the header), from the first frames to the
// checkpoint after the commit. Each time the database is reopened: it
// passes integrity_check and every invariant, and the new revision is
// either absent or whole (its file byte for byte).
func TestCrashDuringCommit(t *testing.T) {
	dir := t.TempDir()
	var big bytes.Buffer
	if err := generate.Site(&big, generate.SiteOptions{Racks: crashRacks, PerRack: 40, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	bigPath := filepath.Join(dir, "big.toml")
	if err := os.WriteFile(bigPath, big.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var small bytes.Buffer
	if err := generate.Site(&small, generate.SiteOptions{Racks: 2, PerRack: 4, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	smallPath := filepath.Join(dir, "small.toml")
	os.WriteFile(smallPath, small.Bytes(), 0o644)
	base := filepath.Join(dir, "base.db")
	mustRun(t, exitOK, "db", "commit", "--db", base, "--model", "site", "-m", "small", smallPath)

	// Calibration: an unkilled commit, to learn how far its WAL grows. The
	// WAL lives only while the commit writes (it is checkpointed and removed
	// when the command closes the database), so a watcher descheduled on a
	// busy machine can miss it whole: it then calibrates again, at most
	// three times.
	const header = 32 + 4096 + 24 // WAL header and one frame: writing has begun
	var maxWAL int64 = -1
	for try := 0; try < 3 && maxWAL <= header; try++ {
		calib := filepath.Join(dir, fmt.Sprintf("calib%d.db", try))
		copyTo(t, base, calib)
		maxWAL, _ = watchCommit(t, calib, bigPath, -1)
	}
	if maxWAL <= header {
		t.Fatalf("the commit's WAL grew to %d bytes only", maxWAL)
	}
	t.Logf("an unkilled commit's WAL reaches %d bytes", maxWAL)

	// Two kills may land on one WAL size (the watcher polls; on a busy
	// machine it sees fewer sizes): up to 80 kills are made to reach the
	// 20 distinct moments (40 once fell one short at load 2).
	const want, attempts = 20, 80
	sizes := map[int64]bool{}
	absent, whole, kills := 0, 0, 0
	start := time.Now()
	for i := 0; i < attempts && len(sizes) < want; i++ {
		path := filepath.Join(dir, "crash.db")
		copyTo(t, base, path) // closed, checkpointed: the file is the whole database
		// Thresholds spread from the first frame to the full WAL.
		threshold := header + (maxWAL-header)*int64(i%want)/int64(want-1)
		killedAt, killed := watchCommit(t, path, bigPath, threshold)
		if !killed {
			continue // it finished first: not a crash
		}
		sizes[killedAt] = true
		kills++
		db, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatalf("kill %d (WAL %d bytes): reopening: %v", i, killedAt, err)
		}
		rep, err := db.Check(context.Background(), store.CheckOptions{SkipModels: true})
		if err != nil || len(rep.Problems) > 0 {
			t.Fatalf("kill %d (WAL %d bytes): check: %v %v", i, killedAt, rep.Problems, err)
		}
		log, err := db.Log(context.Background(), "site")
		if err != nil {
			t.Fatal(err)
		}
		switch len(log) {
		case 1:
			absent++
		case 2:
			_, files, err := db.Files(context.Background(), "site", "@2")
			if err != nil || len(files) != 1 || !bytes.Equal(files[0].Data, big.Bytes()) {
				t.Fatalf("kill %d (WAL %d bytes): @2 is not whole: %v", i, killedAt, err)
			}
			whole++
		default:
			t.Fatalf("kill %d: %d revisions", i, len(log))
		}
		db.Close()
		removeDBFiles(path)
	}
	var at []int64
	for s := range sizes {
		at = append(at, s)
	}
	sort.Slice(at, func(i, j int) bool { return at[i] < at[j] })
	t.Logf("%d kills at %d distinct WAL sizes %v in %v: revision absent %d times, whole %d times", kills, len(at), at, time.Since(start).Round(time.Millisecond), absent, whole)
	if len(at) < want {
		t.Fatalf("killed the commit at %d distinct moments of its write, want %d", len(at), want)
	}
}

func removeDBFiles(path string) {
	for _, s := range []string{"", "-wal", "-shm"} {
		os.Remove(path + s)
	}
}

// watchCommit runs `db commit` of file into db and watches its WAL; with
// threshold >= 0 it SIGKILLs the process as soon as the WAL reaches that
// size. It returns the largest WAL size seen (at the kill, when killed)
// and whether the process was killed before it finished.
func watchCommit(t *testing.T, db, file string, threshold int64) (int64, bool) {
	t.Helper()
	return watchRun(t, db, []string{"db", "commit", "--db", db, "--model", "site", "-m", "the big one", "--author", "crash-test", file}, threshold)
}

// watchRun runs blackstart with args, writing into db, and watches db's WAL
// as watchCommit does.
func watchRun(t *testing.T, db string, args []string, threshold int64) (int64, bool) {
	t.Helper()
	cmd := blackstartCmd(args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(2 * time.Minute)
	var seen int64 = -1
	for {
		select {
		case err := <-done:
			if threshold < 0 && err != nil {
				t.Fatalf("%s failed: %v\n%s", args[0], err, stderr.String())
			}
			return seen, false
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("%s did not finish in 2 minutes", args[0])
		default:
		}
		s := walSize(db)
		seen = max(seen, s)
		if threshold >= 0 && s >= threshold {
			if err := cmd.Process.Kill(); err != nil {
				<-done
				return s, false // it had already exited
			}
			<-done
			ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
			return s, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
		}
		// Poll often, but leave the CPU to the commit (two cores, shared).
		time.Sleep(50 * time.Microsecond)
	}
}
