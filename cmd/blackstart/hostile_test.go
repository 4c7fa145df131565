//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The hostile-input suite: every case runs the blackstart binary as a
// process under a 2 GiB address-space limit (util-linux prlimit, as
// .ci/run requires) and asserts its exit code and that its message names
// the position, id, flag or path at fault. The classes: models, progress
// events, flags, output paths, and memory bombs.

// addressLimit is the address space a case may use, bytes (2 GiB).
const addressLimit = 2 << 30

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds blackstart once per test run.
func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "blackstart-hostile-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "blackstart")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// hostileCase is one hostile input: files to lay out in a fresh folder
// (name → content; "@fifo", "@dir", "@rodir" (a read-only folder) and
// "@link:TARGET" make special files, "@ro" makes a folder laid out by the
// other entries read-only,
// "@netbox N" a generated NetBox inventory of N racks, "@db" a history
// database),
// the command line (run in that folder; "$R" is the repository root), the
// exit code and the substrings stderr must hold.
type hostileCase struct {
	name  string
	files map[string]string
	args  []string
	code  int
	want  []string
	// check, when set, runs after the command on its folder.
	check func(t *testing.T, dir string)
	// stdout, when set, checks what the command printed.
	stdout func(t *testing.T, out string)
	// timeout, when set, replaces the two minutes a case may run.
	timeout time.Duration
	// unprivileged runs the case as user nobody when the suite runs as
	// root, so that a read-only folder ("@rodir") refuses it as it refuses
	// a user.
	unprivileged bool
}

const incidentPath = "$R/examples/incident-2019.toml"

var smallDCPaths = []string{"$R/examples/small-dc/power.toml", "$R/examples/small-dc/workloads.toml"}

func args(a ...any) []string {
	var out []string
	for _, x := range a {
		switch v := x.(type) {
		case string:
			out = append(out, v)
		case []string:
			out = append(out, v...)
		}
	}
	return out
}

// A valid small model with workloads, written per case so that outputs
// may name it.
const miniModel = `[[source]]
id = "u"
voltage_v = 230
[[breaker]]
id = "b1"
input = "u"
standard = "iec60898"
curve = "C"
rating_a = 16
[[circuit]]
id = "c1"
input = "b1"
[[rack]]
id = "r1"
[[device_model]]
id = "dm"
psus = 1
nameplate_w = 100
ram_gib = 64
cpu_cores = 8
[[device]]
id = "n-%d"
count = 3
rack = "r1"
model = "dm"
role = "app"
feeds = ["c1"]
[[service]]
id = "web"
instances = 4
role = "app"
`

const eventsHeader = "t_s,instance,node,state\n"

