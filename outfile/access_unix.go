//go:build unix

package outfile

import "syscall"

// writable reports why the process may not create files in dir (nil when
// it may): no write or search permission, or a read-only file system.
func writable(dir string) error {
	return syscall.Access(dir, 0x2|0x1) // W_OK | X_OK
}
