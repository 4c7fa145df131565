package generate

// specPowerResult is one published SPECpower_ssj2008 result: the wall power
// of a real server at active idle and at each target load from 10 % to
// 100 %. The first six fields quote ../shared/data/specpower-ssj2008.csv row
// by row (TestSpecPowerTable checks that they agree); Form and Weight are the
// generator's own reading of the system, not part of the data.
type specPowerResult struct {
	System      string
	Config      string      // as published: "16c 2.6GHz 24GB" (cores, clock, memory)
	IdleW       float64     // active idle, watts
	LoadW       [10]float64 // watts at 10 %, 20 %, … 100 % of the calibrated ssj_ops
	URL         string      // the result page at spec.org
	Transcribed string      // where the figures were transcribed from

	Form   formFactor
	Weight int // relative frequency among ordinary racks; 0: never drawn
}

// formFactor is the physical build of a system, read from its name.
type formFactor uint8

const (
	formRack      formFactor = iota // rack server, one node
	formTower                       // tower (or tower converted to 5U rack)
	formMultiNode                   // chassis holding several nodes, measured as one
)

// Load levels of specPowerResult.LoadW used by the generator.
const (
	specTypical = 4 // 50 % target load: the "typical" draw
	specPeak    = 9 // 100 % target load
	// specPlanned is the draw circuits, panels and UPSes are sized for: the
	// peak, the figure the power analysis takes by default.
	specPlanned = specPeak
)

// specPowerResults quotes every row of specpower-ssj2008.csv in file order
// (published SPECpower_ssj2008 results; see ../shared/data/SOURCES.md).
//
// The generator draws rack servers only. Towers are left out (forty T620s
// or ML110s do not fit in a rack), so are the multi-node chassis: their
// figures are for a whole chassis of several nodes, and a rack of forty
// such chassis would be neither physically plausible nor one node per
// device. The R830's configuration is not in the data, so its nodes carry
// no RAM or core count; it is the only four-socket system and the densest
// draw, the kind of rack that outgrows its circuits.
var specPowerResults = [...]specPowerResult{
	{"Dell PowerEdge R620", "16c 2.6GHz 24GB", 54.1,
		[10]float64{78.4, 88.5, 99.5, 115, 126, 143, 165, 196, 226, 243},
		"http://www.spec.org/power_ssj2008/results/res2012q1/power_ssj2008-20120306-00434.html",
		"glelouet/optiplace SPEC_POWER_Catalog.java", formRack, 4},
	{"Dell PowerEdge R720", "16c 2.6GHz 24GB", 51,
		[10]float64{75, 84.5, 95, 110, 120, 137, 159, 187, 217, 231},
		"http://www.spec.org/power_ssj2008/results/res2012q1/power_ssj2008-20120306-00435.html",
		"glelouet/optiplace SPEC_POWER_Catalog.java", formRack, 3},
	{"Dell PowerEdge T620", "16c 2.6GHz 24GB", 50.2,
		[10]float64{73.7, 83.3, 93.8, 110, 119, 135, 156, 183, 212, 227},
		"http://www.spec.org/power_ssj2008/results/res2012q1/power_ssj2008-20120306-00436.html",
		"glelouet/optiplace SPEC_POWER_Catalog.java", formTower, 0},
	{"Fujitsu PRIMERGY RX300 S7", "16c 2.2GHz 32GB", 53.1,
		[10]float64{74.9, 85.3, 94.9, 105, 117, 134, 156, 187, 217, 245},
		"http://www.spec.org/power_ssj2008/results/res2012q1/power_ssj2008-20120305-00429.html",
		"glelouet/optiplace SPEC_POWER_Catalog.java", formRack, 2},
	{"Huawei RH2288 V2 (E5-2660)", "16c 2.2GHz 32GB", 59.7,
		[10]float64{87.2, 97.9, 109, 120, 133, 150, 171, 196, 231, 257},
		"http://www.spec.org/power_ssj2008/results/res2012q1/power_ssj2008-20120229-00423.html",
		"glelouet/optiplace SPEC_POWER_Catalog.java", formRack, 2},
	{"Dell PowerEdge C5220", "48c 2.6GHz 96GB (multi-node)", 194,
		[10]float64{254, 303, 345, 386, 427, 481, 539, 597, 635, 672},
		"http://www.spec.org/power_ssj2008/results/res2013q2/ (page not given)",
		"glelouet/optiplace SPEC_POWER_Catalog.java", formMultiNode, 0},
	{"Acer AW2000h-AW170h F2", "64c 2.6GHz 512GB (multi-node)", 364,
		[10]float64{461, 548, 649, 779, 915, 1052, 1169, 1257, 1526, 1700},
		"http://www.spec.org/power_ssj2008/results/res2013q1/power_ssj2008-20121212-00590.html",
		"glelouet/optiplace SPEC_POWER_Catalog.java", formMultiNode, 0},
	{"IBM x3550 M3 (2x Xeon X5675)", "12c 3.07GHz 16GB", 58.4,
		[10]float64{98, 109, 118, 128, 140, 153, 170, 189, 205, 222},
		"http://www.spec.org/power_ssj2008/results/res2011q2/power_ssj2008-20110406-00368.html",
		"Cloudslab/cloudsim PowerModelSpecPowerIbmX3550XeonX5675.java", formRack, 2},
	{"HP ProLiant ML110 G5 (Xeon 3075)", "2c 2.66GHz 4GB", 93.7,
		[10]float64{97, 101, 105, 110, 116, 121, 125, 129, 133, 135},
		"http://www.spec.org/power_ssj2008/results/res2011q1/power_ssj2008-20110124-00339.html",
		"Cloudslab/cloudsim PowerModelSpecPowerHpProLiantMl110G5Xeon3075.java", formTower, 0},
	{"Dell PowerEdge R830", "config not given in excerpt", 86.4,
		[10]float64{181, 215, 253, 287, 315, 340, 377, 421, 483, 562},
		"http://spec.org/power_ssj2008/results/res2016q3/power_ssj2008-20160705-00737.html",
		"code-search excerpt (repo not named; class DellPowerEdgeR830 extends PowerModelSpecPower)", formRack, 1},
}
