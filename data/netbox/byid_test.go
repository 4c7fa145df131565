package netbox

import "testing"

func TestByID(t *testing.T) {
	for _, c := range []struct {
		name     string
		maxID, n int
		dense    bool
	}{{"dense", 100, 50, true}, {"sparse", 1 << 40, 3, false}} {
		tb := newByID[string](c.maxID, c.n)
		if (tb.dense != nil) != c.dense {
			t.Errorf("%s: dense %v, want %v", c.name, tb.dense != nil, c.dense)
		}
		for _, id := range []int{0, 7, 100, 1 << 40, -3} {
			tb.set(id, "x")
			if got := tb.get(id); got != "x" {
				t.Errorf("%s: get(%d) = %q after set, want x", c.name, id, got)
			}
		}
		if got := tb.get(8); got != "" {
			t.Errorf("%s: get(8) = %q, want empty", c.name, got)
		}
	}
}

// Ids far apart (a NetBox that has had objects deleted for years) import
// the same as dense ones.
func TestSparseIDs(t *testing.T) {
	dense := importJudged(t, readDirs(t, cabledDir), Options{})
	inv := readDirs(t, cabledDir)
	const far = 1 << 40
	for i := range inv.Ports {
		inv.Ports[i].ID += far
	}
	for i := range inv.Cables {
		for _, ts := range [][]Termination{inv.Cables[i].A, inv.Cables[i].B} {
			for k := range ts {
				if ts[k].ObjectType == "dcim.powerport" {
					ts[k].ObjectID += far
				}
			}
		}
	}
	for i := range inv.Outlets {
		if inv.Outlets[i].PowerPort != nil {
			inv.Outlets[i].PowerPort.ID += far
		}
	}
	sparse := importJudged(t, inv, Options{})
	if string(sparse.Model) != string(dense.Model) {
		t.Error("the model depends on how far apart the port ids are")
	}
}
