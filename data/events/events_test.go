package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"blackstart/placement"
	"blackstart/topology"
)

// instanceIndex returns the index in c.Instances of the instance called name.
func instanceIndex(t testing.TB, c *placement.Cluster, name string) int32 {
	t.Helper()
	for i := range c.Instances {
		if c.Name(i) == name {
			return int32(i)
		}
	}
	t.Fatalf("no instance %q", name)
	return -1
}

// deviceIndex returns the index in c.M.Devices of the device with that id.
func deviceIndex(t testing.TB, c *placement.Cluster, id string) int32 {
	t.Helper()
	d, ok := c.M.DeviceIndex(id)
	if !ok {
		t.Fatalf("no device %q", id)
	}
	return int32(d)
}

// errorStrings returns the messages of an ErrorList, one per problem.
func errorStrings(t *testing.T, err error) []string {
	t.Helper()
	var list topology.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, want topology.ErrorList: %v", err, err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Error())
	}
	return out
}

// Every message, its position and its wording, for each kind of problem.
// small-dc has the services etcd (3 instances), dns, registry, deployer,
// pg-0..pg-7, web (6), api (4), worker-0.. and the devices app-01..,
// db-01.., int-01...
func TestReadEventsErrors(t *testing.T) {
	c := smallDC(t)
	tests := []struct {
		name  string
		file  string
		input string
		want  []string
	}{
		{"jsonl unknown instance", "events.jsonl",
			`{"t_s":0,"instance":"web#0","node":"app-01","state":"scheduled"}` + "\n" +
				`{"t_s":1,"instance":"web#9","node":"app-01","state":"scheduled"}` + "\n",
			[]string{`events.jsonl:2:1: unknown instance "web#9" (service "web" has 6 instances)`}},
		{"jsonl unknown service", "events.jsonl",
			`{"t_s":0,"instance":"wbe#0","node":"app-01","state":"scheduled"}`,
			[]string{`events.jsonl:1:1: unknown service "wbe"`}},
		{"jsonl instance without index", "events.jsonl",
			`{"t_s":0,"instance":"web","node":"app-01","state":"up"}`,
			[]string{`events.jsonl:1:1: bad instance "web": want service#index (0-based index)`}},
		{"jsonl long value cut", "events.jsonl",
			`{"t_s":0,"instance":"web#0","node":"` + strings.Repeat("n", 100) + `","state":"up"}`,
			[]string{`events.jsonl:1:1: node "` + strings.Repeat("n", 64) + `"... is not a device of the model`}},
		{"jsonl after more blank lines than a read buffer", "events.jsonl",
			strings.Repeat(" \n", 70000) + `{"t_s":0,"instance":"web#0","node":"x","state":"up"}`,
			[]string{`events.jsonl:70001:1: node "x" is not a device of the model`}},
		{"csv after more blank lines than a read buffer", "events.csv",
			strings.Repeat("\n", 70000) + "t_s,instance,node,state\n0,web#0,x,up\n",
			[]string{`events.csv:70002:9: node "x" is not a device of the model`}},
		{"only blank lines, more than a read buffer", "events.jsonl",
			strings.Repeat("\n", 70000),
			[]string{`events.jsonl:1:1: the file holds no progress events`}},
		{"a NUL byte first: read as CSV", "events.csv",
			"\x00abc\n",
			[]string{`events.csv:1:1: missing header line: the first line must name the columns, such as t_s,instance,node,state`}},
		{"a line of exactly MaxLineBytes is read", "events.jsonl",
			`{"t_s":0,"instance":"web#0","node":"x","state":"up"` + strings.Repeat(" ", MaxLineBytes-52) + "}\n",
			[]string{`events.jsonl:1:1: node "x" is not a device of the model`}},
		{"white space without a newline past the read buffer", "events.jsonl",
			strings.Repeat(" ", 70000) + "\n" + `{"t_s":0,"instance":"web#0","node":"x","state":"up"}`,
			[]string{`events.jsonl:1:65537: line longer than 65536 bytes: not a progress event (reading stopped here)`}},
		{"a value of exactly 64 bytes is quoted whole", "events.jsonl",
			`{"t_s":0,"instance":"web#0","node":"` + strings.Repeat("n", 64) + `","state":"up"}`,
			[]string{`events.jsonl:1:1: node "` + strings.Repeat("n", 64) + `" is not a device of the model`}},
		{"out of order, times in full", "events.jsonl",
			`{"t_s":15.75,"instance":"web#0","node":"app-01","state":"started"}` + "\n" +
				`{"t_s":12.25,"instance":"web#0","node":"app-01","state":"up"}` + "\n",
			[]string{`events.jsonl:2:1: time 12.25 s is before the previous event's 15.75 s: events must be in time order`}},
		{"jsonl bad state", "events.jsonl",
			`{"t_s":0,"instance":"web#0","node":"app-01","state":"running"}`,
			[]string{`events.jsonl:1:1: state must be scheduled, started, up or failed, got "running"`}},
		{"jsonl unknown node", "events.jsonl",
			`{"t_s":0,"instance":"web#0","node":"x","state":"up"}`,
			[]string{`events.jsonl:1:1: node "x" is not a device of the model`}},
		{"jsonl out of order", "events.jsonl",
			`{"t_s":15,"instance":"web#0","node":"app-01","state":"started"}` + "\n" +
				`{"t_s":12.5,"instance":"web#0","node":"app-01","state":"up"}` + "\n" +
				`{"t_s":16,"instance":"web#1","node":"app-01","state":"up"}` + "\n",
			[]string{`events.jsonl:2:1: time 12.5 s is before the previous event's 15 s: events must be in time order`}},
		{"jsonl negative time", "events.jsonl",
			`{"t_s":-1,"instance":"web#0","node":"app-01","state":"up"}`,
			[]string{`events.jsonl:1:1: bad time "-1": t_s must be a number of seconds from 0 to 1e+07`}},
		{"jsonl t_s as a string", "events.jsonl",
			`{"t_s":"12","instance":"web#0","node":"app-01","state":"up"}`,
			[]string{`events.jsonl:1:1: t_s must be a number, got the string "12"`}},
		{"jsonl unknown and duplicate keys", "events.jsonl",
			`{"t_s":0,"instance":"web#0","nod":"app-01","state":"up","state":"up"}`,
			[]string{
				`events.jsonl:1:1: duplicate key "state"`,
				`events.jsonl:1:1: missing node: only a failed event may have none`,
				`events.jsonl:1:1: unknown key "nod" (want t_s or time, instance or service and index, node, state)`,
			}},
		{"jsonl syntax errors", "events.jsonl",
			`{"t_s":abc,"instance":"web#0","node":"app-01","state":"up"}` + "\n" +
				`{"t_s":1,"instance":"web#0","node":"app-01","state":"up"` + "\n" +
				`{"t_s":2,"instance":"web#0" "node":"app-01"}` + "\n" +
				`[1, 2]` + "\n" +
				`{"t_s":3,"instance":{"service":"web"},"state":"up"}` + "\n",
			[]string{
				`events.jsonl:1:8: invalid JSON: invalid character 'a' looking for beginning of value`,
				`events.jsonl:2:56: invalid JSON: unexpected end of JSON input`,
				`events.jsonl:3:29: invalid JSON: invalid character '"' after object key:value pair`,
				`events.jsonl:4:1: want a JSON object, got an array`,
				`events.jsonl:5:1: instance must be a string, got an object`,
			}},
		{"jsonl mixes t_s and time", "events.jsonl",
			`{"t_s":0,"instance":"web#0","node":"app-01","state":"scheduled"}` + "\n" +
				`{"time":"2019-06-04T09:30:00Z","instance":"web#0","node":"app-01","state":"up"}` + "\n" +
				`{"t_s":1,"time":"2019-06-04T09:30:01Z","instance":"web#1","node":"app-01","state":"up"}` + "\n",
			[]string{
				`events.jsonl:2:1: this event gives time but line 1 gives t_s: a file must not mix t_s and time`,
				`events.jsonl:3:1: both t_s and time given: use one`,
			}},
		{"jsonl bad and out of order RFC 3339 times", "events.jsonl",
			`{"time":"2019-06-04T09:30:10Z","instance":"web#0","node":"app-01","state":"started"}` + "\n" +
				`{"time":"2019-06-04T11:30:05+02:00","instance":"web#0","node":"app-01","state":"up"}` + "\n" +
				`{"time":"yesterday","instance":"web#1","node":"app-01","state":"up"}` + "\n",
			[]string{
				`events.jsonl:2:1: time "2019-06-04T11:30:05+02:00" is before the previous event's "2019-06-04T09:30:10Z": events must be in time order`,
				`events.jsonl:3:1: bad time "yesterday": want RFC 3339 such as "2019-06-04T09:30:00Z"`,
			}},
		{"jsonl missing fields", "events.jsonl",
			`{}` + "\n" + `{"t_s":0,"service":"web","node":"app-01","state":"up"}` + "\n" +
				`{"t_s":0,"instance":"web#0","service":"web","index":0,"node":"app-01","state":"up"}` + "\n",
			[]string{
				`events.jsonl:1:1: missing instance (or service and index)`,
				`events.jsonl:1:1: missing state`,
				`events.jsonl:1:1: missing t_s (or time)`,
				`events.jsonl:2:1: missing index for service "web"`,
				`events.jsonl:3:1: both instance and service or index given: use instance "service#index" or the pair service and index`,
			}},
		{"jsonl pair spelling", "events.jsonl",
			`{"t_s":0,"service":"web","index":6,"node":"app-01","state":"up"}` + "\n" +
				`{"t_s":0,"service":"web","index":1.5,"node":"app-01","state":"up"}` + "\n" +
				`{"t_s":0,"service":"web","index":"1","node":"app-01","state":"up"}` + "\n" +
				`{"t_s":0,"service":"deployer","index":3,"node":"app-01","state":"up"}` + "\n",
			[]string{
				`events.jsonl:1:1: unknown instance "web#6" (service "web" has 6 instances)`,
				`events.jsonl:2:1: bad index "1.5": want a 0-based integer`,
				`events.jsonl:3:1: index must be a number, got the string "1"`,
				`events.jsonl:4:1: unknown instance "deployer#3" (service "deployer" has 1 instance)`,
			}},
		{"jsonl a comment is not JSON", "events.jsonl",
			`{"t_s":0,"instance":"web#0","node":"app-01","state":"up"}` + "\n# done\n",
			[]string{`events.jsonl:2:1: invalid JSON: invalid character '#' looking for beginning of value`}},
		{"csv errors at their columns", "events.csv",
			"t_s,instance,node,state\n" +
				"abc,web#0,app-01,up\n" +
				"1,wbe#0,app-01,up\n" +
				"2,web#9,x,running\n" +
				"3,web#1,,started\n",
			[]string{
				`events.csv:2:1: bad time "abc"`,
				`events.csv:3:3: unknown service "wbe"`,
				`events.csv:4:3: unknown instance "web#9" (service "web" has 6 instances)`,
				`events.csv:4:9: node "x" is not a device of the model`,
				`events.csv:4:11: state must be scheduled, started, up or failed, got "running"`,
				`events.csv:5:9: missing node: only a failed event may have none`,
			}},
		{"csv out of order after comments and blank lines", "events.csv",
			"# progress of the 2019 restart\n\nt_s,instance,node,state\n15,web#0,app-01,started\n\n# later\n12.5,web#0,app-01,up\n",
			[]string{`events.csv:7:1: time 12.5 s is before the previous event's 15 s: events must be in time order`}},
		{"csv pair spelling", "events.csv",
			"state,node,index,service,t_s\nup,app-01,9,web,0\nup,app-01,x,web,0\nup,app-01,0,wbe,0\n",
			[]string{
				`events.csv:2:11: unknown instance "web#9" (service "web" has 6 instances)`,
				`events.csv:3:11: bad index "x": want a 0-based integer`,
				`events.csv:4:13: unknown service "wbe"`,
			}},
		{"csv missing column", "events.csv",
			"t_s,instance,node\n0,web#0,app-01\n",
			[]string{`events.csv:1:1: missing column state`}},
		{"csv missing columns of each kind", "events.csv",
			"service,node\nweb,app-01\n",
			[]string{
				`events.csv:1:1: missing column index (with service)`,
				`events.csv:1:1: missing column state`,
				`events.csv:1:1: missing column t_s (or time)`,
			}},
		{"csv extra column", "events.csv",
			"t_s,instance,node,state,rack\n0,web#0,app-01,up,r1\n",
			[]string{`events.csv:1:25: unknown column "rack" (want t_s or time, instance or service and index, node, state)`}},
		{"csv duplicate column", "events.csv",
			"t_s,instance,node,state,node\n0,web#0,app-01,up,app-02\n",
			[]string{`events.csv:1:25: duplicate column "node"`}},
		{"csv mixes t_s and time", "events.csv",
			"t_s,instance,node,state,time\n0,web#0,app-01,up,2019-06-04T09:30:00Z\n",
			[]string{`events.csv:1:25: both t_s and time columns: a file must not mix t_s and time`}},
		{"csv instance and pair", "events.csv",
			"t_s,instance,service,node,state\n0,web#0,web,app-01,up\n",
			[]string{`events.csv:1:14: both instance and service columns: use instance "service#index" or the pair service and index`}},
		{"csv row with a field too many", "events.csv",
			"t_s,instance,node,state\n0,web#0,app-01,up\n1,web#1,app-01,up,extra\n2,web#2\n",
			[]string{
				`events.csv:3:1: line has 5 fields, the header has 4`,
				`events.csv:4:1: line has 2 fields, the header has 4`,
			}},
		{"csv without header", "events.csv",
			"0,web#0,app-01,up\n1,web#1,app-01,up\n",
			[]string{`events.csv:1:1: missing header line: the first line must name the columns, such as t_s,instance,node,state`}},
		{"csv bad quote", "events.csv",
			"t_s,instance,node,state\n0,we\"b#0,app-01,up\n",
			[]string{`events.csv:2:5: bad CSV: bare " in non-quoted-field`}},
		{"csv bad RFC 3339 time", "events.csv",
			"time,instance,node,state\n2019-06-04 09:30:00,web#0,app-01,up\n",
			[]string{`events.csv:2:1: bad time "2019-06-04 09:30:00": want RFC 3339 such as "2019-06-04T09:30:00Z"`}},
		{"csv infinite and hexadecimal times", "events.csv",
			"t_s,instance,node,state\ninf,web#0,app-01,up\n0x10p0,web#0,app-01,up\n1e999,web#0,app-01,up\n",
			[]string{
				`events.csv:2:1: bad time "inf"`,
				`events.csv:3:1: bad time "0x10p0"`,
				`events.csv:4:1: bad time "1e999": t_s must be a number of seconds from 0 to 1e+07`,
			}},
		// instance with index alone (no service column) is the pair half
		// given: index is dropped, instance read.
		{"csv instance and index columns", "events.csv",
			"t_s,instance,index,node,state\n0,web#0,7,app-01,up\n",
			[]string{`events.csv:1:14: both instance and index columns: use instance "service#index" or the pair service and index`}},
		// time then t_s: t_s, the later column, is dropped and time read,
		// so its "x" is no error.
		{"csv time and t_s columns", "events.csv",
			"time,t_s,instance,node,state\n2019-06-04T09:30:00Z,x,web#0,app-01,up\n",
			[]string{`events.csv:1:6: both t_s and time columns: a file must not mix t_s and time`}},
		{"csv t_s and time columns", "events.csv",
			"t_s,time,instance,node,state\n0,y,web#0,app-01,up\n",
			[]string{`events.csv:1:5: both t_s and time columns: a file must not mix t_s and time`}},
		// "#3" names index 3 of the service "" (the text before the last #).
		{"jsonl instance of no service", "events.jsonl",
			`{"t_s":0,"instance":"#3","node":"app-01","state":"up"}`,
			[]string{`events.jsonl:1:1: unknown service ""`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := Read(tt.file, strings.NewReader(tt.input), c)
			if err == nil {
				t.Fatalf("no error, %d events; want %q", len(evs), tt.want)
			}
			if evs != nil {
				t.Errorf("got %d events with the error, want none", len(evs))
			}
			got := errorStrings(t, err)
			if !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
		})
	}
}

