// Package chart draws blackstart's results as echarts pages, built with
// go-echarts: rack power headroom, the N-1 risk map, a cascade timeline, the
// power flow, the restart plan, the recovery curve and the ETA over time, and
// the postmortem report that bundles them.
//
// chart computes nothing of its own: every builder takes a result of power,
// placement or estimate and only lays it out (sorting, picking the rows that
// matter, converting W to kW). Output is byte-identical for the same input:
// chart ids are fixed, data is in a fixed order and numbers are rounded.
//
// A page refers to the pinned echarts release on its CDN by default, as
// go-echarts does; with Render.Offline the script is inlined from a local
// copy (see LocateEcharts) and the page needs no network.
package chart

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"blackstart/topology"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/types"
)

// EchartsVersion is the echarts release the pages are written for: the CDN
// address names it and an offline copy must be it.
const EchartsVersion = "5.6.0"

// CDNHost is where an online page loads echarts.min.js from.
const CDNHost = "https://cdn.jsdelivr.net/npm/echarts@" + EchartsVersion + "/dist/"

// EchartsEnv names the environment variable that points at a local
// echarts.min.js for offline pages.
const EchartsEnv = "BLACKSTART_ECHARTS_JS"

// DefaultEchartsPath is where `npm install echarts@EchartsVersion` puts the
// script, relative to the directory it ran in.
const DefaultEchartsPath = "node_modules/echarts/dist/echarts.min.js"

// Kinds lists the chart kinds, in report order.
var Kinds = []string{"headroom", "risk", "cascade", "flow", "gantt", "recovery", "eta", "gap"}

// Chart is one built chart: its kind, its title and the go-echarts chart.
type Chart struct {
	Kind  string
	Title string
	// Summary is one line saying what the chart shows, for the report.
	Summary string
	base    *charts.BaseConfiguration
	render  interface {
		RenderContent() []byte
		Validate()
	}
}

// Render says how a page gets its echarts script.
type Render struct {
	// Offline inlines Echarts (the content of echarts.min.js) in the page.
	Offline bool
	Echarts []byte
}

// HTML writes the chart as a complete HTML page.
func (c *Chart) HTML(w io.Writer, r Render) error {
	if r.Offline {
		if len(r.Echarts) == 0 {
			return errors.New("offline page: no echarts script given")
		}
		if bytes.Contains(bytes.ToLower(r.Echarts), []byte("</script")) {
			return errors.New("offline page: the echarts script contains </script and cannot be inlined")
		}
		c.base.JSAssets.Clear()
		c.base.CustomizedHeaders.Clear()
		c.base.AddCustomizedHeaders("<script>" + string(r.Echarts) + "</script>")
	} else {
		c.base.JSAssets.Clear()
		c.base.JSAssets.Add(CDNHost + opts.EchartsJS)
		c.base.CustomizedHeaders.Clear()
	}
	page := c.render.RenderContent()
	// go-echarts drops an encoding error (a NaN, an infinity) and writes
	// an empty option: refuse instead of writing a blank page.
	if _, err := json.Marshal(c.base.JSON()); err != nil {
		return fmt.Errorf("%s chart: %v", c.Kind, err)
	}
	// The option sits in a <script> unescaped: an id containing "</" would
	// end it. "<\/" is the same string to the script.
	opt := funcMarks.ReplaceAll([]byte(c.base.JSONNotEscaped()), nil)
	if esc := bytes.ReplaceAll(opt, []byte("</"), []byte(`<\/`)); !bytes.Equal(esc, opt) {
		page = bytes.Replace(page, opt, esc, 1)
	}
	_, err := w.Write(page)
	return err
}

// funcMarks are go-echarts' markers around JavaScript functions in an
// option, which its renderer strips (render.pat).
var funcMarks = regexp.MustCompile(`(__f__")|("__f__)|(__f__)`)

