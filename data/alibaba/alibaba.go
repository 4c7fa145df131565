package alibaba

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"blackstart/topology"
)

// File names of the trace inside the directory given to Import.
const (
	NodeFile = "openb_node_list_all_node.csv"
	PodFile  = "openb_pod_list_default.csv"
)

// RackSize is how many nodes, in file order, share one synthetic rack
// of an imported trace.
const RackSize = 40

// Columns of the two files, in the order the header must give them.
var (
	alibabaNodeHeader = []string{"sn", "cpu_milli", "memory_mib", "gpu", "model"}
	alibabaPodHeader  = []string{"name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "gpu_spec", "qos", "pod_phase", "creation_time", "deletion_time", "scheduled_time"}
)

// Column indices of the pod file.
const (
	podName = iota
	podCPU
	podMem
	podNumGPU
	podGPUMilli
	podGPUSpec
	podQoS
	podPhase
	podCreation
	podDeletion
	podScheduled
)

// podPhases are the Kubernetes pod phases Options.Phases may name.
var podPhases = []string{"Pending", "Running", "Succeeded", "Failed", "Unknown"}

// Bounds of a trace, documented in docs/limits.md (the published openb
// trace has 1,523 nodes and 8,152 pods in about 1 MB).
const (
	// MaxFileBytes bounds each file of the trace, bytes: a larger one (or
	// a device such as /dev/zero) is read no further.
	MaxFileBytes = 64 << 20
	// MaxNodes bounds the records of the node file (topology.MaxDevices).
	MaxNodes = topology.MaxDevices
	// MaxPods bounds the records of the pod file: each is an instance
	// (topology.MaxInstances).
	MaxPods = topology.MaxInstances
	// MaxProblems is how many problems the import lists before it stops
	// reading: each takes memory, and a file of a million bad records
	// would list a million.
	MaxProblems = 100
)

// Bounds of the numbers in the trace. A resource figure stays far below
// 2^53 so that cores and GiB are exact in a float64 and distinct node shapes
// get distinct ids; a count fits an int32.
const (
	maxAlibabaResource = 1 << 40 // millicores or MiB
	maxAlibabaCount    = 1<<31 - 1
)

// Options selects what Import imports.
type Options struct {
	// Phases lists the pod phases (pod_phase column) to import as
	// services, among Pending, Running, Succeeded, Failed and Unknown;
	// nil or empty means only "Running", the pods a restart brings back.
	Phases []string
}

// Import reads the openb trace of the Alibaba GPU cluster (the
// files NodeFile and PodFile in dir, as published in
// alibaba/clusterdata cluster-trace-gpu-v2023/csv) and returns it as a
// Model that keeps every invariant of a loaded model except those about
// power, which the trace does not describe:
//
//   - Every node is a Device with the id of its sn: CPUCores = cpu_milli /
//     1000, RAMGiB = memory_mib / 1024, GPUs = gpu, GPUType = model (empty
//     for a CPU-only node), no role, the default start concurrency.
//   - The trace has no racks: nodes are grouped in file order into
//     synthetic racks of RackSize, "alibaba-rack-001", … A rack's
//     Pos is its first node's record. Spreading over racks is therefore
//     spreading over arbitrary groups of nodes.
//   - Each distinct node shape (cores, memory, GPU count and type) is a
//     DeviceModel, id "alibaba-<cores>c-<GiB>gib" with "-<gpus>x<type>" for
//     a GPU node, one PSU of one required, positioned at the first node of
//     that shape. The trace has no power data: every draw figure is 0
//     (unlike a loaded model, where at least one is > 0), Elements is
//     empty and devices have no Feeds. Power analysis has nothing to
//     compute on such a model; placement must not require feeds.
//   - Every pod whose pod_phase is selected by o is a Service of one
//     instance (ReadyQuorum 1, Tier 0, no dependencies, Kind "pod", Spread
//     DomainNode) with the id of its name: CPUCores = cpu_milli / 1000,
//     RAMGiB = memory_mib / 1024, GPUs = num_gpu, GPUMilli = gpu_milli for
//     one GPU (a share of it, 1..1000) and 1000 otherwise (whole GPUs, or
//     none), GPUTypes = gpu_spec split on "|" (nil when empty). The trace
//     records no start durations: Start is lognormal with a median of 20 s
//     and a 90th percentile of 60 s, an assumption the caller may replace.
//     qos (free text) and the three times (each empty or a non-negative
//     integer, checked) are not imported.
//   - Services are in file order, Pos is the pod's record; Site is named
//     "alibaba-openb-2023" with the loader's defaults; Files holds the two
//     paths. Nodes, racks, device models and pods share one id namespace.
//
// On failure the error is an ErrorList of every problem, sorted, each at
// file:line:col of the record (the column of the offending field as
// encoding/csv counts it, else 1): a missing file, a wrong header, a record
// with the wrong number of fields, a number that is not a non-negative
// integer, gpu_milli outside 0..1000 or inconsistent with num_gpu (0 with
// GPUs, not 0 without, below 1000 with several), an id that is empty,
// holds spaces or quotes, is given twice or is also a synthetic rack or
// device-model id, a node model holding spaces, quotes or "|", a node
// file without nodes, a CSV syntax error, and, for a selected pod, a
// gpu_spec naming a GPU type that no node with GPUs has (an error rather
// than a warning: the pod could not be placed). Pods that are not selected
// are still checked, except for that last rule, which concerns only what
// is to be placed. A phase in o that is not a pod phase is reported with
// dir as its file.
func Import(dir string, o Options) (*topology.Model, error) {
	im := &alibabaImport{
		m: &topology.Model{
			Site: topology.Site{Name: "alibaba-openb-2023", ContinuousLimit: 0.8, PowerFactor: 1, FrequencyHz: 50},
		},
		gpuTypes: map[string]bool{},
		shapes:   map[alibabaShape]int32{},
		phases:   map[string]bool{},
	}
	phases := o.Phases
	if len(phases) == 0 {
		phases = []string{"Running"}
	}
	for _, p := range phases {
		if !slices.Contains(podPhases, p) {
			im.errs = append(im.errs, &topology.Error{Pos: topology.Pos{File: dir}, Msg: fmt.Sprintf("unknown pod phase %q: want Pending, Running, Succeeded, Failed or Unknown", p)})
		}
		im.phases[p] = true
	}
	nodes := filepath.Join(dir, NodeFile)
	pods := filepath.Join(dir, PodFile)
	im.m.Files = []string{nodes, pods}
	nodeData, okNodes := im.readFile(nodes)
	podData, okPods := im.readFile(pods)
	// Lines bound the records: size the tables once.
	// Presized from the lines, at most 65,536 (a file of blank lines
	// would otherwise ask for gigabytes at once).
	nn := min(bytes.Count(nodeData, []byte{'\n'})+1, 1<<16)
	np := min(bytes.Count(podData, []byte{'\n'})+1, 1<<16)
	im.m.Devices = make([]topology.Device, 0, nn)
	im.m.Services = make([]topology.Service, 0, np)
	im.names = make(map[string]alibabaName, nn+np)
	if okNodes {
		im.typesKnown = im.read(nodes, nodeData, alibabaNodeHeader, im.node, "the trace holds no node", MaxNodes, "nodes")
	}
	if okPods && len(im.errs) <= MaxProblems { // past it, the stop is told
		im.read(pods, podData, alibabaPodHeader, im.pod, "", MaxPods, "pods")
	}
	im.syntheticIDs()
	if len(im.errs) == 0 {
		for _, id := range im.m.IndexIDs() { // the checks above make every id unique
			im.errs = append(im.errs, &topology.Error{Pos: topology.Pos{File: dir}, ID: id, Msg: fmt.Sprintf("id %q is given twice", id)})
		}
	}
	im.errs.Sort()
	if len(im.errs) > 0 {
		return nil, im.errs
	}
	return im.m, nil
}

// alibabaImport is the state of one Import call.
type alibabaImport struct {
	m    *topology.Model
	errs topology.ErrorList
	// names holds every sn and pod name read, selected or not, to report
	// duplicates and clashes with the synthetic ids.
	names map[string]alibabaName
	// gpuTypes holds the model of every node with GPUs; typesKnown is
	// false when a node record could not be read, so that a gpu_spec
	// naming a missing type is not reported.
	gpuTypes   map[string]bool
	typesKnown bool
	shapes     map[alibabaShape]int32 // index into m.DeviceModels
	phases     map[string]bool        // pod phases to import
}

type alibabaName struct {
	pos  topology.Pos
	what string // "sn" or "pod name"
}

// alibabaShape is what makes two nodes share a DeviceModel.
type alibabaShape struct {
	cpuMilli, memMiB int64
	gpus             int64
	gpuType          string
}

// alibabaRecord is one record being read, for positions and messages.
type alibabaRecord struct {
	path   string
	r      *csv.Reader
	header []string
	rec    []string
	what   string // "node" or "pod"
	id     string // its sn or name, once known to be usable
}

// pos returns the position of field i of the record.
func (a *alibabaRecord) pos(i int) topology.Pos {
	line, col := a.r.FieldPos(i)
	return topology.Pos{File: a.path, Line: line, Col: col}
}

// readFile reads one file of the trace.
func (im *alibabaImport) readFile(path string) ([]byte, bool) {
	data, err := topology.ReadBounded(path, MaxFileBytes)
	if errors.Is(err, topology.ErrTooBig) {
		im.errs = append(im.errs, &topology.Error{Pos: topology.Pos{File: path}, Msg: fmt.Sprintf("the file is more than the limit of %d bytes (%d MiB)", MaxFileBytes, MaxFileBytes>>20)})
		return nil, false
	}
	if err != nil {
		msg := err.Error()
		var pe *os.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		im.errs = append(im.errs, &topology.Error{Pos: topology.Pos{File: path}, Msg: "cannot read the trace: " + msg})
		return nil, false
	}
	return data, true
}

// read parses a CSV file: checks its header, then calls fn with every
// record of the right length. fn reports whether the record gave what the
// import needs from every record (see node). read reports whether every
// record did. When the header is right and no record follows it, a
// non-empty none is reported as an error at the file's line 1.
func (im *alibabaImport) read(path string, data []byte, header []string, fn func(a *alibabaRecord) bool, none string, maxRecords int, what string) (complete bool) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // checked here, with a clearer message
	r.ReuseRecord = true
	a := &alibabaRecord{path: path, r: r, header: header}
	want := strings.Join(header, ",")

	rec, err := r.Read()
	switch {
	case err == io.EOF:
		im.errs = append(im.errs, &topology.Error{Pos: topology.Pos{File: path, Line: 1, Col: 1}, Msg: "the file is empty: want the header " + want})
		return false
	case err != nil:
		im.csvError(path, err)
		return false
	}
	if len(rec) > 0 {
		rec[0] = strings.TrimPrefix(rec[0], "\ufeff") // a byte-order mark
	}
	a.rec = rec
	if len(rec) != len(header) {
		im.errs = append(im.errs, &topology.Error{Pos: a.pos(0), Msg: fmt.Sprintf("the header has %d columns, want %d: %s", len(rec), len(header), want)})
		return false
	}
	headerOK := true
	for i, name := range rec {
		if name != header[i] {
			im.errs = append(im.errs, &topology.Error{Pos: a.pos(i), Msg: fmt.Sprintf("column %d of the header is %q, want %q (the header is %s)", i+1, name, header[i], want)})
			headerOK = false
		}
	}
	if !headerOK {
		return false
	}

	complete = true
	records := 0
	for first := true; ; first = false {
		if im.tooManyProblems() {
			return false
		}
		rec, err := r.Read()
		if err == nil {
			if records++; records > maxRecords {
				im.errs = append(im.errs, &topology.Error{Pos: topology.Pos{File: path, Line: mustLine(r), Col: 1}, Msg: fmt.Sprintf("more than %d %s: stopped reading", maxRecords, what)})
				return false
			}
		}
		if err == io.EOF {
			if first && none != "" {
				im.errs = append(im.errs, &topology.Error{Pos: topology.Pos{File: path, Line: 1, Col: 1}, Msg: none})
			}
			return complete && !im.tooManyProblems()
		}
		if err != nil {
			complete = false
			if !im.csvError(path, err) {
				return false
			}
			continue
		}
		a.rec, a.id = rec, ""
		if len(rec) != len(header) {
			im.errs = append(im.errs, &topology.Error{Pos: a.pos(0), Msg: fmt.Sprintf("the record has %d fields, want %d: %s", len(rec), len(header), want)})
			complete = false
			continue
		}
		if !fn(a) {
			complete = false
		}
	}
}