// TestReadWithOtherIndex: an Index built for another cluster is not used:
// the names resolve against the cluster read against.
func TestReadWithOtherIndex(t *testing.T) {
	c := smallDC(t)
	m, err := topology.Parse(topology.File{Name: "other.toml", Data: []byte(`
[[source]]
id = "u"
voltage_v = 230
[[circuit]]
id = "c"
input = "u"
[[rack]]
id = "r"
[[device_model]]
id = "m"
typical_w = 10
ram_gib = 8
cpu_cores = 8
[[device]]
id = "n1"
rack = "r"
model = "m"
feeds = ["c"]
[[service]]
id = "db"
`)})
	if err != nil {
		t.Fatal(err)
	}
	other := NewIndex(placement.NewCluster(m))
	evs, err := ReadWith("events.jsonl", strings.NewReader(`{"t_s":0,"instance":"web#1","node":"app-01","state":"up"}`+"\n"), c, Options{Index: other})
	if err != nil || len(evs) != 1 || evs[0].Instance != instanceIndex(t, c, "web#1") || evs[0].Node != deviceIndex(t, c, "app-01") {
		t.Fatalf("got %+v, %v; want web#1 up on app-01 of small-dc", evs, err)
	}
}

// Past 100 problems the list stops and a last error counts the rest.
func TestReadEventsErrorCap(t *testing.T) {
	c := smallDC(t)
	var b strings.Builder
	for k := range 150 {
		fmt.Fprintf(&b, `{"t_s":%d,"instance":"web#0","node":"nowhere","state":"up"}`+"\n", k)
	}
	_, err := Read("events.jsonl", strings.NewReader(b.String()), c)
	got := errorStrings(t, err)
	if len(got) != 101 {
		t.Fatalf("got %d errors, want 101", len(got))
	}
	if want := `events.jsonl:100:1: node "nowhere" is not a device of the model`; got[99] != want {
		t.Errorf("error 100: got %q, want %q", got[99], want)
	}
	if want := `events.jsonl:101:1: too many errors: 50 more not shown`; got[100] != want {
		t.Errorf("last error: got %q, want %q", got[100], want)
	}
}

