// Package analysis builds the documents blackstart answers with: the
// power load, the failover sweep or one scenario, the restart plan, the
// policy comparison and the planned ETA of a model, and the JSON they are
// written as. The command line's --format json and the HTTP API's routes
// both call these functions, so that one question has one answer byte for
// byte wherever it is asked.
//
// The package does no I/O beyond writing to the io.Writer it is given and
// holds no state: each function is a function of the model and its options.
package analysis
