package netbox

import (
	"fmt"
	"strings"
	"testing"
)

// TestOverlayRules: each value rule of an overlay, with a value it takes
// and one it refuses, by the message naming the rule: curve B, C or D;
// power factor in (0, 1] (1 taken, 0 refused); frequency 50 or 60;
// port_draw device or share; leg_connection line-to-neutral or
// line-to-line; a panel's line only with its input.
func TestOverlayRules(t *testing.T) {
	for _, c := range []struct {
		overlay string
		refused string // "" when taken
	}{
		{"[defaults]\ncurve = \"B\"\n", ""},
		{"[defaults]\ncurve = \"C\"\n", ""},
		{"[defaults]\ncurve = \"D\"\n", ""},
		{"[defaults]\ncurve = \"K\"\n", `defaults: curve must be B, C or D, got "K"`},
		{"[defaults]\npower_factor = 1\n", ""},
		{"[defaults]\npower_factor = 0\n", "defaults.power_factor must be in (0, 1], got 0"},
		{"[defaults]\npower_factor = 1.01\n", "defaults.power_factor must be in (0, 1], got 1.01"},
		{"[defaults]\nfrequency_hz = 50\n", ""},
		{"[defaults]\nfrequency_hz = 60\n", ""},
		{"[defaults]\nfrequency_hz = 55\n", "defaults.frequency_hz must be 50 or 60, got 55"},
		{"[defaults]\nport_draw = \"device\"\n", ""},
		{"[defaults]\nport_draw = \"share\"\n", ""},
		{"[defaults]\nport_draw = \"half\"\n", `defaults.port_draw must be "device" or "share", got "half"`},
		{"[defaults]\nleg_connection = \"line-to-neutral\"\n", ""},
		{"[defaults]\nleg_connection = \"line-to-line\"\n", ""},
		{"[defaults]\nleg_connection = \"delta\"\n", `defaults.leg_connection must be "line-to-neutral" or "line-to-line", got "delta"`},
		{"[[panel]]\nname = \"P\"\ninput = \"ups-a\"\nline = \"L1\"\n", ""},
		{"[[panel]]\nname = \"P\"\nline = \"L1\"\n", "panel P: line applies with input"},
	} {
		_, err := ParseOverlay("o.toml", []byte(c.overlay))
		switch {
		case c.refused == "" && err != nil:
			t.Errorf("%q: %v, want it taken", c.overlay, err)
		case c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused)):
			t.Errorf("%q: %v, want %q", c.overlay, err, c.refused)
		}
	}
}

// TestProblemCap: a response lists at most 100 problems (maxProblems)
// and then how many more: 100 panels whose name is a number give 100
// errors and no more; 101 give 100 and "… and 1 more problems in this
// response".
func TestProblemCap(t *testing.T) {
	for n, want := range map[int]string{100: `field "name" is a JSON number`, 101: "… and 1 more problems in this response"} {
		objs := make([]string, n)
		for i := range objs {
			objs[i] = fmt.Sprintf(`{"id": %d, "name": 5, "site": {"id": 1}}`, i+1)
		}
		data := []byte(fmt.Sprintf(`{"count": %d, "next": null, "previous": null, "results": [%s]}`, n, strings.Join(objs, ",")))
		_, errs := slowRead(t, "power-panels", data)
		if len(errs) != min(n, 101) || !strings.Contains(errs[len(errs)-1].Error(), want) {
			t.Errorf("%d bad panels: %d errors, the last %v; want %d, the last saying %q", n, len(errs), errs[len(errs)-1], min(n, 101), want)
		}
	}
}