func hostileCases() []hostileCase {
	var cs []hostileCase
	add := func(c hostileCase) { cs = append(cs, c) }
	model := func(name, src string, want ...string) {
		add(hostileCase{name: "model/" + name, files: map[string]string{"m.toml": src}, args: args("validate", "m.toml"), code: exitBadInput, want: want})
	}
	withMini := func(extra string) string { return miniModel + extra }

	// ── Models ──
	model("syntax error", "[[rack]\nid = \"r1\"\n", "m.toml:2:7: syntax")
	model("typo in a key", withMini("[[breaker]]\nid = \"b2\"\ninput = \"u\"\nstandard = \"ul489\"\nratting_a = 20\n"), "m.toml:36:1:", `unknown key "ratting_a"`, `did you mean "rating_a"`)
	model("string for a number", strings.Replace(miniModel, "voltage_v = 230", `voltage_v = "230"`, 1), "m.toml:3:", "voltage_v must be a number")
	model("negative watts", strings.Replace(miniModel, "nameplate_w = 100", "nameplate_w = -100", 1), "m.toml:", "nameplate_w", "-100")
	model("zero volts", strings.Replace(miniModel, "voltage_v = 230", "voltage_v = 0", 1), "m.toml:3:", `"u"`)
	model("power factor above 1", withMini("[site]\npower_factor = 1.5\n"), "m.toml:", "power_factor must be in (0, 1]")
	model("nan", strings.Replace(miniModel, "voltage_v = 230", "voltage_v = nan", 1), "m.toml:3:", "must be a finite number, got NaN")
	model("inf", strings.Replace(miniModel, "rating_a = 16", "rating_a = inf", 1), "m.toml:9:", "must be a finite number, got +Inf")
	model("1e308", strings.Replace(miniModel, "rating_a = 16", "rating_a = 1e308", 1), "m.toml:9:", "at most 1e9")
	model("a 1e-308 A rating", strings.Replace(miniModel, "rating_a = 16", "rating_a = 1e-308", 1), "m.toml:9:1:", `breaker "b1"`, "at least 1e-6")
	model("a 1e-300 V supply", strings.Replace(miniModel, "voltage_v = 230", "voltage_v = 1e-300", 1), "m.toml:3:1:", `source "u"`, "at least 1e-6")
	model("huge integer", strings.Replace(miniModel, "count = 3", "count = 99999999999", 1), "m.toml:23:1:", `device "n-%d"`, "out of range")
	model("duplicate id", withMini("[[rack]]\nid = \"r1\"\n"), "m.toml:", `duplicate id "r1"`)
	model("power cycle", withMini("[[breaker]]\nid = \"x\"\ninput = \"y\"\nstandard = \"ul489\"\nrating_a = 20\n[[breaker]]\nid = \"y\"\ninput = \"x\"\nstandard = \"ul489\"\nrating_a = 20\n"), "m.toml:", "cycle")
	model("dependency cycle", withMini("[[service]]\nid = \"a\"\ndepends_on = [\"b\"]\n[[service]]\nid = \"b\"\ndepends_on = [\"a\"]\n"), "m.toml:", "cycle")
	model("instances 1e9", withMini("[[service]]\nid = \"big\"\ninstances = 1000000000\n"), "m.toml:34:1:", `service "big"`, "instances must be 1 to 100000")
	model("instances of a model", withMini("[[service]]\nid = \"w-%d\"\ncount = 6\ninstances = 100000\n"), "m.toml:", "more than 500000 instances in all")
	model("a lognormal start with a mean of 5e151 s", withMini("[[service]]\nid = \"slow\"\nstart = { dist = \"lognormal\", median_s = 1e-6, p90_s = 1e9 }\n"), "m.toml:34:48:", `service "slow"`, "mean of 5.29e+151 s, more than 1e+07 s")
	model("count too large", withMini("[[service]]\nid = \"w-%d\"\ncount = 2000000\n"), "m.toml:", "m.toml:", "count 2000000 is more than 1,000,000")
	model("nested inline tables (40 KB)", "a = "+strings.Repeat("{b = ", 8000)+"1"+strings.Repeat("}", 8000), "m.toml:1:85:", "nest more than 16 deep")
	model("nested arrays", "a = "+strings.Repeat("[", 20000)+strings.Repeat("]", 20000), "m.toml:1:21:", "nest more than 16 deep")
	// A key of many dotted parts makes a table per part: 400 KB took 6 GB
	// and more than a minute before the parser saw it bounded.
	model("a key of 200,000 dotted parts (400 KB)", "a."+strings.Repeat("b.", 199999)+"b = 1", "m.toml:1:32: a key of more than 16 dotted parts here")
	model("a table header of 200,000 parts (400 KB)", "["+strings.Repeat("b.", 200000)+"b]\nx = 1\n", "m.toml:1:33: a key of more than 16 dotted parts here")
	model("empty file", "", "m.toml: the file is empty")
	model("comments only", "# a model\n# to come\n", "m.toml: the file is empty")
	model("site only", "[site]\nname = \"x\"\n", "m.toml: the model defines no power elements, racks, devices or services")
	model("control character in an id", withMini("[[rack]]\nid = \"r\\u001b[2J\"\n"), "m.toml:33:1:", "invisible or control characters (U+001B")
	model("zero-width space in an id", withMini("[[rack]]\nid = \"r\u200b2\"\n"), "m.toml:33:1:", "U+200B")
	model("a 5000-character id", withMini("[[rack]]\nid = \"r2\"\n[[circuit]]\nid = \"c9\"\ninput = \""+strings.Repeat("x", 5000)+"\"\n"), "m.toml:36:1:", `circuit "c9"`, "…\" (5000 characters) is not defined")
	model("binary garbage", "\x00\x01\x02\xff\xfe{{{", "m.toml:")
	model("invalid UTF-8 in a string", "[[rack]]\nid = \"r\xff\"\n", "m.toml:")
	model("pinned_cycle naming a missing node", withMini("[[service]]\nid = \"db-%d\"\ncount = 2\npinned_cycle = [\"n-1\", \"n-2\", \"ghost\"]\n"), "m.toml:35:31:", `pinned node "ghost" is not defined`)
	model("pinned_cycle naming a service", withMini("[[service]]\nid = \"db-%d\"\ncount = 2\npinned_cycle = [\"n-1\", \"web\"]\n"), "m.toml:35:24:", `"web" is a service, not a device`)
	model("pinned_cycle naming a rack", withMini("[[service]]\nid = \"db\"\npinned_cycle = [\"r1\"]\n"), "m.toml:34:17:", `"r1" is a rack, not a device`)
	model("role nobody has", withMini("[[service]]\nid = \"x\"\nrole = \"gpu\"\n"), "m.toml:", `no device has role "gpu"`)
	many := miniModel
	for i := 0; i < 150; i++ {
		many += fmt.Sprintf("[[rack]]\nid = \"rr%d\"\nrow = %d\n", i, i)
	}
	model("150 mistakes: capped at 100", many, "… 50 more", "150 problems found")
	add(hostileCase{name: "model/missing file", args: args("validate", "nope.toml"), code: exitBadInput, want: []string{"nope.toml: cannot read model"}})
	add(hostileCase{name: "model/a directory", files: map[string]string{"d": "@dir"}, args: args("validate", "d"), code: exitBadInput, want: []string{"d: cannot read model"}})
	add(hostileCase{name: "model/given twice", files: map[string]string{"m.toml": miniModel}, args: args("validate", "m.toml", "m.toml"), code: exitBadInput, want: []string{"m.toml: model file given twice"}})
	add(hostileCase{name: "model/dev zero", args: args("validate", "/dev/zero"), code: exitBadInput, want: []string{"/dev/zero: the model is more than the limit of 67108864 bytes"}})
	add(hostileCase{name: "model/db commit of dev zero", args: args("db", "commit", "--db", "h.db", "-m", "x", "/dev/zero"), code: exitBadInput, want: []string{"/dev/zero: the model is more than the limit of 67108864 bytes"},
		check: func(t *testing.T, dir string) {
			if _, err := os.Stat(filepath.Join(dir, "h.db")); err == nil {
				t.Error("a refused commit created the database")
			}
		}})
	add(hostileCase{name: "readings/a directory", files: map[string]string{"h.db": "@db", "d": "@dir"}, args: args("measure", "import", "--db", "h.db", "d"), code: exitBadInput, want: []string{"d: cannot read readings: is a directory"}})
	add(hostileCase{name: "readings/dev zero", files: map[string]string{"h.db": "@db"}, args: args("measure", "import", "--db", "h.db", "/dev/zero"), code: exitBadInput, want: []string{"/dev/zero:1:1: a line longer than 1 MiB"}, timeout: 30 * time.Second})
	add(hostileCase{name: "events/dev zero", files: map[string]string{"m.toml": miniModel}, args: args("estimate", "live", "--events", "/dev/zero", "m.toml"), code: exitBadInput, want: []string{"/dev/zero:1:65537: line longer than 65536 bytes"}})
	// Every bad model of the loader's own tests: the first line of its
	// golden error list.
	bad, _ := filepath.Glob("../../topology/testdata/bad/*.toml")
	for _, p := range bad {
		golden, err := os.ReadFile(strings.TrimSuffix(p, ".toml") + ".err")
		if err != nil {
			continue
		}
		first := strings.SplitN(string(golden), "\n", 2)[0]
		rel := strings.TrimPrefix(p, "../../topology/")
		add(hostileCase{name: "model/bad/" + filepath.Base(p), args: args("validate", rel), code: exitBadInput, want: []string{first}})
	}

	// ── Progress events ──
	ev := func(name, content string, want ...string) {
		add(hostileCase{name: "events/" + name, files: map[string]string{"m.toml": miniModel, "ev.csv": content},
			args: args("estimate", "live", "--events", "ev.csv", "m.toml"), code: exitBadInput, want: want})
	}
	ev("empty", "", "ev.csv:1:1: the file holds no progress events")
	ev("header only", eventsHeader, "ev.csv:1:1: the file holds no progress events")
	ev("t_s 1e308", eventsHeader+"1e308,web#0,n-1,up\n", "ev.csv:2:1:", `bad time "1e308"`, "0 to 1e+07")
	ev("t_s NaN", eventsHeader+"NaN,web#0,n-1,up\n", "ev.csv:2:1:", `bad time "NaN"`)
	ev("negative time", eventsHeader+"-5,web#0,n-1,up\n", "ev.csv:2:1:", `bad time "-5"`)
	ev("out of order", eventsHeader+"5,web#0,n-1,started\n4,web#0,n-1,up\n", "ev.csv:3:1:", "before the previous event's 5 s")
	ev("RFC 3339 centuries apart", "time,instance,node,state\n0001-01-01T00:00:00Z,web#0,n-1,started\n9999-12-31T23:59:59Z,web#0,n-1,up\n", "ev.csv:3:1:", "more than 1e+07 s after the first event's")
	ev("unknown instance", eventsHeader+"0,web#9,n-1,up\n", "ev.csv:2:", `"web#9"`)
	ev("unknown node", eventsHeader+"0,web#0,ghost,up\n", "ev.csv:2:", `node "ghost" is not a device of the model`)
	ev("bad state", eventsHeader+"0,web#0,n-1,exploded\n", "ev.csv:2:", `"exploded"`)
	ev("wrong field count", eventsHeader+"0,web#0,n-1\n", "ev.csv:2:1:", "line has 3 fields, the header has 4")
	ev("unknown column", "t_s,instance,node,state,colour\n0,web#0,n-1,up,red\n", "ev.csv:1:", `"colour"`)
	ev("no header", "0,web#0,n-1,up\n", "ev.csv:1:1: missing header line")
	ev("JSON syntax", `{"t_s":0,"instance":"web#0",`+"\n", "ev.csv:1:")
	ev("JSON unknown key", `{"t_s":0,"instance":"web#0","node":"n-1","state":"up","x":1}`+"\n", "ev.csv:1:", `"x"`)
	ev("mixed t_s and time", eventsHeader[:0]+`{"t_s":0,"instance":"web#0","node":"n-1","state":"started"}`+"\n"+`{"time":"2019-06-04T09:30:00Z","instance":"web#0","node":"n-1","state":"up"}`+"\n", "ev.csv:2:", "must not mix t_s and time")
	ev("a line of 1 MB without a break", eventsHeader+strings.Repeat("7", 1<<20), "ev.csv:2:65537: line longer than 65536 bytes")
	ev("150 bad lines: capped", eventsHeader+strings.Repeat("0,web#0,ghost,up\n", 150), "ev.csv:2:9: node \"ghost\"", "too many errors: 50 more not shown")
	ev("control characters echoed safely", eventsHeader+"0,web#0,\x1b[2Jx,up\n", `"\x1b[2Jx"`)
	add(hostileCase{name: "events/a directory", files: map[string]string{"m.toml": miniModel, "d": "@dir"},
		args: args("estimate", "live", "--events", "d", "m.toml"), code: exitBadInput, want: []string{"d: cannot read events: is a directory"}})
	add(hostileCase{name: "events/missing", files: map[string]string{"m.toml": miniModel},
		args: args("estimate", "live", "--events", "none.csv", "m.toml"), code: exitBadInput, want: []string{"none.csv: cannot read events"}})
	add(hostileCase{name: "events/chart with an empty events file", files: map[string]string{"m.toml": miniModel, "ev.csv": ""},
		args: args("chart", "eta", "--events", "ev.csv", "m.toml", "-o", "eta.html"), code: exitBadInput, want: []string{"ev.csv:1:1: the file holds no progress events"}})

	// ── Flags ──
	// Each flag is refused before the model loads: the same message when
	// the model could not be read (a syntax error on line 1).
	flag := func(name string, a []string, want ...string) {
		add(hostileCase{name: "flags/" + name, files: map[string]string{"m.toml": miniModel}, args: a, code: exitBadInput, want: want})
		if name != "--fail unknown element" && name != "no model" {
			add(hostileCase{name: "flags/" + name + " (before the model loads)", files: map[string]string{"m.toml": "[[rack]\n"}, args: a, code: exitBadInput, want: want})
		}
	}
	flag("--seed abc", args("plan", "compare", "--seed", "abc", "m.toml"), `invalid value "abc" for --seed: want a whole number`)
	flag("--seed -1", args("plan", "simulate", "--seed", "-1", "m.toml"), `invalid value "-1" for --seed`)
	flag("--runs 0", args("estimate", "plan", "--runs", "0", "m.toml"), "--runs must be 1 to 10000, got 0")
	flag("--runs 100000", args("estimate", "evaluate", "--runs", "100000", "m.toml"), "--runs must be 1 to 10000, got 100000")
	flag("--runs 1.5", args("estimate", "plan", "--runs", "1.5", "m.toml"), `invalid value "1.5" for --runs: want a whole number`)
	flag("report --runs -1", args("report", "--runs", "-1", "m.toml", "-o", "out"), "--runs must be 0 to 10000, got -1")
	flag("--dispatch-rate NaN", args("plan", "compare", "--dispatch-rate", "NaN", "m.toml"), "--dispatch-rate", "got NaN")
	flag("--dispatch-rate 1e-300", args("plan", "compare", "--dispatch-rate", "1e-300", "m.toml"), "0.01 to 1e+06 starts/s, got 1e-300")
	flag("--dispatch-rate -1", args("plan", "simulate", "--dispatch-rate", "-1", "m.toml"), "got -1")
	flag("--refresh 0", args("plan", "compare", "--refresh", "0", "m.toml"), "--refresh must be 0.1 to 86400 s, got 0")
	flag("--refresh inf", args("plan", "compare", "--refresh", "inf", "m.toml"), "--refresh must be 0.1 to 86400 s, got +Inf")
	flag("--horizon NaN", args("power", "failover", "--horizon", "NaN", "m.toml"), "--horizon must be a finite number of seconds > 0, got NaN")
	flag("--horizon 0", args("power", "failover", "--horizon", "0", "m.toml"), "--horizon must be")
	flag("--at NaN", args("estimate", "live", "--events", "e.csv", "--at", "NaN", "m.toml"), "--at must be a time from 0 to 1e+07 s")
	flag("--at 1e308", args("estimate", "live", "--events", "e.csv", "--at", "1e308", "m.toml"), "--at must be a time from 0 to 1e+07 s since power-on, got 1e+308")
	flag("--start bogus", args("estimate", "live", "--events", "e.csv", "--start", "bogus", "m.toml"), `--start "bogus": want RFC 3339`)
	flag("--events missing", args("estimate", "live", "--events", "none.csv", "m.toml"), "none.csv: cannot read events")
	flag("--top -1", args("power", "failover", "--top", "-1", "m.toml"), "--top must be >= 0 (0: all), got -1")
	flag("chart --top -1", args("chart", "risk", "--top", "-1", "m.toml", "-o", "r.html"), "--top must be >= 0 (0: all), got -1")
	flag("--window bogus", args("power", "failover", "--window", "bogus", "m.toml"), `--window must be a span > 0 such as 30d, 12h or 90m, got "bogus"`)
	flag("measure generate --count 0", args("measure", "generate", "--count", "0", "m.toml"), "--count 1 to 10,000,000, got 1m and 0")
	flag("measure generate --interval bogus", args("measure", "generate", "--interval", "bogus", "m.toml"), `--interval must be a span > 0`)
	flag("measure generate --start bogus", args("measure", "generate", "--start", "bogus", "m.toml"), "--start:")
	flag("--batch 0", args("estimate", "live", "--events", "e.csv", "--batch", "0", "m.toml"), "--batch must be >= 1, got 0")
	flag("balance --imbalance NaN", args("power", "balance", "--imbalance", "NaN", "m.toml"), "--imbalance must be a finite percentage above 0, got NaN")
	flag("balance --imbalance inf", args("power", "balance", "--imbalance", "inf", "m.toml"), "--imbalance must be a finite percentage above 0, got +Inf")
	flag("balance --max-moves 0", args("power", "balance", "--max-moves", "0", "m.toml"), "--max-moves must be at least 1, got 0")
	flag("--format xml", args("power", "load", "--format", "xml", "m.toml"), `--format must be table, json or csv, got "xml"`)
	flag("--basis bogus", args("power", "load", "--basis", "bogus", "m.toml"), "basis", `"bogus"`)
	flag("--policy bogus", args("plan", "simulate", "--policy", "bogus", "m.toml"), `--policy must be plan, stale, random or p2c, got "bogus"`)
	flag("unknown flag", args("power", "load", "--frobnicate", "m.toml"), "unknown flag --frobnicate")
	flag("flag without its value", args("chart", "headroom", "m.toml", "-o"), "-o needs a value")
	flag("generate --racks 0", args("generate", "--racks", "0"), "--racks must be 1 to 25000, got 0")
	flag("generate --racks 30000", args("generate", "--racks", "30000"), "--racks must be 1 to 25000, got 30000")
	flag("generate --per-rack 100", args("generate", "--per-rack", "100"), "--per-rack must be 1 to 99, got 100")
	flag("generate --netbox --racks 0", args("generate", "--netbox", "nb", "--racks", "0"), "blackstart: --racks must be 1 to 100000, got 0")
	flag("generate --netbox --per-rack 25", args("generate", "--netbox", "nb", "--racks", "1", "--per-rack", "25"), "blackstart: --per-rack must be 1 to 24 (a PDU has 24 outlets), got 25")
	flag("generate too many devices", args("generate", "--racks", "25000", "--per-rack", "99"), "at most 1000000 devices")
	flag("unknown command", args("frobnicate", "m.toml"), `unknown command "frobnicate"`)
	flag("unknown subcommand", args("power", "melt", "m.toml"), `unknown subcommand "melt"`)
	flag("chart kind", args("chart", "pie", "m.toml", "-o", "x.html"), `unknown kind "pie"`)
	flag("no model", args("power", "load"), "no model file given")
	flag("--fail unknown element", args("power", "failover", "--fail", "ghost", "m.toml"), `"ghost"`)

	// ── Output paths ──
	out := func(name string, files map[string]string, a []string, want ...string) {
		if files == nil {
			files = map[string]string{}
		}
		if _, ok := files["m.toml"]; !ok {
			files["m.toml"] = miniModel
		}
		add(hostileCase{name: "output/" + name, files: files, args: a, code: exitBadInput, want: want,
			check: func(t *testing.T, dir string) {
				if b, err := os.ReadFile(filepath.Join(dir, "m.toml")); err != nil || string(b) != miniModel {
					t.Errorf("the model was changed: %v", err)
				}
			}})
	}
	out("-o the model", nil, args("chart", "headroom", "m.toml", "-o", "m.toml"), "m.toml: is one of this command's inputs")
	out("-o a hard link to the model", map[string]string{"h.toml": "@hardlink:m.toml"}, args("chart", "headroom", "m.toml", "-o", "h.toml"), "h.toml: is the same file as the input m.toml")
	out("-o /dev/null", nil, args("chart", "headroom", "m.toml", "-o", "/dev/null"), "/dev/null: is a character device")
	out("-o a FIFO", map[string]string{"p": "@fifo"}, args("chart", "headroom", "m.toml", "-o", "p"), "p: is a named pipe (FIFO)")
	out("-o a symlink", map[string]string{"l.html": "@link:m.toml"}, args("chart", "headroom", "m.toml", "-o", "l.html"), "l.html: is a symbolic link")
	out("-o a directory", map[string]string{"d": "@dir"}, args("chart", "headroom", "m.toml", "-o", "d"), "d: is a directory")
	out("-o in a missing folder", nil, args("chart", "headroom", "m.toml", "-o", "no/such/x.html"), "no/such/x.html: cannot write: the directory no/such does not exist")
	out("-o under a file", nil, args("chart", "headroom", "m.toml", "-o", "m.toml/x.html"), "m.toml/x.html: cannot write: m.toml is not a directory")
	out("--png beside a symlink", map[string]string{"x.png": "@link:m.toml"}, args("chart", "headroom", "--png", "m.toml", "-o", "x.html"), "x.png: is a symbolic link")
	out("generate -o /dev/null", nil, args("generate", "-o", "/dev/null"), "/dev/null: is a character device")
	out("generate -o a FIFO", map[string]string{"p": "@fifo"}, args("generate", "-o", "p"), "p: is a named pipe")
	out("--events-out /dev/null", nil, args("plan", "simulate", "--events-out", "/dev/null", "m.toml"), "--events-out: /dev/null: is a character device")
	out("--events-out the model", nil, args("plan", "simulate", "--events-out", "m.toml", "m.toml"), "--events-out: m.toml: is one of this command's inputs")
	out("report -o the model", nil, args("report", "--runs", "0", "m.toml", "-o", "m.toml"), "report: -o m.toml: is a regular file, not a folder")
	out("report -o a folder that is not a report", map[string]string{"thesis/thesis.tex": "x"}, args("report", "--runs", "0", "m.toml", "-o", "thesis"), "thesis: exists and is not a blackstart report")
	out("report -o a symlink", map[string]string{"d": "@dir", "l": "@link:d"}, args("report", "--runs", "0", "m.toml", "-o", "l"), "l: is a symbolic link")
	out("report -o in a missing folder", nil, args("report", "--runs", "0", "m.toml", "-o", "no/such/pm"), "no/such/pm: cannot write: the directory no/such does not exist")
	out("measure generate -o the model", nil, args("measure", "generate", "m.toml", "-o", "m.toml"), "m.toml: is one of this command's inputs")
	out("measure generate -o a FIFO", map[string]string{"p": "@fifo"}, args("measure", "generate", "m.toml", "-o", "p"), "p: is a named pipe")
	out("import netbox -o /dev/null", map[string]string{"nb": "@dir"}, args("import", "netbox", "--from", "nb", "-o", "/dev/null"), "/dev/null: is a character device")
	out("import netbox --map the overlay", map[string]string{"nb": "@dir"}, args("import", "netbox", "--from", "nb", "--overlay", "m.toml", "-o", "x.toml", "--map", "m.toml"), "m.toml: is one of this command's inputs")
	out("import netbox --map a symlink", map[string]string{"nb": "@dir", "l.json": "@link:m.toml"}, args("import", "netbox", "--from", "nb", "-o", "x.toml", "--map", "l.json"), "l.json: is a symbolic link")
	out("db checkout -o a symlink", map[string]string{"d": "@dir", "l": "@link:d"}, args("db", "checkout", "--db", "h.db", "--model", "m", "-o", "l"), "l is not a directory")
	out("power place --output /dev/null", nil, args("power", "place", "--add", "x=1", "--output", "/dev/null", "m.toml"), "--output: /dev/null: is a character device")
	out("power place --output the model", nil, args("power", "place", "--add", "x=1", "--output", "m.toml", "m.toml"), "--output: m.toml: is one of this command's inputs")
	// A user's file at an output path is not replaced (nothing blackstart
	// writes destroys a file it did not create): refused before any work,
	// named, kept byte for byte. An empty file, or one blackstart wrote, is.
	mine := func(name, file string, a []string, want string) {
		add(hostileCase{name: "output/" + name, files: map[string]string{"m.toml": miniModel, file: "mine: a year of notes\n"}, args: a, code: exitBadInput,
			want: []string{want + ": exists and was not written by blackstart: not replaced (remove it or choose another path)"},
			check: func(t *testing.T, dir string) {
				if b, err := os.ReadFile(filepath.Join(dir, file)); err != nil || string(b) != "mine: a year of notes\n" {
					t.Errorf("the user's %s holds %.40q (%v), want it kept", file, b, err)
				}
			}})
	}
	mine("chart -o a user's file", "notes.html", args("chart", "headroom", "m.toml", "-o", "notes.html"), "notes.html")
	mine("chart --format option -o a user's file", "notes.json", args("chart", "risk", "--format", "option", "m.toml", "-o", "notes.json"), "notes.json")
	mine("chart --png beside a user's file", "x.png", args("chart", "headroom", "--png", "m.toml", "-o", "x.html"), "x.png")
	mine("generate -o a user's file", "notes.toml", args("generate", "--racks", "1", "-o", "notes.toml"), "notes.toml")
	mine("measure generate -o a user's file", "r.csv", args("measure", "generate", "m.toml", "-o", "r.csv"), "r.csv")
	mine("--events-out a user's file", "e.jsonl", args("plan", "simulate", "--events-out", "e.jsonl", "m.toml"), "--events-out: e.jsonl")
	for _, c := range []struct {
		name string
		a    []string
	}{
		{"chart", args("chart", "headroom", "m.toml", "-o", "o")},
		{"chart --format option", args("chart", "headroom", "--format", "option", "m.toml", "-o", "o")},
		{"generate", args("generate", "--racks", "1", "-o", "o")},
		{"generate --platform", args("generate", "--platform", "-o", "o")},
		{"measure generate", args("measure", "generate", "m.toml", "-o", "o")},
		{"plan simulate --events-out (JSON Lines)", args("plan", "simulate", "--events-out", "o", "m.toml")},
		{"plan simulate --events-out (CSV)", args("plan", "simulate", "--events-out", "o.csv", "m.toml")},
	} {
		out := c.a[len(c.a)-1]
		if c.a[len(c.a)-2] != "-o" {
			out = c.a[3]
		}
		add(hostileCase{name: "output/" + c.name + " twice, and over an empty file", files: map[string]string{"m.toml": miniModel, out: ""}, args: c.a, code: exitOK,
			check: func(t *testing.T, dir string) {
				first, err := os.ReadFile(filepath.Join(dir, out))
				if err != nil || len(first) == 0 {
					t.Fatalf("the output over an empty file: %d bytes, %v", len(first), err)
				}
				again := exec.Command(binary(t), c.a...)
				again.Dir = dir
				if b, err := again.CombinedOutput(); err != nil {
					t.Errorf("the same command over its own output: %v %s", err, b)
				}
			}})
	}
	// A read-only folder is refused before any work: the model does not
	// even parse, and the path is what the message names.
	ro := func(name string, a []string, want ...string) {
		add(hostileCase{name: "output/" + name, files: map[string]string{"m.toml": "[[rack]\n", "ro": "@rodir", "nb": "@netbox 1"}, args: a, code: exitBadInput, want: want, unprivileged: true,
			check: func(t *testing.T, dir string) {
				if ents, err := os.ReadDir(filepath.Join(dir, "ro")); err != nil || len(ents) > 0 {
					t.Errorf("the read-only folder holds %d entries (%v), want none", len(ents), err)
				}
			}})
	}
	ro("-o in a read-only folder", args("chart", "headroom", "m.toml", "-o", "ro/x.html"), "ro/x.html: cannot write: the directory ro is not writable (permission denied)")
	ro("report -o in a read-only folder", args("report", "--runs", "0", "m.toml", "-o", "ro/pm"), "ro/pm: cannot write: the directory ro is not writable (permission denied)")
	add(hostileCase{name: "output/report -o a read-only earlier report", unprivileged: true,
		files: map[string]string{"m.toml": "[[rack]\n", "pm/.blackstart-report": "blackstart report\nfile index.html\n", "pm/index.html": "old", "pm": "@ro"},
		args:  args("report", "--runs", "0", "m.toml", "-o", "pm"), code: exitBadInput, want: []string{"pm: cannot write: the folder is not writable (permission denied)"},
		check: func(t *testing.T, dir string) {
			if b, err := os.ReadFile(filepath.Join(dir, "pm", "index.html")); err != nil || string(b) != "old" {
				t.Errorf("the earlier report's index.html: %q, %v; want it kept", b, err)
			}
		}})
	ro("db commit --db in a read-only folder", args("db", "commit", "--db", "ro/h.db", "-m", "x", incidentPath), "ro/h.db: no database: cannot create it: the directory ro is not writable")
	ro("--events-out in a read-only folder", args("plan", "simulate", "--events-out", "ro/e.csv", "m.toml"), "--events-out: ro/e.csv: cannot write: the directory ro is not writable")
	ro("generate -o in a read-only folder", args("generate", "--racks", "2", "-o", "ro/g.toml"), "ro/g.toml: cannot write: the directory ro is not writable")
	ro("import netbox -o in a read-only folder", args("import", "netbox", "--from", "nb", "-o", "ro/x.toml"), "ro/x.toml: cannot write: the directory ro is not writable")
	ro("measure generate -o in a read-only folder", args("measure", "generate", "m.toml", "-o", "ro/r.csv"), "ro/r.csv: cannot write: the directory ro is not writable")
	// db backup and restore, generate --netbox and import netbox's --from
	// files follow the same rules.
	out("db commit --db in a missing folder", nil, args("db", "commit", "--db", "no/such/h.db", "-m", "x", incidentPath), "no/such/h.db: no database: cannot create it: the directory no/such does not exist")
	out("db backup into a missing folder", map[string]string{"h.db": "@db"}, args("db", "backup", "--db", "h.db", "no/such/b.db"), "no/such/b.db: cannot write: the directory no/such does not exist")
	out("db backup onto the database", map[string]string{"h.db": "@db"}, args("db", "backup", "--db", "h.db", "h.db"), "h.db: is one of this command's inputs")
	out("db backup to a FIFO", map[string]string{"h.db": "@db", "p": "@fifo"}, args("db", "backup", "--db", "h.db", "p"), "p: is a named pipe (FIFO)")
	out("db restore over a symlink", map[string]string{"h.db": "@db", "b.db": "@db", "l.db": "@link:h.db"}, args("db", "restore", "--db", "l.db", "b.db"), "l.db: is a symbolic link")
	out("db restore from itself", map[string]string{"h.db": "@db"}, args("db", "restore", "--db", "h.db", "h.db"), "h.db: is one of this command's inputs")
	out("db restore from a FIFO", map[string]string{"p": "@fifo"}, args("db", "restore", "--db", "new.db", "p"), "p: not a blackstart database: it is a named pipe (FIFO)")
	out("db log of a FIFO", map[string]string{"p": "@fifo"}, args("db", "log", "--db", "p"), "p: not a blackstart database: it is a named pipe (FIFO)")
	out("generate --netbox into a symlink", map[string]string{"d": "@dir", "l": "@link:d"}, args("generate", "--netbox", "l", "--racks", "2"), "--netbox l: is a symbolic link")
	out("generate --netbox into a file", nil, args("generate", "--netbox", "m.toml", "--racks", "2"), "--netbox m.toml: is a regular file, not a folder")
	out("generate --netbox into a user's folder", map[string]string{"nb/notes.txt": "mine"}, args("generate", "--netbox", "nb", "--racks", "2"), "nb: exists and is not a blackstart report or output folder")
	out("import netbox -o a --from file", map[string]string{"nb": "@netbox 2"}, args("import", "netbox", "--from", "nb", "-o", "nb/devices.json"), "nb/devices.json: is one of this command's inputs")
	out("import netbox --map a --from file", map[string]string{"nb": "@netbox 2"}, args("import", "netbox", "--from", "nb", "-o", "x.toml", "--map", "nb/racks.json"), "nb/racks.json: is one of this command's inputs")
	add(hostileCase{name: "output/generate --netbox again replaces its own files, keeps the user's",
		files: map[string]string{"nb": "@netbox 2"},
		args:  args("generate", "--netbox", "nb", "--racks", "3"), code: exitOK,
		check: func(t *testing.T, dir string) {
			if b, err := os.ReadFile(filepath.Join(dir, "nb", "racks.json")); err != nil || !strings.Contains(string(b), `"count":3`) {
				t.Errorf("racks.json after the second generate: %.200s, %v; want 3 racks", b, err)
			}
		}})
	// A report replacing an earlier one keeps a file a user added.
	add(hostileCase{name: "output/report keeps a user's file",
		files: map[string]string{"m.toml": miniModel, "pm/.blackstart-report": "blackstart report\nfile index.html\n", "pm/index.html": "old", "pm/notes.txt": "mine"},
		args:  args("report", "--runs", "0", "m.toml", "-o", "pm"), code: exitOK,
		check: func(t *testing.T, dir string) {
			if b, err := os.ReadFile(filepath.Join(dir, "pm", "notes.txt")); err != nil || string(b) != "mine" {
				t.Errorf("notes.txt after the report: %q, %v; want the user's file kept", b, err)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "pm", "index.html")); string(b) == "old" {
				t.Errorf("index.html was not replaced")
			}
		}})

	// ── Memory: each must stay under the address-space limit ──
	add(hostileCase{name: "memory/plan restart refuses 1e9 instances before allocating", files: map[string]string{"m.toml": withMini("[[service]]\nid = \"big\"\ninstances = 1000000000\n")},
		args: args("plan", "restart", "m.toml"), code: exitBadInput, want: []string{"m.toml:34:1:", "instances must be 1 to 100000"}})
	add(hostileCase{name: "memory/pinned_cycle of 2e9 pins", files: map[string]string{"m.toml": withMini("[[service]]\nid = \"db-%d\"\ncount = 1000000\ninstances = 2000\npinned_cycle = [\"n-1\"]\n")},
		args: args("plan", "restart", "m.toml"), code: exitBadInput, want: []string{"m.toml:34:1:", `service "db-%d": groups expand to more than 500000 services in all`}})
	add(hostileCase{name: "memory/generated 1,000-rack site: failover table", files: map[string]string{},
		args: []string{"@generate 1000", "power", "failover", "--top", "3", "site.toml"}, code: exitRisk, want: nil})
	// The largest generated site under 10 MB (9.9 MB, 188,000 devices,
	// 347,803 instances): the whole sweep as JSON (84 MB) within the
	// 2 GiB, of which the Go runtime reserves about 1.1 GiB up front.
	add(hostileCase{name: "memory/generated 4,700-rack site: failover --format json", files: map[string]string{},
		args: []string{"@generate 4700", "power", "failover", "--format", "json", "site.toml"}, code: exitRisk, want: nil, timeout: 10 * time.Minute,
		stdout: func(t *testing.T, out string) {
			var sweep struct {
				Summary struct {
					Scenarios      int `json:"scenarios"`
					RiskyScenarios int `json:"risky_scenarios"`
				} `json:"summary"`
				Scenarios []json.RawMessage `json:"scenarios"`
			}
			if err := json.Unmarshal([]byte(out), &sweep); err != nil {
				t.Fatalf("the sweep's JSON (%d bytes) does not parse: %v", len(out), err)
			}
			if sweep.Summary.Scenarios < 400000 || sweep.Summary.RiskyScenarios == 0 || len(sweep.Scenarios) != sweep.Summary.RiskyScenarios {
				t.Errorf("sweep of the 4,700-rack site: %d scenarios, %d risky, %d written; want over 400,000, some risky, each risky one written",
					sweep.Summary.Scenarios, sweep.Summary.RiskyScenarios, len(sweep.Scenarios))
			}
		}})
	add(hostileCase{name: "memory/import netbox --overlay of nested inline tables (48 KB)", files: map[string]string{"nb": "@netbox 2", "ov.toml": "a = " + strings.Repeat("{b = ", 8000) + "1" + strings.Repeat("}", 8000)},
		args: args("import", "netbox", "--from", "nb", "--overlay", "ov.toml", "-o", "x.toml"), code: exitBadInput, want: []string{"ov.toml:1:85:", "nest more than 16 deep"}})
	// Many tiny tables within the byte limit: the TOML parser took about
	// 1.6 KB for each 9-byte [[rack]], and 2.5 million (22.5 MB) ran out
	// of the address space before any count was checked.
	add(hostileCase{name: "memory/2.5 million bare [[rack]] tables (22.5 MB)", files: map[string]string{"m.toml": strings.Repeat("[[rack]]\n", 2_500_000)},
		args: args("validate", "m.toml"), code: exitBadInput, want: []string{"m.toml:800001:1:", "more than 800000 tables, keys and array values"}})
	var keys strings.Builder
	for i := range 2_000_000 {
		fmt.Fprintf(&keys, "k%d = 1\n", i)
	}
	add(hostileCase{name: "memory/import netbox --overlay of 2 million keys (22 MB)", files: map[string]string{"nb": "@netbox 2", "ov.toml": keys.String()},
		args: args("import", "netbox", "--from", "nb", "--overlay", "ov.toml", "-o", "x.toml"), code: exitBadInput, want: []string{"ov.toml:800001:9:", "more than 800000 tables, keys and array values"}})
	// Every file import netbox reads is bounded: each of these read
	// /dev/zero until the address space ran out.
	add(hostileCase{name: "memory/import netbox --overlay /dev/zero", files: map[string]string{"nb": "@netbox 2"},
		args: args("import", "netbox", "--from", "nb", "--overlay", "/dev/zero", "-o", "x.toml"), code: exitBadInput, want: []string{"/dev/zero: the overlay is more than the limit of 67108864 bytes (64 MiB)"}})
	add(hostileCase{name: "memory/import netbox --upstream /dev/zero", files: map[string]string{"nb": "@netbox 2"},
		args: args("import", "netbox", "--from", "nb", "--upstream", "/dev/zero", "-o", "x.toml"), code: exitBadInput, want: []string{"/dev/zero: the model is more than the limit of 67108864 bytes"}})
	add(hostileCase{name: "memory/import netbox --token-file /dev/zero", files: map[string]string{},
		args: args("import", "netbox", "--url", "http://127.0.0.1:9", "--token-file", "/dev/zero", "-o", "x.toml"), code: exitBadInput, want: []string{"cannot read the token: /dev/zero: more than 65536 bytes: not a token file"}})
	add(hostileCase{name: "memory/import netbox --from a folder whose devices.json is /dev/zero", files: map[string]string{"nb/devices.json": "@link:/dev/zero"},
		args: args("import", "netbox", "--from", "nb", "-o", "x.toml"), code: exitBadInput, want: []string{"nb/devices.json: the folder's response files are more than the limit of 268435456 bytes (256 MiB) in all"}})
	// The echarts script is bounded too: it was read whole (a crash).
	add(hostileCase{name: "memory/chart --offline --echarts-js /dev/zero", files: map[string]string{"m.toml": miniModel},
		args: args("chart", "headroom", "m.toml", "--offline", "--echarts-js", "/dev/zero", "-o", "h.html"), code: exitBadInput, want: []string{"the echarts script (--echarts-js) /dev/zero is more than the limit of 16777216 bytes (16 MiB)"}})
	add(hostileCase{name: "memory/estimate plan --runs 10000 refused past", files: map[string]string{"m.toml": miniModel},
		args: args("estimate", "plan", "--runs", "10001", "m.toml"), code: exitBadInput, want: []string{"--runs must be 1 to 10000"}})
	return cs
}

