package power

import (
	"fmt"

	"blackstart/topology"
)

// cannotJudge adds the racks m cannot support a judgement of to the
// summary and its headline.
func (s *SweepSummary) cannotJudge(m *topology.Model) {
	for r, g := range m.RackGaps() {
		if len(g) > 0 {
			s.CannotJudgeRackIDs = append(s.CannotJudgeRackIDs, m.Racks[r].ID)
		}
	}
	s.CannotJudgeRacks = len(s.CannotJudgeRackIDs)
	if s.CannotJudgeRacks > 0 {
		s.Headline += fmt.Sprintf("; %d %s cannot be judged (uncabled feeds, unfed PSUs or unknown draws)",
			s.CannotJudgeRacks, plural(s.CannotJudgeRacks, "rack", "racks"))
	}
}
