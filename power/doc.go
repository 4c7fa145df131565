// Package power computes the electrical state of a topology.Model: the load
// on every element and line (phasor sums on three-phase systems), verdicts
// against ratings and trip bands (IEC 60898-1, IEC 60947-2, UL 489, UPS
// overload tolerance), the N-1 sweep of every single failure, and the
// event-driven cascade that follows a failure.
//
// Everything is a pure function of the model, a draw basis and options:
// no clock, no randomness, no I/O. Currents are amperes (RMS), powers
// watts, apparent powers volt-amperes, times seconds.
package power
