package netbox

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"blackstart/power"
	"blackstart/topology"
)

// Judge loads the imported model (with the upstream model files the
// overlay's panels name as inputs) and sets blackstart's figures beside
// NetBox's in the report: each feed's normal and failover current, each
// rack's worst failover verdict (cannot-judge when the inventory cannot
// support one). name is the model's file name in messages. The error is a
// topology.ErrorList when the model (or an upstream file) does not load.
func (r *Result) Judge(name string, upstream ...topology.File) (*topology.Model, error) {
	files := append([]topology.File{{Name: name, Data: r.Model}}, upstream...)
	m, err := topology.Parse(files...)
	if err != nil {
		return nil, err
	}
	sides := map[string]power.SideLoad{}
	racks := map[string]power.RackLoad{}
	for _, rl := range power.NewNetwork(m, power.BasisConservative).RackLoads() {
		racks[rl.ID] = rl
		for _, s := range rl.Sides {
			sides[s.Feed] = s
		}
	}
	for i := range r.Report.Feeds {
		f := &r.Report.Feeds[i]
		if s, ok := sides[f.ID]; ok {
			f.NormalA, f.FailoverA, f.FailoverVerdict = s.NormalA, s.FailoverA, s.FailoverVerdict.String()
		} else {
			f.FailoverVerdict = "-"
		}
	}
	r.Report.CannotJudgeRacks = 0
	for i := range r.Report.Racks {
		rf := &r.Report.Racks[i]
		rl := racks[rf.ID]
		rf.Verdict, rf.CannotJudge = rl.Worst.String(), rl.CannotJudge
		for _, s := range rl.Sides {
			rf.WorstFailoverPct = math.Max(rf.WorstFailoverPct, s.FailoverPct)
		}
		if len(rl.CannotJudge) > 0 {
			r.Report.CannotJudgeRacks++
		}
	}
	// Worst first, as the analysis ranks them.
	sort.SliceStable(r.Report.Racks, func(i, j int) bool {
		a, b := racks[r.Report.Racks[i].ID], racks[r.Report.Racks[j].ID]
		return a.Worst > b.Worst
	})
	r.Report.Headline += fmt.Sprintf("; %d of %s cannot be judged", r.Report.CannotJudgeRacks, counted(len(r.Report.Racks), "rack"))
	return m, nil
}

