// Command mutschema is a mutation-testing runner that builds each package's
// test binary once for all its mutants (a mutant schema) and runs each
// mutant against only the tests that cover it.
//
//	go run ./scripts/mutschema [flags] PACKAGE...
//
// The mutants are gremlins v0.6.0's (ARITHMETIC_BASE, CONDITIONALS_BOUNDARY,
// CONDITIONALS_NEGATION, INCREMENT_DECREMENT, INVERT_NEGATIVES, found at the
// same file:line:col); with -gremlins the list and its covered verdict are
// taken from `gremlins unleash --dry-run` and checked against ours. Every
// switchable mutant site of the package's non-test files is rewritten into
// a switch on the id the environment variable MUTSCHEMA_ID holds; a mutant
// that does not compile there is planted alone (the slow path) as gremlins
// plants it, and is NOT VIABLE when that does not compile. Each top-level
// test is run alone under -cover once to know which tests cover which
// mutant and how long they take; a mutant's timeout is -k times its
// covering tests' time plus -margin.
//
// Stage 1 (-short, the default) runs every covered mutant against its
// covering tests with -test.short; stage 2 (-stage2, the default) re-runs
// the LIVED and TIMED OUT ones, and those only the whole suite covers,
// without it. It writes a Markdown report (-o) in scripts/mutation.sh's
// shape and, per package, LOGDIR/PKG.json (every mutant, its verdicts and
// covering tests) and LOGDIR/PKG.survivors.txt.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	workers  int
	coef     float64
	margin   time.Duration
	short    bool
	stage2   bool
	gremlins string
	report   string
	logdir   string
	modRoot  string
}

// Result is one mutant's outcome, as the JSON log holds it.
type Result struct {
	Mutant
	SlowPath bool   `json:"slow_path"`
	Stage1   string `json:"stage1,omitempty"`
	// Stage2 tells whether a stage-1 survivor met the whole suite (false
	// when the run was cut first: it keeps its stage-1 verdict).
	Stage2   bool     `json:"stage2_run,omitempty"`
	Status   string   `json:"status"`
	Tests    []string `json:"tests,omitempty"`
	TimeoutS float64  `json:"timeout_s,omitempty"`
	RunS     float64  `json:"run_s,omitempty"`
}

// PackageResult is one package's run.
type PackageResult struct {
	Package    string `json:"package"`
	Commit     string `json:"commit"`
	Started    string `json:"started"`
	LoadAvg    string `json:"load_average_at_start"`
	Flags      string `json:"flags"`
	Killed     int    `json:"killed"`
	Lived      int    `json:"lived"`
	TimedOut   int    `json:"timed_out"`
	NotViable  int    `json:"not_viable"`
	NotCovered int    `json:"not_covered"`
	// NotRun counts the covered mutants a cut run (SIGUSR1, SIGINT,
	// SIGTERM) left unrun; Stage2Left the stage-1 survivors it left
	// without their whole-suite run.
	NotRun     int      `json:"not_run"`
	Stage2Left int      `json:"stage2_left"`
	Partial    bool     `json:"partial"`
	SlowPath   int      `json:"slow_path_covered"`
	Tests      int      `json:"tests"`
	RunS       float64  `json:"run_s"`
	Mutants    []Result `json:"mutants"`
	Errors     []string `json:"errors,omitempty"`
}

