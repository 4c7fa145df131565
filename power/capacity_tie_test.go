package power

import (
	"math"
	"testing"
)

// TestFillRackTieFirstSlot: fillRack takes the first of slots whose
// largest device ties exactly, and the total depends on it. s0 40 A (32 A
// a line, PF 1), banks b0 on L2-L3 32 A, b1 on L3 13 A, b2 on L1-L2 32 A
// (25.6 A and 10.4 A). b0 and b2 each take 25.6 A · 400 V = 10,240 W, the
// same to the last bit; b1 takes 10.4 A · 230.94 V = 2,401.78 W. The first,
// b0, is filled: 25.6 A on s0's L2 and L3. Then b2 is bound by L2, where
// its current lies 60° off b0's: 25.6² + i² + 25.6·i = 32², i = 10.2755 A,
// 4,110.21 W; and b1 by L3, 30° off: 25.6² + i² + √3·25.6·i = 32²,
// i = 7.1582 A, 1,653.12 W. The rack's headroom is 16,003.33 W. Taking the
// last of the tied slots, b2, first would leave L3 with 10.28 A from b0,
// so that b1 is bound by its own bank: 10,240 + 4,110.21 + 2,401.78 =
// 16,751.98 W.
func TestFillRackTieFirstSlot(t *testing.T) {
	m := parseText(t, "tie.toml", oneSideTOML(40, 1000, "L2-L3 32", "L3 13", "L1-L2 32"))
	rep, err := Headroom(NewNetwork(m, BasisTypical), HeadroomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rh := rep.Racks[0]
	var w []float64
	for _, f := range rh.Feeds {
		w = append(w, *f.HeadroomW)
	}
	if len(w) != 3 || w[0] != 10240 || w[2] != 10240 || w[1] != 2401.77 {
		t.Fatalf("feeds' headroom %v W; want 10,240, 2,401.77 and 10,240 W", w)
	}
	i2 := (-25.6 + math.Sqrt(4*32*32-3*25.6*25.6)) / 2
	i1 := (-math.Sqrt(3)*25.6 + math.Sqrt(4*32*32-25.6*25.6)) / 2
	want := math.Floor((10240+i2*400+i1*400/math.Sqrt(3))*100) / 100
	if rh.HeadroomW == nil || *rh.HeadroomW != want || want != 16003.33 {
		t.Errorf("rack headroom %v W; want %.2f W (16,003.33)", fmtPtr(rh.HeadroomW), want)
	}
}
