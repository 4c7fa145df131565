package topology

import "fmt"

// An inventory (NetBox) can describe a rack it cannot support a judgement
// on: feeds assigned to the rack and cabled to nothing, PSUs cabled to
// nothing, devices without a draw figure. The model says so (a rack's
// `feeds`, a PSU feed written as "", a device model's `draw_unknown`), and
// RackGaps turns it into the reasons a rack cannot be judged.

// rackFeeds resolves each rack's `feeds`: the elements the inventory
// assigns to it.
func (b *builder) rackFeeds() {
	for _, f := range b.files {
		for i := range f.raw.Rack {
			r := &f.raw.Rack[i]
			if r.ID == nil || len(r.Feeds) == 0 {
				continue
			}
			a := at{f.ix, fmt.Sprintf("rack[%d]", i)}
			idx, ok := b.m.RackIndex(*r.ID)
			if !ok {
				continue
			}
			rk := &b.m.Racks[idx]
			if rk.Pos != a.pos("") { // a duplicate id, reported by register
				continue
			}
			for j, fid := range r.Feeds {
				e, good := b.resolve(fid, tabElement, a, fmt.Sprintf("feeds[%d]", j), *r.ID, "feed")
				if !good {
					continue
				}
				el := &b.m.Elements[e]
				if el.Rack >= 0 && el.Rack != int32(idx) {
					b.errorf(a, fmt.Sprintf("feeds[%d]", j), *r.ID, "feed %q belongs to rack %q", fid, b.m.Racks[el.Rack].ID)
					continue
				}
				rk.Feeds = append(rk.Feeds, e)
			}
		}
	}
}

// RackGaps lists, for each rack (indexed as Model.Racks), why the model
// cannot support an N-1 judgement of it: a feed assigned to the rack that
// supplies none of its PSUs, a PSU that plugs into nothing known, a device
// whose draw is unknown. Empty reasons mean the rack can be judged. The
// reasons are in model order, one per finding.
func (m *Model) RackGaps() [][]string {
	out := make([][]string, len(m.Racks))
	// above[e] marks the elements upstream of (or equal to) a fed PSU of
	// the rack being examined; computed per rack only for racks that
	// declare feeds.
	devs := make([][]int32, len(m.Racks))
	for d := range m.Devices {
		dev := &m.Devices[d]
		if dev.Rack < 0 {
			continue
		}
		devs[dev.Rack] = append(devs[dev.Rack], int32(d))
	}
	mark := make([]int32, len(m.Elements)) // rack index + 1 that marked it
	for r := range m.Racks {
		rk := &m.Racks[r]
		var reasons []string
		if len(rk.Feeds) > 0 {
			stack := []int32{}
			for _, d := range devs[r] {
				for _, f := range m.Devices[d].Feeds {
					if mark[f] != int32(r)+1 {
						mark[f] = int32(r) + 1
						stack = append(stack, f)
					}
				}
			}
			for len(stack) > 0 {
				e := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				for _, in := range m.Elements[e].Inputs {
					if mark[in] != int32(r)+1 {
						mark[in] = int32(r) + 1
						stack = append(stack, in)
					}
				}
			}
			for _, f := range rk.Feeds {
				if mark[f] != int32(r)+1 {
					reasons = append(reasons, fmt.Sprintf("feed %q supplies no PSU in the rack (not cabled)", m.Elements[f].ID))
				}
			}
		}
		for _, d := range devs[r] {
			dev := &m.Devices[d]
			dm := &m.DeviceModels[dev.Model]
			if dm.DrawUnknown && dev.MeasuredW == 0 {
				reasons = append(reasons, fmt.Sprintf("device %q: draw unknown (model %q gives no figure)", dev.ID, dm.ID))
			}
			for _, k := range dev.Unfed {
				reasons = append(reasons, fmt.Sprintf("device %q: PSU %d plugs into nothing known", dev.ID, k+1))
			}
		}
		out[r] = reasons
	}
	return out
}
