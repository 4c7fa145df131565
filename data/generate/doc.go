// Package generate writes synthetic blackstart models as TOML: Site builds
// a realistic site of any number of racks (server draws taken from
// published SPECpower_ssj2008 results), Platform the hosting platform of the
// motivating incident at its scale, and Readings a CSV file of
// device power readings for a model, as its PDUs would export them. The output is a function of the options
// alone (a seeded PCG source), byte for byte.
package generate
