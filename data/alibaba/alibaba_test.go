package alibaba

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"blackstart/topology"
)

// alibabaDir is the published trace, outside the repository: the project's
// ../shared/data (see SOURCES.md there), seen from this package's directory.
const alibabaDir = "../../../shared/data/alibaba-openb-2023"

// importTrace imports the published trace with o, failing the test when
// the data is not where SOURCES.md says it is.
func importTrace(tb testing.TB, o Options) *topology.Model {
	tb.Helper()
	for _, f := range []string{NodeFile, PodFile} {
		if _, err := os.Stat(filepath.Join(alibabaDir, f)); err != nil {
			tb.Fatalf("the Alibaba openb trace is missing: %v\n"+
				"it is read at test time from ../shared/data/alibaba-openb-2023 beside the repository "+
				"(files of alibaba/clusterdata cluster-trace-gpu-v2023/csv, see ../shared/data/SOURCES.md)", err)
		}
	}
	m, err := Import(alibabaDir, o)
	if err != nil {
		tb.Fatalf("Import(%s):\n%v", alibabaDir, err)
	}
	return m
}

// checkImportInvariants checks an imported model against CheckInvariants,
// the invariants of a loaded model. An import has no power elements and
// its devices no feeds, where a loaded model has len(Feeds) == PSUs; so
// this checks that, then runs CheckInvariants on a view of the model whose
// PSUs all plug into one stub circuit (in a copy: the model is unchanged).
func checkImportInvariants(m *topology.Model) error {
	if len(m.Elements) != 0 {
		return fmt.Errorf("imported model has %d power elements, want none", len(m.Elements))
	}
	for _, d := range m.Devices {
		if len(d.Feeds) != 0 {
			return fmt.Errorf("device %q has feeds %v, want none", d.ID, d.Feeds)
		}
	}
	for _, dm := range m.DeviceModels {
		if dm.PSUs != 1 || dm.PSUsRequired != 1 {
			return fmt.Errorf("device model %q: %d of %d PSUs required, want 1 of 1", dm.ID, dm.PSUsRequired, dm.PSUs)
		}
	}
	v := *m
	v.Elements = []topology.Element{
		{ID: "stub-source", Kind: topology.KindSource, VoltageV: 230, Phases: 1, PowerFactor: 1, Rack: -1},
		{ID: "stub-circuit", Kind: topology.KindCircuit, Inputs: []int32{0}, VoltageV: 230, Phases: 1, PowerFactor: 1, Rack: -1},
	}
	v.Devices = slices.Clone(m.Devices)
	for i := range v.Devices {
		v.Devices[i].Feeds = []int32{1}
	}
	// One namespace: indexing the copy anew finds no id twice (the stubs
	// included), and every id of the import resolves to its own entry.
	if dup := v.IndexIDs(); dup != nil {
		return fmt.Errorf("ids given twice: %q", dup)
	}
	if err := v.CheckInvariants(); err != nil {
		return err
	}
	for i, r := range m.Racks {
		if got, ok := m.RackIndex(r.ID); !ok || got != i {
			return fmt.Errorf("RackIndex(%q) = %d, %v; want %d", r.ID, got, ok, i)
		}
	}
	for i, d := range m.Devices {
		if got, ok := m.DeviceIndex(d.ID); !ok || got != i {
			return fmt.Errorf("DeviceIndex(%q) = %d, %v; want %d", d.ID, got, ok, i)
		}
	}
	for i, s := range m.Services {
		if got, ok := m.ServiceIndex(s.ID); !ok || got != i {
			return fmt.Errorf("ServiceIndex(%q) = %d, %v; want %d", s.ID, got, ok, i)
		}
	}
	return nil
}