func main() {
	var o options
	flag.IntVar(&o.workers, "w", 2, "mutants run at a time")
	flag.Float64Var(&o.coef, "k", 10, "timeout coefficient: a mutant's timeout is k × its covering tests' time + margin")
	flag.DurationVar(&o.margin, "margin", 5*time.Second, "fixed part of a mutant's timeout")
	flag.BoolVar(&o.short, "short", true, "stage 1 runs the tests with -test.short")
	flag.BoolVar(&o.stage2, "stage2", true, "re-run stage 1's LIVED and TIMED OUT mutants without -test.short")
	flag.StringVar(&o.gremlins, "gremlins", "", "gremlins binary: take the mutants and their coverage from its dry run")
	flag.StringVar(&o.report, "o", "mutation-report.md", "Markdown report")
	flag.StringVar(&o.logdir, "l", "mutation-logs", "directory of the per-package JSON and survivor lists")
	flag.StringVar(&o.modRoot, "C", ".", "module root")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: mutschema [flags] PACKAGE...  (package directories relative to the module root)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || o.workers < 1 || o.coef <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	root, err := filepath.Abs(o.modRoot)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutschema:", err)
		os.Exit(2)
	}
	o.modRoot = root
	if err := os.MkdirAll(o.logdir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "mutschema:", err)
		os.Exit(2)
	}
	header := fmt.Sprintf("# Mutation testing (%s, scripts/mutschema: gremlins v0.6.0's mutants, one build a package, covering tests only; commit %s)\n\n"+
		"workers %d, timeout %g × covering tests' time + %s, %s, load average at start: %s\n\n"+
		"| package | killed | lived | timed out | not viable | not covered | score | mutant coverage | timed out %% | run |\n|---|---|---|---|---|---|---|---|---|---|\n",
		time.Now().UTC().Format("2006-01-02T15:04Z"), commit(root), o.workers, o.coef, o.margin, stagesText(o), loadAvg())
	var rows, survivors []string
	status := 0
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for x := range sig {
			fmt.Fprintf(os.Stderr, "mutschema: %v: cutting the package under way\n", x)
			cut.cut(x != syscall.SIGUSR1)
		}
	}()
	for _, pkg := range flag.Args() {
		if _, quit := cut.isCut(); quit {
			break
		}
		cut.next()
		pkg = strings.TrimSuffix(strings.TrimPrefix(pkg, "./"), "/")
		res, err := runPackage(o, pkg)
		if err != nil {
			fmt.Fprintf(os.Stderr, "mutschema: %s: %v\n", pkg, err)
			status = 1
			rows = append(rows, fmt.Sprintf("| %s | error: %s |||||||||", pkg, strings.ReplaceAll(firstLine(err.Error()), "|", "/")))
		} else {
			row, surv := summary(res)
			rows = append(rows, row)
			if len(surv) > 0 {
				survivors = append(survivors, fmt.Sprintf("## %s: survivors\n\n%s\n", pkg, strings.Join(surv, "\n")))
			}
			fmt.Fprintln(os.Stderr, row)
		}
		text := header + strings.Join(rows, "\n") + "\n\n" + strings.Join(survivors, "\n")
		if err := os.WriteFile(o.report, []byte(text), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "mutschema:", err)
			os.Exit(1)
		}
	}
	os.Exit(status)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func stagesText(o options) string {
	switch {
	case o.short && o.stage2:
		return "two stages (-test.short, then the whole suite for the survivors)"
	case o.short:
		return "stage 1 only (-test.short)"
	}
	return "the whole suite"
}

