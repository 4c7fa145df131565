package topology

import (
	"slices"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"
	"gonum.org/v1/gonum/graph/simple"
)

// idNode is a node of an idGraph: an index into one of the model's slices.
type idNode int64

// ID returns the index.
func (n idNode) ID() int64 { return int64(n) }

// idGraph is a directed graph over the indices 0..n-1 of a model slice,
// stored as adjacency lists: it lets gonum's topological sort run over
// hundreds of thousands of model entries without building gonum's
// map-based simple graph. It implements graph.Directed.
type idGraph struct {
	succ [][]int32 // per node: successors, ascending, no duplicates
}

func newIDGraph(n int) *idGraph { return &idGraph{succ: make([][]int32, n)} }

// addEdge adds u → v once.
func (g *idGraph) addEdge(u, v int32) {
	s := g.succ[u]
	k, found := slices.BinarySearch(s, v)
	if !found {
		g.succ[u] = slices.Insert(s, k, v)
	}
}

func (g *idGraph) has(id int64) bool { return id >= 0 && id < int64(len(g.succ)) }

// Node returns the node with that id, nil when out of range.
func (g *idGraph) Node(id int64) graph.Node {
	if !g.has(id) {
		return nil
	}
	return idNode(id)
}

// Nodes returns every node in index order.
func (g *idGraph) Nodes() graph.Nodes {
	ns := make([]graph.Node, len(g.succ))
	for i := range ns {
		ns[i] = idNode(i)
	}
	return iterator.NewOrderedNodes(ns)
}

// From returns the successors of id in index order.
func (g *idGraph) From(id int64) graph.Nodes {
	if !g.has(id) || len(g.succ[id]) == 0 {
		return graph.Empty
	}
	ns := make([]graph.Node, len(g.succ[id]))
	for i, v := range g.succ[id] {
		ns[i] = idNode(v)
	}
	return iterator.NewOrderedNodes(ns)
}

// HasEdgeFromTo reports whether u → v.
func (g *idGraph) HasEdgeFromTo(u, v int64) bool {
	if !g.has(u) {
		return false
	}
	_, found := slices.BinarySearch(g.succ[u], int32(v))
	return found
}

// HasEdgeBetween reports whether u → v or v → u.
func (g *idGraph) HasEdgeBetween(u, v int64) bool {
	return g.HasEdgeFromTo(u, v) || g.HasEdgeFromTo(v, u)
}

// Edge returns the edge u → v, nil when there is none.
func (g *idGraph) Edge(u, v int64) graph.Edge {
	if !g.HasEdgeFromTo(u, v) {
		return nil
	}
	return simple.Edge{F: idNode(u), T: idNode(v)}
}

// To returns the predecessors of id in index order (a full scan: the
// topological sort does not call it).
func (g *idGraph) To(id int64) graph.Nodes {
	var ns []graph.Node
	for u := range g.succ {
		if g.HasEdgeFromTo(int64(u), id) {
			ns = append(ns, idNode(u))
		}
	}
	if len(ns) == 0 {
		return graph.Empty
	}
	return iterator.NewOrderedNodes(ns)
}
