// Package diff answers "what did this change do" for two versions of a
// model: CompareElements lists the entities added, removed and changed key
// by key (resolved values, references as ids), and Analyze runs the load
// flow and the N-1 sweep on both and lists the single failures that became
// risky or safe and the racks whose worst failover load moved, with before
// and after figures. Compare does both.
//
// It reads power's results through two functions only, Outcomes (a
// sweep's scenarios) and RackFailovers (a load report's rack sides). Like
// the core it does no I/O, reads no clock and is deterministic.
package diff
