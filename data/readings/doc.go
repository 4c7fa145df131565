// Package readings reads the files of measured loads that PDUs and power
// meters export: CSV with a header row, or JSON Lines, one reading per
// row or line, told apart by the file's first non-blank byte ('{' is JSON
// Lines). A reading is a time (Unix seconds, integer or decimal, or RFC
// 3339), an element id, a power in watts and/or a current in amperes, and
// optionally the line (L1, L2, L3) of a per-phase reading. Read checks
// every row and reports each problem at file:line:col; docs/measurements.md
// is the reference of the format.
package readings