// Good files in every spelling come back as the same events.
func TestReadEventsGood(t *testing.T) {
	c := smallDC(t)
	web0, web1, etcd2 := instanceIndex(t, c, "web#0"), instanceIndex(t, c, "web#1"), instanceIndex(t, c, "etcd#2")
	app1, int1 := deviceIndex(t, c, "app-01"), deviceIndex(t, c, "int-01")
	want := []placement.Event{
		{TS: 0, Instance: etcd2, Node: int1, State: placement.Scheduled},
		{TS: 0, Instance: etcd2, Node: int1, State: placement.Started},
		{TS: 12.5, Instance: web0, Node: app1, State: placement.Scheduled},
		{TS: 12.5, Instance: web1, Node: -1, State: placement.Failed},
		{TS: 20.25, Instance: etcd2, Node: int1, State: placement.Up},
		{TS: 3600, Instance: web1, Node: app1, State: placement.Failed},
	}
	tests := []struct {
		name, file, input string
	}{
		{"jsonl both spellings", "events.jsonl", "\ufeff\n" +
			`{"t_s":0,"instance":"etcd#2","node":"int-01","state":"scheduled"}` + "\r\n" +
			` { "state" : "started", "node" : "int-01", "service" : "etcd", "index" : 2, "t_s" : 0.0 }` + "\n" +
			"\n   \n" +
			`{"t_s":1.25e1,"instance":"web#0","node":"app-01","state":"scheduled"}` + "\n" +
			`{"t_s":12.5,"instance":"web#1","state":"failed"}` + "\n" +
			`{"t_s":20.25,"service":"etcd","index":2,"node":"int\u002d01","state":"up"}` + "\n" +
			`{"t_s":3600,"instance":"web#01","node":"app-01","state":"failed"}`},
		{"jsonl RFC 3339 times", "events.jsonl",
			`{"time":"2019-06-04T09:30:00Z","instance":"etcd#2","node":"int-01","state":"scheduled"}` + "\n" +
				`{"time":"2019-06-04T11:30:00+02:00","instance":"etcd#2","node":"int-01","state":"started"}` + "\n" +
				`{"time":"2019-06-04T09:30:12.5Z","instance":"web#0","node":"app-01","state":"scheduled"}` + "\n" +
				`{"time":"2019-06-04T09:30:12.500Z","instance":"web#1","node":null,"state":"failed"}` + "\n" +
				`{"time":"2019-06-04T09:30:20.25Z","instance":"etcd#2","node":"int-01","state":"up"}` + "\n" +
				`{"time":"2019-06-04T10:30:00Z","instance":"web#1","node":"app-01","state":"failed"}` + "\n"},
		{"csv both spellings", "events.csv",
			"# small-dc restart\nt_s,instance,node,state\n" +
				"0,etcd#2,int-01,scheduled\n0,etcd#2,int-01,started\n" +
				"12.5,\"web#0\",app-01,scheduled\r\n12.5,web#1,,failed\n\n" +
				"20.25,etcd#2,int-01,up\n3600,web#1,app-01,failed"},
		{"csv pair spelling and RFC 3339 times", "events.csv",
			"state,index,service,node,time\n" +
				"scheduled,2,etcd,int-01,2019-06-04T09:30:00Z\nstarted,2,etcd,int-01,2019-06-04T09:30:00Z\n" +
				"scheduled,0,web,app-01,2019-06-04T09:30:12.5Z\nfailed,1,web,,2019-06-04T09:30:12.5Z\n" +
				"up,2,etcd,int-01,2019-06-04T09:30:20.25Z\nfailed,1,web,app-01,2019-06-04T10:30:00Z\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(tt.file, strings.NewReader(tt.input), c)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("events:\n got %v\nwant %v", got, want)
			}
		})
	}
	// A file without events is an error, not an empty recovery.
	for _, empty := range []string{"", "\n\n", "t_s,instance,node,state\n", "# nothing yet\n"} {
		got, err := Read("events", strings.NewReader(empty), c)
		if err == nil || !strings.Contains(err.Error(), "the file holds no progress events") || got != nil {
			t.Errorf("Read(%q) = %v, %v; want the error that it holds no events", empty, got, err)
		}
	}
}

// A read error comes back as itself, with the file name, not as a list.
func TestReadEventsReadError(t *testing.T) {
	c := smallDC(t)
	broken := errors.New("disk on fire")
	for _, head := range []string{"", "t_s,instance,node,state\n", `{"t_s":0,"instance":"web#0","node":"app-01","state":"up"}` + "\n"} {
		_, err := Read("events", io.MultiReader(strings.NewReader(head), iotest.ErrReader(broken)), c)
		if !errors.Is(err, broken) || err.Error() != "events: disk on fire" {
			t.Errorf("after %q: got error %v, want %q wrapping the read error", head, err, "events: disk on fire")
		}
	}
}

