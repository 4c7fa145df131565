package analysis

import (
	"math"
	"strconv"
	"strings"

	"blackstart/power"
)

// Capacity planning, one path for the CLI (`power headroom`, `power
// place`, `power balance`) and the API (routes of the same names): the
// options are checked here, the answers are power's.

// Headroom is power.Headroom with an unknown device model reported as
// ErrInvalid. progress, when not nil, is called from the calling
// goroutine after each rack (power.HeadroomOptions.Progress); it never
// changes the report.
func Headroom(n *power.Network, deviceModel string, progress func(done, total int)) (power.HeadroomReport, error) {
	rep, err := power.Headroom(n, power.HeadroomOptions{DeviceModel: deviceModel, Progress: progress})
	if err != nil {
		return rep, invalid("%v", err)
	}
	return rep, nil
}

// ParseAdds reads placement requests written MODEL=N (N >= 1), as `power
// place --add` and the API's add parameter take them; none is ErrInvalid.
func ParseAdds(vals []string) ([]power.PlaceRequest, error) {
	var out []power.PlaceRequest
	for _, v := range vals {
		id, num, ok := strings.Cut(v, "=")
		k, err := strconv.Atoi(num)
		if !ok || id == "" || err != nil || k < 1 {
			return nil, invalid("add %q: want MODEL=N with N >= 1", v)
		}
		out = append(out, power.PlaceRequest{Model: id, Count: k})
	}
	if len(out) == 0 {
		return nil, invalid("give at least one add MODEL=N")
	}
	return out, nil
}

// Place is power.Place with an unknown model or rack reported as
// ErrInvalid; verify runs the full sweep before and after. progress,
// when not nil, is called from the calling goroutine as the placement
// and the verification advance (power.PlaceOptions.Progress); it never
// changes the placement.
func Place(n *power.Network, adds []power.PlaceRequest, racks []string, verify bool, progress func(done, total int)) (power.Placement, error) {
	p, err := power.Place(n, power.PlaceOptions{Add: adds, Racks: racks, Verify: verify, Progress: progress})
	if err != nil {
		return p, invalid("%v", err)
	}
	return p, nil
}

// CheckBalance checks Balance's options, before any model is read:
// maxMoves >= 1 and imbalancePct a finite percentage > 0 (ErrInvalid,
// naming the flag and the value, otherwise).
func CheckBalance(maxMoves int, imbalancePct float64) error {
	if maxMoves < 1 {
		return invalid("--max-moves must be at least 1, got %d", maxMoves)
	}
	if !(imbalancePct > 0) || math.IsInf(imbalancePct, 0) {
		return invalid("--imbalance must be a finite percentage above 0, got %g", imbalancePct)
	}
	return nil
}

// Balance is power.Balance with its options checked by CheckBalance.
func Balance(n *power.Network, maxMoves int, imbalancePct float64) (power.BalanceReport, error) {
	if err := CheckBalance(maxMoves, imbalancePct); err != nil {
		return power.BalanceReport{}, err
	}
	return power.Balance(n, power.BalanceOptions{MaxMoves: maxMoves, ImbalancePct: imbalancePct})
}
