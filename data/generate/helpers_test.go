package generate

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestSizingHelpers pins the generator's sizing helpers by hand. A device
// of a amperes draws a·230.94·0.95 W. genBranchFor: the smallest
// three-phase branch (16, 32, 63 A) whose worst line (⌈m/3⌉ devices) and
// worst bank (⌈m/(3(i+1))⌉ devices on 16-A banks) stay within 80 %: 36
// devices of 1 A: 12 A on a line and a bank, the 16-A branch; 40 of 1 A:
// 14 A, the 32-A one; 13 of 5 A: 25 A fits a 32-A branch's line but its
// banks carry 15 A, so the 63-A one (banks 10 A); 9 of 20 A: 60 A, none.
// genSingleFor: the smallest single-phase branch carrying m·a within
// 80 %: 10 A on 16 A, 14 A on 20 A, 51 A on none (63 A carries 50.4 A).
// genPSUFor: the smallest PSU at or above 1.3 × peak (400 W: 550 W; above
// the largest: 2,000 W). genCeilDiv, genSlug, genPad.
func TestSizingHelpers(t *testing.T) {
	w := func(a float64) float64 { return a * genVLN * genPF }
	for _, c := range []struct {
		m    int
		a    float64
		want int
	}{{36, 1, 0}, {40, 1, 1}, {13, 5, 2}, {9, 20, -1}} {
		if got := genBranchFor(c.m, w(c.a)); got != c.want {
			t.Errorf("genBranchFor(%d devices of %g A) = %d, want %d", c.m, c.a, got, c.want)
		}
	}
	for _, c := range []struct {
		m    int
		a    float64
		want int
	}{{10, 1, 0}, {14, 1, 1}, {51, 1, -1}} {
		if got := genSingleFor(c.m, w(c.a)); got != c.want {
			t.Errorf("genSingleFor(%d devices of %g A) = %d, want %d", c.m, c.a, got, c.want)
		}
	}
	for peak, want := range map[float64]float64{400: 550, 2000: 2000} {
		if got := genPSUFor(peak); got != want {
			t.Errorf("genPSUFor(%g W) = %g W, want %g W", peak, got, want)
		}
	}
	for _, c := range [][3]int{{6, 3, 2}, {7, 3, 3}, {1, 3, 1}} {
		if got := genCeilDiv(c[0], c[1]); got != c[2] {
			t.Errorf("genCeilDiv(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
	for s, want := range map[string]string{"Dell PowerEdge R620": "dell-poweredge-r620", " (a) Xeon--E5 9z ": "a-xeon-e5-9z", "R0a": "r0a"} {
		if got := genSlug(s); got != want {
			t.Errorf("genSlug(%q) = %q, want %q", s, got, want)
		}
	}
	if got := genPad(7, 4) + " " + genPad(12345, 4); got != "0007 12345" {
		t.Errorf("genPad: %q, want \"0007 12345\"", got)
	}
}

// TestSiteRoles: a site's racks by role in exact proportions: about 5 %
// internal ((n + 10) / 20, at least one), 10 % db ((n + 5) / 10, at least
// one from two racks), the rest app; one rack in ten ((n + 5) / 10)
// sized the naive way. 100 racks: 5 internal, 10 db, 10 naive; 40: 2, 4,
// 4; 2: 1, 1, 0; 1: 1, 0, 0.
func TestSiteRoles(t *testing.T) {
	for _, c := range []struct{ n, internal, db, naive int }{{100, 5, 10, 10}, {40, 2, 4, 4}, {2, 1, 1, 0}, {1, 1, 0, 0}} {
		g := &generator{o: SiteOptions{Racks: c.n, PerRack: 10, Seed: 3}, rng: rand.New(rand.NewPCG(3, 0x626c61636b737461))}
		if err := g.plan(); err != nil {
			t.Fatalf("%d racks: %v", c.n, err)
		}
		var internal, db, naive int
		for _, r := range g.racks {
			switch r.role {
			case roleInternal:
				internal++
			case roleDB:
				db++
			}
			if r.naive {
				naive++
			}
		}
		if internal != c.internal || db != c.db || naive != c.naive {
			t.Errorf("%d racks: %d internal, %d db, %d naive; want %d, %d, %d", c.n, internal, db, naive, c.internal, c.db, c.naive)
		}
	}
}

// TestStartDistAndCount: a generated service's timeout is three times its
// p90 rounded up to the minute, at least the minimum: median 40 s, p90
// 2.5 × = 100 s: 300 s; median 10 s, p90 20 s: 60 s, so the 120-s minimum;
// median 70 s, p90 140 s: 420 s. count writes one in the singular.
func TestStartDistAndCount(t *testing.T) {
	for _, c := range []struct {
		med, x float64
		want   string
	}{
		{40, 2.5, "timeout_s = 300\nstart = { dist = \"lognormal\", median_s = 40, p90_s = 100 }\n"},
		{10, 2, "timeout_s = 120\nstart = { dist = \"lognormal\", median_s = 10, p90_s = 20 }\n"},
		{70, 2, "timeout_s = 420\nstart = { dist = \"lognormal\", median_s = 70, p90_s = 140 }\n"},
	} {
		var b bytes.Buffer
		g := &generator{}
		g.w = genWriter{w: bufio.NewWriter(&b)}
		g.startDist(c.med, c.x, 120)
		g.w.w.Flush()
		if b.String() != c.want {
			t.Errorf("startDist(%g, %g, 120):\n%s\nwant\n%s", c.med, c.x, b.String(), c.want)
		}
	}
	if got := count(1, "rack") + ", " + count(2, "rack") + ", " + count(0, "row"); got != "1 rack, 2 racks, 0 rows" {
		t.Errorf("count: %q", got)
	}
}