// Times up to MaxTimeS write and read back; beyond it (1e308 s, an RFC
// 3339 time centuries after the first, which time.Sub would clamp) they
// are refused with their position, by the reader and the writer.
func TestEventsTimeBounds(t *testing.T) {
	c := smallDC(t)
	evs := []placement.Event{{TS: 0, Instance: 0, Node: 0, State: placement.Up}, {TS: MaxTimeS, Instance: 1, Node: 0, State: placement.Up}}
	for _, format := range []string{FormatJSONL, FormatCSV} {
		var b bytes.Buffer
		if err := Write(&b, c, evs, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		got, err := Read("bound", &b, c)
		if err != nil || !reflect.DeepEqual(got, evs) {
			t.Errorf("%s: got %v, %v; want %v", format, got, err, evs)
		}
		over := []placement.Event{{TS: MaxTimeS + 1, Instance: 0, Node: 0, State: placement.Up}}
		if err := Write(&b, c, over, format); err == nil || !strings.Contains(err.Error(), "want 0 to 1e+07 s") {
			t.Errorf("%s: writing a time past the bound: %v", format, err)
		}
	}
	// RFC 3339 times exactly MaxTimeS apart are read.
	got, err := Read("bound", strings.NewReader(`{"time":"2026-01-01T00:00:00Z","instance":"web#0","node":"app-01","state":"up"}`+"\n"+
		`{"time":"2026-04-26T17:46:40Z","instance":"web#1","node":"app-01","state":"up"}`+"\n"), c)
	if err != nil || len(got) != 2 || got[1].TS != MaxTimeS {
		t.Errorf("RFC 3339 times 1e7 s apart: got %v, %v; want the second at 1e7 s", got, err)
	}
	cases := []struct{ name, in, want string }{
		{"t_s 1e308", `{"t_s":1e308,"instance":"web#0","node":"app-01","state":"up"}`, `huge:1:1: bad time "1e308": t_s must be a number of seconds from 0 to 1e+07`},
		{"t_s just past", "t_s,instance,node,state\n10000000.001,web#0,app-01,up\n", `huge:2:1: bad time "10000000.001"`},
		{"RFC 3339 centuries apart", `{"time":"0001-01-01T00:00:00Z","instance":"web#0","node":"app-01","state":"up"}` + "\n" +
			`{"time":"9999-12-31T23:59:59Z","instance":"web#1","node":"app-01","state":"up"}`,
			`huge:2:1: time "9999-12-31T23:59:59Z" is more than 1e+07 s after the first event's "0001-01-01T00:00:00Z"`},
		{"a line without end", "t_s,instance,node,state\n0,web#0,app-01,up\n" + strings.Repeat("9", MaxLineBytes+10), "huge:3:65537: line longer than 65536 bytes"},
		{"a JSON line without end", `{"t_s":0,"instance":"` + strings.Repeat("w", MaxLineBytes+10), "huge:1:65537: line longer than 65536 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read("huge", strings.NewReader(tc.in), c)
			if err == nil || !strings.Contains(err.Error(), tc.want) || got != nil {
				t.Errorf("got %v, %v; want an error containing %q", got, err, tc.want)
			}
		})
	}
}

// What the simulator reports, written and read back, is the same stream.
func TestEventsRoundTrip(t *testing.T) {
	c := smallDC(t)
	for _, policy := range placement.Policies {
		var evs []placement.Event
		_, err := placement.Simulate(c, nil, placement.SimOptions{Policy: policy, Seed: 7,
			OnEvent: func(e placement.Event) { evs = append(evs, e) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) < 3*len(c.Instances) {
			t.Fatalf("%s: %d events for %d instances, want at least 3 each", policy, len(evs), len(c.Instances))
		}
		last := evs[len(evs)-1]
		evs = append(evs, placement.Event{TS: last.TS + 1e-4, Instance: 0, Node: -1, State: placement.Failed})
		for _, format := range []string{FormatJSONL, FormatCSV} {
			var b bytes.Buffer
			if err := Write(&b, c, evs, format); err != nil {
				t.Fatalf("%s %s: %v", policy, format, err)
			}
			got, err := Read("sim."+format, &b, c)
			if err != nil {
				t.Fatalf("%s %s: %v", policy, format, err)
			}
			if len(got) != len(evs) {
				t.Fatalf("%s %s: read %d events, wrote %d", policy, format, len(got), len(evs))
			}
			for k := range evs {
				g, w := got[k], evs[k]
				if g.Instance != w.Instance || g.Node != w.Node || g.State != w.State || math.Abs(g.TS-w.TS) > 0.0005+1e-9 {
					t.Fatalf("%s %s: event %d: got %+v, want %+v (times to 1 ms)", policy, format, k, g, w)
				}
			}
		}
	}
}

// The writer refuses what the reader would refuse, before writing anything.
func TestWriteEventsRefuses(t *testing.T) {
	c := smallDC(t)
	up := placement.Event{TS: 1, Instance: 0, Node: 0, State: placement.Up}
	with := func(f func(*placement.Event)) []placement.Event {
		e := up
		f(&e)
		return []placement.Event{up, e}
	}
	tests := []struct {
		name   string
		evs    []placement.Event
		format string
		want   string
	}{
		{"format", []placement.Event{up}, "json", `unknown event format "json" (jsonl or csv)`},
		{"instance", with(func(e *placement.Event) { e.Instance = 32 }), FormatCSV, "event 1: instance 32 out of range (32 instances)"},
		{"node", with(func(e *placement.Event) { e.Node = -2 }), FormatCSV, "event 1: node -2 out of range (35 devices)"},
		{"no node", with(func(e *placement.Event) { e.Node = -1 }), FormatJSONL, "event 1: up event without a node (only a failed event may have none)"},
		{"NaN", with(func(e *placement.Event) { e.TS = math.NaN() }), FormatJSONL, "event 1: time NaN s, want 0 to 1e+07 s (the longest an events file holds)"},
		{"order", with(func(e *placement.Event) { e.TS = 0.5 }), FormatJSONL, "event 1: time 0.5 s is before the previous event's 1 s: events must be in time order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Write(&b, c, tt.evs, tt.format)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got error %v, want %q", err, tt.want)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %q before refusing", b.String())
			}
		})
	}
}

