package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// block is a covered block of a coverage profile (count > 0).
type block struct{ startLine, startCol, endLine, endCol int }

// covers is gremlins' coverage.Block rule: a position is covered by a
// block when it lies on a line strictly inside it, or on its first line at
// or after its start column, or on its last line at or before its end
// column.
func (b block) covers(line, col int) bool {
	if line > b.startLine && line < b.endLine {
		return true
	}
	if b.startLine == b.endLine {
		return line == b.startLine && col >= b.startCol && col <= b.endCol
	}
	return (line == b.startLine && col >= b.startCol) || (line == b.endLine && col <= b.endCol)
}

// testCover is one top-level test's coverage and run time.
type testCover struct {
	Name     string
	Duration time.Duration
	blocks   map[string][]block // file (relative to the package) → covered blocks
}

// coverage is the per-test coverage of a package.
type coverage struct {
	Tests []*testCover
}

// listTests lists a test binary's top-level tests, examples and fuzz
// targets (their seed corpora run as tests), run in dir.
func listTests(bin, dir string) ([]string, error) {
	cmd := exec.Command(bin, "-test.list", ".")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s -test.list: %v", bin, err)
	}
	var names []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Test") || strings.HasPrefix(l, "Example") || strings.HasPrefix(l, "Fuzz") {
			names = append(names, l)
		}
	}
	return names, nil
}

// measureCoverage runs every top-level test of the coverage binary bin
// alone in dir (with -test.short when short), workers at a time, and reads
// its profile; pkgPath/ is stripped from the profile's file names.
func measureCoverage(bin, dir, tmp, pkgPath string, short bool, workers int) (*coverage, error) {
	names, err := listTests(bin, dir)
	if err != nil {
		return nil, err
	}
	cov := &coverage{Tests: make([]*testCover, len(names))}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cov.Tests[i], errs[i] = runCovered(bin, dir, tmp, pkgPath, names[i], i, short)
			}
		}()
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return cov, nil
}

func runCovered(bin, dir, tmp, pkgPath, name string, i int, short bool) (*testCover, error) {
	prof := filepath.Join(tmp, fmt.Sprintf("cover-%d.out", i))
	args := []string{"-test.run", "^" + name + "$", "-test.count=1", "-test.coverprofile=" + prof}
	if short {
		args = append(args, "-test.short")
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("%s fails on the original code (%v):\n%s", name, err, tail(out, 2000))
	}
	blocks, err := readProfile(prof, pkgPath)
	if err != nil {
		return nil, err
	}
	return &testCover{Name: name, Duration: d, blocks: blocks}, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// readProfile reads the covered blocks of a coverage profile's files in
// the package pkgPath.
func readProfile(path, pkgPath string) (map[string][]block, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res := map[string][]block{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if n == 1 || l == "" {
			continue
		}
		// name.go:sl.sc,el.ec statements count
		colon := strings.LastIndex(l, ":")
		fields := strings.Fields(l[colon+1:])
		if colon < 0 || len(fields) != 3 {
			return nil, fmt.Errorf("%s:%d: not a coverage line: %q", path, n, l)
		}
		if fields[2] == "0" {
			continue
		}
		file := strings.TrimPrefix(l[:colon], pkgPath+"/")
		var b block
		if _, err := fmt.Sscanf(fields[0], "%d.%d,%d.%d", &b.startLine, &b.startCol, &b.endLine, &b.endCol); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		res[file] = append(res[file], b)
	}
	return res, sc.Err()
}

// covering lists the tests whose profile covers m, and the sum of their
// run times.
func (c *coverage) covering(m *Mutant) ([]string, time.Duration) {
	var names []string
	var d time.Duration
	for _, t := range c.Tests {
		for _, b := range t.blocks[m.File] {
			if b.covers(m.Line, m.Col) {
				names = append(names, t.Name)
				d += t.Duration
				break
			}
		}
	}
	return names, d
}

// phase is a set of covering tests run in one process.
type phase struct {
	names []string
	d     time.Duration
}

// phases splits m's covering tests in two: the quickest ones, which take
// at most a quarter of their whole time (one test at least), then the
// rest. A mutant that the quick ones kill never waits for the slow ones,
// which the test binary would otherwise run in source order; one that
// lives meets them all, as in one run.
func (c *coverage) phases(m *Mutant) []phase {
	var ts []*testCover
	var total time.Duration
	for _, t := range c.Tests {
		for _, b := range t.blocks[m.File] {
			if b.covers(m.Line, m.Col) {
				ts = append(ts, t)
				total += t.Duration
				break
			}
		}
	}
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].Duration < ts[j].Duration })
	var out []phase
	var cur phase
	for i, t := range ts {
		if len(out) == 0 && i > 0 && cur.d+t.Duration > total/4 {
			out = append(out, cur)
			cur = phase{}
		}
		cur.names = append(cur.names, t.Name)
		cur.d += t.Duration
	}
	if len(cur.names) > 0 {
		out = append(out, cur)
	}
	return out
}

// runPattern is the -test.run pattern selecting exactly the named tests.
func runPattern(names []string) string {
	return "^(" + strings.Join(names, "|") + ")$"
}

// seconds rounds d to milliseconds, in seconds.
func seconds(d time.Duration) float64 {
	v, _ := strconv.ParseFloat(fmt.Sprintf("%.3f", d.Seconds()), 64)
	return v
}
