package estimate

import (
	"os"
	"testing"
)

// TestMain runs the package's tests; with ESTIMATE_SPLIT_ALL set (to
// anything), every estimator splits each node-by-node part of its
// projections with a second worker (splitEvery, as shape.splitAll), so
// that the whole suite, under -race too, checks the merge:
//
//	ESTIMATE_SPLIT_ALL=1 go test -race ./estimate
func TestMain(m *testing.M) {
	splitEvery = os.Getenv("ESTIMATE_SPLIT_ALL") != ""
	os.Exit(m.Run())
}