// tooManyProblems reports whether more than MaxProblems problems were
// found: then the first MaxProblems are kept, and where the next one was
// found reading stopped, which is said there. (Exactly MaxProblems stop
// nothing: it takes a problem more to know there are more.)
func (im *alibabaImport) tooManyProblems() bool {
	if len(im.errs) <= MaxProblems {
		return false
	}
	next := im.errs[MaxProblems].Pos
	im.errs = append(im.errs[:MaxProblems], &topology.Error{Pos: topology.Pos{File: next.File, Line: max(next.Line, 1), Col: max(next.Col, 1)}, Msg: fmt.Sprintf("more than %d problems: stopped reading", MaxProblems)})
	return true
}

// mustLine is the line of the record r read last.
func mustLine(r *csv.Reader) int {
	line, _ := r.FieldPos(0)
	return line
}

// csvError reports a read error; it returns whether reading may go on (a
// syntax error in one record) or not (an I/O error).
func (im *alibabaImport) csvError(path string, err error) bool {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		im.errs = append(im.errs, &topology.Error{Pos: topology.Pos{File: path, Line: pe.Line, Col: max(pe.Column, 1)}, Msg: "csv: " + pe.Err.Error()})
		return true
	}
	im.errs = append(im.errs, &topology.Error{Pos: topology.Pos{File: path}, Msg: "cannot read the trace: " + err.Error()})
	return false
}

