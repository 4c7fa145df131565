package outfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Marker is the file that says a folder holds a blackstart report (or
// another folder of outputs: generate --netbox). It lists the files the
// report wrote, one "file NAME" line each, so that a later report replaces
// those and keeps everything else.
const Marker = ".blackstart-report"

const markerHead = "blackstart report\n"

// owned reads the marker of dir: whether there is one, and the names it
// lists.
func owned(dir string) (bool, map[string]bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, Marker))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, err
	}
	names := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if name, ok := strings.CutPrefix(sc.Text(), "file "); ok && name != "" && !strings.ContainsAny(name, `/\`) && name != "." && name != ".." {
			names[name] = true
		}
	}
	return true, names, nil
}

// CheckDir reports whether a report may be written at dir: dir does not
// exist, or is an empty directory, or holds an earlier report; it is not a
// symbolic link, and no input is one of the files an earlier report there
// wrote (those are replaced). It writes nothing.
func CheckDir(dir string, inputs ...string) error {
	if dir == "" {
		return pathErr(dir, nil, "empty output path")
	}
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return checkParent(filepath.Clean(dir))
	}
	if err != nil {
		return classify(dir, err)
	}
	if !fi.IsDir() {
		return pathErr(dir, nil, "is %s, not a folder blackstart can write its output into (choose another path)", article(fi.Mode()))
	}
	// The new folder is made beside dir and renamed over it: the folder
	// dir is in must be writable.
	if err := checkParent(filepath.Clean(dir)); err != nil {
		return err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return classify(dir, err)
	}
	if len(ents) == 0 {
		return nil
	}
	// The earlier report's files are removed from dir and the entries a
	// user added moved out of it: dir must be writable too.
	if err := writable(dir); err != nil {
		return pathErr(dir, err, "cannot write: the folder is not writable (%s)", reason(err))
	}
	isReport, names, err := owned(dir)
	if err != nil {
		return classify(dir, err)
	}
	if !isReport {
		return pathErr(dir, nil, "exists and is not a blackstart report or output folder (no %s in it): choose another path, or empty it", Marker)
	}
	for name := range names {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err == nil {
			if in := sameAsInput(fi, inputs); in != "" {
				return pathErr(dir, nil, "the input %s is the earlier report's %s, which the new report replaces: copy it elsewhere first", in, name)
			}
		}
	}
	return nil
}

// article is kindOf for a folder message ("is a regular file").
func article(m fs.FileMode) string {
	if m.IsRegular() {
		return "a regular file"
	}
	return kindOf(m)
}

// WriteDir writes a report folder at dir. fill writes the report's files
// into the empty folder it is given (a new folder beside dir) and returns
// their names; WriteDir then moves the folder in place. When dir holds an
// earlier report, the files that report wrote are replaced and every other
// entry of dir (files a user added) is moved into the new folder, kept;
// when such an entry has the name of a file of the new report, nothing is
// changed and the error says so. dir is checked first as CheckDir does.
func WriteDir(dir string, inputs []string, fill func(tmp string) ([]string, error)) error {
	if err := CheckDir(dir, inputs...); err != nil {
		return err
	}
	clean := filepath.Clean(dir)
	parent := filepath.Dir(clean)
	tmp, err := tracked(func() (string, error) { return os.MkdirTemp(parent, "."+filepath.Base(clean)+".tmp-") })
	if err != nil {
		return classify(dir, err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp) // holds only what fill wrote
		}
		untrack(tmp)
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return classify(dir, err)
	}
	wrote, err := fill(tmp)
	if err != nil {
		return err
	}
	sort.Strings(wrote)
	var mark strings.Builder
	mark.WriteString(markerHead)
	newNames := map[string]bool{Marker: true}
	for _, n := range wrote {
		fmt.Fprintf(&mark, "file %s\n", n)
		newNames[n] = true
	}
	if err := os.WriteFile(filepath.Join(tmp, Marker), []byte(mark.String()), 0o644); err != nil {
		return classify(dir, err)
	}

	// The earlier report, if any: what it wrote, and what it holds besides.
	var oldOwned map[string]bool
	var foreign []string
	if _, err := os.Lstat(clean); err == nil {
		if err := CheckDir(dir, inputs...); err != nil { // again: it may have changed
			return err
		}
		_, oldOwned, _ = owned(clean)
		ents, err := os.ReadDir(clean)
		if err != nil {
			return classify(dir, err)
		}
		var clash []string
		for _, e := range ents {
			n := e.Name()
			if n == Marker || oldOwned[n] {
				continue
			}
			foreign = append(foreign, n)
			if newNames[n] {
				clash = append(clash, n)
			}
		}
		if len(clash) > 0 {
			return pathErr(dir, nil, "holds %s, which the earlier report did not write and the new one would replace: move %s away or choose another path",
				strings.Join(clash, ", "), plural(len(clash), "it", "them"))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return classify(dir, err)
	}

	// Swap: the earlier report is moved aside, the new one in place, then
	// the entries the user added are moved into the new one and the
	// earlier report's own files removed. Nothing else is ever removed.
	// An interrupt waits for the whole swap, the user's entries moved back
	// included (RemoveTemps takes the lock), so that none is stranded in
	// the hidden folder of the earlier report.
	temps.Lock()
	defer temps.Unlock()
	old := ""
	if exists(clean) {
		old = tmp + ".old"
		if err := os.Rename(clean, old); err != nil {
			return classify(dir, err)
		}
	}
	if err := os.Rename(tmp, clean); err != nil {
		if old != "" {
			os.Rename(old, clean)
		}
		return classify(dir, err)
	}
	ok = true
	delete(temps.paths, tmp)
	if old == "" {
		return nil
	}
	var left []string
	for _, n := range foreign {
		if err := os.Rename(filepath.Join(old, n), filepath.Join(clean, n)); err != nil {
			left = append(left, n)
		}
	}
	for n := range oldOwned {
		p := filepath.Join(old, n)
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
			os.Remove(p)
		}
	}
	os.Remove(filepath.Join(old, Marker))
	if err := os.Remove(old); err != nil || len(left) > 0 {
		return fmt.Errorf("the new report is in %s; the earlier one's folder %s could not be emptied (kept, holding %s): %v",
			dir, old, strings.Join(left, ", "), err)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
