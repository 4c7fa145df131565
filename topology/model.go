package topology

import "fmt"

// Kind is the kind of a power element.
type Kind uint8

// Power element kinds, from the sources down to the rack PDU banks.
const (
	KindSource  Kind = iota // utility feed or generator; no input
	KindUPS                 // uninterruptible power supply
	KindPanel               // distribution panel or floor PDU
	KindBreaker             // protective device on its own (panel main, branch breaker)
	KindCircuit             // branch circuit, carries voltage and phases
	KindATS                 // automatic/static transfer switch, two inputs
	KindRackPDU             // rack power distribution unit (one input, or two with a built-in switch)
	KindBank                // breaker-protected outlet group of a rack PDU
)

var kindNames = [...]string{"source", "ups", "panel", "breaker", "circuit", "ats", "rack_pdu", "bank"}

// String returns the kind's name as written in the model file.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Standard is the product standard a protective device follows; it selects
// the trip band used by the power analysis.
type Standard uint8

// Protective-device standards.
const (
	StdNone     Standard = iota // rated element without a trip curve (a bus, a PDU input)
	StdIEC60898                 // IEC 60898-1 miniature circuit breaker, curve B/C/D
	StdIEC60947                 // IEC 60947-2 industrial circuit breaker
	StdUL489                    // UL 489 molded-case circuit breaker
)

var standardNames = [...]string{"", "iec60898", "iec60947-2", "ul489"}

// String returns the standard's name as written in the model file.
func (s Standard) String() string {
	if int(s) < len(standardNames) {
		return standardNames[s]
	}
	return "unknown"
}

// Wiring of a three-phase system.
type Wiring uint8

// Wirings; WiringNone is a single-phase system.
const (
	WiringNone  Wiring = iota
	WiringWye          // star, with neutral: line-to-neutral voltage = V / √3
	WiringDelta        // no neutral: loads connect line to line only
)

// String returns "wye", "delta" or "".
func (w Wiring) String() string {
	switch w {
	case WiringWye:
		return "wye"
	case WiringDelta:
		return "delta"
	}
	return ""
}

// Line says which conductors of a three-phase supply an element connects
// to. LineAll is a three-phase connection; LineNone means the supply is
// single-phase (nothing to choose).
type Line uint8

// Line connections: line-to-neutral L1..L3, line-to-line L1-L2, L2-L3, L3-L1.
const (
	LineNone Line = iota
	LineAll
	LineL1
	LineL2
	LineL3
	LineL1L2
	LineL2L3
	LineL3L1
)

var lineNames = [...]string{"", "L1-L2-L3", "L1", "L2", "L3", "L1-L2", "L2-L3", "L3-L1"}

// String returns the connection as written in the model file.
func (l Line) String() string {
	if int(l) < len(lineNames) {
		return lineNames[l]
	}
	return "unknown"
}

// LineToLine reports whether the connection is between two lines.
func (l Line) LineToLine() bool { return l >= LineL1L2 && l <= LineL3L1 }

// OverloadStep is one point of a UPS overload tolerance: the UPS carries
// LoadPct percent of its rating for TimeS seconds before it transfers to
// bypass or shuts down.
type OverloadStep struct {
	LoadPct float64 // percent of rated capacity, > 100
	TimeS   float64 // seconds the UPS holds that load, > 0
}

// Element is a node of the power graph.
//
// Electrical fields are resolved: VoltageV, Phases and Wiring are set on
// every element (inherited from the input when not written).
type Element struct {
	ID   string
	Name string // free text, may be empty
	Kind Kind
	Type string // source only: "utility" or "generator"

	// Inputs are indices into Model.Elements of the upstream elements:
	// none for a source, one normally, two for a transfer switch or a
	// dual-input rack PDU. Every input has a smaller topological rank.
	Inputs []int32
	// Preferred is the index into Inputs of the input a transfer switch
	// uses while it is live; 0 when there is a single input.
	Preferred  int
	TransferMS float64 // transfer time of a switch, milliseconds, >= 0

	VoltageV    float64 // nominal voltage, volts, > 0: line-to-line for three-phase, across the load for single-phase
	Phases      int     // 1 or 3
	Wiring      Wiring  // WiringWye or WiringDelta when Phases == 3, else WiringNone
	Line        Line    // how the element hangs off a three-phase input; LineNone under single-phase
	PowerFactor float64 // default power factor of the loads below, in (0, 1]

	CapacityVA float64        // UPS/source apparent-power capacity, VA; 0 when not given
	CapacityW  float64        // UPS/source real-power capacity, W; 0 when not given
	Overload   []OverloadStep // UPS overload tolerance, ascending LoadPct

	Standard        Standard
	Curve           byte    // 'B', 'C' or 'D' for IEC 60898-1; 0 otherwise
	RatingA         float64 // rated current In, amperes; 0 when the element has no rating
	ContinuousLimit float64 // fraction of RatingA allowed continuously, in (0, 1]
	// Poles is the number of poles a breaker switches, 0 when not a
	// breaker: 4 on a three-phase wye element means the neutral is switched
	// and protected too (its current counts in the trip assessment,
	// against NeutralRatingA); otherwise informational.
	Poles int
	// NeutralRatingA is the neutral conductor's rating, amperes, on a
	// three-phase wye element with a rating: neutral_rating_a, default
	// RatingA; 0 elsewhere (no neutral, or unrated).
	NeutralRatingA float64
	InstantaneousX [2]float64 // instantaneous (magnetic) trip band, multiples of In; zero when the standard's default applies

	Rack int32 // rack PDU and its banks: index into Model.Racks; -1 otherwise

	Pos Pos // where the element is defined
}