// errorf reports a problem with field i of the record, naming the record.
func (im *alibabaImport) errorf(a *alibabaRecord, i int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if a.id != "" {
		msg = fmt.Sprintf("%s %q: %s", a.what, a.id, msg)
	}
	im.errs = append(im.errs, &topology.Error{Pos: a.pos(i), ID: a.id, Msg: msg})
}

// number parses field i as an integer in 0..limit.
func (im *alibabaImport) number(a *alibabaRecord, i int, limit int64) (int64, bool) {
	s := a.rec[i]
	v, err := strconv.ParseInt(s, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange), err == nil && v > limit:
		im.errorf(a, i, "%s = %s is out of range (at most %d)", a.header[i], s, limit)
	case err != nil:
		im.errorf(a, i, "%s must be a non-negative integer, got %q", a.header[i], s)
	case v < 0:
		im.errorf(a, i, "%s must not be negative, got %d", a.header[i], v)
	default:
		return v, true
	}
	return 0, false
}

// name checks the id in field 0 and records it; it reports whether the id
// is new and usable.
func (im *alibabaImport) name(a *alibabaRecord, what string) bool {
	s := a.rec[0]
	switch {
	case s == "":
		im.errorf(a, 0, "%s is empty", what)
		return false
	case strings.ContainsAny(s, " \t\r\n\"'"):
		im.errorf(a, 0, "%s %q must not contain spaces or quotes", what, s)
		return false
	}
	if prev, ok := im.names[s]; ok {
		if prev.pos.File == a.path {
			im.errorf(a, 0, "duplicate %s %q: already at line %d", what, s, prev.pos.Line)
		} else {
			im.errorf(a, 0, "%s %q is already the %s of a %s at %s", what, s, prev.what, alibabaOwner(prev.what), prev.pos)
		}
		return false
	}
	im.names[s] = alibabaName{pos: a.pos(0), what: what}
	a.id = s
	return true
}

