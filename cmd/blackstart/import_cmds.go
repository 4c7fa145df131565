package main

import (
	"blackstart/outfile"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"blackstart/data/netbox"
	"blackstart/data/store"
	"blackstart/topology"

	"github.com/urfave/cli/v2"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "bring an inventory in as a blackstart model",
		UsageText: "blackstart import netbox [options] -o MODEL.toml",
		Description: `Example:
   blackstart import netbox --url https://netbox.example.com --token-file ~/.netbox-token -o dc1.toml`,
		OnUsageError: usageError,
		Action:       group,
		Subcommands: []*cli.Command{{
			Name:      "netbox",
			Usage:     "import racks, panels, feeds, PDUs, devices, power ports and cables from NetBox",
			ArgsUsage: " ",
			Description: `Reads a live NetBox (REST API v4: --url and --token-file, following the pages)
or saved responses (--from DIR, one <endpoint>.json per endpoint as
GET /api/dcim/<endpoint>/?limit=0 returns; several --from folders merge by
object id and device-type slug). Writes the model (-o FILE, TOML) and beside
it FILE's mapping of each id to its NetBox object (FILE.netbox.json), and
prints the import report: counts, the defaults applied, NetBox's feed and
rack figures beside blackstart's N-1 verdict, uncabled feeds, PSUs with no
path to a feed, ports without a draw, ports that disagree with their
templates, objects skipped. What NetBox does not know comes from --overlay
(docs/netbox.md). An existing -o FILE is replaced only if an earlier import
wrote it. With --db the import is also committed as a revision of the model
(nothing when it is identical to the latest), so that "blackstart diff --db
DB" shows what changed since the last import.

Examples:
   blackstart import netbox --from ../shared/data/netbox-demo/demo-v4.2 \
       --from ../shared/data/netbox-demo/devicetype-library -o demo.toml
   blackstart import netbox --url https://netbox.example.com --token-file ~/.netbox-token \
       --site dc1 --overlay dc1-overlay.toml --upstream dc1-ups.toml -o dc1.toml --db history.db`,
			OnUsageError: usageError,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "url", Usage: "NetBox root `URL` (https://netbox.example.com)"},
				&cli.StringFlag{Name: "token-file", Usage: "`FILE` holding the API token (v1 token, or nbt_<key>.<token>)"},
				&cli.DurationFlag{Name: "timeout", Value: 30 * time.Second, Usage: "per HTTP request"},
				&cli.StringSliceFlag{Name: "from", Usage: "`DIR` of saved responses (repeat to merge folders)"},
				&cli.StringFlag{Name: "site", Usage: "import only this site (`SLUG` or name)"},
				&cli.StringFlag{Name: "overlay", Usage: "`FILE` completing what NetBox does not know (docs/netbox.md)"},
				&cli.StringSliceFlag{Name: "upstream", Usage: "model `FILE` holding the elements the overlay's panels name as inputs (repeatable)"},
				&cli.BoolFlag{Name: "include-planned", Usage: "import planned feeds, devices and cables too"},
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the model to `FILE` (required)"},
				&cli.StringFlag{Name: "map", Usage: "write the id → NetBox mapping to `FILE` (default: the model's name with .netbox.json)"},
				&cli.StringFlag{Name: "format", Value: "table", Usage: "report format: table or json"},
				&cli.IntFlag{Name: "top", Value: 20, Usage: "rows of each list in the table report (0: all)"},
				&cli.StringFlag{Name: "db", Usage: "also commit the import (the model and its --upstream files) as a revision in the history database `FILE`"},
				modelFlag(),
				&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "the revision's message (default: import from NetBox: SOURCES)"},
				&cli.StringFlag{Name: "author", Usage: "who imported (default $BLACKSTART_AUTHOR, else the login name)"},
			},
			Action: importNetBox,
		}},
	}
}

