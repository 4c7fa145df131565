package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"blackstart/data/store"
	"blackstart/outfile"
	"blackstart/topology"

	"github.com/urfave/cli/v2"
)

// defaultDB is the database of commands that write when neither --db nor
// BLACKSTART_DB names one.
const defaultDB = "blackstart.db"

func dbFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "db", Usage: "database file (default $BLACKSTART_DB, else ./" + defaultDB + ")"}
}

func modelFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "model", Usage: "model name in the database (default: the site's name on commit, the only model otherwise)"}
}

// storeFlags are the flags every command that reads model files also
// takes, to read a stored revision instead.
func storeFlags() []cli.Flag {
	return []cli.Flag{dbFlag(), modelFlag(),
		&cli.StringFlag{Name: "rev", Usage: "revision of the stored model: @N, @-K, a hash prefix (default the latest)"}}
}

// addStoreFlags gives every command that reads model files the store
// flags, so that each can read a stored revision instead.
func addStoreFlags(cmds []*cli.Command) {
	for _, c := range cmds {
		if strings.Contains(c.ArgsUsage, "MODEL.toml") {
			c.Flags = append(c.Flags, storeFlags()...)
		}
		addStoreFlags(c.Subcommands)
	}
}

// dbPath is the database file: --db, else $BLACKSTART_DB, else ./blackstart.db.
func dbPath(c *cli.Context) string {
	if p := c.String("db"); p != "" {
		return p
	}
	if p := os.Getenv("BLACKSTART_DB"); p != "" {
		return p
	}
	return defaultDB
}

// storeError turns the store's input errors into exit code 2.
func storeError(err error) error {
	if err == nil {
		return nil
	}
	for _, s := range []error{store.ErrNoDatabase, store.ErrNotDatabase, store.ErrNewer, store.ErrNoModel, store.ErrNoRevision,
		store.ErrAmbiguous, store.ErrInvalid, store.ErrConflict, store.ErrExists, store.ErrCheck, store.ErrInUse} {
		if errors.Is(err, s) {
			return &exitError{code: exitBadInput, err: errors.New(store.Message(err))}
		}
	}
	return err
}

// openDB opens the database; create is set for commands that write.
func openDB(c *cli.Context, create bool) (*store.DB, error) {
	db, err := store.Open(dbPath(c), store.Options{Create: create})
	return db, storeError(err)
}

// fromStore reports whether the command line asks for a stored model.
func fromStore(c *cli.Context) bool {
	return c.IsSet("db") || c.IsSet("model") || c.IsSet("rev")
}

// storeDefault reports whether a command given no model files reads the
// latest stored revision: it takes the store flags and BLACKSTART_DB is set.
func storeDefault(c *cli.Context) bool {
	return fromStore(c) || os.Getenv("BLACKSTART_DB") != "" && hasFlag(c, "rev")
}

// commandName is the command as a user types it after "blackstart":
// "power failover", "estimate plan", "validate".
func commandName(c *cli.Context) string {
	if h := strings.TrimPrefix(c.Command.HelpName, c.App.Name+" "); h != "" {
		return h
	}
	return c.Command.Name
}

// loadModelFrom loads the model files args, or the stored revision that
// --db/--model/--rev (or $BLACKSTART_DB, without files) name.
func loadModelFrom(c *cli.Context, args []string) (*topology.Model, error) {
	if len(args) > 0 {
		if fromStore(c) {
			return nil, badInput("%s: give model files or a stored revision (--db, --model, --rev), not both", commandName(c))
		}
		return topology.Load(args...)
	}
	if !storeDefault(c) {
		name := commandName(c)
		return nil, badInput("%s: no model file given (usage: blackstart %s MODEL.toml [MORE.toml...])", name, name)
	}
	m, _, err := loadStored(c, c.String("rev"))
	return m, err
}