// WriteText writes the report for a person: the headline, the counts, the
// defaults applied, racks and feeds with NetBox's figures beside
// blackstart's, and every finding (up to limit of each kind; 0: all).
func (rep *Report) WriteText(w io.Writer, limit int) error {
	pw := &errWriter{w: w}
	fmt.Fprintf(pw, "NetBox import: %s\n", rep.Headline)
	fmt.Fprintf(pw, "read from %s", strings.Join(rep.Sources, ", "))
	if rep.Site != "" {
		fmt.Fprintf(pw, "; site %s", rep.Site)
	}
	fmt.Fprintln(pw)
	missing := map[string][]string{}
	var dirs []string
	for _, m := range rep.MissingEndpoints {
		d, f := filepath.Split(m)
		if missing[d] == nil {
			dirs = append(dirs, d)
		}
		missing[d] = append(missing[d], strings.TrimSuffix(f, ".json"))
	}
	for _, d := range dirs {
		fmt.Fprintf(pw, "  %s has no response for %s\n", filepath.Clean(d), strings.Join(missing[d], ", "))
	}
	tw := tabwriter.NewWriter(pw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nENDPOINT\tREAD\tIMPORTED")
	for _, c := range rep.Counts {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", c.Endpoint, c.Read, c.Imported)
	}
	tw.Flush()
	fmt.Fprintln(pw, "\ndefaults applied (NetBox does not hold these; an overlay file sets them):")
	for _, d := range rep.Defaults {
		fmt.Fprintf(pw, "  %s = %s: %d %s; %s\n", d.Setting, d.Value, d.Elements, plural(d.Elements, "element", "elements"), d.Why)
	}
	if len(rep.UpstreamElements) > 0 {
		fmt.Fprintf(pw, "panels fed from upstream elements: %s (give their model file with the import and the analysis)\n", strings.Join(rep.UpstreamElements, ", "))
	}
	tw = tabwriter.NewWriter(pw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nRACK\tFEEDS\tNETBOX AVAILABLE\tNETBOX ALLOCATED\tNETBOX UTILIZATION\tBLACKSTART N-1\tWORST FAILOVER\tWHY IT CANNOT BE JUDGED")
	for i, r := range rep.Racks {
		if limit > 0 && i == limit {
			fmt.Fprintf(tw, "… %d more racks (--format json lists them)\n", len(rep.Racks)-limit)
			break
		}
		why := "-"
		if len(r.CannotJudge) > 0 {
			why = r.CannotJudge[0]
			if len(r.CannotJudge) > 1 {
				why += fmt.Sprintf(" (+%d more)", len(r.CannotJudge)-1)
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f VA\t%.0f W\t%.1f %%\t%s\t%.1f %%\t%s\n", r.ID, r.Feeds, r.AvailablePowerVA, r.AllocatedW, r.NetBoxUtilizationPct, r.Verdict, r.WorstFailoverPct, why)
	}
	tw.Flush()
	tw = tabwriter.NewWriter(pw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nFEED\tPANEL\tRACK\tNETBOX\tAVAILABLE (NetBox)\tALLOCATED\tUTILIZATION\tBREAKER CONTINUOUS LIMIT\tNORMAL\tFAILOVER\tVERDICT")
	for i, f := range rep.Feeds {
		if limit > 0 && i == limit {
			fmt.Fprintf(tw, "… %d more feeds (--format json lists them)\n", len(rep.Feeds)-limit)
			break
		}
		ph := "1-phase"
		if f.Phases == 3 {
			ph = "3-phase"
		}
		cab := ""
		if !f.Cabled {
			cab = " (uncabled)"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%g V %g A %s × %g %%\t%.0f VA\t%.0f W\t%.1f %%\t%.2f A\t%.2f A\t%.2f A\t%s\n", f.ID, cab, f.Panel, f.Rack, f.VoltageV, f.AmperageA, ph, f.MaxUtilizationPct,
			f.AvailablePowerVA, f.AllocatedW, f.NetBoxUtilizationPct, f.ContinuousLimitA, f.NormalA, f.FailoverA, f.FailoverVerdict)
	}
	tw.Flush()
	list := func(title string, fs []Finding) {
		if len(fs) == 0 {
			return
		}
		fmt.Fprintf(pw, "\n%s (%d):\n", title, len(fs))
		for i, f := range fs {
			if limit > 0 && i == limit {
				fmt.Fprintf(pw, "  … %d more (--format json lists them)\n", len(fs)-limit)
				break
			}
			fmt.Fprintf(pw, "  %s: %s\n", f.Object, f.Reason)
		}
	}
	list("feeds with no cable", rep.UncabledFeeds)
	list("PSUs with no path to a feed", rep.UnfedPSUs)
	list("ports with no draw figure", rep.PortsWithoutDraw)
	list("devices whose power ports disagree with their device type's templates", rep.TemplateMismatch)
	list("devices without power ports (not modelled)", rep.DevicesWithoutPSU)
	list("skipped", rep.Skipped)
	if len(rep.Warnings) > 0 {
		fmt.Fprintf(pw, "\nwarnings (%d):\n", len(rep.Warnings))
		for _, s := range rep.Warnings {
			fmt.Fprintf(pw, "  %s\n", s)
		}
	}
	return pw.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// counted writes n and the noun, in the plural unless n is 1.
func counted(n int, noun string) string {
	return fmt.Sprintf("%d %s", n, plural(n, noun, noun+"s"))
}