func alibabaOwner(what string) string {
	if what == "sn" {
		return "node"
	}
	return "pod"
}

// node reads one node record into a Device. It reports whether the
// node's GPU type is known, even when the node is left out for another
// mistake: the GPU types of the cluster are then complete.
func (im *alibabaImport) node(a *alibabaRecord) bool {
	a.what = "node"
	rec := a.rec
	ok := im.name(a, "sn")
	cpu, okC := im.number(a, 1, maxAlibabaResource)
	mem, okM := im.number(a, 2, maxAlibabaResource)
	gpus, okG := im.number(a, 3, maxAlibabaCount)
	typ := rec[4]
	okT := true
	if strings.ContainsAny(typ, " \t\r\n\"'|") {
		im.errorf(a, 4, "model %q must not contain spaces, quotes or \"|\"", typ)
		okT = false
	}
	if okG && okT && gpus > 0 {
		im.gpuTypes[typ] = true
	}
	if !(ok && okC && okM && okG && okT) {
		return okG && okT // the GPU types are known even if the node is dropped
	}
	pos := a.pos(0)
	pos.Col = 1
	shape := alibabaShape{cpu, mem, gpus, typ}
	k, seen := im.shapes[shape]
	if !seen {
		k = int32(len(im.m.DeviceModels))
		im.shapes[shape] = k
		im.m.DeviceModels = append(im.m.DeviceModels, topology.DeviceModel{
			ID: shapeID(shape), PSUs: 1, PSUsRequired: 1,
			RAMGiB: float64(mem) / 1024, CPUCores: float64(cpu) / 1000, GPUs: int(gpus), GPUType: typ,
			Pos: pos,
		})
	}
	n := len(im.m.Devices)
	if n%RackSize == 0 {
		im.m.Racks = append(im.m.Racks, topology.Rack{ID: fmt.Sprintf("alibaba-rack-%03d", n/RackSize+1), Pos: pos})
	}
	im.m.Devices = append(im.m.Devices, topology.Device{
		ID: a.id, Rack: int32(len(im.m.Racks) - 1), Model: k,
		RAMGiB: float64(mem) / 1024, CPUCores: float64(cpu) / 1000, GPUs: int(gpus), GPUType: typ,
		Pos: pos,
	})
	return true
}

