//go:build !unix

package estimate

import "time"

// processCPU is not measured here: benchLivePair's CPU figures read 0.
func processCPU() time.Duration { return 0 }
