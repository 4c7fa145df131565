package chart

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// errorHook, first in <head>, records every script error of the page.
const errorHook = `<script>window.__bsErrors = [];
window.addEventListener('error', function (e) { window.__bsErrors.push(String(e.message)); });</script>`

// probe, last in <body>, asks echarts what it drew and writes it in the DOM.
const probe = `<script>(function () {
  var out = {errors: window.__bsErrors, version: window.echarts ? echarts.version : null};
  try {
    var el = document.querySelector('.item');
    var inst = echarts.getInstanceByDom(el);
    out.series = inst.getOption().series.length;
    inst.getZr().refreshImmediately();
    var cv = el.querySelector('canvas');
    var d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    var painted = 0;
    for (var i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) { painted++; }
    }
    out.painted = painted / (cv.width * cv.height);
  } catch (e) { out.errors.push('probe: ' + e.message); }
  var pre = document.createElement('pre');
  pre.id = 'bs-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();</script>`

type probeResult struct {
	Errors  []string `json:"errors"`
	Version string   `json:"version"`
	Series  int      `json:"series"`
	Painted float64  `json:"painted"`
}

// browserSetup finds Chromium and the pinned echarts; CI must have both
// (.ci/run installs them), elsewhere the test is skipped without them.
func browserSetup(t *testing.T) (string, []byte) {
	t.Helper()
	browser, err := FindBrowser()
	var js []byte
	if err == nil {
		js, _, err = LocateEcharts("")
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must render charts in a real browser: %v", err)
		}
		t.Skipf("no browser test here: %v", err)
	}
	return browser, js
}

// TestBrowserRendersEveryKind loads every chart kind, offline, in headless
// Chromium: no script error, echarts is the pinned release, every series
// is there, the canvas has ink on it, and a screenshot is not blank.
func TestBrowserRendersEveryKind(t *testing.T) {
	browser, js := browserSetup(t)
	f := smallDC(t)
	dir := t.TempDir()
	r := Render{Offline: true, Echarts: js}
	for _, c := range f.all() {
		t.Run(c.Kind, func(t *testing.T) {
			var page bytes.Buffer
			if err := c.HTML(&page, r); err != nil {
				t.Fatal(err)
			}
			s := page.String()
			if strings.Contains(s, "<script src=") {
				t.Fatal("the offline page loads a script from elsewhere")
			}
			s = strings.Replace(s, "<head>", "<head>\n"+errorHook, 1)
			k := strings.LastIndex(s, "</body>") // the inlined echarts has one too
			s = s[:k] + probe + "\n" + s[k:]
			path := filepath.Join(dir, c.Kind+".html")
			if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			args := append(BrowserArgs(filepath.Join(dir, "profile-"+c.Kind)), "--dump-dom", "file://"+path)
			out, err := exec.CommandContext(ctx, browser, args...).Output()
			if err != nil {
				t.Fatalf("%s --dump-dom: %v", browser, err)
			}
			dom := string(out)
			i := strings.Index(dom, `<pre id="bs-probe">`)
			j := strings.Index(dom, "</pre>")
			if i < 0 || j < i {
				t.Fatalf("the probe did not run; DOM ends with %q", dom[max(0, len(dom)-300):])
			}
			var p probeResult
			if err := json.Unmarshal([]byte(html.UnescapeString(dom[i+len(`<pre id="bs-probe">`):j])), &p); err != nil {
				t.Fatal(err)
			}
			opt := option(t, c)
			if len(p.Errors) > 0 {
				t.Errorf("script errors: %v", p.Errors)
			}
			if p.Version != EchartsVersion {
				t.Errorf("echarts %q drew the page, want %s", p.Version, EchartsVersion)
			}
			if want := len(opt["series"].([]any)); p.Series != want {
				t.Errorf("echarts holds %d series, the option has %d", p.Series, want)
			}
			if p.Painted < 0.02 {
				t.Errorf("only %.2f %% of the canvas is drawn on", 100*p.Painted)
			}
			t.Logf("%s: %d series, %.1f %% of the canvas drawn", c.Kind, p.Series, 100*p.Painted)

			shot := filepath.Join(dir, c.Kind+".png")
			img, err := Screenshot(browser, c, r)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(shot, img, 0o644); err != nil {
				t.Fatal(err)
			}
			inked, colours := ink(t, shot)
			if inked < 0.02 || colours < 6 {
				t.Errorf("screenshot looks blank: %.2f %% inked, %d colours", 100*inked, colours)
			}
		})
	}
}

// ink is the share of a PNG's pixels that are not near-white, and how many
// distinct colours it has.
func ink(t *testing.T, path string) (float64, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	colours := map[[3]uint32]bool{}
	inked := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if r>>8 < 240 || g>>8 < 240 || bl>>8 < 240 {
				inked++
			}
		}
	}
	return float64(inked) / float64(b.Dx()*b.Dy()), len(colours)
}