func commit(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// summary is the report row of a package and its survivors.
func summary(r *PackageResult) (string, []string) {
	k, l, t, v, n := r.Killed, r.Lived, r.TimedOut, r.NotViable, r.NotCovered
	pct := func(a, b int) string {
		if b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f %%", 100*float64(a)/float64(b))
	}
	state := "complete"
	if r.Partial {
		state = fmt.Sprintf("partial (cut: %d not run, %d stage-1 survivors not re-run)", r.NotRun, r.Stage2Left)
	}
	row := fmt.Sprintf("| %s | %d | %d | %d | %d | %d | %s | %s | %s | %s, %.0f s, %d tests, %d on the slow path |",
		r.Package, k, l, t, v, n, pct(k, k+l), pct(k+l, k+l+t+v+n), pct(t, k+l+t), state, r.RunS, r.Tests, r.SlowPath)
	var surv []string
	for _, m := range r.Mutants {
		if m.Status == Lived || m.Status == TimedOut {
			s := fmt.Sprintf("- %s at %s", m.Type, m.Pos())
			if m.Status == TimedOut {
				s += " (timed out)"
			}
			surv = append(surv, s)
		}
	}
	sort.Strings(surv)
	return row, surv
}

// runPackage runs every mutant of the package directory pkg.
func runPackage(o options, pkg string) (*PackageResult, error) {
	start := time.Now()
	res := &PackageResult{Package: pkg, Commit: commit(o.modRoot), Started: start.UTC().Format(time.RFC3339),
		LoadAvg: loadAvg(), Flags: fmt.Sprintf("-w %d -k %g -margin %s, %s", o.workers, o.coef, o.margin, stagesText(o))}
	tmp, err := os.MkdirTemp("", "mutschema-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	modPath, err := modulePath(o.modRoot)
	if err != nil {
		return nil, err
	}
	pkgPath := modPath + "/" + pkg
	runDir := filepath.Join(tmp, "run")
	schemaDir := filepath.Join(tmp, "schema")
	for _, d := range []string{runDir, schemaDir} {
		if err := copyModule(o.modRoot, d); err != nil {
			return nil, err
		}
	}
	if err := linkBeside(o.modRoot, tmp); err != nil {
		return nil, err
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "%s %s: %s\n", time.Now().UTC().Format("15:04:05"), pkg, fmt.Sprintf(format, a...))
	}

	found, err := findMutants(filepath.Join(runDir, pkg))
	if err != nil {
		return nil, err
	}
	if o.gremlins != "" {
		os.Setenv("GOFLAGS", "")
		if o.short {
			os.Setenv("GOFLAGS", "-short")
		}
		theirs, err := gremlinsDryRun(o.gremlins, runDir, pkg, tmp)
		os.Unsetenv("GOFLAGS")
		if err != nil {
			return nil, err
		}
		if err := mergeGremlins(found, theirs); err != nil {
			return nil, err
		}
		logf("%d mutants, the same as gremlins' dry run", len(found))
	}
	mutants := make([]*Mutant, len(found))
	for i := range found {
		mutants[i] = &found[i]
	}

	// Per-test coverage.
	coverBin := filepath.Join(tmp, "cover.test")
	if out, err := buildTest(filepath.Join(runDir, pkg), coverBin, "-cover", "-covermode=set"); err != nil {
		return nil, fmt.Errorf("building the coverage binary: %v\n%s", err, out)
	}
	covStage1, err := measureCoverage(coverBin, filepath.Join(runDir, pkg), tmp, pkgPath, o.short, o.workers)
	if err != nil {
		return nil, err
	}
	res.Tests = len(covStage1.Tests)
	covFull := covStage1
	if o.short && o.stage2 {
		if covFull, err = measureCoverage(coverBin, filepath.Join(runDir, pkg), tmp, pkgPath, false, o.workers); err != nil {
			return nil, err
		}
	}
	logf("coverage of %d tests measured (%s)", len(covStage1.Tests), time.Since(start).Round(time.Second))
	if o.gremlins == "" {
		for _, m := range mutants {
			t, _ := covStage1.covering(m)
			m.Covered = len(t) > 0
		}
	}

	// The schema.
	s, err := loadSchema(filepath.Join(schemaDir), pkgPath, mutants)
	if err != nil {
		return nil, err
	}
	schemaBin := filepath.Join(tmp, "schema.test")
	if err := s.Build(schemaDir, pkg, schemaBin); err != nil {
		return nil, err
	}
	results := make([]Result, len(mutants))
	for i, m := range mutants {
		results[i] = Result{Mutant: *m, SlowPath: s.Slow[m.ID]}
		if m.Covered && s.Slow[m.ID] {
			res.SlowPath++
		}
	}
	logf("schema built, %d covered mutants on the slow path (%s)", res.SlowPath, time.Since(start).Round(time.Second))

	pl := &planter{modRoot: runDir, pkg: pkg, tmp: tmp}
	slowBins := map[int]string{}
	dir := filepath.Join(runDir, pkg)
	var errs []string
	var mu sync.Mutex
	fail := func(s string) {
		mu.Lock()
		errs = append(errs, s)
		mu.Unlock()
	}
	var done atomic.Int64
	run := func(r *Result, cov *coverage, short bool) {
		if c, _ := cut.isCut(); c {
			return
		}
		tests, d := cov.covering(&r.Mutant)
		if len(tests) == 0 {
			fail(fmt.Sprintf("%s %s: covered, but by no single test", r.Type, r.Pos()))
			r.Status = NotCovered
			return
		}
		r.Tests = tests
		r.TimeoutS = seconds(time.Duration(o.coef*float64(d)) + o.margin)
		bin, id := schemaBin, r.ID
		if r.SlowPath {
			bin, id = slowBins[r.ID], 0
			if bin == "" {
				r.Status = NotViable
				return
			}
		}
		var st string
		var took time.Duration
		for _, ph := range cov.phases(&r.Mutant) {
			s, t, err := execTests(bin, dir, id, ph.names, short, time.Duration(o.coef*float64(ph.d))+o.margin)
			if err != nil {
				fail(fmt.Sprintf("%s %s: %v", r.Type, r.Pos(), err))
				return
			}
			st, took = s, took+t
			if st != Lived {
				break
			}
		}
		if st == "" {
			return // cut: the verdict it had stays
		}
		r.Stage2 = !short && o.short
		r.Status, r.RunS = st, seconds(took)
		if n := done.Add(1); n%100 == 0 {
			logf("%d mutants run (%s)", n, time.Since(start).Round(time.Second))
		}
	}
	// Slow-path builds first (one at a time per worker).
	var slow []int
	for i, r := range results {
		if r.SlowPath && r.Covered {
			slow = append(slow, i)
		}
	}
	var slowErr []string
	bins := make([]string, len(slow))
	parallel(len(slow), o.workers, func(j int) {
		r := results[slow[j]]
		out := filepath.Join(tmp, fmt.Sprintf("slow-%d.test", r.ID))
		ok, err := pl.build(&r.Mutant, out)
		if err != nil {
			mu.Lock()
			slowErr = append(slowErr, err.Error())
			mu.Unlock()
			return
		}
		if ok {
			bins[j] = out
		}
	})
	if len(slowErr) > 0 {
		return nil, fmt.Errorf("slow path: %s", strings.Join(slowErr, "; "))
	}
	for j, i := range slow {
		slowBins[results[i].ID] = bins[j]
	}

	var stage1 []int
	for i, r := range results {
		if r.Covered {
			stage1 = append(stage1, i)
		} else {
			results[i].Status = NotCovered
		}
	}
	parallel(len(stage1), o.workers, func(j int) { run(&results[stage1[j]], covStage1, o.short) })
	logf("stage 1 done (%s)", time.Since(start).Round(time.Second))
	if o.short && o.stage2 {
		var stage2 []int
		for i := range results {
			r := &results[i]
			r.Stage1 = r.Status
			if r.Status == Lived || r.Status == TimedOut {
				stage2 = append(stage2, i)
			}
			if r.Status == NotCovered {
				// Covered by the whole suite only: run it in stage 2.
				if t, _ := covFull.covering(&r.Mutant); len(t) > 0 {
					r.Covered = true
					stage2 = append(stage2, i)
					if r.SlowPath {
						bin := filepath.Join(tmp, fmt.Sprintf("slow-%d.test", r.ID))
						ok, err := pl.build(&r.Mutant, bin)
						if err != nil {
							return nil, err
						}
						if ok {
							slowBins[r.ID] = bin
						}
						res.SlowPath++
					}
				}
			}
		}
		// Stage 1's verdicts are kept now, marked as waiting for stage 2.
		if err := finish(o, res, results, errs, start); err != nil {
			return nil, err
		}
		logf("stage 2: %d mutants to re-run against the whole suite", len(stage2))
		parallel(len(stage2), o.workers, func(j int) { run(&results[stage2[j]], covFull, false) })
		logf("stage 2 done: %d mutants re-run (%s)", len(stage2), time.Since(start).Round(time.Second))
	}
	if err := finish(o, res, results, errs, start); err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("%d mutants could not be run: %s", len(errs), strings.Join(errs, "; "))
	}
	return res, nil
}

