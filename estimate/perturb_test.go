package estimate

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"blackstart/placement"
	"blackstart/topology"
)

// TestPerturbStallsOneRunInFour pins the stall rule of the evaluation's
// perturbations: in one run out of four, one role's nodes start at a fifth
// of their speed. On 40 nodes of role a and 40 of role b, a stalled role's
// mean log speed is about ln 0.2 = −1.6 (else about −0.07, the tenth of
// nodes at half speed; its spread over 40 nodes is under 0.1), so the test
// counts, over 400 seeds, the runs with a role whose mean is below −0.8:
// about 100 (1 in 4; 3 in 4 would be 300), never both roles at once; and
// in the other runs the mean log speed shows a tenth of the nodes at half
// speed.
func TestPerturbStallsOneRunInFour(t *testing.T) {
	var b strings.Builder
	b.WriteString("[[source]]\nid = \"u\"\nvoltage_v = 230\n[[circuit]]\nid = \"c\"\ninput = \"u\"\n[[rack]]\nid = \"r\"\n[[device_model]]\nid = \"m\"\ntypical_w = 10\nram_gib = 64\ncpu_cores = 64\n")
	for k := range 80 {
		fmt.Fprintf(&b, "[[device]]\nid = \"n%d\"\nrack = \"r\"\nmodel = \"m\"\nfeeds = [\"c\"]\nrole = %q\n", k, []string{"a", "b"}[k%2])
	}
	m, err := topology.Parse(topology.File{Name: "roles.toml", Data: []byte(b.String())})
	if err != nil {
		t.Fatal(err)
	}
	c := placement.NewCluster(m)
	stalled, free, freeMean := 0, 0, 0.0
	for seed := range uint64(400) {
		pt := perturb(c, seed)
		var sum [2]float64
		for n, s := range pt.speed {
			sum[n%2] += math.Log(s) / 40
		}
		a, bb := sum[0] < -0.8, sum[1] < -0.8
		if a && bb {
			t.Fatalf("seed %d: both roles stalled (mean log speeds %.2f, %.2f)", seed, sum[0], sum[1])
		}
		if a || bb {
			stalled++
		} else {
			free++
			freeMean += (sum[0] + sum[1]) / 2
		}
	}
	// A tenth of the nodes at half speed: mean log speed 0.1 × ln 0.5 =
	// −0.069 in the runs without a stall (nine tenths would give −0.62).
	if freeMean /= float64(free); freeMean < -0.12 || freeMean > -0.02 {
		t.Errorf("mean log speed of the runs without a stall: got %.3f, want about −0.069 (a tenth of the nodes at half speed)", freeMean)
	}
	if stalled < 70 || stalled > 130 {
		t.Errorf("got %d of 400 runs with a stalled role, want about 100 (one in four)", stalled)
	}
	t.Logf("%d of 400 runs stall a role; the others' mean log speed %.3f", stalled, freeMean)
}