func importNetBox(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json")
	if err != nil {
		return err
	}
	if c.Args().Present() {
		return badInput("import netbox takes no arguments, got %q (see --help)", c.Args().First())
	}
	out := c.String("output")
	if out == "" || out == "-" {
		return badInput("-o FILE is required: the model and its mapping are written beside each other")
	}
	mapPath := c.String("map")
	if mapPath == "" {
		mapPath = strings.TrimSuffix(out, filepath.Ext(out)) + ".netbox.json"
	}
	// Both outputs are regular files (or new) and none of the inputs,
	// checked before any work (outfile.Check).
	inputs := append([]string{c.String("overlay"), c.String("token-file")}, c.StringSlice("upstream")...)
	// The saved responses in each --from folder are inputs too.
	for _, d := range c.StringSlice("from") {
		for _, ep := range netbox.Endpoints() {
			inputs = append(inputs, filepath.Join(d, ep+".json"))
		}
	}
	for _, p := range []string{out, mapPath} {
		if err := outfile.Check(p, inputs...); err != nil {
			return err
		}
	}
	if filepath.Clean(out) == filepath.Clean(mapPath) {
		return badInput("-o and --map are the same file %s", out)
	}
	dirs, u := c.StringSlice("from"), c.String("url")
	var inv *netbox.Inventory
	switch {
	case len(dirs) > 0 && u != "":
		return badInput("give --url or --from, not both")
	case len(dirs) > 0:
		var invs []*netbox.Inventory
		for _, d := range dirs {
			i, err := netbox.ReadDir(d)
			if err != nil {
				return inputErr(err)
			}
			invs = append(invs, i)
		}
		if inv, err = netbox.Merge(invs...); err != nil {
			return inputErr(err)
		}
	case u != "":
		tf := c.String("token-file")
		if tf == "" {
			return badInput("--url needs --token-file FILE holding the API token")
		}
		tok, err := readToken(tf)
		if err != nil {
			return badInput("cannot read the token: %v", err)
		}
		cl := &netbox.Client{BaseURL: u, Token: strings.TrimSpace(string(tok)), Timeout: c.Duration("timeout"),
			Progress: progress(c.App.ErrWriter, "netbox (objects)")}
		if inv, err = cl.Fetch(context.Background()); err != nil {
			return inputErr(err)
		}
	default:
		return badInput("give --url URL --token-file FILE (a live NetBox) or --from DIR (saved responses)")
	}
	var ov *netbox.Overlay
	if p := c.String("overlay"); p != "" {
		if ov, err = netbox.ReadOverlay(p); err != nil {
			return inputErr(err)
		}
	}
	// The upstream files are model files: read within the model's limit
	// (a device such as /dev/zero is read no further).
	var upstream []topology.File
	if ps := c.StringSlice("upstream"); len(ps) > 0 {
		if upstream, err = topology.ReadFiles(ps...); err != nil {
			return &exitError{code: exitBadInput, err: err}
		}
	}
	res, err := netbox.Import(inv, netbox.Options{Site: c.String("site"), IncludePlanned: c.Bool("include-planned"), Overlay: ov})
	if err != nil {
		return inputErr(err)
	}
	inv = nil // the responses are no longer needed: the collector may take them while the model loads
	// The mapping is encoded on the other core while the model is loaded
	// and judged (Judge reads and writes only the report).
	type encoded struct {
		data []byte
		err  error
	}
	mapCh := make(chan encoded, 1)
	go func() {
		b, err := json.MarshalIndent(res.Mapping, "", "  ")
		mapCh <- encoded{b, err}
	}()
	if _, err := res.Judge(out, upstream...); err != nil {
		var list topology.ErrorList
		if errors.As(err, &list) && len(upstream) == 0 && len(res.Report.UpstreamElements) > 0 {
			return &exitError{code: exitBadInput, err: fmt.Errorf("the overlay's panels name %s as inputs: give the model file that defines them with --upstream\n%v", strings.Join(res.Report.UpstreamElements, ", "), err)}
		}
		return err
	}
	// With --db, the commit is checked before anything is written.
	var prep *store.Prepared
	if c.IsSet("db") {
		files := []store.File{{Name: out, Data: res.Model}}
		for _, u := range upstream {
			files = append(files, store.File{Name: u.Name, Data: u.Data})
		}
		msg := c.String("message")
		if msg == "" {
			msg = "import from NetBox: " + strings.Join(res.Report.Sources, ", ")
		}
		if prep, err = store.Prepare(store.CommitRequest{Model: c.String("model"), Files: files, Author: author(c), Message: msg}); err != nil {
			return storeError(err)
		}
	}
	enc := <-mapCh
	if enc.err != nil {
		return enc.err
	}
	mapJSON := append(enc.data, '\n')
	if err := ownedOrAbsent(out, []byte(netbox.ModelHeader)); err != nil {
		return err
	}
	if err := ownedOrAbsent(mapPath, []byte(netbox.MappingHeader)); err != nil {
		return err
	}
	if err := writeBoth(out, res.Model, mapPath, mapJSON); err != nil {
		return err
	}
	committed := ""
	if prep != nil {
		db, err := openDB(c, true)
		if err != nil {
			return err
		}
		defer db.Close()
		cr, err := db.CommitPrepared(context.Background(), prep)
		if err != nil {
			return storeError(err)
		}
		r := cr.Revision
		if cr.Created {
			committed = fmt.Sprintf("committed %s%s %s: %s", r.Model, r.Name(), shortHash(r.SHA256), firstLine(r.Message))
		} else {
			committed = fmt.Sprintf("unchanged: %s%s %s already holds this import", r.Model, r.Name(), shortHash(r.SHA256))
		}
		if err := db.Close(); err != nil {
			return err
		}
	}
	w := bufio.NewWriter(c.App.Writer)
	if format == "json" {
		err = writeJSON(w, res.Report)
		if committed != "" {
			fmt.Fprintln(c.App.ErrWriter, committed)
		}
	} else {
		err = res.Report.WriteText(w, c.Int("top"))
		if err == nil {
			fmt.Fprintf(w, "\nwrote %s and %s\n", out, mapPath)
		}
		if err == nil && committed != "" {
			fmt.Fprintln(w, committed)
		}
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// maxTokenBytes bounds a --token-file: a NetBox token is 40 to about 100
// bytes.
const maxTokenBytes = 64 << 10

// readToken reads a token file, at most maxTokenBytes (a device such as
// /dev/zero is read no further).
func readToken(path string) ([]byte, error) {
	tok, err := topology.ReadBounded(path, maxTokenBytes)
	if errors.Is(err, topology.ErrTooBig) {
		return nil, fmt.Errorf("%s: more than %d bytes: not a token file", path, maxTokenBytes)
	}
	return tok, err
}

// inputErr turns a NetBox reading error into exit 2 with every problem.
func inputErr(err error) error {
	var list netbox.ErrorList
	if errors.As(err, &list) {
		return &exitError{code: exitBadInput, err: fmt.Errorf("%d problem(s) in the NetBox input:\n%v", len(list), list)}
	}
	return &exitError{code: exitBadInput, err: err}
}

// ownedOrAbsent refuses to replace a file an import did not write.
func ownedOrAbsent(path string, header []byte) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return badInput("cannot check %s: %v", path, err)
	}
	defer f.Close()
	buf := make([]byte, len(header))
	n, _ := f.Read(buf)
	if !bytes.Equal(buf[:n], header) {
		return badInput("%s exists and was not written by an import: not replaced (remove it or choose another -o/--map)", path)
	}
	return nil
}

