package power

import (
	"fmt"

	"blackstart/topology"
)

// Basis selects which draw figure of a device the analysis uses.
type Basis uint8

// Draw bases. BasisConservative takes, for each device, the highest figure
// its model gives.
const (
	BasisConservative Basis = iota
	BasisNameplate
	BasisAllocated
	BasisTypical
	BasisPeak
	BasisMeasured
	// BasisMeteredP95 is never requested: it is the DrawBasis of a device
	// whose draw under BasisMeasured came from its meter readings (the p95
	// over a window, see NewNetworkMetered) rather than from the model.
	BasisMeteredP95
)

var basisNames = [...]string{"conservative", "nameplate", "allocated", "typical", "peak", "measured", "measured-p95"}

// String returns the basis name used on the command line and in output.
func (b Basis) String() string {
	if int(b) < len(basisNames) {
		return basisNames[b]
	}
	return "unknown"
}

// ParseBasis reads a basis name.
func ParseBasis(s string) (Basis, error) {
	for i, n := range basisNames[:BasisMeasured+1] {
		if s == n {
			return Basis(i), nil
		}
	}
	return 0, fmt.Errorf("basis must be nameplate, allocated, typical, peak, measured or conservative, got %q", s)
}

// figures lists a device's draw figures by basis, W (0 = not given).
func figures(d *topology.Device, dm *topology.DeviceModel) [6]float64 {
	measured := dm.MeasuredW
	if d.MeasuredW > 0 {
		measured = d.MeasuredW
	}
	return [6]float64{0, dm.NameplateW, dm.AllocatedW, dm.TypicalW, dm.PeakW, measured}
}

// fallback is the order tried when the requested figure is missing: the
// most conservative figure first.
var fallback = [...]Basis{BasisNameplate, BasisPeak, BasisAllocated, BasisTypical, BasisMeasured}

// Draw returns the draw of device d on basis b, watts, and the basis
// actually used: the requested figure when the model gives it, else the
// highest figure it gives (conservative). Idle is never used alone.
func Draw(m *topology.Model, d *topology.Device, b Basis) (float64, Basis) {
	f := figures(d, &m.DeviceModels[d.Model])
	if b != BasisConservative && f[b] > 0 {
		return f[b], b
	}
	best, used := 0.0, BasisConservative
	for _, k := range fallback {
		if f[k] > best {
			best, used = f[k], k
		}
	}
	if best == 0 { // only idle given
		return m.DeviceModels[d.Model].IdleW, BasisConservative
	}
	return best, used
}
