package chart

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"blackstart/estimate"
)

// reportMarker is the file that tells a directory holds a blackstart
// report, so that a new report may replace it.
const reportMarker = ".blackstart-report"

// Report is a postmortem bundle: a summary and the charts with their data.
type Report struct {
	Title string // what the report is about: the model files
	// Headline is the N-1 sweep's one-line verdict; Risks the worst
	// failover risks, one line each, worst first.
	Headline string
	Risks    []string
	// Plan says how the restart plan compares with its lower bound and
	// with the stale policy, one line each.
	Plan []string
	// Accuracy is the ETA accuracy evaluation (estimate.Evaluate), nil
	// when not computed.
	Accuracy *estimate.Evaluation
	Charts   []*Chart
	// Data holds, per chart kind, the result the chart is drawn from; it is
	// written as KIND.json.
	Data map[string]any
	// Notes are lines about what the bundle leaves out and why.
	Notes []string
}

// WriteReport writes the bundle to dir: index.html, KIND.html (and
// KIND.png when browser is set) and KIND.json per chart, accuracy.json. It
// builds the bundle in a new directory beside dir and moves it in place
// once complete; dir must not exist, be empty, or hold an earlier report.
func WriteReport(dir string, rep Report, r Render, browser string) error {
	if err := replaceable(dir); err != nil {
		return &DirError{err}
	}
	parent := filepath.Dir(filepath.Clean(dir))
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	write := func(name string, b []byte) error { return os.WriteFile(filepath.Join(tmp, name), b, 0o644) }
	type entry struct {
		Kind, Title, Summary string
		PNG                  bool
		Height               int
	}
	var entries []entry
	for _, c := range rep.Charts {
		var page bytes.Buffer
		if err := c.HTML(&page, r); err != nil {
			return err
		}
		if err := write(c.Kind+".html", page.Bytes()); err != nil {
			return err
		}
		if d, ok := rep.Data[c.Kind]; ok {
			b, err := marshal(d)
			if err != nil {
				return fmt.Errorf("%s.json: %v", c.Kind, err)
			}
			if err := write(c.Kind+".json", b); err != nil {
				return err
			}
		}
		if browser != "" {
			png, err := Screenshot(browser, c, r)
			if err == nil {
				err = write(c.Kind+".png", png)
			}
			if err != nil {
				return fmt.Errorf("%s.png: %v", c.Kind, err)
			}
		}
		_, h := c.Size()
		entries = append(entries, entry{Kind: c.Kind, Title: c.Title, Summary: c.Summary, PNG: browser != "", Height: h + 70})
	}
	if rep.Accuracy != nil {
		b, err := marshal(rep.Accuracy)
		if err != nil {
			return err
		}
		if err := write("accuracy.json", b); err != nil {
			return err
		}
	}
	type accRow struct {
		Progress                        string
		ThroughputMedian, ThroughputP90 string
		Bias, Coverage                  string
		RAMMedian, MedianRatioText      string
		ReplayMedian, ClimatologyMedian string
	}
	var acc []accRow
	if ev := rep.Accuracy; ev != nil {
		for _, pr := range estimate.Progress {
			get := func(est string) *estimate.Score {
				if s := ev.Find(estimate.ScenarioPerturbed, est, estimate.PointInstances, pr); s != nil {
					return s
				}
				return &estimate.Score{MedianAbsError: estimate.Interval{Value: math.NaN()}, P90AbsError: estimate.Interval{Value: math.NaN()},
					MedianSignedError: estimate.Interval{Value: math.NaN()}, Coverage: estimate.Interval{Value: math.NaN()}}
			}
			a, m := get(estimate.EstimatorThroughput), get(estimate.EstimatorRAM)
			ratio := "—"
			if r := m.MedianAbsError.Value / a.MedianAbsError.Value; a.MedianAbsError.Value > 0 && finite(r) {
				ratio = strconv.FormatFloat(r, 'f', 1, 64) + "×"
			}
			acc = append(acc, accRow{
				Progress:         strconv.FormatFloat(100*pr, 'f', 0, 64) + " %",
				ThroughputMedian: errText(a.MedianAbsError.Value), ThroughputP90: errText(a.P90AbsError.Value),
				Bias: errText(a.MedianSignedError.Value), Coverage: errText(a.Coverage.Value),
				RAMMedian: errText(m.MedianAbsError.Value), MedianRatioText: ratio,
				ReplayMedian: errText(get(estimate.EstimatorReplay).MedianAbsError.Value), ClimatologyMedian: errText(get(estimate.EstimatorClimatology).MedianAbsError.Value),
			})
		}
	}
	var index bytes.Buffer
	err = indexTemplate.Execute(&index, map[string]any{
		"R": rep, "Charts": entries, "Acc": acc, "Version": EchartsVersion,
	})
	if err != nil {
		return err
	}
	if err := write("index.html", index.Bytes()); err != nil {
		return err
	}
	if err := write(reportMarker, []byte("blackstart report\n")); err != nil {
		return err
	}
	// The earlier report is moved aside, not removed, until the new one is
	// in place.
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return err
	}
	ok = true
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// DirError says the report's directory cannot take a report: it is not a
// directory, or holds something else.
type DirError struct{ Err error }

