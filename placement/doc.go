// Package placement plans the cold restart of a whole platform and
// simulates the recovery under a start policy.
//
// The planner (Plan) places every workload instance of a topology.Model on a
// node and orders the starts: dependency tiers, node capacity (RAM, CPU,
// GPUs of the allowed types, shares of one GPU), a per-node limit of
// concurrent starts, spread of each service over its failure domain (node,
// rack or power feed), pinned instances, and the power package's budget
// (power.Budget), which keeps every rated element within its limit, on
// per-line phasors, even when the other feeds of the nodes below it are
// lost. Every placement is accounted the moment it is decided. Hosting
// joins a plan with the dark devices of a power scenario: the instances
// that go down with them. Each node
// starts, among its instances whose dependencies are up, the one of highest
// dispatch priority first: the 99th percentile of its start time plus the
// expected chain behind it, so a start that may run long is not left to
// the end.
//
// The simulator (Simulate) is discrete-event: a node runs up to c starts at
// full speed and slows every start in proportion above that (processor
// sharing); a start that outlives its timeout fails and is retried with
// backoff and jitter; dependents wait for a quorum of what they depend on.
// Policies run against the same simulator and the same seeded durations:
// "plan", and the baselines "stale" (rank nodes by a metrics snapshot
// refreshed every R seconds, the incident's policy), "random" and "p2c"
// (best of two random nodes on stale metrics).
//
// Everything is a function of the model, the options and the seed: no
// clock, no global random source. Times are seconds from the moment power
// is back.
package placement