func hasFlag(c *cli.Context, name string) bool {
	for _, f := range c.Command.Flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// loadStored loads revision ref of the --model (or only) model of the
// database.
func loadStored(c *cli.Context, ref string) (*topology.Model, store.Revision, error) {
	db, err := openDB(c, false)
	if err != nil {
		return nil, store.Revision{}, err
	}
	defer db.Close()
	ctx := context.Background()
	name, err := db.DefaultModel(ctx, c.String("model"))
	if err != nil {
		return nil, store.Revision{}, storeError(err)
	}
	m, rev, err := db.LoadModel(ctx, name, ref)
	return m, rev, storeError(err)
}

func dbCommand() *cli.Command {
	format := func() cli.Flag { return formatFlag("table", "json", "csv") }
	return &cli.Command{
		Name:         "db",
		Usage:        "the model history database: commit, log, show, checkout, backup, restore, check",
		Action:       group,
		OnUsageError: usageError,
		Description: `One SQLite file keeps every revision of each model: --db FILE, else $BLACKSTART_DB,
else ./blackstart.db. Commands that only read never create it. A revision is
named @N (the Nth of the model), @-K (K before the latest) or by a prefix of
its hash (4 hex digits or more); the default is the latest. See docs/store.md.

Examples:
   blackstart db commit --db site.db -m "first version" examples/small-dc/power.toml
   blackstart db log --db site.db
   blackstart db checkout --db site.db @1 -o small-dc-v1`,
		Subcommands: []*cli.Command{
			{
				Name:      "commit",
				Usage:     "store model files as a new revision of a model",
				ArgsUsage: "FILE... -m MESSAGE",
				Description: `The files are validated as one model, as validate does; a model with any
problem is not stored (exit 2). Files identical to the model's latest
revision (same hash) store nothing. The revision keeps each file's base
name, bytes and order.

Example:
   blackstart db commit -m "two rows, UPS pair" examples/small-dc/power.toml examples/small-dc/workloads.toml`,
				Flags: []cli.Flag{dbFlag(), modelFlag(),
					&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "why the model changed (required)"},
					&cli.StringFlag{Name: "author", Usage: "who changed it (default $BLACKSTART_AUTHOR, else the login name)"},
					&cli.StringFlag{Name: "parent", Usage: "refuse unless the model's latest revision has this hash (prefix); - for a new model"},
				},
				OnUsageError: usageError,
				Action:       dbCommit,
			},
			{
				Name:  "log",
				Usage: "the revisions of a model, newest first",
				Description: `Example:
   blackstart db log --db site.db --model small-dc`,
				Flags:        []cli.Flag{dbFlag(), modelFlag(), format()},
				OnUsageError: usageError,
				Action:       dbLog,
			},
			{
				Name:  "models",
				Usage: "the models of the database",
				Description: `Example:
   blackstart db models --db site.db`,
				Flags:        []cli.Flag{dbFlag(), format()},
				OnUsageError: usageError,
				Action:       dbModels,
			},
			{
				Name:      "show",
				Usage:     "print a revision's files, byte for byte",
				ArgsUsage: "[REV]",
				Description: `A revision of one file prints that file; with several, each is preceded by a
line "==> NAME <==" unless --file picks one.

Examples:
   blackstart db show --db site.db @-1
   blackstart db show --db site.db --model small-dc --file power.toml @2`,
				Flags:        []cli.Flag{dbFlag(), modelFlag(), &cli.StringFlag{Name: "file", Usage: "print only this file of the revision"}},
				OnUsageError: usageError,
				Action:       dbShow,
			},
			{
				Name:      "checkout",
				Usage:     "write a revision's files into a new directory",
				ArgsUsage: "[REV] -o DIR",
				Description: `DIR must not exist, or be empty; it is filled beside and moved in place when complete.

Example:
   blackstart db checkout --db site.db @1 -o small-dc-v1`,
				Flags:        []cli.Flag{dbFlag(), modelFlag(), &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "directory to create (required)"}},
				OnUsageError: usageError,
				Action:       dbCheckout,
			},
			{
				Name:      "backup",
				Usage:     "write a checked, consistent copy of the database to a new file",
				ArgsUsage: "FILE",
				Description: `The copy is made with VACUUM INTO while the database stays in use, checked
(as db check) and only then put at FILE, which must not exist.

Example:
   blackstart db backup --db site.db site-backup.db`,
				Flags:        []cli.Flag{dbFlag(), &cli.BoolFlag{Name: "skip-models", Usage: "do not load every revision while checking the copy"}},
				OnUsageError: usageError,
				Action:       dbBackup,
			},
			{
				Name:      "restore",
				Usage:     "replace the database with a backup that passes the checks",
				ArgsUsage: "FILE",
				Description: `FILE is copied, migrated to this version and checked (as db check); a copy
with any problem is refused (exit 2) and nothing changes. The database it
replaces is kept beside it, renamed DB.before-restore-XXXX. Stop other
blackstart processes using the database first.

Example:
   blackstart db restore --db site.db site-backup.db`,
				Flags:        []cli.Flag{dbFlag(), &cli.BoolFlag{Name: "skip-models", Usage: "do not load every revision while checking"}},
				OnUsageError: usageError,
				Action:       dbRestore,
			},
			{
				Name:  "check",
				Usage: "SQLite's integrity check and the store's own invariants",
				Description: `Runs PRAGMA integrity_check and foreign_key_check, then every invariant of
docs/store.md (hashes of blobs and revisions, parent chains ending at a root,
the schema, every revision loading as a model). Exit 2 when any fails.

Example:
   blackstart db check --db site.db`,
				Flags:        []cli.Flag{dbFlag(), formatFlag("table", "json"), &cli.BoolFlag{Name: "skip-models", Usage: "do not load every revision (the slow part)"}},
				OnUsageError: usageError,
				Action:       dbCheck,
			},
		},
	}
}

