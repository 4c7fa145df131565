package power

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxListed is how many names a one-line description lists before it
// cuts the list with "… (N more)".
const MaxListed = 5

// Describe is a scenario's one-line summary for people, the same in the
// failover table and the report: what failed, the outcome in words, the
// trips of the worst-case and the certain cascade (at most MaxListed each,
// then "… (N more)") and what goes dark.
func (sc *Scenario) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "failure of %s (%s): %s", strings.Join(sc.Failed, " + "), sc.Kind, sc.Outcome)
	switch sc.Outcome {
	case Trip:
		b.WriteString(" (certain)")
	case MayTrip:
		b.WriteString(" (worst case of the trip bands only)")
	}
	if sc.Tripped > 0 {
		b.WriteString("; worst case trips " + tripList(sc.Events))
		if sc.Certain.Tripped == 0 {
			b.WriteString("; certain: no trip")
		} else {
			b.WriteString("; certain: trips " + tripList(sc.Certain.Trips))
		}
	}
	if d := len(sc.Dark.Devices); d > 0 {
		fmt.Fprintf(&b, "; %d %s dark", d, plural(d, "device", "devices"))
		if c := len(sc.Certain.Dark.Devices); c != d {
			fmt.Fprintf(&b, " (%d certainly)", c)
		}
		if len(sc.Dark.Racks) > 0 {
			b.WriteString(", " + plural(len(sc.Dark.Racks), "rack ", "racks ") + Cut(sc.Dark.Racks, MaxListed))
		}
	}
	return b.String()
}

// tripList names the trip events of a timeline with their times.
func tripList(evs []Event) string {
	var trips []string
	for _, e := range evs {
		if e.Event == "trip" {
			trips = append(trips, e.Element+" at "+Duration(e.TS))
		}
	}
	return Cut(trips, MaxListed)
}

// Cut joins the first k names with ", " and says how many more there are:
// "a, b, c, … (7 more)".
func Cut(names []string, k int) string {
	if len(names) <= k {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:k], ", ") + fmt.Sprintf(", … (%d more)", len(names)-k)
}

// Duration writes seconds as people read them: "0.005 s", "12.5 s",
// "26.6 min", "1.5 h", or "never" when infinite.
func Duration(s Seconds) string {
	v := float64(s)
	switch {
	case math.IsInf(v, 1):
		return "never"
	case v < 1:
		return strconv.FormatFloat(v, 'f', 3, 64) + " s"
	case v < 120:
		return strconv.FormatFloat(v, 'f', 1, 64) + " s"
	case v < 7200:
		return strconv.FormatFloat(v/60, 'f', 1, 64) + " min"
	}
	return strconv.FormatFloat(v/3600, 'f', 1, 64) + " h"
}