// TestImportAlibabaTrace imports the published trace and checks the
// figures of SOURCES.md exactly.
func TestImportAlibabaTrace(t *testing.T) {
	m := importTrace(t, Options{})
	if err := checkImportInvariants(m); err != nil {
		t.Fatalf("invariant broken: %v", err)
	}

	// Nodes: 1,523 with 125,514 cores, 584 TiB RAM, 6,212 GPUs.
	var milli, mib int64
	gpus := 0
	nodesOf, gpusOf := map[string]int{}, map[string]int{}
	for _, d := range m.Devices {
		milli += int64(math.Round(d.CPUCores * 1000))
		mib += int64(math.Round(d.RAMGiB * 1024))
		gpus += d.GPUs
		nodesOf[d.GPUType]++
		gpusOf[d.GPUType] += d.GPUs
	}
	if got, want := len(m.Devices), 1523; got != want {
		t.Errorf("nodes: got %d, want %d", got, want)
	}
	if milli != 125_514_000 {
		t.Errorf("node CPU: got %d millicores, want 125,514,000 (125,514 cores)", milli)
	}
	// 612,028,416 MiB = 583.68 TiB, quoted as 584 TiB.
	if mib != 612_028_416 || math.Round(float64(mib)/(1<<20)) != 584 {
		t.Errorf("node RAM: got %d MiB (%.2f TiB), want 612,028,416 MiB (584 TiB)", mib, float64(mib)/(1<<20))
	}
	if gpus != 6212 {
		t.Errorf("node GPUs: got %d, want 6,212", gpus)
	}
	// Nodes and GPUs per GPU type ("" is the CPU-only nodes).
	wantNodes := map[string]int{"": 310, "A10": 2, "G2": 549, "G3": 39, "P100": 134, "T4": 404, "V100M16": 55, "V100M32": 30}
	wantGPUs := map[string]int{"": 0, "A10": 2, "G2": 4392, "G3": 312, "P100": 265, "T4": 842, "V100M16": 195, "V100M32": 204}
	if !reflect.DeepEqual(nodesOf, wantNodes) {
		t.Errorf("nodes per GPU type:\n got %v\nwant %v", nodesOf, wantNodes)
	}
	if !reflect.DeepEqual(gpusOf, wantGPUs) {
		t.Errorf("GPUs per GPU type:\n got %v\nwant %v", gpusOf, wantGPUs)
	}
	if got, want := len(m.DeviceModels), 27; got != want {
		t.Errorf("device models (node shapes): got %d, want %d", got, want)
	}
	if got, want := len(m.Racks), 39; got != want { // 38 of 40 nodes and one of 3
		t.Errorf("synthetic racks: got %d, want %d", got, want)
	}
	if d := m.Devices[1520]; d.ID != "openb-node-1520" || d.CPUCores != 104 || d.RAMGiB != 512 || d.GPUs != 2 || d.GPUType != "T4" ||
		m.Racks[d.Rack].ID != "alibaba-rack-039" || m.DeviceModels[d.Model].ID != "alibaba-104c-512gib-2xT4" || d.Pos.Line != 1522 {
		t.Errorf("node 1520: got %+v in rack %q, model %q", d, m.Racks[d.Rack].ID, m.DeviceModels[d.Model].ID)
	}

	// Running pods: 5,193 requesting 62,505 cores, 213 TiB RAM, 4,186 GPUs.
	// The 4,186 GPUs are the sum of num_gpu, GPUs held whole or in part;
	// the GPU-equivalents the shares add up to, num_gpu × gpu_milli / 1000,
	// are 3,373.3.
	milli, mib = 0, 0
	gpus = 0
	var gpuMilli int64
	shared := 0
	for _, s := range m.Services {
		milli += int64(math.Round(s.CPUCores * 1000))
		mib += int64(math.Round(s.RAMGiB * 1024))
		gpus += s.GPUs
		gpuMilli += int64(s.GPUs * s.GPUMilli)
		if s.GPUMilli < 1000 {
			shared++
		}
		if s.Kind != "pod" || s.Instances != 1 || s.ReadyQuorum != 1 || s.Tier != 0 || s.Spread != topology.DomainNode ||
			s.Start != (topology.Dist{Kind: "lognormal", MedianS: 20, P90S: 60}) || s.GPUMilli < 1 || s.GPUMilli > 1000 || len(s.GPUTypes) != 0 {
			t.Fatalf("pod %q: got %+v", s.ID, s)
		}
	}
	if got, want := len(m.Services), 5193; got != want {
		t.Errorf("running pods: got %d, want %d", got, want)
	}
	if milli != 62_505_268 || math.Round(float64(milli)/1000) != 62_505 {
		t.Errorf("pod CPU: got %d millicores, want 62,505,268 (62,505 cores)", milli)
	}
	// 223,645,152 MiB = 213.29 TiB, quoted as 213 TiB.
	if mib != 223_645_152 || math.Round(float64(mib)/(1<<20)) != 213 {
		t.Errorf("pod RAM: got %d MiB (%.2f TiB), want 223,645,152 MiB (213 TiB)", mib, float64(mib)/(1<<20))
	}
	if gpus != 4186 {
		t.Errorf("pod GPUs (sum of num_gpu): got %d, want 4,186", gpus)
	}
	if gpuMilli != 3_373_300 {
		t.Errorf("pod GPU shares (sum of num_gpu × gpu_milli): got %d, want 3,373,300 (3,373.3 GPUs)", gpuMilli)
	}
	if shared != 1412 {
		t.Errorf("pods sharing a GPU (gpu_milli < 1000): got %d, want 1,412", shared)
	}
	if s := m.Services[1]; s.ID != "openb-pod-0001" || s.CPUCores != 6 || s.RAMGiB != 12 || s.GPUs != 1 || s.GPUMilli != 460 ||
		s.Pos != (topology.Pos{File: filepath.Join(alibabaDir, PodFile), Line: 3, Col: 1}) {
		t.Errorf("pod 1: got %+v", s)
	}
	if m.Site != (topology.Site{Name: "alibaba-openb-2023", ContinuousLimit: 0.8, PowerFactor: 1, FrequencyHz: 50}) {
		t.Errorf("site: got %+v", m.Site)
	}
	wantFiles := []string{filepath.Join(alibabaDir, NodeFile), filepath.Join(alibabaDir, PodFile)}
	if !reflect.DeepEqual(m.Files, wantFiles) {
		t.Errorf("files: got %q, want %q", m.Files, wantFiles)
	}
}

