package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"blackstart/chart"
	"blackstart/data/store"
)

// devtools drives headless Chromium over the DevTools protocol on a pipe
// (--remote-debugging-pipe: the browser reads commands on fd 3 and writes
// answers and events on fd 4, each message JSON ended by a NUL byte), on
// one page. It records the page's script errors (uncaught exceptions,
// console errors, failed loads).
type devtools struct {
	t       *testing.T
	cmd     *exec.Cmd
	out     *os.File // our end of fd 3
	mu      sync.Mutex
	next    int
	waiting map[int]chan cdpMessage
	loads   chan struct{} // Page.loadEventFired
	errs    []string
	session string
}

type cdpMessage struct {
	ID        int             `json:"id"`
	Method    string          `json:"method"`
	SessionID string          `json:"sessionId"`
	Params    json.RawMessage `json:"params"`
	Result    json.RawMessage `json:"result"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// openBrowser starts Chromium with a fresh profile and attaches to a new
// page; the browser is stopped at the test's end.
func openBrowser(t *testing.T, browser string) *devtools {
	t.Helper()
	toBrowser, ours, err := os.Pipe() // fd 3: the browser reads
	if err != nil {
		t.Fatal(err)
	}
	theirs, fromBrowser, err := os.Pipe() // fd 4: the browser writes
	if err != nil {
		t.Fatal(err)
	}
	// The profile is removed best-effort after the browser is killed:
	// Chromium's helper processes may still be writing to it for a moment,
	// which made t.TempDir's strict cleanup fail the test.
	profile, err := os.MkdirTemp("", "blackstart-browser-")
	if err != nil {
		t.Fatal(err)
	}
	args := append(chart.BrowserArgs(filepath.Join(profile, "profile")), "--remote-debugging-pipe", "about:blank")
	cmd := exec.Command(browser, args...)
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", browser, err)
	}
	toBrowser.Close()
	fromBrowser.Close()
	d := &devtools{t: t, cmd: cmd, out: ours, waiting: map[int]chan cdpMessage{}, loads: make(chan struct{}, 16)}
	t.Cleanup(func() {
		ours.Close()
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(profile)
	})
	go d.read(bufio.NewReader(theirs))
	var target struct {
		TargetID string `json:"targetId"`
	}
	d.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var att struct {
		SessionID string `json:"sessionId"`
	}
	d.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att)
	d.session = att.SessionID
	for _, domain := range []string{"Page", "Runtime", "Log"} {
		d.call(d.session, domain+".enable", nil, nil)
	}
	return d
}

func (d *devtools) read(r *bufio.Reader) {
	for {
		b, err := r.ReadBytes(0)
		if err != nil {
			d.mu.Lock()
			for id, ch := range d.waiting {
				close(ch)
				delete(d.waiting, id)
			}
			d.mu.Unlock()
			return
		}
		var m cdpMessage
		if json.Unmarshal(b[:len(b)-1], &m) != nil {
			continue
		}
		d.mu.Lock()
		if ch, ok := d.waiting[m.ID]; ok && m.ID != 0 {
			delete(d.waiting, m.ID)
			d.mu.Unlock()
			ch <- m
			continue
		}
		switch m.Method {
		case "Page.loadEventFired":
			select {
			case d.loads <- struct{}{}:
			default:
			}
		case "Runtime.exceptionThrown":
			var p struct {
				Details struct {
					Text      string `json:"text"`
					Exception struct {
						Description string `json:"description"`
					} `json:"exception"`
				} `json:"exceptionDetails"`
			}
			json.Unmarshal(m.Params, &p)
			d.errs = append(d.errs, p.Details.Text+" "+p.Details.Exception.Description)
		case "Runtime.consoleAPICalled":
			var p struct {
				Type string `json:"type"`
				Args []struct {
					Value       any    `json:"value"`
					Description string `json:"description"`
				} `json:"args"`
			}
			json.Unmarshal(m.Params, &p)
			if p.Type == "error" {
				d.errs = append(d.errs, fmt.Sprintf("console.error %v", p.Args))
			}
		case "Log.entryAdded":
			var p struct {
				Entry struct {
					Level string `json:"level"`
					Text  string `json:"text"`
					URL   string `json:"url"`
				} `json:"entry"`
			}
			json.Unmarshal(m.Params, &p)
			if p.Entry.Level == "error" {
				d.errs = append(d.errs, p.Entry.Text+" "+p.Entry.URL)
			}
		}
		d.mu.Unlock()
	}
}

// call sends a command and waits (at most a minute) for its answer.
func (d *devtools) call(session, method string, params any, result any) {
	d.t.Helper()
	d.mu.Lock()
	d.next++
	id := d.next
	ch := make(chan cdpMessage, 1)
	d.waiting[id] = ch
	d.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b, _ := json.Marshal(msg)
	if _, err := d.out.Write(append(b, 0)); err != nil {
		d.t.Fatalf("%s: %v", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			d.t.Fatalf("%s: the browser went away", method)
		}
		if m.Error != nil {
			d.t.Fatalf("%s: %s", method, m.Error.Message)
		}
		if result != nil {
			if err := json.Unmarshal(m.Result, result); err != nil {
				d.t.Fatalf("%s: %v", method, err)
			}
		}
	case <-time.After(time.Minute):
		d.t.Fatalf("%s: no answer within a minute", method)
	}
}

// open loads url in the page and waits for its load event.
func (d *devtools) open(url string) {
	d.t.Helper()
	for len(d.loads) > 0 {
		<-d.loads
	}
	d.call(d.session, "Page.navigate", map[string]any{"url": url}, nil)
	d.waitLoad()
}

func (d *devtools) waitLoad() {
	d.t.Helper()
	select {
	case <-d.loads:
	case <-time.After(time.Minute):
		d.t.Fatal("the page did not load within a minute")
	}
}

// eval evaluates a JavaScript expression in the page (a promise is
// awaited) and decodes its value into v.
func (d *devtools) eval(expr string, v any) {
	d.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	d.call(d.session, "Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true}, &res)
	if res.Exception != nil {
		d.t.Fatalf("%s\n%s %s", expr, res.Exception.Text, res.Exception.Exception.Description)
	}
	if v != nil {
		if err := json.Unmarshal(res.Result.Value, v); err != nil {
			d.t.Fatalf("%s: value %s: %v", expr, res.Result.Value, err)
		}
	}
}

// waitFor waits until the expression cond is true in the page, watching
// the DOM (a MutationObserver, and a check every 100 ms for what does not
// change the DOM such as a canvas drawn), for at most deadline.
func (d *devtools) waitFor(cond string, deadline time.Duration) {
	d.t.Helper()
	js := `new Promise(function (resolve, reject) {
  function ok() { try { return !!(` + cond + `); } catch (e) { return false; } }
  if (ok()) { resolve(true); return; }
  var obs = new MutationObserver(function () { if (ok()) { done(); resolve(true); } });
  var iv = setInterval(function () { if (ok()) { done(); resolve(true); } }, 100);
  var to = setTimeout(function () { done(); reject(new Error('timed out after ` + deadline.String() + `')); }, ` + fmt.Sprint(deadline.Milliseconds()) + `);
  function done() { obs.disconnect(); clearInterval(iv); clearTimeout(to); }
  obs.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})`
	d.eval(js, nil)
}

func (d *devtools) errors() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.errs...)
}

// drawn is true when the chart in element id is an echarts instance with
// series whose canvas has ink on it.
func drawn(id string) string {
	return `(function () {
  var el = document.getElementById('` + id + `');
  var inst = el && echarts.getInstanceByDom(el);
  if (!inst || inst.getOption().series.length === 0) { return false; }
  inst.getZr().refreshImmediately();
  var cv = el.querySelector('canvas');
  var d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
  var ink = 0;
  for (var i = 0; i < d.length; i += 4) { if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) { ink++; } }
  return ink / (cv.width * cv.height) > 0.01;
})()`
}

// browserSetup finds Chromium and the pinned echarts: CI has both (.ci/run
// installs them); elsewhere the test is skipped without them.
func browserSetup(t *testing.T) (string, []byte) {
	t.Helper()
	browser, err := chart.FindBrowser()
	var js []byte
	if err == nil {
		js, _, err = chart.LocateEcharts("")
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must test the pages in a real browser: %v", err)
		}
		t.Skipf("no browser test here: %v", err)
	}
	return browser, js
}

// TestBrowserPages opens the pages in headless Chromium, waiting on the
// DOM with deadlines: from loopback the revision's headroom chart and the
// incident's ETA chart are drawn without a script error, and the
// incident page's estimate changes by itself after more events are
// posted; on a server that trusts no loopback (Config.Remote) the page
// sends the browser to the sign-in form, a token signs it in (the session
// cookie out of the page's reach), and a forged form without its CSRF
// token is refused.
func TestBrowserPages(t *testing.T) {
	browser, js := browserSetup(t)
	e, rest := pageEnv(t, Config{Echarts: js})
	r, _ := pageEnv(t, Config{Echarts: js, Remote: true}) // trusts no loopback
	d := openBrowser(t, browser)                          // stopped first: its streams end before the servers close

	d.open(e.ts.URL + "/models/small-dc/revisions/@1")
	d.waitFor(drawn("blackstart_headroom"), 30*time.Second)
	var src string
	d.eval(`document.getElementById('echarts-source').textContent`, &src)
	if !strings.Contains(src, "local copy") {
		t.Errorf("the page says %q, want it to name the local copy", src)
	}

	d.open(e.ts.URL + "/incidents/1")
	d.waitFor(drawn("blackstart_eta"), 30*time.Second)
	var before struct {
		Events string `json:"events"`
		Up     string `json:"up"`
		Text   string `json:"text"`
	}
	figures := `(function () { var f = document.getElementById('figures'); return {events: f.dataset.events, up: f.dataset.up, text: document.getElementById('up').textContent}; })()`
	d.eval(figures, &before)
	if code, b, _ := e.do("POST", "/api/v1/incidents/1/events", store.ScopeIngest, rest, "Idempotency-Key", "two"); code != 201 {
		t.Fatalf("second batch: %d %s", code, b)
	}
	d.waitFor(`document.getElementById('figures').dataset.events !== '`+before.Events+`'`, 30*time.Second)
	d.waitFor(drawn("blackstart_eta"), 30*time.Second)
	var after struct {
		Events string `json:"events"`
		Up     string `json:"up"`
		Text   string `json:"text"`
	}
	d.eval(figures, &after)
	_, ej, _ := e.do("GET", "/api/v1/incidents/1/eta", "", nil)
	var snap struct {
		Up    int `json:"up"`
		Total int `json:"total"`
	}
	json.Unmarshal(ej, &snap)
	if after.Up == before.Up || after.Up != fmt.Sprint(snap.Up) || !strings.HasPrefix(after.Text, fmt.Sprintf("%d of %d", snap.Up, snap.Total)) {
		t.Errorf("after the batch the page shows %+v (before %+v); the API says %d of %d up", after, before, snap.Up, snap.Total)
	}
	if errs := d.errors(); len(errs) > 0 {
		t.Errorf("script errors on loopback: %v", errs)
	}

	// Remote: no loopback trusted.
	d.open(r.ts.URL + "/incidents/1")
	var path string
	d.eval(`location.pathname`, &path)
	if path != "/signin" {
		t.Fatalf("a remote browser without a session is at %s, want /signin", path)
	}
	tok, _ := json.Marshal(r.tokens[store.ScopeIngest])
	d.eval(`document.querySelector('input[name=token]').value = `+string(tok)+`; document.getElementById('signin').submit(); true`, nil)
	d.waitLoad()
	d.waitFor(`location.pathname === '/incidents/1' && document.getElementById('figures') !== null`, 30*time.Second)
	d.waitFor(drawn("blackstart_eta"), 30*time.Second)
	var cookies string
	d.eval(`document.cookie`, &cookies)
	if strings.Contains(cookies, SessionCookie) {
		t.Errorf("the page's script can read the session cookie: %q", cookies)
	}
	var forged, genuine int
	d.eval(`fetch('/incidents/1/close', {method: 'POST', credentials: 'same-origin', body: new URLSearchParams({})}).then(function (r) { return r.status; })`, &forged)
	if forged != 403 {
		t.Errorf("a forged close form without its CSRF token: %d, want 403", forged)
	}
	if in, _ := r.db.GetIncident(context.Background(), 1); in.ClosedMS != 0 {
		t.Fatal("the forged form closed the incident")
	}
	d.eval(`fetch('/incidents/1/close', {method: 'POST', credentials: 'same-origin', redirect: 'manual', body: new URLSearchParams(new FormData(document.getElementById('close')))}).then(function (r) { return r.type === 'opaqueredirect' ? 303 : r.status; })`, &genuine)
	if in, _ := r.db.GetIncident(context.Background(), 1); genuine != 303 || in.ClosedMS == 0 {
		t.Errorf("the page's own close form: %d, closed %v", genuine, in.ClosedMS != 0)
	}
	// The browser reports the refused form's 403 as an error of the page:
	// every other one is a fault.
	for _, msg := range d.errors() {
		if !strings.Contains(msg, "status of 403") || !strings.HasSuffix(msg, "/incidents/1/close") {
			t.Errorf("script error: %s", msg)
		}
	}
}