// finish counts the verdicts and writes the package's JSON and survivor
// list (after stage 1 too, so that a run stopped in stage 2 leaves them).
func finish(o options, res *PackageResult, results []Result, errs []string, start time.Time) error {
	res.Errors = errs
	res.Killed, res.Lived, res.TimedOut, res.NotViable, res.NotCovered, res.NotRun, res.Stage2Left = 0, 0, 0, 0, 0, 0, 0
	for _, r := range results {
		switch r.Status {
		case Killed:
			res.Killed++
		case Lived:
			res.Lived++
		case TimedOut:
			res.TimedOut++
		case NotViable:
			res.NotViable++
		case NotCovered:
			res.NotCovered++
		case "":
			res.NotRun++
		}
		if o.short && o.stage2 && (r.Stage1 == Lived || r.Stage1 == TimedOut) && !r.Stage2 {
			res.Stage2Left++
		}
	}
	c, _ := cut.isCut()
	res.Partial = c
	res.Mutants = results
	res.RunS = seconds(time.Since(start))
	name := strings.ReplaceAll(res.Package, "/", "_")
	b, err := json.MarshalIndent(res, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.logdir, name+".json"), b, 0o644); err != nil {
		return err
	}
	_, surv := summary(res)
	return os.WriteFile(filepath.Join(o.logdir, name+".survivors.txt"), []byte(strings.Join(surv, "\n")+"\n"), 0o644)
}
