package placement

import (
	"math"
	"strings"
	"testing"
)

// TestCheckOptionsBounds: the refresh period and the dispatch rate a
// caller may set are taken at exactly their bounds (docs/limits.md: 0.1 s
// and 86,400 s; 0.01 and 1,000,000 starts/s) and at 0 (the default, no
// limit), and refused just past them and as NaN or infinite, naming the
// option.
func TestCheckOptionsBounds(t *testing.T) {
	for _, c := range []struct {
		o    SimOptions
		want string // "" accepted; else a word the error must hold
	}{
		{SimOptions{}, ""},
		{SimOptions{RefreshS: MinRefreshS}, ""},
		{SimOptions{RefreshS: MaxRefreshS}, ""},
		{SimOptions{RefreshS: math.Nextafter(MinRefreshS, 0)}, "refresh period"},
		{SimOptions{RefreshS: math.Nextafter(MaxRefreshS, math.Inf(1))}, "refresh period"},
		{SimOptions{RefreshS: -1}, "refresh period"},
		{SimOptions{RefreshS: math.NaN()}, "refresh period"},
		{SimOptions{RefreshS: math.Inf(1)}, "refresh period"},
		{SimOptions{DispatchPerS: MinDispatchPerS}, ""},
		{SimOptions{DispatchPerS: MaxDispatchPerS}, ""},
		{SimOptions{DispatchPerS: math.Nextafter(MinDispatchPerS, 0)}, "dispatch rate"},
		{SimOptions{DispatchPerS: math.Nextafter(MaxDispatchPerS, math.Inf(1))}, "dispatch rate"},
		{SimOptions{DispatchPerS: math.NaN()}, "dispatch rate"},
		{SimOptions{DispatchPerS: math.Inf(1)}, "dispatch rate"},
	} {
		err := CheckOptions(c.o)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("refresh %g s, dispatch %g/s: %v, want accepted", c.o.RefreshS, c.o.DispatchPerS, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("refresh %g s, dispatch %g/s: %v, want an error on the %s", c.o.RefreshS, c.o.DispatchPerS, err, c.want)
		}
	}
}