// Rack is a cabinet holding devices.
type Rack struct {
	ID   string
	Row  string
	Room string
	// U is the rack's height in rack units, 1..100; 0 when not given
	// (then rack space does not limit what fits).
	U int
	// Feeds are indices into Model.Elements of the feeds an inventory
	// assigns to the rack (`feeds`, e.g. NetBox power feeds): each should
	// supply a PSU of the rack, else the rack cannot be judged (RackGaps).
	// Empty when the model does not say.
	Feeds []int32
	Pos   Pos
}

// DeviceModel is a catalogue entry shared by identical devices. Draw figures
// are the whole device's draw in watts; 0 means "not given". In a loaded
// model at least one of them is > 0 (an imported trace may give none).
type DeviceModel struct {
	ID           string
	Manufacturer string
	PSUs         int     // PSU count, >= 1
	PSUsRequired int     // PSUs that must be powered for the device to run, 1..PSUs
	PSURatingW   float64 // output rating of one PSU, W; 0 when not given
	UHeight      int     // height in rack units, 1..100; 0 when not given (counted as 1 U where a rack's u is given)
	NameplateW   float64 // label (maximum) draw, W
	AllocatedW   float64 // draw allocated by the planner, W
	TypicalW     float64 // typical operating draw, W
	IdleW        float64 // idle draw, W
	PeakW        float64 // peak measured or benchmarked draw, W
	MeasuredW    float64 // draw measured in production, W
	// DrawUnknown says the inventory gives no draw figure (draw_unknown):
	// every figure above is 0, the device draws nothing in the analysis, and
	// its rack cannot be judged (RackGaps).
	DrawUnknown bool
	PowerFactor float64 // in (0, 1]; 0 means inherit from the circuit

	RAMGiB           float64 // memory, GiB
	CPUCores         float64 // cores
	GPUs             int
	GPUType          string
	StartConcurrency int // concurrent instance starts without slowdown; 0 means default
	Pos              Pos
}

// Device is one physical device (a node when it runs workloads). Fields
// copied from the model can be overridden per device.
type Device struct {
	ID    string
	Rack  int32 // index into Model.Racks
	Model int32 // index into Model.DeviceModels
	Role  string
	// Feeds holds, for each PSU in order, the index into Model.Elements of
	// the element it plugs into (circuit, ATS, rack PDU or bank).
	// len(Feeds) + len(Unfed) == DeviceModels[Model].PSUs in a loaded
	// model; 0 in an imported one that has no power elements
	// (alibaba.Import). A PSU written as "" in the file plugs into nothing
	// known (an imported inventory without its cable): it is listed in
	// Unfed, not in Feeds, so Feeds then holds the fed PSUs only, in PSU
	// order.
	Feeds []int32
	// Unfed holds the 0-based numbers of the PSUs that plug into nothing
	// known; len(Feeds) + len(Unfed) == PSUs. A rack holding such a device
	// cannot be judged (RackGaps). Nil for a fully fed device.
	Unfed            []int
	MeasuredW        float64 // per-device measured draw, W; 0 means use the model's
	RAMGiB           float64
	CPUCores         float64
	GPUs             int
	GPUType          string
	StartConcurrency int
	Pos              Pos
}

// Domain is a failure domain over which a service spreads its instances.
type Domain uint8

// Failure domains.
const (
	DomainNone Domain = iota
	DomainNode
	DomainRack
	DomainFeed
)

// String returns the domain's name as written in the model file.
func (d Domain) String() string {
	return [...]string{"", "node", "rack", "feed"}[d]
}