// FuzzReadEvents feeds arbitrary bytes to Read. It must never panic;
// problems come back as a sorted ErrorList of positioned errors, and what
// it accepts is a valid stream that writes and reads back unchanged. The
// JSON scanner must agree with encoding/json on every line.
func FuzzReadEvents(f *testing.F) {
	c := smallDC(f)
	f.Add([]byte(`{"t_s":0,"instance":"etcd#2","node":"int-01","state":"scheduled"}` + "\n" +
		`{"t_s":1.5,"service":"web","index":1,"state":"failed"}` + "\n"))
	f.Add([]byte(`{"time":"2019-06-04T09:30:00Z","instance":"web#0","node":"app-01","state":"up","x":[1]}`))
	f.Add([]byte(`{"t_s":1,"instance":"w\u00e9b\ud83d\ude00#0","node":null,"state":"up"}`))
	f.Add([]byte("# c\nt_s,instance,node,state\n0,web#0,app-01,up\n1,\"web#1\",,failed\n"))
	f.Add([]byte("state,index,service,node,time\nup,2,etcd,int-01,2019-06-04T09:30:00Z\n"))
	f.Add([]byte("t_s,instance,node\n0,\"web#0,app-01\n"))
	f.Add([]byte(`{"t_s":0,"instance":"etcd#2","node":"int-01","state":"scheduled"}` + "\n" +
		`{"t_s":1.5,"instance":"web#1","state":"failed"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		verbatim := false
		evs, err := ReadWith("fuzz", bytes.NewReader(data), c, Options{Verbatim: &verbatim})
		if verbatim {
			// Taken as Write's own output: it must be, byte for byte.
			var b bytes.Buffer
			if err != nil || Write(&b, c, evs, FormatJSONL) != nil || !bytes.Equal(b.Bytes(), data) {
				t.Fatalf("verbatim, but Write writes %q of it (%v)", b.Bytes(), err)
			}
		}
		if lead := bytes.TrimLeft(data, " \t\r\n"); len(lead) > 0 && lead[0] == '{' {
			// JSON Lines: the same with a space before every line, which
			// no line in Write's form has (fastLine takes none of them,
			// the scanner all): the same events, or an error both ways.
			spaced := append([]byte(" "), bytes.ReplaceAll(data, []byte("\n"), []byte("\n "))...)
			evs2, err2 := Read("fuzz", bytes.NewReader(spaced), c)
			if (err == nil) != (err2 == nil) || !slices.Equal(evs, evs2) {
				t.Fatalf("%d events (%v); with a space before each line %d (%v)", len(evs), err, len(evs2), err2)
			}
		}
		if err != nil {
			var list topology.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want topology.ErrorList: %v", err, err)
			}
			if len(list) == 0 || len(list) > maxErrors+1 {
				t.Fatalf("%d errors, want 1 to %d", len(list), maxErrors+1)
			}
			for k, e := range list {
				if e.Pos.File != "fuzz" || e.Pos.Line < 1 || e.Pos.Col < 1 {
					t.Fatalf("error without a position: %q", e.Error())
				}
				if k > 0 && k < maxErrors && e.Pos.Line < list[k-1].Pos.Line {
					t.Fatalf("errors not sorted: %q after %q", e.Error(), list[k-1].Error())
				}
			}
			if evs != nil {
				t.Fatalf("%d events with an error", len(evs))
			}
		} else {
			checkStream(t, c, evs)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			checkScanner(t, line)
		}
	})
}

// checkStream checks the invariants of a stream Read accepted, and
// that it writes and reads back as itself to the millisecond.
func checkStream(t *testing.T, c *placement.Cluster, evs []placement.Event) {
	t.Helper()
	for k, e := range evs {
		if e.Instance < 0 || int(e.Instance) >= len(c.Instances) || e.Node < -1 || int(e.Node) >= len(c.M.Devices) ||
			e.State > placement.Failed || e.Node < 0 && e.State != placement.Failed ||
			!(e.TS >= 0) || math.IsInf(e.TS, 0) || k > 0 && e.TS < evs[k-1].TS {
			t.Fatalf("event %d is invalid: %+v", k, e)
		}
	}
	for _, format := range []string{FormatJSONL, FormatCSV} {
		var b bytes.Buffer
		if err := Write(&b, c, evs, format); err != nil {
			t.Fatalf("%s: writing what was read: %v", format, err)
		}
		again, err := Read("again", &b, c)
		if err != nil {
			t.Fatalf("%s: reading what was written: %v", format, err)
		}
		for k := range evs {
			want := evs[k]
			want.TS = roundMS(want.TS)
			if again[k] != want {
				t.Fatalf("%s: event %d: got %+v, want %+v", format, k, again[k], want)
			}
		}
	}
}

// checkScanner compares the flat-object scanner with encoding/json on one
// line: it accepts only valid JSON, accepts every flat object, and decodes
// the same strings.
func checkScanner(t *testing.T, line []byte) {
	t.Helper()
	var sc jsonScanner
	var rec record
	ok := sc.object(string(line), &rec)
	if ok && !json.Valid(line) {
		t.Fatalf("scanner accepts invalid JSON %q", line)
	}
	var m map[string]any
	if json.Unmarshal(line, &m) != nil || m == nil {
		return
	}
	for _, v := range m {
		switch v.(type) {
		case map[string]any, []any:
			return
		}
	}
	if !ok {
		t.Fatalf("scanner refuses the flat object %q", line)
	}
	if !utf8.Valid(line) || len(sc.problems) > 0 {
		return // encoding/json replaces invalid UTF-8; duplicates keep the last
	}
	for k := range nCols {
		f := rec.field(k)
		v, found := m[colNames[k]]
		s, isString := v.(string)
		if f.kind == kString && (!found || !isString || s != f.s) {
			t.Fatalf("%s: scanner read %q, encoding/json %v", colNames[k], f.s, v)
		}
	}
}

// syntheticEvents cycles through c's instances with scheduled, started and
// up, n events 10 ms apart, each instance on a node in turn.
func syntheticEvents(c *placement.Cluster, n int) []placement.Event {
	evs := make([]placement.Event, n)
	for k := range evs {
		i := (k / 3) % len(c.Instances)
		evs[k] = placement.Event{TS: float64(k) * 0.01, Instance: int32(i),
			Node: int32(i % len(c.M.Devices)), State: placement.State(k % 3)}
	}
	return evs
}

// BenchmarkReadEvents reads 1,000,000 events of the incident-scale
// platform, in each format.
func BenchmarkReadEvents(b *testing.B) {
	m, err := topology.Load("../../examples/platform-2019.toml")
	if err != nil {
		b.Fatal(err)
	}
	c := placement.NewCluster(m)
	const n = 1_000_000
	evs := syntheticEvents(c, n)
	for _, format := range []string{FormatJSONL, FormatCSV} {
		b.Run("format="+format, func(b *testing.B) {
			var buf bytes.Buffer
			if err := Write(&buf, c, evs, format); err != nil {
				b.Fatal(err)
			}
			data := buf.Bytes()
			got, err := Read("bench", bytes.NewReader(data), c)
			if err != nil || len(got) != n || got[n-1] != evs[n-1] {
				b.Fatalf("setup: read %d events, err %v; want %d ending with %+v", len(got), err, n, evs[n-1])
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Read("bench", bytes.NewReader(data), c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func smallDC(t testing.TB) *placement.Cluster {
	t.Helper()
	m, err := topology.Load("../../examples/small-dc/power.toml", "../../examples/small-dc/workloads.toml")
	if err != nil {
		t.Fatal(err)
	}
	return placement.NewCluster(m)
}

// TestReadAfter: with Options.After, an event at the previous batch's
// latest time is taken, one a millisecond before it is refused.
func TestReadAfter(t *testing.T) {
	c := smallDC(t)
	o := Options{After: 10, HaveAfter: true}
	evs, err := ReadWith("batch.jsonl", strings.NewReader(`{"t_s":10,"instance":"web#0","node":"app-01","state":"up"}`+"\n"), c, o)
	if err != nil || len(evs) != 1 || evs[0].TS != 10 {
		t.Errorf("event at After: got %v, %v; want it taken", evs, err)
	}
	_, err = ReadWith("batch.jsonl", strings.NewReader(`{"t_s":9.999,"instance":"web#0","node":"app-01","state":"up"}`+"\n"), c, o)
	want := []string{"batch.jsonl:1:1: time 9.999 s is before the incident's latest event at 10 s: events must be in time order"}
	if got := errorStrings(t, err); !slices.Equal(got, want) {
		t.Errorf("event before After: got %v, want %v", got, want)
	}
}

// TestIsDecimal pins what a plain decimal number is.
func TestIsDecimal(t *testing.T) {
	for s, want := range map[string]bool{"": false, "-": false, "1": true, "+1.5": true, "-2e3": true, "1e": false, ".5": true, "5.": true, "0x10": false, "1_000": false, "inf": false} {
		if got := isDecimal(s); got != want {
			t.Errorf("isDecimal(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestScannerEveryPrefix: the flat-object scanner on every prefix of flat
// objects that hold each kind of value (negative, fraction, exponent
// with and without a sign, an exponent of 9, escapes, a surrogate pair, null, true, an
// empty object): no index past the line, only valid JSON accepted, every
// whole line accepted with the strings encoding/json decodes.
func TestScannerEveryPrefix(t *testing.T) {
	for _, line := range []string{
		`{"t_s":-1.5e+3,"instance":"w\u00e9b\ud83d\ude00#0","node":null,"state":"up","x":true}`,
		`{"t_s":0,"index":12E-2,"service":"a\"\\\/\b\f\n\r\t","node":"n","state":"failed","y":1e5,"z":3e9}`,
		`{ "t_s" : 10.25 , "instance" : "web#0" }`,
		`{"t_s":1,"service":"a\"b\\c\/d","index":2,"node":"n\u0041\"","state":"up"}`, // escapes, read without a problem
		`{ }`,
	} {
		if !json.Valid([]byte(line)) {
			t.Fatalf("setup: %q is not JSON", line)
		}
		var sc jsonScanner
		var rec record
		if !sc.object(line, &rec) {
			t.Errorf("scanner refuses the flat object %q", line)
		}
		for n := 0; n <= len(line); n++ {
			checkScanner(t, []byte(line[:n]))
		}
	}
}

// TestReadIndexPair: a service and index pair names instance index of the
// service, by its decimal digits: web 1 and web 5 are web#1 and web#5
// (the sixth of six), web 6 and web 10 are past them.
func TestReadIndexPair(t *testing.T) {
	c := smallDC(t)
	text := `{"t_s":0,"service":"web","index":1,"node":"app-01","state":"up"}` + "\n" +
		`{"t_s":1,"service":"web","index":5,"node":"app-01","state":"up"}` + "\n"
	evs, err := Read("pair.jsonl", strings.NewReader(text), c)
	if err != nil || len(evs) != 2 || evs[0].Instance != instanceIndex(t, c, "web#1") || evs[1].Instance != instanceIndex(t, c, "web#5") {
		t.Fatalf("web 1 and 5: got %+v, %v; want web#1, web#5", evs, err)
	}
	for _, k := range []string{"6", "10"} {
		_, err = Read("pair.jsonl", strings.NewReader(`{"t_s":0,"service":"web","index":`+k+`,"node":"app-01","state":"up"}`+"\n"), c)
		if err == nil {
			t.Errorf("web %s of 6 instances: no error", k)
		}
	}
}

// TestReadEmptyStringAbsent: in JSON lines an empty string leaves the
// field absent, as null and an empty CSV field do: a failed event with
// node "" has no node (−1), as with node null.
func TestReadEmptyStringAbsent(t *testing.T) {
	c := smallDC(t)
	for _, v := range []string{`""`, `null`} {
		evs, err := Read("empty.jsonl", strings.NewReader(`{"t_s":0,"instance":"web#0","node":`+v+`,"state":"failed"}`+"\n"), c)
		if err != nil || len(evs) != 1 || evs[0].Node != -1 {
			t.Errorf("node %s: got %+v, %v; want one event with node -1", v, evs, err)
		}
	}
}

// TestReadCSVBlankLines: blank lines before the header count in CSV error
// positions, also past the 64-KiB read buffer (2 or 70,000 of them put a bare
// quote of the CSV's line 2 at line 4 or 70,002, column 5), and a line of
// white space among the rows is skipped.
func TestReadCSVBlankLines(t *testing.T) {
	c := smallDC(t)
	for _, n := range []int{2, 70000} {
		_, err := Read("events.csv", strings.NewReader(strings.Repeat("\n", n)+"t_s,instance,node,state\n0,we\"b#0,app-01,up\n"), c)
		want := []string{fmt.Sprintf(`events.csv:%d:5: bad CSV: bare " in non-quoted-field`, n+2)}
		if got := errorStrings(t, err); !slices.Equal(got, want) {
			t.Errorf("after %d blank lines: got %v, want %v", n, got, want)
		}
	}
	evs, err := Read("events.csv", strings.NewReader("t_s,instance,node,state\n   \n0,web#0,app-01,up\n"), c)
	if err != nil || len(evs) != 1 {
		t.Errorf("a line of white space among the rows: got %v, %v; want one event", evs, err)
	}
}

// TestWriteEventsText pins what Write puts in a file: CSV under its header
// with FormatCSV, one JSON object a line with FormatJSONL, times rounded to
// the millisecond (1.23456 s is written 1.235), and a time that rounds to
// −0 (−0.0004 s) written 0, never "-0".
func TestWriteEventsText(t *testing.T) {
	c := smallDC(t)
	evs := []placement.Event{
		{TS: -0.0004, Instance: 0, Node: 0, State: placement.Scheduled},
		{TS: 1.23456, Instance: 1, Node: -1, State: placement.Failed},
	}
	web0, web1, node := c.Name(0), c.Name(1), c.M.Devices[0].ID
	for format, want := range map[string]string{
		FormatCSV: "t_s,instance,node,state\n0," + web0 + "," + node + ",scheduled\n1.235," + web1 + ",,failed\n",
		FormatJSONL: `{"t_s":0,"instance":"` + web0 + `","node":"` + node + `","state":"scheduled"}` + "\n" +
			`{"t_s":1.235,"instance":"` + web1 + `","state":"failed"}` + "\n",
	} {
		var b bytes.Buffer
		if err := Write(&b, c, evs, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if b.String() != want {
			t.Errorf("%s:\n%s\nwant\n%s", format, b.String(), want)
		}
		// blackstart knows what it wrote (an output may replace it) …
		if !Wrote(b.Bytes()) {
			t.Errorf("%s: Wrote does not know Write's output", format)
		}
	}
	// … and nothing else: a user's notes, events of another shape.
	for _, other := range []string{"", "my notes\n", "time,instance,node,state\n", `{"time":"2019-06-04T09:30:00Z"}`, "t_s,instance,node,state,extra\n"} {
		if Wrote([]byte(other)) {
			t.Errorf("Wrote(%q) = true, want false", other)
		}
	}
}

// repeatReader yields head, then line n times, without holding them.
type repeatReader struct {
	head, line string
	n          int
	buf        []byte
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		switch {
		case r.head != "":
			r.buf, r.head = []byte(r.head), ""
		case r.n > 0:
			k := min(r.n, 4096)
			r.buf, r.n = []byte(strings.Repeat(r.line, k)), r.n-k
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// TestEventsCountLimit: a file of exactly MaxEvents (5,000,000) tiny
// events is read, one more is refused at its line, and Write refuses to
// write more than a file may hold. 20,000,000 events of 15 bytes (the
// limit before) ran out of a 2 GiB address space at 7,000,000: the slice
// of events grows by copying.
func TestEventsCountLimit(t *testing.T) {
	if MaxEvents != 5_000_000 {
		t.Fatalf("MaxEvents = %d, want 5,000,000 (docs/limits.md)", MaxEvents)
	}
	c := smallDC(t)
	const line = "0,etcd#0,int-01,up\n"
	_, err := Read("ev.csv", &repeatReader{head: "t_s,instance,node,state\n", line: line, n: MaxEvents + 1}, c)
	want := fmt.Sprintf("ev.csv:%d:1: more than %d events: split the file (reading stopped here)", MaxEvents+2, MaxEvents)
	if err == nil || err.Error() != want {
		t.Fatalf("%d events: got %v, want %q", MaxEvents+1, err, want)
	}
	evs, err := Read("ev.csv", &repeatReader{head: "t_s,instance,node,state\n", line: line, n: MaxEvents}, c)
	if err != nil || len(evs) != MaxEvents {
		t.Fatalf("exactly %d events: %d read, %v", MaxEvents, len(evs), err)
	}
	evs = append(evs, evs[0])
	var b bytes.Buffer
	if err := Write(&b, c, evs, FormatCSV); err == nil || err.Error() != "5000001 events, more than the 5000000 an events file may hold" || b.Len() != 0 {
		t.Errorf("writing %d events: %v (%d bytes written)", len(evs), err, b.Len())
	}
}

// TestWriteEventsBuffered: Write gives the same bytes into a
// bytes.Buffer (written straight into it) as into any other writer
// (through its pooled buffer), for more than one buffer's worth, and the
// first two events' bytes are the start of them.
func TestWriteEventsBuffered(t *testing.T) {
	c := smallDC(t)
	var evs []placement.Event
	for k := range 3000 { // more than one 64 KiB buffer
		evs = append(evs, placement.Event{TS: float64(k) / 7, Instance: int32(k % len(c.Instances)), Node: int32(k % len(c.M.Devices)), State: placement.State(k % 3)})
	}
	evs = append(evs, placement.Event{TS: 1e4, Instance: 1, Node: -1, State: placement.Failed})
	for _, format := range []string{FormatJSONL, FormatCSV} {
		var direct bytes.Buffer
		var other strings.Builder
		if err := Write(&direct, c, evs, format); err != nil {
			t.Fatal(err)
		}
		if err := Write(&other, c, evs, format); err != nil {
			t.Fatal(err)
		}
		if direct.String() != other.String() || direct.Len() < 64<<10 {
			t.Fatalf("%s: %d bytes into a bytes.Buffer, %d into a strings.Builder; want the same, over 64 KiB", format, direct.Len(), other.Len())
		}
		var small bytes.Buffer
		Write(&small, c, evs[:2], format)
		if !strings.HasPrefix(direct.String(), small.String()) {
			t.Fatalf("%s: two events %q, not the start of the %d", format, small.String(), len(evs))
		}
	}
}

// TestLineLimitChunks: lineLimit passes the same bytes, counts the same
// lines and stops at the same byte whatever the reads' sizes, as a byte
// at a time (what it scanned before it looked for line breaks).
func TestLineLimitChunks(t *testing.T) {
	long := strings.Repeat("x", MaxLineBytes)
	for _, in := range []string{
		"", "\n", "a\nbc\n\nd", long, long + "\n" + long, long + "y", "ab\n" + long + "yz\n",
		strings.Repeat("q", MaxLineBytes-3) + "\n" + long[:10] + "\n" + long + "\nend",
	} {
		// The reference: a byte at a time.
		ref := &lineLimit{r: iotest.OneByteReader(strings.NewReader(in))}
		want, wantErr := io.ReadAll(ref)
		for _, r := range []io.Reader{strings.NewReader(in), iotest.HalfReader(strings.NewReader(in)), iotest.DataErrReader(strings.NewReader(in))} {
			ll := &lineLimit{r: r}
			got, err := io.ReadAll(ll)
			if string(got) != string(want) || fmt.Sprint(err) != fmt.Sprint(wantErr) || ll.line != ref.line || (err == nil && ll.n != ref.n) {
				t.Fatalf("input of %d bytes: %d bytes, %v, line %d, n %d; a byte at a time %d bytes, %v, line %d, n %d",
					len(in), len(got), err, ll.line, ll.n, len(want), wantErr, ref.line, ref.n)
			}
		}
	}
}

// TestWriteInstanceNames: Write spells each instance's name as c.Name
// does, JSON-escaped, without a table of names: every instance of a
// cluster whose service ids need escaping, and a round trip through Read.
func TestWriteInstanceNames(t *testing.T) {
	c := smallDC(t)
	c.M.Services[0].ID = `we"b\1`
	for i := range c.Instances {
		got := string(appendInstanceName([]byte("x"), c, int32(i)))
		if want := "x" + string(appendJSONString(nil, c.Name(i))); got != want {
			t.Fatalf("instance %d: %s, want %s", i, got, want)
		}
	}
	evs := []placement.Event{{TS: 1, Instance: 0, Node: 0, State: placement.Scheduled}}
	var b bytes.Buffer
	if err := Write(&b, c, evs, FormatJSONL); err != nil {
		t.Fatal(err)
	}
	if want := `{"t_s":1,"instance":"we\"b\\1#0","node":"` + c.M.Devices[0].ID + `","state":"scheduled"}` + "\n"; b.String() != want {
		t.Fatalf("got %s want %s", b.String(), want)
	}
	if got, err := Read("names.jsonl", &b, c); err != nil || len(got) != 1 || got[0].Instance != 0 {
		t.Fatalf("read back: %v %v", got, err)
	}
}

// TestReadHeld: Options.Held counts the events taken before a batch
// against MaxEvents, so that an incident's batches together still read
// back as one file: with MaxEvents − 3 held, a batch of 3 is read whole;
// with MaxEvents − 2 held, its third event is refused at its line,
// naming what was held. Before, every batch was read alone against
// MaxEvents: an incident took 7.8 million events in 7 batches, which its
// stored events and GET …/events then could not give back.
func TestReadHeld(t *testing.T) {
	c := smallDC(t)
	batch := "t_s,instance,node,state\n0,etcd#0,int-01,up\n0,etcd#0,int-01,up\n0,etcd#0,int-01,up\n"
	if evs, err := ReadWith("batch", strings.NewReader(batch), c, Options{Held: MaxEvents - 3}); err != nil || len(evs) != 3 {
		t.Errorf("3 events with %d held: %d read, %v; want all 3", MaxEvents-3, len(evs), err)
	}
	_, err := ReadWith("batch", strings.NewReader(batch), c, Options{Held: MaxEvents - 2})
	want := fmt.Sprintf("batch:4:1: more than %d events with the %d taken before: all of them would not read back as one events file (reading stopped here)", MaxEvents, MaxEvents-2)
	if err == nil || err.Error() != want {
		t.Errorf("3 events with %d held: %v, want %q", MaxEvents-2, err, want)
	}
}

// BenchmarkBatch is the service's work on one batch of 1,000 events of
// the incident-scale platform (JSON Lines, about 80 kB): read and checked
// with the cluster's index from the body in memory, then written again
// in the canonical form into a buffer of about its size.
func BenchmarkBatch(b *testing.B) {
	c, x, body := platformBatch(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		evs, err := ReadWith("batch", bytes.NewReader(body), c, Options{AllowEmpty: true, Index: x})
		if err != nil || len(evs) != 1000 {
			b.Fatalf("%d events, %v", len(evs), err)
		}
		var canon bytes.Buffer
		canon.Grow(len(body) + len(body)/8)
		if err := Write(&canon, c, evs, FormatJSONL); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCanonicalMS: canonicalMS takes exactly the numbers Write writes of
// a time to the millisecond, with their value: every ms up to 300 s,
// random ones up to MaxTimeS and beyond, the powers of ten and their
// neighbours; and refuses the other spellings of the same values.
func TestCanonicalMS(t *testing.T) {
	var ms []int64
	for m := range int64(300_000) {
		ms = append(ms, m)
	}
	for p := int64(1); p <= 1e11; p *= 10 {
		ms = append(ms, p-1, p, p+1)
	}
	x := uint64(1)
	for range 2_000_000 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		ms = append(ms, int64(x%1e11))
	}
	for _, m := range ms {
		tm := float64(m) / 1000
		text := strconv.AppendFloat(nil, roundMS(tm), 'f', -1, 64)
		n, got := canonicalMS(append(text, ','))
		if m < 1e11 && (n != len(text) || got != m) {
			t.Fatalf("%d ms: Write writes %s; canonicalMS read %d bytes, %d ms", m, text, n, got)
		}
		if roundMS(tm) != tm {
			t.Fatalf("%d ms: %v is not its own roundMS", m, tm)
		}
		// What canonicalMS reads, Write writes again (the claim both ways,
		// on the text it took).
		if n > 0 {
			v, err := strconv.ParseFloat(string(text[:n]), 64)
			if err != nil || v != float64(got)/1000 || string(strconv.AppendFloat(nil, roundMS(v), 'f', -1, 64)) != string(text[:n]) {
				t.Fatalf("%s: read as %v (%v), written again as %s", text[:n], v, err, strconv.AppendFloat(nil, roundMS(v), 'f', -1, 64))
			}
		}
	}
	for _, s := range []string{"", "-1", "+1", "01", "00", "1.", "1.0", "1.50", "1.2345", "0.000", "1e3", "1E3", "1.5e0", ".5", "123456789", "1.2.3"} {
		if n, _ := canonicalMS([]byte(s + ",")); n != 0 && n == len(s) {
			t.Errorf("canonicalMS takes %q", s)
		}
	}
}

// TestReadVerbatim: Options.Verbatim is true for what Write writes (the
// service then stores the body as posted) and false for every other
// spelling of the same events, which are written again; in each case the
// events are the same. FuzzReadEvents checks that a verbatim input is
// Write's output byte for byte.
func TestReadVerbatim(t *testing.T) {
	c := smallDC(t)
	web1, app1 := instanceIndex(t, c, "web#1"), deviceIndex(t, c, "app-01")
	evs := []placement.Event{
		{TS: 0, Instance: instanceIndex(t, c, "etcd#2"), Node: deviceIndex(t, c, "int-01"), State: placement.Scheduled},
		{TS: 1.5, Instance: web1, Node: app1, State: placement.Started},
		{TS: 1.5, Instance: web1, Node: -1, State: placement.Failed},
		{TS: 12.345, Instance: web1, Node: app1, State: placement.Up},
	}
	var b bytes.Buffer
	if err := Write(&b, c, evs, FormatJSONL); err != nil {
		t.Fatal(err)
	}
	canon := b.String()
	read := func(in string) ([]placement.Event, bool) {
		t.Helper()
		verbatim := true
		got, err := ReadWith("batch", strings.NewReader(in), c, Options{AllowEmpty: true, Verbatim: &verbatim})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		return got, verbatim
	}
	if got, v := read(canon); !v || !reflect.DeepEqual(got, evs) {
		t.Fatalf("Write's own output: verbatim %v, events %+v", v, got)
	}
	if _, v := read(""); !v {
		t.Fatalf("no input: not verbatim, and Write writes nothing of no events")
	}
	line2 := `{"t_s":1.5,"instance":"web#1","node":"app-01","state":"started"}`
	for _, in := range []string{
		strings.TrimSuffix(canon, "\n"),         // no last line break
		canon + "\n",                            // a blank line
		"\n" + canon,                            // a blank line first
		"\xef\xbb\xbf" + canon,                  // a byte order mark
		strings.ReplaceAll(canon, "\n", "\r\n"), // CRLF
		strings.Replace(canon, `"t_s":1.5,`, `"t_s":1.50,`, 1),         // a trailing zero
		strings.Replace(canon, `"t_s":1.5,`, `"t_s":15e-1,`, 1),        // an exponent
		strings.Replace(canon, `"t_s":0,`, `"t_s":0.0,`, 1),            // 0.0
		strings.Replace(canon, `"web#1","node"`, `"web#01","node"`, 1), // a leading zero
		strings.Replace(canon, `"web#1","node"`, `"w\u0065b#1","node"`, 1),
		strings.Replace(canon, `"app-01"`, `"app\u002d01"`, 1),
		strings.Replace(canon, line2, `{"t_s":1.5, "instance":"web#1","node":"app-01","state":"started"}`, 1),
		strings.Replace(canon, line2, `{"instance":"web#1","t_s":1.5,"node":"app-01","state":"started"}`, 1),
		strings.Replace(canon, line2, `{"t_s":1.5,"service":"web","index":1,"node":"app-01","state":"started"}`, 1),
		strings.Replace(canon, `"state":"failed"`, `"node":null,"state":"failed"`, 1),
		strings.Replace(canon, `,"state":"failed"`, `,"node":"","state":"failed"`, 1),
		strings.Replace(canon, `"t_s":0,`, `"t_s":0,"time":null,`, 1),
		strings.Replace(canon, line2+"\n", line2+" \n", 1),
	} {
		got, v := read(in)
		if v || !reflect.DeepEqual(got, evs) {
			t.Errorf("%q: verbatim %v, events %+v; want not verbatim, the same events", in, v, got)
		}
	}
	// RFC 3339 times and CSV are never verbatim.
	if _, v := read(`{"time":"2019-06-04T09:30:00Z","instance":"web#1","node":"app-01","state":"up"}` + "\n"); v {
		t.Errorf("RFC 3339 times taken as verbatim")
	}
	var csv bytes.Buffer
	Write(&csv, c, evs, FormatCSV)
	if _, v := read(csv.String()); v {
		t.Errorf("CSV taken as verbatim")
	}
	// A refused input is not verbatim.
	verbatim := true
	if _, err := ReadWith("batch", strings.NewReader(canon+canon), c, Options{Verbatim: &verbatim}); err == nil || verbatim {
		t.Errorf("out-of-order input: %v, verbatim %v", err, verbatim)
	}
}

// TestReadQuotesPreviousTime: a line's time out of order is refused
// quoting the previous event's time as written, also when the previous
// line's memory in the read buffer has been taken by the lines after it
// (the lines are read without a copy: the time kept for the message must
// be one).
func TestReadQuotesPreviousTime(t *testing.T) {
	c := smallDC(t)
	base := time.Date(2019, 6, 4, 9, 30, 0, 0, time.UTC)
	line := func(k int) string {
		return fmt.Sprintf(`{"time":%q,"instance":"web#1","node":"app-01","state":"up"}`+"\n", base.Add(time.Duration(k)*time.Millisecond).Format(time.RFC3339Nano))
	}
	for shift := range 40 { // the previous line at the end of the first 64 KiB, or across it
		var b strings.Builder
		b.WriteString(strings.Repeat(" ", shift) + "\n")
		k := 1000
		for b.Len() < 64<<10-60 {
			b.WriteString(line(k))
			k++
		}
		prev := base.Add(time.Duration(k-1) * time.Millisecond).Format(time.RFC3339Nano)
		b.WriteString(line(0)) // before the previous
		for range 2000 {       // and more, to fill the buffer again
			b.WriteString(line(k))
			k++
		}
		_, err := ReadWith("batch", strings.NewReader(b.String()), c, Options{})
		want := fmt.Sprintf("is before the previous event's %q: events must be in time order", prev)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("shift %d: %v; want it to quote %s", shift, err, prev)
		}
	}
}

// platformBatch is the incident-scale platform's cluster, its index, and
// a batch of 1,000 of its synthetic events in Write's JSON Lines form
// (about 80 kB), as the service's load clients post it.
func platformBatch(b *testing.B) (*placement.Cluster, *Index, []byte) {
	b.Helper()
	m, err := topology.Load("../../examples/platform-2019.toml")
	if err != nil {
		b.Fatal(err)
	}
	c := placement.NewCluster(m)
	var buf bytes.Buffer
	if err := Write(&buf, c, syntheticEvents(c, 1000), FormatJSONL); err != nil {
		b.Fatal(err)
	}
	return c, NewIndex(c), buf.Bytes()
}

// BenchmarkBatchServed is the service's work on the batch of
// BenchmarkBatch as it does it now: read with Options.Verbatim, written
// again only when the body is not Write's form already (it is here, as
// the load clients post it).
func BenchmarkBatchServed(b *testing.B) {
	c, x, body := platformBatch(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		verbatim := false
		evs, err := ReadWith("batch", bytes.NewReader(body), c, Options{AllowEmpty: true, Index: x, Verbatim: &verbatim})
		if err != nil || len(evs) != 1000 || !verbatim {
			b.Fatalf("%d events, verbatim %v, %v", len(evs), verbatim, err)
		}
	}
}