// TestImportAlibabaPhases selects other pod phases of the trace.
func TestImportAlibabaPhases(t *testing.T) {
	for _, c := range []struct {
		name   string
		phases []string
		want   int
	}{
		{"nil", nil, 5193},
		{"empty", []string{}, 5193},
		{"Running", []string{"Running"}, 5193},
		{"Pending", []string{"Pending"}, 897},
		{"Succeeded+Failed", []string{"Succeeded", "Failed"}, 192 + 1870},
		{"all", []string{"Running", "Pending", "Succeeded", "Failed"}, 8152},
		{"Unknown", []string{"Unknown"}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := importTrace(t, Options{Phases: c.phases})
			if len(m.Services) != c.want {
				t.Errorf("got %d pods, want %d", len(m.Services), c.want)
			}
			if err := checkImportInvariants(m); err != nil {
				t.Errorf("invariant broken: %v", err)
			}
		})
	}
}

// writeTrace writes a node and a pod file into a new directory; a file
// whose content is "-" is not written.
func writeTrace(t testing.TB, nodes, pods string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{NodeFile: nodes, PodFile: pods} {
		if data == "-" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	nodeHeader = "sn,cpu_milli,memory_mib,gpu,model\n"
	podHeader  = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n"
)

// TestImportAlibabaSmall checks every field of a small import.
func TestImportAlibabaSmall(t *testing.T) {
	dir := writeTrace(t,
		"\ufeff"+nodeHeader+ // a byte-order mark is allowed
			"n0,32000,262144,0,\n"+
			"n1,96500,393216,8,G2\n"+
			"n2,96500,393216,8,G2\n"+
			"n3,16000,122880,2,P100\n",
		podHeader+
			"p0,12000,16384,1,460,,LS,Running,0,12537496,0\n"+
			"p1,500,1536,0,0,,BE,Running,5,,\n"+
			"p2,8000,65536,4,1000,G2|P100,LS,Running,7,9,8\n"+
			"p3,1000,1024,1,1000,P100,Burstable,Pending,1,2,\n"+
			"p4,1000,1024,1,1000,G2,Guaranteed,Running,1,2,1\n")
	m, err := Import(dir, Options{})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if err := checkImportInvariants(m); err != nil {
		t.Fatalf("invariant broken: %v", err)
	}
	nodes, pods := filepath.Join(dir, NodeFile), filepath.Join(dir, PodFile)
	wantModels := []topology.DeviceModel{
		{ID: "alibaba-32c-256gib", PSUs: 1, PSUsRequired: 1, RAMGiB: 256, CPUCores: 32, Pos: topology.Pos{File: nodes, Line: 2, Col: 1}},
		{ID: "alibaba-96.5c-384gib-8xG2", PSUs: 1, PSUsRequired: 1, RAMGiB: 384, CPUCores: 96.5, GPUs: 8, GPUType: "G2", Pos: topology.Pos{File: nodes, Line: 3, Col: 1}},
		{ID: "alibaba-16c-120gib-2xP100", PSUs: 1, PSUsRequired: 1, RAMGiB: 120, CPUCores: 16, GPUs: 2, GPUType: "P100", Pos: topology.Pos{File: nodes, Line: 5, Col: 1}},
	}
	if !reflect.DeepEqual(m.DeviceModels, wantModels) {
		t.Errorf("device models:\n got %+v\nwant %+v", m.DeviceModels, wantModels)
	}
	wantDevices := []topology.Device{
		{ID: "n0", Rack: 0, Model: 0, RAMGiB: 256, CPUCores: 32, Pos: topology.Pos{File: nodes, Line: 2, Col: 1}},
		{ID: "n1", Rack: 0, Model: 1, RAMGiB: 384, CPUCores: 96.5, GPUs: 8, GPUType: "G2", Pos: topology.Pos{File: nodes, Line: 3, Col: 1}},
		{ID: "n2", Rack: 0, Model: 1, RAMGiB: 384, CPUCores: 96.5, GPUs: 8, GPUType: "G2", Pos: topology.Pos{File: nodes, Line: 4, Col: 1}},
		{ID: "n3", Rack: 0, Model: 2, RAMGiB: 120, CPUCores: 16, GPUs: 2, GPUType: "P100", Pos: topology.Pos{File: nodes, Line: 5, Col: 1}},
	}
	if !reflect.DeepEqual(m.Devices, wantDevices) {
		t.Errorf("devices:\n got %+v\nwant %+v", m.Devices, wantDevices)
	}
	if want := []topology.Rack{{ID: "alibaba-rack-001", Pos: topology.Pos{File: nodes, Line: 2, Col: 1}}}; !reflect.DeepEqual(m.Racks, want) {
		t.Errorf("racks: got %+v, want %+v", m.Racks, want)
	}
	start := topology.Dist{Kind: "lognormal", MedianS: 20, P90S: 60}
	pod := func(id string, cpu, ram float64, gpus, milli int, types []string, line int) topology.Service {
		return topology.Service{ID: id, Kind: "pod", Instances: 1, ReadyQuorum: 1, RAMGiB: ram, CPUCores: cpu, GPUs: gpus, GPUMilli: milli,
			GPUTypes: types, Spread: topology.DomainNode, Start: start, Pos: topology.Pos{File: pods, Line: line, Col: 1}}
	}
	wantServices := []topology.Service{
		pod("p0", 12, 16, 1, 460, nil, 2),
		pod("p1", 0.5, 1.5, 0, 1000, nil, 3),
		pod("p2", 8, 64, 4, 1000, []string{"G2", "P100"}, 4),
		pod("p4", 1, 1, 1, 1000, []string{"G2"}, 6), // p3 is Pending
	}
	if !reflect.DeepEqual(m.Services, wantServices) {
		t.Errorf("services:\n got %+v\nwant %+v", m.Services, wantServices)
	}
	if i, ok := m.DeviceIndex("n2"); !ok || i != 2 {
		t.Errorf("DeviceIndex(n2) = %d, %v; want 2, true", i, ok)
	}
	if i, ok := m.ServiceIndex("p4"); !ok || i != 3 {
		t.Errorf("ServiceIndex(p4) = %d, %v; want 3, true", i, ok)
	}
	if _, ok := m.ServiceIndex("p3"); ok {
		t.Errorf("ServiceIndex(p3) found the Pending pod, want it left out")
	}
}

// TestImportAlibabaRacks checks the synthetic racks: RackSize nodes
// each, in file order.
func TestImportAlibabaRacks(t *testing.T) {
	var b strings.Builder
	b.WriteString(nodeHeader)
	for i := range 2*RackSize + 1 {
		fmt.Fprintf(&b, "n%d,1000,1024,0,\n", i)
	}
	m, err := Import(writeTrace(t, b.String(), podHeader), Options{})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if err := checkImportInvariants(m); err != nil {
		t.Fatalf("invariant broken: %v", err)
	}
	var ids []string
	for _, r := range m.Racks {
		ids = append(ids, r.ID)
	}
	if want := []string{"alibaba-rack-001", "alibaba-rack-002", "alibaba-rack-003"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("racks: got %q, want %q", ids, want)
	}
	for i, d := range m.Devices {
		if want := int32(i / RackSize); d.Rack != want {
			t.Errorf("node %s in rack %d, want %d", d.ID, d.Rack, want)
		}
	}
	if got := m.Racks[2].Pos.Line; got != 2*RackSize+2 {
		t.Errorf("rack 3 at line %d, want %d (its first node)", got, 2*RackSize+2)
	}
}

// TestImportAlibabaErrors imports malformed traces and compares the whole
// error text, with the directory left out of the file names.
func TestImportAlibabaErrors(t *testing.T) {
	const (
		nf = NodeFile
		pf = PodFile
	)
	okNodes := nodeHeader + "n0,32000,262144,0,\n" + "n1,96000,393216,8,G2\n"
	okPods := podHeader + "p0,1000,1024,0,0,,LS,Running,0,,0\n"
	cases := []struct {
		name       string
		nodes      string // "-": no file
		pods       string
		phases     []string
		want       []string
		unreadable bool // the directory does not exist
	}{
		{
			name: "missing files", nodes: "-", pods: "-",
			want: []string{
				nf + ": cannot read the trace: no such file or directory",
				pf + ": cannot read the trace: no such file or directory",
			},
		},
		{
			name: "missing directory", unreadable: true,
			want: []string{
				"nowhere/" + nf + ": cannot read the trace: no such file or directory",
				"nowhere/" + pf + ": cannot read the trace: no such file or directory",
			},
		},
		{
			name: "empty file", nodes: "", pods: okPods,
			want: []string{nf + ":1:1: the file is empty: want the header sn,cpu_milli,memory_mib,gpu,model"},
		},
		{
			name:  "wrong header names",
			nodes: "sn,cpu,memory_mib,gpus,model\nn0,32000,262144,0,\n",
			pods:  strings.Replace(okPods, "pod_phase", "phase", 1),
			want: []string{
				nf + `:1:4: column 2 of the header is "cpu", want "cpu_milli" (the header is sn,cpu_milli,memory_mib,gpu,model)`,
				nf + `:1:19: column 4 of the header is "gpus", want "gpu" (the header is sn,cpu_milli,memory_mib,gpu,model)`,
				pf + `:1:58: column 8 of the header is "phase", want "pod_phase" (the header is name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time)`,
			},
		},
		{
			name:  "header column count",
			nodes: "sn,cpu_milli,memory_mib,gpu\nn0,32000,262144,0\n", pods: okPods,
			want: []string{nf + ":1:1: the header has 4 columns, want 5: sn,cpu_milli,memory_mib,gpu,model"},
		},
		{
			name:  "record field count",
			nodes: okNodes + "n2,32000,262144\n" + "n3,32000,262144,0,,extra\n",
			pods:  okPods,
			want: []string{
				nf + ":4:1: the record has 3 fields, want 5: sn,cpu_milli,memory_mib,gpu,model",
				nf + ":5:1: the record has 6 fields, want 5: sn,cpu_milli,memory_mib,gpu,model",
			},
		},
		{
			name:  "bad numbers",
			nodes: okNodes + "n2,abc,-1024,1.5,T4\n" + "n3,2000000000000,1024,99999999999,\n",
			pods:  podHeader + "p0,,1024,0,0,,LS,Running,0,,0\n" + "p1,1000,1024,0,0,,LS,Running,-5,x,\n",
			want: []string{
				nf + `:4:4: node "n2": cpu_milli must be a non-negative integer, got "abc"`,
				nf + `:4:8: node "n2": memory_mib must not be negative, got -1024`,
				nf + `:4:14: node "n2": gpu must be a non-negative integer, got "1.5"`,
				nf + `:5:4: node "n3": cpu_milli = 2000000000000 is out of range (at most 1099511627776)`,
				nf + `:5:23: node "n3": gpu = 99999999999 is out of range (at most 2147483647)`,
				pf + `:2:4: pod "p0": cpu_milli must be a non-negative integer, got ""`,
				pf + `:3:30: pod "p1": creation_time must not be negative, got -5`,
				pf + `:3:33: pod "p1": deletion_time must be a non-negative integer, got "x"`,
			},
		},
		{
			name:  "gpu_milli",
			nodes: okNodes,
			pods: podHeader +
				"p0,1000,1024,1,1200,,LS,Running,0,,0\n" +
				"p1,1000,1024,1,0,,LS,Running,0,,0\n" +
				"p2,1000,1024,0,500,,LS,Running,0,,0\n" +
				"p3,1000,1024,2,500,,LS,Failed,0,,0\n" +
				"p4,1000,1024,1,-1,,LS,Running,0,,0\n",
			want: []string{
				pf + `:2:16: pod "p0": gpu_milli must be 0 to 1000 (thousandths of one GPU), got 1200`,
				pf + `:3:16: pod "p1": gpu_milli = 0 with num_gpu = 1: a pod with GPUs takes 1 to 1000 thousandths of each`,
				pf + `:4:16: pod "p2": gpu_milli = 500 with num_gpu = 0: a pod without GPUs takes no share of one`,
				pf + `:5:16: pod "p3": gpu_milli = 500 with num_gpu = 2: a share of a GPU (below 1000) applies to one GPU`,
				pf + `:6:16: pod "p4": gpu_milli must not be negative, got -1`,
			},
		},
		{
			name:  "ids",
			nodes: okNodes + "n0,1000,1024,0,\n" + ",1000,1024,0,\n" + "\"n 4\",1000,1024,0,\n",
			pods: okPods +
				"p0,1000,1024,0,0,,LS,Failed,0,,0\n" +
				"n1,1000,1024,0,0,,LS,Succeeded,0,,0\n" +
				"alibaba-rack-001,1000,1024,0,0,,LS,Running,0,,0\n" +
				"alibaba-32c-256gib,1000,1024,0,0,,LS,Pending,0,,0\n",
			want: []string{
				nf + `:4:1: duplicate sn "n0": already at line 2`,
				nf + `:5:1: sn is empty`,
				nf + `:6:1: sn "n 4" must not contain spaces or quotes`,
				pf + `:3:1: duplicate pod name "p0": already at line 2`,
				pf + `:4:1: pod name "n1" is already the sn of a node at ` + nf + `:3:1`,
				pf + `:5:1: pod name "alibaba-rack-001" is also the id of a synthetic rack`,
				pf + `:6:1: pod name "alibaba-32c-256gib" is also the id of a synthetic device model`,
			},
		},
		{
			name:  "gpu_spec",
			nodes: okNodes + "n2,8000,32768,0,T4\n",
			pods: podHeader +
				"p0,1000,1024,1,500,G2|T4|A100,LS,Running,0,,0\n" +
				"p1,1000,1024,1,500,A100,LS,Failed,0,,0\n" +
				"p2,1000,1024,1,500,G2|,LS,Running,0,,0\n",
			want: []string{
				pf + `:2:20: pod "p0": gpu_spec names GPU type "A100", which no node with GPUs has`,
				pf + `:2:20: pod "p0": gpu_spec names GPU type "T4", which no node with GPUs has`,
				pf + `:4:20: pod "p2": gpu_spec "G2|" names an empty GPU type`,
			},
		},
		{
			name:  "gpu_spec with unknown node types",
			nodes: okNodes + "n2,8000,32768,x,T4\n",
			pods:  podHeader + "p0,1000,1024,1,500,T4,LS,Running,0,,0\n",
			want:  []string{nf + `:4:15: node "n2": gpu must be a non-negative integer, got "x"`},
		},
		{
			name:  "node model",
			nodes: okNodes + "n2,8000,32768,1,T4|P100\n",
			pods:  okPods,
			want:  []string{nf + `:4:17: node "n2": model "T4|P100" must not contain spaces, quotes or "|"`},
		},
		{
			name:  "csv syntax",
			nodes: okNodes + "n2,8000,32\"768,1,T4\n" + "n3,8000,32768,1,T4\n" + "n3,1,1,0,\n",
			pods:  okPods,
			want: []string{
				nf + `:4:11: csv: bare " in non-quoted-field`,
				nf + `:6:1: duplicate sn "n3": already at line 5`,
			},
		},
		{
			name:  "no node",
			nodes: nodeHeader, pods: okPods, phases: []string{"running"},
			want: []string{
				`DIR: unknown pod phase "running": want Pending, Running, Succeeded, Failed or Unknown`,
				nf + ":1:1: the trace holds no node",
			},
		},
		{
			name:  "unknown phase",
			nodes: okNodes, pods: okPods, phases: []string{"Running", "running"},
			want: []string{`DIR: unknown pod phase "running": want Pending, Running, Succeeded, Failed or Unknown`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "nowhere")
			if !c.unreadable {
				dir = writeTrace(t, c.nodes, c.pods)
				root = dir
			}
			m, err := Import(dir, Options{Phases: c.phases})
			if m != nil {
				t.Errorf("Import returned a model and an error")
			}
			var list topology.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want ErrorList: %v", err, err)
			}
			for _, e := range list {
				if e.Pos.File == "" {
					t.Errorf("error without a file: %v", e)
				}
			}
			got := strings.ReplaceAll(err.Error(), root+string(filepath.Separator), "")
			got = strings.ReplaceAll(got, root+":", "DIR:")
			if want := strings.Join(c.want, "\n"); got != want {
				t.Errorf("errors:\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// FuzzImportAlibaba imports arbitrary node and pod files. It must never
// panic, every error must be an ErrorList, and an accepted trace must keep
// the model's invariants.
func FuzzImportAlibaba(f *testing.F) {
	f.Add([]byte(nodeHeader+"n0,32000,262144,0,\nn1,96000,393216,8,G2\n"), []byte(podHeader+"p0,1000,1024,1,500,G2,LS,Running,0,,0\n"))
	f.Add([]byte(nodeHeader+"n0,1,1,1,T4\n"), []byte(podHeader+"p0,1,1,2,1000,T4|,LS,Running,0,1,\"x\n"))
	f.Add([]byte("sn\n\"\n"), []byte(""))
	f.Fuzz(func(t *testing.T, nodes, pods []byte) {
		dir := writeTrace(t, string(nodes), string(pods))
		m, err := Import(dir, Options{Phases: []string{"Running", "Pending"}})
		if err != nil {
			if _, ok := err.(topology.ErrorList); !ok {
				t.Fatalf("error is %T, want ErrorList: %v", err, err)
			}
			if m != nil {
				t.Fatalf("returned a model and an error: %v", err)
			}
			return
		}
		if err := checkImportInvariants(m); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkImportAlibaba imports the published trace: 1,523 nodes and
// 8,152 pods, of which the 5,193 Running ones become services.
func BenchmarkImportAlibaba(b *testing.B) {
	m := importTrace(b, Options{})
	if len(m.Devices) != 1523 || len(m.Services) != 5193 {
		b.Fatalf("imported %d nodes and %d pods, want 1,523 and 5,193", len(m.Devices), len(m.Services))
	}
	var size int64
	for _, f := range m.Files {
		st, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		size += st.Size()
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Import(alibabaDir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestImportAlibabaBounds: a trace is bounded before and while it is
// read: 5,000,000 blank lines (5 MB) no longer presize 5,000,000 devices
// and services (880 MB asked for at once, out of a 2 GiB address space),
// a node file of /dev/zero is refused at 64 MiB, the problems stop at
// 100, and the pods at 500,000 records.
func TestImportAlibabaBounds(t *testing.T) {
	nodes := nodeHeader + "n0,32000,262144,0,\n"
	blank := strings.Repeat("\n", 5_000_000)
	dir := writeTrace(t, nodes+blank, podHeader+"p0,1000,1024,0,0,,LS,Running,0,,0\n"+blank)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := Import(dir, Options{})
	runtime.ReadMemStats(&after)
	if err != nil || len(m.Devices) != 1 || len(m.Services) != 1 {
		t.Fatalf("blank lines: %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 128<<20 {
		t.Errorf("blank lines: %d MB allocated, want at most 128 (the files are 10 MB)", n>>20)
	}

	dir = writeTrace(t, "-", podHeader)
	if err := os.Symlink("/dev/zero", filepath.Join(dir, NodeFile)); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, NodeFile) + ": the file is more than the limit of 67108864 bytes (64 MiB)"
	if _, err := Import(dir, Options{}); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("/dev/zero: %v, want %q", err, want)
	}

	dir = writeTrace(t, nodes+strings.Repeat("x\n", 1000), podHeader)
	_, err = Import(dir, Options{})
	var list topology.ErrorList
	// The records are lines 3 to 1,002: the 101st problem is at line 103,
	// and the stop is told there.
	if !errors.As(err, &list) || len(list) != MaxProblems+1 || !strings.Contains(err.Error(), filepath.Join(dir, NodeFile)+":103:1: more than 100 problems: stopped reading") {
		t.Errorf("1,000 bad records: %d problems: %v", len(list), err)
	}
	// Exactly 100 problems are all listed, and no more claimed (before,
	// "more than 100 problems" was told after the 100th); one more, in
	// the pod file, is told there.
	dir = writeTrace(t, nodes+strings.Repeat("x\n", 100), podHeader)
	_, err = Import(dir, Options{})
	if !errors.As(err, &list) || len(list) != MaxProblems || strings.Contains(err.Error(), "more than") {
		t.Errorf("100 bad records: %d problems: %v", len(list), err)
	}
	dir = writeTrace(t, nodes+strings.Repeat("x\n", 100), podHeader+"y\n")
	_, err = Import(dir, Options{})
	if !errors.As(err, &list) || len(list) != MaxProblems+1 || !strings.HasSuffix(err.Error(), filepath.Join(dir, PodFile)+":2:1: more than 100 problems: stopped reading") {
		t.Errorf("100 bad records and a bad pod: %d problems: %v", len(list), err)
	}

	var pods strings.Builder
	pods.WriteString(podHeader)
	for i := range MaxPods + 1 {
		fmt.Fprintf(&pods, "p%d,0,0,0,0,,,Pending,,,\n", i)
	}
	dir = writeTrace(t, nodes, pods.String())
	want = fmt.Sprintf("%s:%d:1: more than 500000 pods: stopped reading", filepath.Join(dir, PodFile), MaxPods+2)
	if _, err := Import(dir, Options{}); err == nil || err.Error() != want {
		t.Errorf("%d pods: %v, want %q", MaxPods+1, err, want)
	}
}
