//go:build !unix

package outfile

// writable is not checked ahead on this system: a directory the process
// may not write is found when the file is created.
func writable(dir string) error { return nil }
