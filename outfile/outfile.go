// Package outfile writes blackstart's output files and report folders so
// that nothing it writes destroys a file it did not create: a file is
// written whole to a temporary file beside its destination and renamed over
// it only when complete; the destination must not exist, or be an empty
// regular file or one blackstart wrote (Owned recognises it), never a
// device node, FIFO, socket, symbolic link or directory, and must not be
// one of the command's inputs. A report folder that replaces an
// earlier report keeps every entry the earlier report did not write.
//
// Errors the user caused and can fix (a missing parent directory, a
// read-only directory, a directory where a file is expected, an output that
// is an input) are *PathError; other errors (a full disk, an I/O error) are
// returned as they are.
package outfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// temps holds the temporary files and folders of the writes under way, so
// that an interrupted command removes them (RemoveTemps) rather than leave
// them beside its outputs. The lock is also held while a folder is swapped
// in place, so that an interrupt waits for the swap to complete.
var temps struct {
	sync.Mutex
	paths   map[string]bool
	stopped bool // RemoveTemps ran: no new temporary entry
}

// errInterrupted is returned by a write begun after RemoveTemps.
var errInterrupted = errors.New("interrupted")

// tracked makes a temporary entry with create and records it, under the
// lock, so that an interrupt never finds it made but not recorded.
func tracked(create func() (string, error)) (string, error) {
	temps.Lock()
	defer temps.Unlock()
	if temps.stopped {
		return "", errInterrupted
	}
	p, err := create()
	if err != nil {
		return "", err
	}
	if temps.paths == nil {
		temps.paths = map[string]bool{}
	}
	temps.paths[p] = true
	return p, nil
}

// Temp makes a temporary file or folder by other means than this
// package's writers (create returns its path; it may also only choose an
// unused name for an entry made later) and records it, with the files a
// database beside it may have (path-journal, path-wal, path-shm), so that
// an interrupted command removes them too (RemoveTemps). Call forget once
// the entry is gone or in its place. After RemoveTemps it makes nothing
// and returns an error.
func Temp(create func() (string, error)) (path string, forget func(), err error) {
	p, err := tracked(create)
	if err != nil {
		return "", nil, err
	}
	temps.Lock()
	for _, s := range []string{"-journal", "-wal", "-shm"} {
		temps.paths[p+s] = true
	}
	temps.Unlock()
	return p, func() {
		for _, s := range []string{"", "-journal", "-wal", "-shm"} {
			untrack(p + s)
		}
	}, nil
}

func untrack(p string) {
	temps.Lock()
	defer temps.Unlock()
	delete(temps.paths, p)
}

// RemoveTemps removes the temporary files and folders of the writes under
// way and returns how many there were; the destinations stay as they were.
// A command interrupted by a signal calls it before it exits. Writes must
// not continue after it.
func RemoveTemps() int {
	temps.Lock()
	defer temps.Unlock()
	temps.stopped = true
	n := len(temps.paths)
	for p := range temps.paths {
		// Renamed first: a write still under way into a folder then finds
		// its path gone instead of adding a file while RemoveAll empties
		// it (which would leave the folder behind).
		rm := p
		if os.Rename(p, p+".removing") == nil {
			rm = p + ".removing"
		}
		os.RemoveAll(rm)
		delete(temps.paths, p)
	}
	return n
}

// PathError is a problem with an output path that the user caused and can
// fix; the command reports it with exit code 2. Path is the path as given.
type PathError struct {
	Path   string
	Reason string // what is wrong, in words
	Err    error  // the underlying error, may be nil
}

func (e *PathError) Error() string { return e.Path + ": " + e.Reason }
func (e *PathError) Unwrap() error { return e.Err }

func pathErr(path string, err error, format string, args ...any) *PathError {
	return &PathError{Path: path, Reason: fmt.Sprintf(format, args...), Err: err}
}

// userCaused reports whether err is about the path (missing, not a
// directory, no permission, read-only) rather than the disk.
func userCaused(err error) bool {
	for _, target := range []error{fs.ErrNotExist, fs.ErrPermission, fs.ErrExist, syscall.ENOTDIR, syscall.EISDIR,
		syscall.EROFS, syscall.ENAMETOOLONG, syscall.ELOOP, syscall.EINVAL, syscall.EXDEV} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// reason words an OS error about a path.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	return err.Error()
}

