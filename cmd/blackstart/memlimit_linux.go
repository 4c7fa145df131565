package main

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

// Under an address-space limit (RLIMIT_AS: ulimit -v, prlimit --as), the
// Go runtime's reservations (about 1.1 GiB of address space on amd64,
// whatever the heap) leave the heap a fraction of the limit, and the heap
// never gives address space back: by default it grows to twice the live
// data between collections and reaches the limit long before the live
// data does. heapLimit sets the runtime's soft memory limit so that the
// collector works harder instead (GOMEMLIMIT, when set, is left alone).

// heapMargin is the address space kept out of the heap's share, bytes:
// the heap grows by 64 MiB arenas, and thread stacks and the runtime's
// own metadata grow beside it.
const heapMargin = 192 << 20

// heapLimit returns the soft memory limit for the Go runtime under the
// process's address-space limit, bytes, and whether there is one: the room
// left by what is mapped now (/proc/self/statm), less heapMargin and a
// tenth for the metadata that grows with the heap.
func heapLimit() (int64, bool) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0, false
	}
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &r); err != nil || r.Cur == ^uint64(0) || r.Cur > 1<<50 {
		return 0, false
	}
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	fields := strings.Fields(string(statm))
	if len(fields) == 0 {
		return 0, false
	}
	pages, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return 0, false
	}
	room := int64(r.Cur) - pages*int64(os.Getpagesize()) - heapMargin
	room -= room / 10
	if room < 64<<20 {
		room = 64 << 20 // too little to run anyway: let the collector try
	}
	return room, true
}

// boundHeap applies heapLimit.
func boundHeap() {
	if limit, ok := heapLimit(); ok {
		debug.SetMemoryLimit(limit)
	}
}