// Option returns the echarts option the page passes to setOption, as
// indented JSON: the data and layout of the chart without the page around it.
func (c *Chart) Option() ([]byte, error) {
	c.render.Validate()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c.base.JSON()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MaxEchartsBytes bounds the echarts script LocateEcharts reads, bytes
// (echarts.min.js 5.6.0 is about 1 MB): a larger file, or a device such as
// /dev/zero, is read no further.
const MaxEchartsBytes = 16 << 20

// LocateEcharts finds the local echarts.min.js for offline pages: path when
// given, else $BLACKSTART_ECHARTS_JS, else DefaultEchartsPath under the
// working directory or one of its parents. It reads the script and checks
// that it is release EchartsVersion.
func LocateEcharts(path string) ([]byte, string, error) {
	how := "--echarts-js"
	if path == "" {
		path, how = os.Getenv(EchartsEnv), "$"+EchartsEnv
	}
	if path == "" {
		how = DefaultEchartsPath
		dir, _ := os.Getwd()
		for dir != "" {
			p := filepath.Join(dir, DefaultEchartsPath)
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
			up := filepath.Dir(dir)
			if up == dir {
				break
			}
			dir = up
		}
		if path == "" {
			return nil, "", fmt.Errorf("offline charts need echarts %s: no %s here or above; run `npm install --no-save echarts@%s`, or set %s or --echarts-js to an echarts.min.js",
				EchartsVersion, DefaultEchartsPath, EchartsVersion, EchartsEnv)
		}
	}
	b, err := topology.ReadBounded(path, MaxEchartsBytes)
	if errors.Is(err, topology.ErrTooBig) {
		return nil, "", fmt.Errorf("offline charts: the echarts script (%s) %s is more than the limit of %d bytes (%d MiB): not echarts %s", how, path, MaxEchartsBytes, MaxEchartsBytes>>20, EchartsVersion)
	}
	if err != nil {
		return nil, "", fmt.Errorf("offline charts: cannot read the echarts script (%s): %v", how, err)
	}
	if !bytes.Contains(b, []byte(`version="`+EchartsVersion+`"`)) {
		return nil, "", fmt.Errorf("offline charts: %s is not echarts %s (run `npm install --no-save echarts@%s`)", path, EchartsVersion, EchartsVersion)
	}
	return b, path, nil
}

// init sets what every chart shares: a fixed id, size, CDN host, no
// animation (pages and screenshots show the final state at once), title and
// a toolbox to save the picture.
func initBase(bc *charts.BaseConfiguration, kind, title, subtitle string, w, h int) {
	bc.Initialization = opts.Initialization{
		ChartID:    "blackstart_" + kind,
		Width:      strconv.Itoa(w) + "px",
		Height:     strconv.Itoa(h) + "px",
		PageTitle:  "blackstart: " + title,
		AssetsHost: CDNHost,
		Theme:      "white",
		Renderer:   "canvas",
	}
	bc.Initialization.Validate()
	bc.PageTitle = bc.Initialization.PageTitle
	bc.AssetsHost = CDNHost
	bc.Animation = opts.Bool(false)
	bc.Title = opts.Title{Title: title, Subtitle: subtitle, Left: "center"}
	bc.Toolbox = opts.Toolbox{Show: opts.Bool(true), Right: "2%", Feature: &opts.ToolBoxFeature{
		SaveAsImage: &opts.ToolBoxFeatureSaveAsImage{Show: opts.Bool(true), Name: kind, Title: "save as PNG"},
	}}
}

// r2 rounds to two decimals, so that data is stable text.
func r2(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*100) / 100
}

// r3 rounds to three decimals.
func r3(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return math.Round(v*1000) / 1000
}

// fnum formats a number for a subtitle.
func fnum(v float64, unit string) string {
	return strconv.FormatFloat(r2(v), 'f', -1, 64) + " " + unit
}

// dur formats seconds for a subtitle: s below 2 min, min below 2 h, else h.
func dur(s float64) string {
	switch {
	case s < 120:
		return strconv.FormatFloat(math.Round(s*10)/10, 'f', -1, 64) + " s"
	case s < 7200:
		return strconv.FormatFloat(math.Round(s/6)/10, 'f', -1, 64) + " min"
	default:
		return strconv.FormatFloat(math.Round(s/360)/10, 'f', -1, 64) + " h"
	}
}

// js wraps JavaScript source for an option that takes a function.
func js(src string) types.FuncStr { return opts.FuncOpts(strings.TrimSpace(src)) }

// rawVisitor lets a chart set option keys that go-echarts has no typed
// field for (or types too narrowly): they replace the typed ones.
type rawVisitor struct {
	charts.BaseConfigurationVisitor
	raw map[string]any
}

// Visit sets the raw keys on the finished option.
func (v rawVisitor) Visit(obj map[string]any) {
	for k, x := range v.raw {
		obj[k] = x
	}
}

// setRaw makes the option carry raw[k] for every k.
func setRaw(bc *charts.BaseConfiguration, raw map[string]any) {
	bc.Accept(rawVisitor{raw: raw})
}

// Embed writes the chart for a page that loads echarts itself: the body
// of the page HTML writes (the chart's container and the script that
// draws it), without the document around it. The script declares the
// chart's variables with let: a page that draws the chart again runs it
// inside a block.
func (c *Chart) Embed(w io.Writer) error {
	var page bytes.Buffer
	if err := c.HTML(&page, Render{}); err != nil {
		return err
	}
	s := page.String()
	i := strings.Index(s, "<body>")
	j := strings.LastIndex(s, "</body>")
	if i < 0 || j < i {
		return fmt.Errorf("%s chart: the page has no body", c.Kind)
	}
	_, err := io.WriteString(w, s[i+len("<body>"):j])
	return err
}