// classify turns an OS error met while writing path into a *PathError when
// the user caused it, else wraps it with the path.
func classify(path string, err error) error {
	if err == nil {
		return nil
	}
	var pe *PathError
	if errors.As(err, &pe) {
		return err
	}
	if userCaused(err) {
		return pathErr(path, err, "cannot write: %s", reason(err))
	}
	return fmt.Errorf("cannot write %s: %w", path, err)
}

// kindOf names a file mode that is not a regular file.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// sameAsInput reports the input that path is (the same file, by device and
// inode, so a hard link or another spelling of the path counts), or "".
func sameAsInput(fi fs.FileInfo, inputs []string) string {
	for _, in := range inputs {
		if in == "" || in == "-" {
			continue
		}
		if ii, err := os.Stat(in); err == nil && os.SameFile(fi, ii) {
			return in
		}
	}
	return ""
}

// Check reports whether a file may be written at path: it does not exist
// or is a regular file that is none of inputs, and its parent is a
// directory. It writes nothing.
func Check(path string, inputs ...string) error {
	if path == "" {
		return pathErr(path, nil, "empty output path")
	}
	fi, err := os.Lstat(path)
	switch {
	case err == nil:
		if !fi.Mode().IsRegular() {
			return pathErr(path, nil, "is %s: blackstart writes only regular files (choose another path)", kindOf(fi.Mode()))
		}
		if in := sameAsInput(fi, inputs); in != "" {
			if in == path {
				return pathErr(path, nil, "is one of this command's inputs: writing it would destroy it (choose another path)")
			}
			return pathErr(path, nil, "is the same file as the input %s: writing it would destroy it (choose another path)", in)
		}
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
	default:
		return classify(path, err)
	}
	return checkParent(path)
}

// HeadBytes is how much of an existing file's start an Owned function is
// given.
const HeadBytes = 4096

// Owned tells, from the first HeadBytes of a file (fewer when it is
// shorter), whether blackstart wrote it: a generated model's header
// comment, a chart page's title, a progress events file's first field.
type Owned func(head []byte) bool

// CheckOwned is Check, and more: a file that exists at path and is not
// empty must be one owned recognises as blackstart's, else it is refused
// (*PathError) and stays as it is. Nothing blackstart writes replaces a
// file it did not create; a nil owned recognises none.
func CheckOwned(path string, owned Owned, inputs ...string) error {
	if err := Check(path, inputs...); err != nil {
		return err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return classify(path, err)
	}
	defer f.Close()
	head := make([]byte, HeadBytes)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return classify(path, err)
	}
	if n == 0 || owned != nil && owned(head[:n]) {
		return nil
	}
	return pathErr(path, nil, "exists and was not written by blackstart: not replaced (remove it or choose another path)")
}

// checkParent requires the directory path will be written in to exist and
// to be writable.
func checkParent(path string) error {
	dir := filepath.Dir(path)
	di, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return pathErr(path, err, "cannot write: the directory %s does not exist", dir)
	}
	if err != nil {
		return classify(path, err)
	}
	if !di.IsDir() {
		return pathErr(path, nil, "cannot write: %s is not a directory", dir)
	}
	// A read-only directory is found here, before any work, not when the
	// output is created at the end.
	if err := writable(dir); err != nil {
		return pathErr(path, err, "cannot write: the directory %s is not writable (%s)", dir, reason(err))
	}
	return nil
}

// Write writes a file at path with write, atomically: a temporary file in
// the same directory is renamed over path once write succeeded, so a
// failure leaves path as it was. path is checked first as CheckOwned does
// (an existing file is replaced only when empty or owned recognises it),
// and again just before the rename. An error returned by write is
// returned as it is.
func Write(path string, owned Owned, inputs []string, write func(io.Writer) error) error {
	if err := CheckOwned(path, owned, inputs...); err != nil {
		return err
	}
	var f *os.File
	tmp, err := tracked(func() (string, error) {
		var err error
		f, err = os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
		if err != nil {
			return "", err
		}
		return f.Name(), nil
	})
	if err != nil {
		return classify(path, err)
	}
	done := false
	defer func() {
		if !done {
			os.Remove(tmp)
		}
		untrack(tmp)
	}()
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return classify(path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return classify(path, err)
	}
	// Checked again right before the rename: what sits at path may have
	// changed while the output was computed.
	if err := CheckOwned(path, owned, inputs...); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return classify(path, err)
	}
	done = true
	return nil
}
