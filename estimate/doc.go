// Package estimate tells when a platform will be back after a blackout, and
// how sure that is: the planned ETA (Monte-Carlo over the recovery
// simulator of package placement), the live ETA from the progress events of
// a recovery under way (per-node start throughput, remaining work per node,
// tier barriers), and, always beside it, the baseline the motivating
// incident's team used: the share of pre-incident RAM back in use,
// extrapolated linearly.
//
// Like the rest of the core it reads no clock and uses no global random
// source: times are seconds from power-on, randomness comes from seeds.
package estimate
