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

// TestByIDBounds: the dense part holds ids 0 to maxID when maxID is at
// most 4n + 4,096 (0 among 0 objects; 4,104 among 2), and maxID() says
// so; past that (4,105 among 2) the table is sparse and maxID() is −1.
// An id one past the dense part is stored and found (in the map), never
// out of range. maxIDOf an empty list is −1.
func TestByIDBounds(t *testing.T) {
	for _, c := range []struct{ maxID, n, want int }{{0, 0, 0}, {4104, 2, 4104}, {4105, 2, -1}, {7, 1, 7}} {
		tb := newByID[int](c.maxID, c.n)
		if got := tb.maxID(); got != c.want {
			t.Errorf("newByID(%d, %d).maxID() = %d, want %d", c.maxID, c.n, got, c.want)
		}
	}
	tb := newByID[int](7, 1)
	if got := tb.get(8); got != 0 {
		t.Errorf("get(8) of an empty table = %d, want 0", got)
	}
	tb.set(8, 5)
	tb.set(7, 4)
	if tb.get(8) != 5 || tb.get(7) != 4 || tb.dense[7] != 4 {
		t.Errorf("get(8), get(7) = %d, %d; want 5, 4 (7 in the dense part)", tb.get(8), tb.get(7))
	}
	if got := maxIDOf([]int{}, func(p *int) int { return *p }); got != -1 {
		t.Errorf("maxIDOf(empty) = %d, want -1", got)
	}
	if got := maxIDOf([]int{3, 9, 2}, func(p *int) int { return *p }); got != 9 {
		t.Errorf("maxIDOf(3, 9, 2) = %d, want 9", got)
	}
}