// Dist is a distribution of start durations, seconds.
type Dist struct {
	Kind    string  // "fixed", "uniform", "lognormal" or "exponential"
	S       float64 // fixed: the duration
	MinS    float64 // uniform: lower bound
	MaxS    float64 // uniform: upper bound
	MedianS float64 // lognormal: median
	P90S    float64 // lognormal: 90th percentile, >= MedianS
	MeanS   float64 // exponential: mean
}

// Service is a workload class: a set of identical instances to restart.
type Service struct {
	ID        string
	Kind      string  // "service" (internal), "database", "app" or "etcd"; free text allowed
	Tier      int     // restart tier, 0 first; the longest depends_on chain when not written
	DependsOn []int32 // indices into Model.Services
	Instances int     // >= 1
	// ReadyQuorum is how many instances must be up before dependents may
	// start, 1..Instances (defaults to a majority for etcd, else 1).
	ReadyQuorum int
	RAMGiB      float64 // request per instance, GiB
	CPUCores    float64 // request per instance, cores
	GPUs        int     // request per instance
	// GPUMilli is the share of each requested GPU, thousandths, 1..1000:
	// below 1000 (with GPUs == 1) the instance shares one GPU with others.
	GPUMilli int
	GPUTypes []string // allowed GPU types; empty means any
	Role     string   // node role the instances run on; empty means any
	// Pinned, when not empty, holds for each instance the index into
	// Model.Devices of the node it must run on (len == Instances).
	Pinned    []int32
	Spread    Domain
	MinSpread int     // distinct domains the instances must cover, 0 = as many as possible
	TimeoutS  float64 // start timeout per attempt, seconds; 0 means the simulator default
	Start     Dist
	Pos       Pos
}

// Quorum returns how many instances of the service must be up before its
// dependents may start: ReadyQuorum, and at least 1. A loaded model keeps
// 1 <= ReadyQuorum <= Instances (the loader refuses any other value and
// CheckInvariants verifies it), so there Quorum is ReadyQuorum; a Service
// assembled in code with ReadyQuorum 0 (unset) waits for one instance.
func (s *Service) Quorum() int { return max(s.ReadyQuorum, 1) }

// Site holds model-wide defaults.
type Site struct {
	Name            string
	ContinuousLimit float64 // default continuous-load limit, fraction of In, (0, 1]; 0.8 unless written
	PowerFactor     float64 // default power factor, (0, 1]; 1.0 unless written
	FrequencyHz     float64 // 50 unless written
}

// Model is a loaded, validated datacenter model. Elements are in
// topological order (every input before the elements it feeds); Services
// are in tier order. Indices in the structs refer to these slices.
type Model struct {
	Files        []string
	Site         Site
	Elements     []Element
	Racks        []Rack
	DeviceModels []DeviceModel
	Devices      []Device
	Services     []Service

	ids map[string]ref
}

// ref locates an id in one of the model's slices.
type ref struct {
	table uint8 // 0 element, 1 rack, 2 device model, 3 device, 4 service
	index int32
}

const (
	tabElement uint8 = iota
	tabRack
	tabModel
	tabDevice
	tabService
)

// ElementIndex returns the index in Elements of the element with that id.
func (m *Model) ElementIndex(id string) (int, bool) { return m.lookup(id, tabElement) }

// RackIndex returns the index in Racks of the rack with that id.
func (m *Model) RackIndex(id string) (int, bool) { return m.lookup(id, tabRack) }

// DeviceIndex returns the index in Devices of the device with that id.
func (m *Model) DeviceIndex(id string) (int, bool) { return m.lookup(id, tabDevice) }

// ServiceIndex returns the index in Services of the service with that id.
func (m *Model) ServiceIndex(id string) (int, bool) { return m.lookup(id, tabService) }

func (m *Model) lookup(id string, table uint8) (int, bool) {
	r, ok := m.ids[id]
	if !ok || r.table != table || r.index < 0 {
		return -1, false
	}
	return int(r.index), true
}

// WithDevices returns a copy of m with devices ds appended (their Rack,
// Model and Feeds indices refer to m's tables), as if the model files had
// listed them last: the model of a capacity plan before it is written
// out. It refuses an id already taken, naming it. m is not changed.
func (m *Model) WithDevices(ds []Device) (*Model, error) {
	out := *m
	out.ids = make(map[string]ref, len(m.ids)+len(ds))
	for k, v := range m.ids {
		out.ids[k] = v
	}
	out.Devices = make([]Device, len(m.Devices), len(m.Devices)+len(ds))
	copy(out.Devices, m.Devices)
	for _, d := range ds {
		if _, taken := out.ids[d.ID]; taken {
			return nil, fmt.Errorf("device id %q is already used in the model", d.ID)
		}
		out.ids[d.ID] = ref{tabDevice, int32(len(out.Devices))}
		out.Devices = append(out.Devices, d)
	}
	return &out, nil
}
