package topology

// The raw* types are the file format, one field per TOML key. Pointer fields
// are optional keys: nil means "not written", so defaults and inheritance can
// be told apart from an explicit zero. The README documents each key.

type rawFile struct {
	Site        *rawSite         `toml:"site"`
	Source      []rawElement     `toml:"source"`
	UPS         []rawElement     `toml:"ups"`
	Panel       []rawElement     `toml:"panel"`
	Breaker     []rawElement     `toml:"breaker"`
	Circuit     []rawElement     `toml:"circuit"`
	ATS         []rawElement     `toml:"ats"`
	RackPDU     []rawElement     `toml:"rack_pdu"`
	Rack        []rawRack        `toml:"rack"`
	DeviceModel []rawDeviceModel `toml:"device_model"`
	Device      []rawDevice      `toml:"device"`
	Service     []rawService     `toml:"service"`
}

type rawSite struct {
	Name            *string  `toml:"name"`
	ContinuousLimit *float64 `toml:"continuous_limit"`
	PowerFactor     *float64 `toml:"power_factor"`
	FrequencyHz     *float64 `toml:"frequency_hz"`
}

// rawElement carries the keys of every power element kind; which keys a kind
// accepts is checked in build (a breaker with capacity_kva is an error).
type rawElement struct {
	ID          *string  `toml:"id"`
	Name        *string  `toml:"name"`
	Type        *string  `toml:"type"` // source: utility|generator
	Input       *string  `toml:"input"`
	Inputs      []string `toml:"inputs"`
	Preferred   *string  `toml:"preferred"`
	TransferMS  *float64 `toml:"transfer_ms"`
	VoltageV    *float64 `toml:"voltage_v"`
	Phases      *int     `toml:"phases"`
	Wiring      *string  `toml:"wiring"`
	Line        *string  `toml:"line"`
	PowerFactor *float64 `toml:"power_factor"`

	CapacityKVA *float64      `toml:"capacity_kva"`
	CapacityKW  *float64      `toml:"capacity_kw"`
	Overload    []rawOverload `toml:"overload"`

	Standard        *string   `toml:"standard"`
	Curve           *string   `toml:"curve"`
	RatingA         *float64  `toml:"rating_a"`
	ContinuousLimit *float64  `toml:"continuous_limit"`
	Poles           *int      `toml:"poles"`
	InstantaneousX  []float64 `toml:"instantaneous_x"`
	NeutralRatingA  *float64  `toml:"neutral_rating_a"`

	Rack *string   `toml:"rack"`
	Bank []rawBank `toml:"bank"`
}

type rawOverload struct {
	LoadPct *float64 `toml:"load_pct"`
	TimeS   *float64 `toml:"time_s"`
}

type rawBank struct {
	ID              *string   `toml:"id"`
	Line            *string   `toml:"line"`
	Standard        *string   `toml:"standard"`
	Curve           *string   `toml:"curve"`
	RatingA         *float64  `toml:"rating_a"`
	ContinuousLimit *float64  `toml:"continuous_limit"`
	Poles           *int      `toml:"poles"`
	InstantaneousX  []float64 `toml:"instantaneous_x"`
}

type rawRack struct {
	ID    *string  `toml:"id"`
	Row   *string  `toml:"row"`
	Room  *string  `toml:"room"`
	Feeds []string `toml:"feeds"`
	U     *int     `toml:"u"`
}

type rawDeviceModel struct {
	ID               *string  `toml:"id"`
	Manufacturer     *string  `toml:"manufacturer"`
	PSUs             *int     `toml:"psus"`
	PSUsRequired     *int     `toml:"psus_required"`
	PSURatingW       *float64 `toml:"psu_rating_w"`
	UHeight          *int     `toml:"u_height"`
	NameplateW       *float64 `toml:"nameplate_w"`
	AllocatedW       *float64 `toml:"allocated_w"`
	TypicalW         *float64 `toml:"typical_w"`
	IdleW            *float64 `toml:"idle_w"`
	PeakW            *float64 `toml:"peak_w"`
	MeasuredW        *float64 `toml:"measured_w"`
	DrawUnknown      *bool    `toml:"draw_unknown"`
	PowerFactor      *float64 `toml:"power_factor"`
	RAMGiB           *float64 `toml:"ram_gib"`
	CPUCores         *float64 `toml:"cpu_cores"`
	GPUs             *int     `toml:"gpus"`
	GPUType          *string  `toml:"gpu_type"`
	StartConcurrency *int     `toml:"start_concurrency"`
}

type rawDevice struct {
	ID               *string    `toml:"id"`
	Count            *int       `toml:"count"`
	First            *int       `toml:"first"`
	Rack             *string    `toml:"rack"`
	Model            *string    `toml:"model"`
	Role             *string    `toml:"role"`
	Feeds            []string   `toml:"feeds"`
	FeedsCycle       [][]string `toml:"feeds_cycle"`
	MeasuredW        *float64   `toml:"measured_w"`
	RAMGiB           *float64   `toml:"ram_gib"`
	CPUCores         *float64   `toml:"cpu_cores"`
	GPUs             *int       `toml:"gpus"`
	GPUType          *string    `toml:"gpu_type"`
	StartConcurrency *int       `toml:"start_concurrency"`
}

type rawService struct {
	ID          *string  `toml:"id"`
	Count       *int     `toml:"count"`
	First       *int     `toml:"first"`
	Kind        *string  `toml:"kind"`
	Tier        *int     `toml:"tier"`
	DependsOn   []string `toml:"depends_on"`
	Instances   *int     `toml:"instances"`
	ReadyQuorum *int     `toml:"ready_quorum"`
	RAMGiB      *float64 `toml:"ram_gib"`
	CPUCores    *float64 `toml:"cpu_cores"`
	GPUs        *int     `toml:"gpus"`
	GPUMilli    *int     `toml:"gpu_milli"`
	GPUTypes    []string `toml:"gpu_types"`
	Role        *string  `toml:"role"`
	Pinned      []string `toml:"pinned"`
	PinnedCycle []string `toml:"pinned_cycle"`
	Spread      *string  `toml:"spread"`
	MinSpread   *int     `toml:"min_spread"`
	TimeoutS    *float64 `toml:"timeout_s"`
	Start       *rawDist `toml:"start"`
}

type rawDist struct {
	Dist    *string  `toml:"dist"`
	S       *float64 `toml:"s"`
	MinS    *float64 `toml:"min_s"`
	MaxS    *float64 `toml:"max_s"`
	MedianS *float64 `toml:"median_s"`
	P90S    *float64 `toml:"p90_s"`
	MeanS   *float64 `toml:"mean_s"`
}
