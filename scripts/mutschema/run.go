package main

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The verdicts, spelt as gremlins prints them.
const (
	Killed     = "KILLED"
	Lived      = "LIVED"
	TimedOut   = "TIMED OUT"
	NotViable  = "NOT VIABLE"
	NotCovered = "NOT COVERED"
)

// besideModule names the directories beside the module root that its
// tests read by relative path: placement's and data's tests read the
// shared data (the Alibaba trace, the NetBox demo) at ../shared from the
// repository root.
var besideModule = []string{"shared"}

// linkBeside links each directory of besideModule found beside the module
// root modRoot into tmp, beside the copies made there (tmp/run,
// tmp/schema, tmp/slow-N), so that the copies' tests, and gremlins' dry
// run in tmp/run, find it at the same relative path as the original's.
// Without it those tests fail in the copies: gremlins' dry run of
// placement stopped at TestRestartAlibaba.
func linkBeside(modRoot, tmp string) error {
	abs, err := filepath.Abs(modRoot)
	if err != nil {
		return err
	}
	for _, name := range besideModule {
		src := filepath.Join(filepath.Dir(abs), name)
		if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
			continue
		}
		if err := os.Symlink(src, filepath.Join(tmp, name)); err != nil {
			return err
		}
	}
	return nil
}

// copyModule copies the module at src to dst (regular files only; .git and
// the mutation logs are left out).
func copyModule(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			switch d.Name() {
			case ".git", "mutation-logs", "mutlogs", "node_modules":
				if rel != "." {
					return filepath.SkipDir
				}
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode().Perm())
	})
}

// execTests runs a test binary in dir on the named tests with the mutant
// id active (0: none) and returns the verdict and the run time. A run
// longer than timeout is killed with its process group: TIMED OUT.
func execTests(bin, dir string, id int, tests []string, short bool, timeout time.Duration) (string, time.Duration, error) {
	args := []string{"-test.run", runPattern(tests), "-test.failfast", "-test.count=1",
		"-test.timeout=" + (2*timeout + time.Minute).String()}
	if short {
		args = append(args, "-test.short")
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", envID, id))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "", 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		d := time.Since(start)
		var ee *exec.ExitError
		if err == nil {
			return Lived, d, nil
		}
		if errors.As(err, &ee) {
			return Killed, d, nil
		}
		return "", d, err
	case <-time.After(timeout):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return TimedOut, time.Since(start), nil
	case <-cut.ch():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return "", time.Since(start), nil
	}
}

// cutter ends the package under way early: SIGUSR1 stops its remaining
// mutants (the package is reported as partial and the next one starts),
// SIGINT and SIGTERM do so and end the run after its report is written.
type cutter struct {
	mu   sync.Mutex
	c    chan struct{}
	quit bool
}

var cut = &cutter{c: make(chan struct{})}

// ch is closed when the package under way is cut.
func (c *cutter) ch() chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c
}

// cut closes the package's channel (once); quit ends the run too.
func (c *cutter) cut(quit bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.c:
	default:
		close(c.c)
	}
	c.quit = c.quit || quit
}

// next opens a new channel for the next package.
func (c *cutter) next() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c = make(chan struct{})
}

// isCut reports whether the package under way was cut, and whether the
// run should end.
func (c *cutter) isCut() (bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.c:
		return true, c.quit
	default:
		return false, c.quit
	}
}

// planter plants slow-path mutants one at a time, as gremlins does (the
// operator token replaced in the file's syntax tree, printed with
// go/printer), in a copy of the module of its own, and builds the test
// binary.
type planter struct {
	mu      sync.Mutex
	modRoot string
	pkg     string // package directory, relative to the module
	tmp     string
	n       int
}

// build plants m in a fresh copy and builds its test binary into out; it
// reports false when the mutant does not compile.
func (p *planter) build(m *Mutant, out string) (bool, error) {
	p.mu.Lock()
	p.n++
	dir := filepath.Join(p.tmp, fmt.Sprintf("slow-%d", p.n))
	p.mu.Unlock()
	defer os.RemoveAll(dir)
	pkgDir := filepath.Join(dir, p.pkg)
	if err := os.MkdirAll(pkgDir, 0o755); err != nil {
		return false, err
	}
	if err := copyModule(p.modRoot, dir); err != nil {
		return false, err
	}
	file := filepath.Join(pkgDir, m.File)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
	if err != nil {
		return false, err
	}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		tok, pos, ok := opOf(n)
		if !ok || found {
			return !found
		}
		pp := fset.Position(pos)
		if pp.Line != m.Line || pp.Column != m.Col {
			return true
		}
		nt := mutated(m, tok)
		switch n := n.(type) {
		case *ast.BinaryExpr:
			n.Op = nt
		case *ast.UnaryExpr:
			n.Op = nt
		case *ast.IncDecStmt:
			n.Tok = nt
		}
		found = true
		return false
	})
	if !found {
		return false, fmt.Errorf("%s %s: no operator there", m.Type, m.Pos())
	}
	var buf bytes.Buffer
	if err := printer.Fprint(&buf, fset, f); err != nil {
		return false, err
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		return false, err
	}
	_, err = buildTest(pkgDir, out)
	return err == nil, nil
}

// modulePath reads the module path from go.mod in dir.
func modulePath(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "module" {
			if p, err := strconv.Unquote(f[1]); err == nil {
				return p, nil
			}
			return f[1], nil
		}
	}
	return "", fmt.Errorf("%s: no module line", filepath.Join(dir, "go.mod"))
}

// parallel runs f(i) for i in [0, n) on workers goroutines.
func parallel(n, workers int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