func (e *DirError) Error() string { return e.Err.Error() }
func (e *DirError) Unwrap() error { return e.Err }

// replaceable checks that dir does not exist, is empty, or holds a report.
func replaceable(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory", dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(ents) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, reportMarker)); err == nil {
		return nil
	}
	return fmt.Errorf("%s exists and is not a blackstart report; choose another -o or empty it", dir)
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(v)
	return buf.Bytes(), err
}

var indexTemplate = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>blackstart postmortem: {{.R.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1280px; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { padding: 0.25em 0.8em; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
iframe { width: 100%; border: 1px solid #ddd; }
.note { color: #666; }
</style>
</head>
<body>
<h1>blackstart postmortem: {{.R.Title}}</h1>
<h2>Worst failover risks</h2>
{{if .R.Headline}}<p>{{.R.Headline}}</p>{{end}}
{{if .R.Risks}}<ol>{{range .R.Risks}}<li>{{.}}</li>{{end}}</ol>{{else}}<p class="note">No power analysis (the model has no power elements).</p>{{end}}
<h2>Restart plan against its lower bound</h2>
{{if .R.Plan}}<ul>{{range .R.Plan}}<li>{{.}}</li>{{end}}</ul>{{else}}<p class="note">No restart plan (the model has no workloads).</p>{{end}}
<h2>ETA accuracy</h2>
{{if .Acc}}<p>|ETA − actual| / actual remaining time over {{.R.Accuracy.Runs}} perturbed simulated recoveries (slow and dying nodes, heavy-tailed starts, a stalling tier), at shares of the instances up: the throughput estimate (median and p90 error, median signed error, share of runs whose finish fell in its 80 % band), the RAM extrapolation the incident team used, and two references: replay (the rest of each run simulated from its true state, what a perfect estimator could know) and climatology (the other runs' median finish). accuracy.json has the calm runs, the shares of the duration and the 95 % intervals.</p>
<table><tr><th>progress</th><th>throughput median</th><th>throughput p90</th><th>bias</th><th>band coverage</th><th>RAM median</th><th>RAM / throughput (median)</th><th>replay median</th><th>climatology median</th></tr>
{{range .Acc}}<tr><td>{{.Progress}}</td><td>{{.ThroughputMedian}}</td><td>{{.ThroughputP90}}</td><td>{{.Bias}}</td><td>{{.Coverage}}</td><td>{{.RAMMedian}}</td><td>{{.MedianRatioText}}</td><td>{{.ReplayMedian}}</td><td>{{.ClimatologyMedian}}</td></tr>
{{end}}</table>{{else}}<p class="note">Not computed.</p>{{end}}
{{range .R.Notes}}<p class="note">{{.}}</p>{{end}}
<h2>Charts</h2>
<ul>{{range .Charts}}<li><a href="#{{.Kind}}">{{.Title}}</a>: {{.Summary}}</li>{{end}}</ul>
{{range .Charts}}
<h2 id="{{.Kind}}">{{.Title}}</h2>
<p>{{.Summary}} — <a href="{{.Kind}}.html">page</a>{{if .PNG}}, <a href="{{.Kind}}.png">PNG</a>{{end}}, <a href="{{.Kind}}.json">data (JSON)</a></p>
<iframe src="{{.Kind}}.html" height="{{.Height}}" loading="lazy" title="{{.Title}}"></iframe>
{{end}}
<p class="note">Charts drawn with echarts {{.Version}} through go-echarts.</p>
</body>
</html>
`))

// errText formats a relative error: "—" without samples, "∞" when the
// estimator gave no finite ETA.
func errText(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case math.IsInf(v, 0):
		return "∞"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