// writeBoth writes two files through temporaries renamed once both are
// complete, so a failure leaves neither half-written.
func writeBoth(p1 string, d1 []byte, p2 string, d2 []byte) error {
	var tmps []string
	cleanup := func() {
		for _, t := range tmps {
			os.Remove(t)
		}
	}
	for _, x := range []struct {
		path string
		data []byte
	}{{p1, d1}, {p2, d2}} {
		f, err := os.CreateTemp(filepath.Dir(x.path), "."+filepath.Base(x.path)+".*")
		if err != nil {
			cleanup()
			return badInput("cannot write %s: %v", x.path, err)
		}
		tmps = append(tmps, f.Name())
		_, err = f.Write(x.data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(f.Name(), 0o644)
		}
		if err != nil {
			cleanup()
			return badInput("cannot write %s: %v", x.path, err)
		}
	}
	if err := os.Rename(tmps[0], p1); err != nil {
		cleanup()
		return badInput("cannot write %s: %v", p1, err)
	}
	if err := os.Rename(tmps[1], p2); err != nil {
		os.Remove(tmps[1])
		return badInput("cannot write %s: %v", p2, err)
	}
	return nil
}

// generateNetBox writes a generated NetBox inventory (generate --netbox).
func generateNetBox(c *cli.Context, dir string) error {
	per := 20
	if c.IsSet("per-rack") {
		per = c.Int("per-rack")
	}
	if c.Bool("platform") || c.IsSet("output") {
		return badInput("--netbox writes a folder of API responses: --platform and -o do not apply")
	}
	o := netbox.GenerateOptions{Racks: c.Int("racks"), PerRack: per, Seed: int64(c.Uint64("seed"))}
	files, err := netbox.Generate(o)
	if err != nil {
		return badInput("%v", err)
	}
	// The folder is written as a report is (outfile.WriteDir): a new or
	// empty folder, or one an earlier generate --netbox wrote, whose files
	// are replaced and whose other entries are kept; never a symbolic
	// link, never over a file it did not write.
	err = outfile.WriteDir(dir, nil, func(tmp string) ([]string, error) {
		var names []string
		for _, ep := range netbox.Endpoints() {
			name := ep + ".json"
			if err := os.WriteFile(filepath.Join(tmp, name), files[ep], 0o644); err != nil {
				return nil, err
			}
			names = append(names, name)
		}
		return names, nil
	})
	var pe *outfile.PathError
	if errors.As(err, &pe) {
		return badInput("--netbox %v", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "wrote a NetBox inventory of %s × %s into %s\n", count(o.Racks, "rack", "racks"), count(per, "server", "servers"), dir)
	return nil
}
