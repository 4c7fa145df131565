// Package topology is blackstart's model of a datacenter: its power graph
// (sources, UPSes, panels, breakers, branch circuits, transfer switches, rack
// PDUs and their banks), its racks, its device-model catalogue, its devices
// and nodes with the upstream of each PSU, and the workloads that run on
// them.
//
// A model is read from one or more TOML files (Load), which are merged; the
// loader reports every problem of every file in one ErrorList, each located
// as file:line:col. A loaded Model is immutable and fully resolved: every
// reference is an index, every electrical quantity has been inherited or
// defaulted, and the power graph and the service dependencies are acyclic
// and topologically ordered. The package does no I/O beyond reading the
// files it is asked to read, and never reads the clock.
package topology
