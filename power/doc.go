// Package power computes the electrical state of a topology.Model: the load
// on every element and line (phasor sums on three-phase systems, with the
// neutral current of wye elements), verdicts against ratings and trip bands
// (IEC 60898-1, IEC 60947-2, UL 489, UPS overload tolerance), the N-1 sweep
// of every single failure, and the event-driven cascades that follow a
// failure: the worst case (the darkest outcome the trip bands allow: each
// trip at the earliest time of its band, in the order, where bands overlap,
// that darkens most; searched up to 64 cascades per failure) and the
// certain one (only what must trip).
//
// It also holds the one failover-safe power budget (Budget, and the N-1-safe
// predicate Network.N1Safe) that the restart planner and the capacity
// commands test loads against.
//
// Everything is a pure function of the model, a draw basis and options:
// no clock, no randomness, no I/O. Currents are amperes (RMS), powers
// watts, apparent powers volt-amperes, times seconds.
package power
