package topology

import "testing"

// TestKindString: each kind is named as the model file writes it, the
// last (bank) too; a value past the kinds is "unknown", not a panic.
func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindSource: "source", KindATS: "ats", KindBank: "bank", KindBank + 1: "unknown", 100: "unknown"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}
