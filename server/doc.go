// Package server is blackstart's HTTP API (blackstart serve): the store's
// models and revisions, and the analyses of a revision, as JSON under
// /api/v1. It is an edge like cmd/: handlers parse the request, call the
// same functions the command line calls (data/store, analysis) and write
// their answer; an analysis route's body is byte for byte what the CLI's
// --format json prints for the same flags.
//
// Safe by default: it listens on loopback unless told otherwise (and then
// only with a token), every write needs a token and is audited, request
// bodies and headers are bounded, heavy analyses run under a bound on
// concurrency, and results of a revision are computed once and cached by
// content. docs/api.md documents the routes.
package server