// layout writes a case's files into dir.
func layout(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	// Regular files and folders first, then links to them.
	for pass := 0; pass < 2; pass++ {
		for name, content := range files {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if content == "@ro" {
				continue
			}
			isLink := strings.HasPrefix(content, "@link:") || strings.HasPrefix(content, "@hardlink:") || strings.HasPrefix(content, "@netbox ") || content == "@db"
			if (pass == 0) == isLink {
				continue
			}
			var err error
			switch {
			case content == "@dir":
				err = os.MkdirAll(p, 0o755)
			case content == "@rodir":
				err = os.MkdirAll(p, 0o555)
			case content == "@fifo":
				err = syscall.Mkfifo(p, 0o644)
			case strings.HasPrefix(content, "@link:"):
				err = os.Symlink(strings.TrimPrefix(content, "@link:"), p)
			case strings.HasPrefix(content, "@netbox "):
				// A generated NetBox inventory of N racks, by the binary.
				out, gerr := exec.Command(binary(t), "generate", "--netbox", p, "--racks", strings.TrimPrefix(content, "@netbox ")).CombinedOutput()
				if gerr != nil {
					err = fmt.Errorf("generate --netbox: %v %s", gerr, out)
				}
			case content == "@db":
				// A history database holding the incident rack.
				model, _ := filepath.Abs("../../examples/incident-2019.toml")
				out, gerr := exec.Command(binary(t), "db", "commit", "--db", p, "-m", "the incident rack", "--author", "test", model).CombinedOutput()
				if gerr != nil {
					err = fmt.Errorf("db commit: %v %s", gerr, out)
				}
			case strings.HasPrefix(content, "@hardlink:"):
				err = os.Link(filepath.Join(dir, strings.TrimPrefix(content, "@hardlink:")), p)
			default:
				err = os.WriteFile(p, []byte(content), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, content := range files {
		if content == "@ro" {
			if err := os.Chmod(filepath.Join(dir, name), 0o555); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestHostileInputs(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatalf("prlimit (util-linux) is required to bound each case's memory: %v", err)
	}
	bin := binary(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cases := hostileCases()
	if len(cases) < 100 {
		t.Fatalf("%d hostile cases, want at least 100", len(cases))
	}
	for _, c := range cases {
		// A refused input must be named: a case asserts the message too.
		if c.code != exitOK && c.code != exitRisk && len(c.want) == 0 {
			t.Errorf("%s: exit %d asserted without the message", c.name, c.code)
		}
	}
	topoDir, _ := filepath.Abs("../../topology")
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			dir := t.TempDir()
			layout(t, dir, c.files)
			a := c.args
			if len(a) > 0 && strings.HasPrefix(a[0], "@generate ") {
				// A generated site, laid out by the binary itself.
				gen := exec.Command(bin, "generate", "--racks", strings.TrimPrefix(a[0], "@generate "), "--per-rack", "40", "--seed", "1", "-o", "site.toml")
				gen.Dir = dir
				if out, err := gen.CombinedOutput(); err != nil {
					t.Fatalf("generate: %v %s", err, out)
				}
				a = a[1:]
			}
			cmdArgs := []string{"--as=" + fmt.Sprint(addressLimit), bin}
			for _, x := range a {
				cmdArgs = append(cmdArgs, strings.ReplaceAll(x, "$R", root))
			}
			timeout := 2 * time.Minute
			if c.timeout > 0 {
				timeout = c.timeout
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, prlimit, cmdArgs...)
			cmd.Dir = dir
			if strings.HasPrefix(c.name, "model/bad/") {
				cmd.Dir = topoDir // the goldens name the files from there
			}
			cmd.Env = append(os.Environ(), "BLACKSTART_CHROMIUM=/nonexistent", "BLACKSTART_ECHARTS_JS=")
			if c.unprivileged && os.Geteuid() == 0 {
				// As nobody: the binary's folder and the case's must be
				// reachable, the case's own files stay as laid out.
				for _, d := range []string{filepath.Dir(bin), filepath.Dir(dir)} {
					if err := os.Chmod(d, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.Chmod(dir, 0o777); err != nil { // writable: only what the case makes read-only is
					t.Fatal(err)
				}
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
				cmd.Env = append(cmd.Env, "HOME="+dir)
			}
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			msg := stderr.String()
			if code != c.code {
				t.Errorf("blackstart %s: exit %d, want %d; stderr:\n%s", strings.Join(a, " "), code, c.code, clipTail(msg))
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("blackstart %s: stderr lacks %q; got:\n%s", strings.Join(a, " "), w, clipTail(msg))
				}
			}
			for _, bad := range []string{"panic:", "goroutine ", "internal error", "fatal error", "json: unsupported value"} {
				if strings.Contains(msg, bad) {
					t.Errorf("blackstart %s: stderr holds %q:\n%s", strings.Join(a, " "), bad, clipTail(msg))
				}
			}
			if c.check != nil {
				c.check(t, dir)
			}
			if c.stdout != nil {
				c.stdout(t, stdout.String())
			}
		})
	}
}

func clipTail(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}
