package estimate

import "testing"

// TestRankSetResetClears: reset to the same size empties a set left in
// use (projectNode stops once a node's last hopeful instance is up,
// leaving waiting places behind): places 5 and 70 left in a set of 100,
// then 7 pushed after reset(100), pops 7 alone.
func TestRankSetResetClears(t *testing.T) {
	var s rankSet
	s.reset(100)
	s.push(5)
	s.push(70)
	s.reset(100)
	s.push(7)
	if got := s.pop(); got != 7 || s.n != 0 {
		t.Errorf("after reset and a push of 7: popped %d, %d left; want 7, 0", got, s.n)
	}
}