func author(c *cli.Context) string {
	if a := c.String("author"); a != "" {
		return a
	}
	if a := os.Getenv("BLACKSTART_AUTHOR"); a != "" {
		return a
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

func dbCommit(c *cli.Context) error {
	if !c.Args().Present() {
		return badInput("db commit: no model file given (usage: blackstart db commit FILE... -m MESSAGE)")
	}
	if c.String("message") == "" {
		return badInput("db commit: -m MESSAGE is required: say why the model changed")
	}
	// Read as every command reads a model: bounded (/dev/zero is not read
	// forever), each file once.
	read, err := topology.ReadFiles(c.Args().Slice()...)
	if err != nil {
		return err
	}
	var files []store.File
	for _, f := range read {
		files = append(files, store.File{Name: f.Name, Data: f.Data})
	}
	// Validate before the database is opened: a model that does not load
	// creates nothing.
	prep, err := store.Prepare(store.CommitRequest{
		Model: c.String("model"), Files: files, Author: author(c), Message: c.String("message"), Parent: c.String("parent"),
	})
	if err != nil {
		return storeError(err)
	}
	db, err := openDB(c, true)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := db.CommitPrepared(context.Background(), prep)
	if err != nil {
		return storeError(err)
	}
	r := res.Revision
	if !res.Created {
		fmt.Fprintf(c.App.Writer, "unchanged: %s%s %s already holds these files\n", r.Model, r.Name(), shortHash(r.SHA256))
		return nil
	}
	var size int64
	for _, f := range r.Files {
		size += f.SizeBytes
	}
	fmt.Fprintf(c.App.Writer, "committed %s%s %s (%d %s, %s): %s\n", r.Model, r.Name(), shortHash(r.SHA256),
		len(r.Files), plural(len(r.Files), "file", "files"), byteSize(size), firstLine(r.Message))
	return db.Close()
}

func shortHash(h string) string { return h[:min(12, len(h))] }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// byteSize prints a size in B, kB, MB (powers of 1000).
func byteSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// utc prints a Unix ms time as RFC 3339 UTC, to the second.
func utc(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339) }

func noArgs(c *cli.Context) error {
	if c.Args().Present() {
		return badInput("%s takes no arguments, got %q", c.Command.Name, c.Args().First())
	}
	return nil
}

func dbLog(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json", "csv")
	if err != nil {
		return err
	}
	if err := noArgs(c); err != nil {
		return err
	}
	db, err := openDB(c, false)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	name, err := db.DefaultModel(ctx, c.String("model"))
	if err != nil {
		return storeError(err)
	}
	revs, err := db.Log(ctx, name)
	if err != nil {
		return storeError(err)
	}
	return writeOutput(c, "", func(w io.Writer) error { return writeLog(w, format, name, revs) })
}

// logJSON is db log --format json.
type logJSON struct {
	Model     string           `json:"model"`
	Revisions []store.Revision `json:"revisions"` // newest first
}

func writeLog(w io.Writer, format, name string, revs []store.Revision) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(logJSON{Model: name, Revisions: revs})
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"rev", "sha256", "parent_rev", "time_ms", "time_utc", "author", "files", "size_bytes", "message"})
		for _, r := range revs {
			names := make([]string, len(r.Files))
			var size int64
			for i, f := range r.Files {
				names[i] = f.Name
				size += f.SizeBytes
			}
			cw.Write([]string{r.Name(), r.SHA256, strconv.Itoa(r.ParentSeq), strconv.FormatInt(r.TimeMS, 10), utc(r.TimeMS), r.Author,
				strings.Join(names, " "), strconv.FormatInt(size, 10), r.Message})
		}
		cw.Flush()
		return cw.Error()
	}
	fmt.Fprintf(w, "model %s: %d %s\n", name, len(revs), plural(len(revs), "revision", "revisions"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rev\thash\ttime (UTC)\tauthor\tfiles\tsize\tmessage")
	for _, r := range revs {
		names := make([]string, len(r.Files))
		var size int64
		for i, f := range r.Files {
			names[i] = f.Name
			size += f.SizeBytes
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name(), shortHash(r.SHA256), utc(r.TimeMS), oneLine(r.Author),
			strings.Join(names, " "), byteSize(size), oneLine(firstLine(r.Message)))
	}
	return tw.Flush()
}

// oneLine keeps a table cell on one line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

func dbModels(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json", "csv")
	if err != nil {
		return err
	}
	if err := noArgs(c); err != nil {
		return err
	}
	db, err := openDB(c, false)
	if err != nil {
		return err
	}
	defer db.Close()
	ms, err := db.Models(context.Background())
	if err != nil {
		return err
	}
	return writeOutput(c, "", func(w io.Writer) error {
		switch format {
		case "json":
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(struct {
				Models []store.ModelInfo `json:"models"`
			}{ms})
		case "csv":
			cw := csv.NewWriter(w)
			cw.Write([]string{"name", "revisions", "latest_sha256", "latest_time_ms", "created_ms"})
			for _, m := range ms {
				cw.Write([]string{m.Name, strconv.Itoa(m.Revisions), m.Latest, strconv.FormatInt(m.LatestMS, 10), strconv.FormatInt(m.CreatedMS, 10)})
			}
			cw.Flush()
			return cw.Error()
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "model\trevisions\tlatest\tlatest at (UTC)")
		for _, m := range ms {
			fmt.Fprintf(tw, "%s\t%d\t@%d %s\t%s\n", oneLine(m.Name), m.Revisions, m.Revisions, shortHash(m.Latest), utc(m.LatestMS))
		}
		return tw.Flush()
	})
}

// revArg is the optional REV argument of show and checkout.
func revArg(c *cli.Context) (string, error) {
	switch c.NArg() {
	case 0:
		return "", nil
	case 1:
		return c.Args().First(), nil
	}
	return "", badInput("%s takes at most one revision, got %q", c.Command.Name, c.Args().Slice())
}

func storedFiles(c *cli.Context) (store.Revision, []store.File, error) {
	ref, err := revArg(c)
	if err != nil {
		return store.Revision{}, nil, err
	}
	db, err := openDB(c, false)
	if err != nil {
		return store.Revision{}, nil, err
	}
	defer db.Close()
	ctx := context.Background()
	name, err := db.DefaultModel(ctx, c.String("model"))
	if err != nil {
		return store.Revision{}, nil, storeError(err)
	}
	rev, files, err := db.Files(ctx, name, ref)
	return rev, files, storeError(err)
}

func dbShow(c *cli.Context) error {
	rev, files, err := storedFiles(c)
	if err != nil {
		return err
	}
	if want := c.String("file"); want != "" {
		var picked []store.File
		names := make([]string, len(files))
		for i, f := range files {
			names[i] = f.Name
			if f.Name == want {
				picked = []store.File{f}
			}
		}
		if picked == nil {
			return badInput("%s%s has no file %q (it has %s)", rev.Model, rev.Name(), want, strings.Join(names, ", "))
		}
		files = picked
	}
	return writeOutput(c, "", func(w io.Writer) error {
		for i, f := range files {
			if len(files) > 1 {
				if i > 0 {
					fmt.Fprintln(w)
				}
				fmt.Fprintf(w, "==> %s <==\n", f.Name)
			}
			if _, err := w.Write(f.Data); err != nil {
				return err
			}
		}
		return nil
	})
}

func dbCheckout(c *cli.Context) error {
	dir := c.String("output")
	if dir == "" {
		return badInput("db checkout: -o DIR is required")
	}
	if fi, err := os.Lstat(dir); err == nil && !fi.IsDir() {
		// A symlink, even to an empty directory, would be replaced.
		return badInput("db checkout: %s is not a directory: checkout only fills a new or empty directory", dir)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return badInput("db checkout: %s is not empty: checkout only fills a new or empty directory", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return badInput("db checkout: %s: %v", dir, errors.Unwrap(err))
	}
	rev, files, err := storedFiles(c)
	if err != nil {
		return err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return badInput("db checkout: %v", err)
	}
	tmp, forget, err := outfile.Temp(func() (string, error) { return os.MkdirTemp(parent, "."+filepath.Base(dir)+".checkout-*") })
	if err != nil {
		return badInput("db checkout: %v", err)
	}
	defer forget()
	defer os.RemoveAll(tmp)
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(tmp, f.Name), f.Data, 0o644); err != nil {
			return badInput("db checkout: %v", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	os.Remove(dir) // an empty directory; a non-empty one stays and the rename fails
	if err := os.Rename(tmp, dir); err != nil {
		return badInput("db checkout: %v", err)
	}
	fmt.Fprintf(c.App.Writer, "checked out %s%s %s into %s: %d %s\n", rev.Model, rev.Name(), shortHash(rev.SHA256), dir,
		len(files), plural(len(files), "file", "files"))
	return nil
}

func oneFileArg(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", badInput("%s takes one FILE, got %d arguments", c.Command.Name, c.NArg())
	}
	return c.Args().First(), nil
}

func dbBackup(c *cli.Context) error {
	dst, err := oneFileArg(c)
	if err != nil {
		return err
	}
	// The output rules of every command (a regular file or new, in a
	// folder that exists, never the database itself); a backup also never
	// replaces an existing file.
	if err := outfile.Check(dst, dbPath(c)); err != nil {
		return err
	}
	db, err := openDB(c, false)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.Backup(context.Background(), dst, store.CheckOptions{SkipModels: c.Bool("skip-models")})
	if err != nil {
		return storeError(err)
	}
	fmt.Fprintf(c.App.Writer, "backed up %s to %s: %s, %s, checked\n", db.Path(), dst, count(rep.Models, "model", "models"), count(rep.Revisions, "revision", "revisions"))
	return nil
}

func dbRestore(c *cli.Context) error {
	src, err := oneFileArg(c)
	if err != nil {
		return err
	}
	dst := dbPath(c)
	// The database restored over is an output: a regular file or new,
	// never a symbolic link or the backup itself (the one it replaces is
	// set aside, never destroyed).
	if err := outfile.Check(dst, src); err != nil {
		return err
	}
	rep, aside, err := store.Restore(context.Background(), src, dst, store.CheckOptions{SkipModels: c.Bool("skip-models")})
	if err != nil {
		return storeError(err)
	}
	fmt.Fprintf(c.App.Writer, "restored %s from %s: %s, %s, checked\n", dst, src, count(rep.Models, "model", "models"), count(rep.Revisions, "revision", "revisions"))
	if aside != "" {
		fmt.Fprintf(c.App.Writer, "the database it replaced is kept as %s\n", aside)
	}
	return nil
}

func dbCheck(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json")
	if err != nil {
		return err
	}
	if err := noArgs(c); err != nil {
		return err
	}
	db, err := openDB(c, false)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.Check(context.Background(), store.CheckOptions{SkipModels: c.Bool("skip-models")})
	if err != nil {
		return err
	}
	err = writeOutput(c, "", func(w io.Writer) error {
		if format == "json" {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		}
		for _, p := range rep.Problems {
			fmt.Fprintf(w, "%s: %s\n", p.Invariant, p.Message)
		}
		verdict := "ok"
		if len(rep.Problems) > 0 {
			verdict = fmt.Sprintf("%d %s", len(rep.Problems), plural(len(rep.Problems), "problem", "problems"))
		}
		fmt.Fprintf(w, "%s: %s: schema version %d, %d models, %d revisions, %d blobs (%s); %d invariants checked\n",
			verdict, db.Path(), rep.SchemaVersion, rep.Models, rep.Revisions, rep.Blobs, byteSize(rep.BlobBytes), len(rep.Checked))
		if ms := rep.Measurements; ms.Series > 0 || ms.StagingImports > 0 {
			fmt.Fprintf(w, "measured loads: %d series, %d raw readings in %d series-hours (%s), %d 5-minute rollups, %d imports",
				ms.Series, ms.Readings, ms.RawBlocks, byteSize(ms.RawBytes), ms.Rollups, ms.Imports)
			if ms.StagingImports > 0 {
				fmt.Fprintf(w, ", %d in progress or abandoned (%s staged)", ms.StagingImports, byteSize(ms.StagingBytes))
			}
			fmt.Fprintf(w, "; database file %s\n", byteSize(ms.FileBytes))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		return &exitError{code: exitBadInput}
	}
	return nil
}
