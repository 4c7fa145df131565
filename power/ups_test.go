package power

import "testing"

// TestUPSOwnRating: testdata/ups-limit.toml. On typical draws the surviving
// UPS carries 85 % of its 20 kW when the other fails: ok (the 80 %
// continuous limit of branch circuits does not apply to a UPS), and the
// rack-side view names the UPS as what limits each side (there is no
// branch breaker). On nameplate draws it carries 110 %: held 600 s, then
// dropped (trip), and 2,000 W must be shed to be back at its rating.
func TestUPSOwnRating(t *testing.T) {
	m := loadFiles(t, "testdata/ups-limit.toml")

	typ := NewNetwork(m, BasisTypical)
	for _, side := range typ.Load().Racks[0].Sides {
		if side.Breaker != "" || side.WorstKind != "ups" || !near(side.WorstPct, 85, 1e-9) || side.FailoverVerdict != OK || side.ShedW != 0 {
			t.Errorf("typical, side %s: got breaker %q, limit %s %s at %.2f %%, %s, shed %g W; want none, the UPS at 85 %%, ok, 0 W",
				side.Feed, side.Breaker, side.WorstKind, side.WorstElement, side.WorstPct, side.FailoverVerdict, side.ShedW)
		}
	}
	sc := NewSim(typ).Run(ids(t, m, "ups-a"), -1, -1, DefaultHorizonS)
	if sc.Outcome != OK || len(sc.Overloads) != 0 {
		t.Errorf("typical, ups-a fails: got outcome %s, overloads %+v; want ok, none", sc.Outcome, sc.Overloads)
	}
	var ups *Pickup
	for i := range sc.Pickups {
		if sc.Pickups[i].Element == "ups-b" {
			ups = &sc.Pickups[i]
		}
	}
	if ups == nil || !near(ups.BeforePct, 42.5, 1e-9) || !near(ups.AfterPct, 85, 1e-9) || ups.BeforeW != 8500 || ups.AfterW != 17000 || ups.CapacityKW != 20 || ups.Verdict != OK {
		t.Errorf("typical, ups-a fails: pickup of ups-b %+v, want 8,500 → 17,000 W, 42.5 → 85 %% of 20 kW, ok", ups)
	}

	name := NewNetwork(m, BasisNameplate)
	sc = NewSim(name).Run(ids(t, m, "ups-a"), -1, -1, DefaultHorizonS)
	if len(sc.Overloads) == 0 || sc.Overloads[0].Element != "ups-b" || sc.Overloads[0].Verdict != Trip || sc.Overloads[0].ShedW != 2000 ||
		!near(sc.Overloads[0].Ratio, 1.1, 1e-9) || float64(sc.Overloads[0].TripMinS) != 600 || float64(sc.Overloads[0].TripMaxS) != 600 {
		t.Fatalf("nameplate, ups-a fails: got overloads %+v, want ups-b at 110 %%, trip in 600 s, shed 2000 W", sc.Overloads)
	}
	if sc.Outcome != Trip || len(sc.Certain.Dark.Devices) != 20 {
		t.Errorf("nameplate, ups-a fails: got outcome %s, %d devices certainly dark; want trip, 20", sc.Outcome, len(sc.Certain.Dark.Devices))
	}
}
