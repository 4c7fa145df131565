// Package events reads and writes the files of a recovery's progress events
// (placement.Event): JSON Lines or CSV, one event per line, told apart by
// the first non-blank byte. Read checks every line against the cluster and
// reports every problem at once, each at file:line:col.
package events