// shapeID names the device model of a node shape.
func shapeID(s alibabaShape) string {
	id := "alibaba-" + strconv.FormatFloat(float64(s.cpuMilli)/1000, 'f', -1, 64) + "c-" +
		strconv.FormatFloat(float64(s.memMiB)/1024, 'f', -1, 64) + "gib"
	if s.gpus > 0 || s.gpuType != "" {
		typ := s.gpuType
		if typ == "" {
			typ = "gpu"
		}
		id += fmt.Sprintf("-%dx%s", s.gpus, typ)
	}
	return id
}

// pod reads one pod record into a Service when its phase is selected.
// Nothing depends on all pods being read: it always reports true.
func (im *alibabaImport) pod(a *alibabaRecord) bool {
	a.what = "pod"
	rec := a.rec
	ok := im.name(a, "pod name")
	cpu, okC := im.number(a, podCPU, maxAlibabaResource)
	mem, okM := im.number(a, podMem, maxAlibabaResource)
	gpus, okG := im.number(a, podNumGPU, maxAlibabaCount)
	milli, okMilli := im.number(a, podGPUMilli, maxAlibabaCount)
	ok = ok && okC && okM && okG && okMilli
	if okMilli && milli > 1000 {
		im.errorf(a, podGPUMilli, "gpu_milli must be 0 to 1000 (thousandths of one GPU), got %d", milli)
		ok, okMilli = false, false
	}
	if okG && okMilli {
		switch {
		case gpus == 0 && milli != 0:
			im.errorf(a, podGPUMilli, "gpu_milli = %d with num_gpu = 0: a pod without GPUs takes no share of one", milli)
			ok = false
		case gpus > 0 && milli == 0:
			im.errorf(a, podGPUMilli, "gpu_milli = 0 with num_gpu = %d: a pod with GPUs takes 1 to 1000 thousandths of each", gpus)
			ok = false
		case gpus > 1 && milli < 1000:
			im.errorf(a, podGPUMilli, "gpu_milli = %d with num_gpu = %d: a share of a GPU (below 1000) applies to one GPU", milli, gpus)
			ok = false
		}
	}
	var types []string
	if spec := rec[podGPUSpec]; spec != "" {
		types = strings.Split(spec, "|")
		for _, t := range types {
			if t == "" {
				im.errorf(a, podGPUSpec, "gpu_spec %q names an empty GPU type", spec)
				ok = false
				break
			}
		}
	}
	for _, i := range []int{podCreation, podDeletion, podScheduled} {
		if rec[i] != "" { // empty: not yet scheduled or deleted
			if _, good := im.number(a, i, 1<<62); !good {
				ok = false
			}
		}
	}
	if !im.phases[rec[podPhase]] {
		return true
	}
	if im.typesKnown {
		for _, t := range types {
			if t != "" && !im.gpuTypes[t] {
				im.errorf(a, podGPUSpec, "gpu_spec names GPU type %q, which no node with GPUs has", t)
				ok = false
			}
		}
	}
	if !ok {
		return true
	}
	if gpus != 1 {
		milli = 1000
	}
	pos := a.pos(0)
	pos.Col = 1
	im.m.Services = append(im.m.Services, topology.Service{
		ID: a.id, Kind: "pod", Instances: 1, ReadyQuorum: 1,
		RAMGiB: float64(mem) / 1024, CPUCores: float64(cpu) / 1000, GPUs: int(gpus), GPUMilli: int(milli), GPUTypes: types,
		Spread: topology.DomainNode,
		Start:  topology.Dist{Kind: "lognormal", MedianS: 20, P90S: 60},
		Pos:    pos,
	})
	return true
}

// syntheticIDs registers the ids of the racks and device models, which
// must not be the sn or name of a record.
func (im *alibabaImport) syntheticIDs() {
	synthetic := map[string]bool{}
	register := func(id string, what string) {
		synthetic[id] = true
		if n, ok := im.names[id]; ok {
			im.errs = append(im.errs, &topology.Error{Pos: n.pos, ID: id, Msg: fmt.Sprintf("%s %q is also the id of a synthetic %s", n.what, id, what)})
		}
	}
	for _, r := range im.m.Racks {
		register(r.ID, "rack")
	}
	for i := range im.m.DeviceModels {
		dm := &im.m.DeviceModels[i]
		// Two shapes may print alike: 4 GPUs of no type and of type "gpu".
		base := dm.ID
		for n := 2; synthetic[dm.ID]; n++ {
			dm.ID = fmt.Sprintf("%s-%d", base, n)
		}
		register(dm.ID, "device model")
	}
}
