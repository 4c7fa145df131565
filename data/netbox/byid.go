package netbox

// byID holds a value per NetBox id: in a slice indexed by id when the ids
// are dense enough (NetBox's usually are), else in a map. A large import
// looks ids up hundreds of thousands of times, and a slice keeps them
// together in memory.
type byID[T any] struct {
	dense  []T
	sparse map[int]T
}

// newByID sizes the table for ids up to maxID among n objects.
func newByID[T any](maxID, n int) *byID[T] {
	if maxID >= 0 && maxID <= 4*n+4096 {
		return &byID[T]{dense: make([]T, maxID+1)}
	}
	return &byID[T]{sparse: make(map[int]T, n)}
}

func (t *byID[T]) get(id int) T {
	if t.dense != nil && id >= 0 && id < len(t.dense) {
		return t.dense[id]
	}
	return t.sparse[id] // nil map: the zero value
}

func (t *byID[T]) set(id int, v T) {
	if t.dense != nil && id >= 0 && id < len(t.dense) {
		t.dense[id] = v
		return
	}
	if t.sparse == nil {
		t.sparse = map[int]T{}
	}
	t.sparse[id] = v
}

func maxIDOf[T any](l []T, id func(*T) int) int {
	m := -1
	for i := range l {
		m = max(m, id(&l[i]))
	}
	return m
}

// maxID is the largest id the dense part can hold, -1 when sparse.
func (t *byID[T]) maxID() int { return len(t.dense) - 1 }
