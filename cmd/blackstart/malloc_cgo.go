//go:build cgo && linux

package main

// One malloc arena for the whole process. The Go runtime starts its
// threads with pthread_create when cgo is linked in (the net package's
// resolver brings it), and glibc gives every thread that touches malloc
// its own arena, reserving 64 MiB of address space each (up to 8 per
// core). blackstart's Go code never uses malloc, so those reservations
// are only a cost: under an address-space limit (ulimit -v, prlimit
// --as) four threads took 256 MiB of the 2 GiB that the hostile-input
// suite allows. The constructor runs before the Go runtime starts any
// thread. A C library without M_ARENA_MAX (musl) has no such arenas.

/*
#include <malloc.h>

__attribute__((constructor)) static void blackstart_one_malloc_arena(void) {
#ifdef M_ARENA_MAX
	mallopt(M_ARENA_MAX, 1);
#endif
}
*/
import "C"
