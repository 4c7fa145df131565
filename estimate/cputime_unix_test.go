//go:build unix

package estimate

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) this process has used so
// far: what benchLivePair charges each estimator's estimates with, as wall
// time on a shared machine depends on the other processes' load.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
