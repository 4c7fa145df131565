package main

import (
	"context"
	"fmt"
	"net"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"blackstart/chart"
	"blackstart/data/store"
	"blackstart/server"

	"github.com/urfave/cli/v2"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the HTTP API over the database (loopback only unless --allow-remote)",
		Description: `Starts on the database (--db, else $BLACKSTART_DB, else ./blackstart.db;
created when missing) with no other setup. It listens on 127.0.0.1:8080; any
other address needs --allow-remote and at least one token, and then every
request but /healthz needs one. Writes always need a token (blackstart token
create) and are audited. TLS is the job of a reverse proxy in front of it.
SIGINT or SIGTERM stops it after the requests in flight finish. See
docs/api.md for the routes.

Example:
   blackstart serve --db blackstart.db
   curl -s localhost:8080/api/v1/models/incident-2019/revisions/@latest/power/failover`,
		Flags: []cli.Flag{dbFlag(),
			&cli.StringFlag{Name: "addr", Value: server.DefaultAddr, Usage: "address to listen on, HOST:PORT"},
			&cli.BoolFlag{Name: "allow-remote", Usage: "allow an address other than loopback (needs a token; use TLS in front)"},
			&cli.BoolFlag{Name: "require-token", Usage: "reads need a token even from loopback (behind a reverse proxy every client looks local)"},
			&cli.IntFlag{Name: "max-analyses", Usage: "analyses computed at once, past it 429 (default: half the processors, at least 1)"},
			&cli.Int64Flag{Name: "cache-mb", Value: server.DefaultCacheBytes >> 20, Usage: "analysis results kept in memory, MiB"},
			&cli.BoolFlag{Name: "offline", EnvVars: []string{"BLACKSTART_OFFLINE"}, Usage: "the pages load echarts " + chart.EchartsVersion + " from this server (a local copy, see --echarts-js), not from the CDN"},
			&cli.StringFlag{Name: "echarts-js", Usage: "local echarts.min.js `PATH` for --offline (default $" + chart.EchartsEnv + ", else ./" + chart.DefaultEchartsPath + " here or above)"},
		},
		OnUsageError: usageError,
		Action:       serveAction,
	}
}

func serveAction(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return badInput("serve takes no arguments, got %q", c.Args().First())
	}
	if c.Int64("cache-mb") < 1 {
		return badInput("--cache-mb must be >= 1, got %d", c.Int64("cache-mb"))
	}
	if c.Int("max-analyses") < 0 {
		return badInput("--max-analyses must be >= 0, got %d", c.Int("max-analyses"))
	}
	addr := c.String("addr")
	var echarts []byte
	if c.Bool("offline") {
		js, _, err := chart.LocateEcharts(c.String("echarts-js"))
		if err != nil {
			return badInput("--offline: %v", err)
		}
		echarts = js
	} else if c.IsSet("echarts-js") {
		return badInput("--echarts-js is for --offline")
	}
	// The address is checked before anything is created.
	if err := server.CheckListen(addr, c.Bool("allow-remote"), 1); err != nil {
		return badInput("%v", err)
	}
	db, err := openDB(c, true)
	if err != nil {
		return err
	}
	defer db.Close()
	signal.Reset(syscall.SIGINT, syscall.SIGTERM) // the graceful shutdown below, not main's exit
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if !server.IsLoopback(addr) {
		ts, err := db.Tokens(ctx)
		if err != nil {
			return err
		}
		valid := 0
		now := time.Now().UnixMilli()
		for _, t := range ts {
			if t.RevokedMS == 0 && (t.ExpiresMS == 0 || t.ExpiresMS > now) {
				valid++
			}
		}
		if err := server.CheckListen(addr, true, valid); err != nil {
			return badInput("%v", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return badInput("--addr %s: %v", addr, err)
	}
	version := server.BuildVersion()
	s := server.New(server.Config{DB: db, Remote: !server.IsLoopback(addr) || c.Bool("require-token"), MaxAnalyses: c.Int("max-analyses"), CacheBytes: c.Int64("cache-mb") << 20,
		Version: version, PersistResults: server.Persistable(version), Echarts: echarts})
	fmt.Fprintf(c.App.ErrWriter, "blackstart %s serving %s on http://%s (Ctrl-C stops)\n", version, db.Path(), ln.Addr())
	if err := s.Serve(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintln(c.App.ErrWriter, "blackstart: stopped; requests in flight finished")
	return nil
}

func tokenCommand() *cli.Command {
	return &cli.Command{
		Name:         "token",
		Usage:        "API tokens of blackstart serve: create, list, revoke",
		Action:       group,
		OnUsageError: usageError,
		Description: `A token is printed once, when it is made: bst_<id>_<secret>. The database keeps
only an HMAC-SHA256 of the secret. Scopes: read (GET routes), ingest (read and
measurements), write (read and commits), admin (everything, the audit log).

Examples:
   blackstart token create --db site.db --scope read --name dashboard
   blackstart token list --db site.db
   blackstart token revoke --db site.db ae2606443d65`,
		Subcommands: []*cli.Command{
			{
				Name:  "create",
				Usage: "make a token and print its secret (once)",
				Description: `Example:
   blackstart token create --db site.db --scope ingest --expires 90d --name pdu-poller`,
				Flags: []cli.Flag{dbFlag(),
					&cli.StringFlag{Name: "scope", Usage: "read, write, ingest or admin (required)"},
					&cli.StringFlag{Name: "expires", Usage: "lifetime, e.g. 90d, 12h (default: never)"},
					&cli.StringFlag{Name: "name", Usage: "what the token is for (shown by token list and as the author of its commits)"}},
				OnUsageError: usageError,
				Action:       tokenCreate,
			},
			{
				Name:  "list",
				Usage: "the tokens: id, scope, name, created, expires, revoked",
				Description: `Example:
   blackstart token list --db site.db --format json`,
				Flags:        []cli.Flag{dbFlag(), formatFlag("table", "json")},
				OnUsageError: usageError,
				Action:       tokenList,
			},
			{
				Name:  "revoke",
				Usage: "revoke a token by its id",
				Description: `Example:
   blackstart token revoke --db site.db ae2606443d65`,
				ArgsUsage:    "ID",
				Flags:        []cli.Flag{dbFlag()},
				OnUsageError: usageError,
				Action:       tokenRevoke,
			},
		},
	}
}

// parseLifetime reads a duration: Go's (12h, 90m) or whole days (30d).
func parseLifetime(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 36500 {
			return 0, fmt.Errorf("--expires %q: want 1d to 36500d, or a duration like 12h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("--expires %q: want a positive duration like 12h or 90d", s)
	}
	return v, nil
}

func tokenCreate(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return badInput("token create takes no arguments, got %q", c.Args().First())
	}
	scope := c.String("scope")
	if err := store.CheckScope(scope); err != nil {
		return badInput("--scope is required: read, write, ingest or admin (got %q)", scope)
	}
	var expires int64
	if s := c.String("expires"); s != "" {
		d, err := parseLifetime(s)
		if err != nil {
			return badInput("%v", err)
		}
		expires = time.Now().Add(d).UnixMilli()
	}
	db, err := openDB(c, true)
	if err != nil {
		return err
	}
	defer db.Close()
	t, bearer, err := db.CreateToken(context.Background(), scope, c.String("name"), expires)
	if err != nil {
		return storeError(err)
	}
	fmt.Fprintln(c.App.Writer, bearer)
	exp := "never expires"
	if t.ExpiresMS != 0 {
		exp = "expires " + time.UnixMilli(t.ExpiresMS).UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(c.App.ErrWriter, "token %s, scope %s, %s: the line above is its secret, shown only now\n", t.ID, t.Scope, exp)
	return nil
}

func tokenList(c *cli.Context) error {
	format, err := checkFormat(c, "table", "json")
	if err != nil {
		return err
	}
	db, err := openDB(c, false)
	if err != nil {
		return err
	}
	defer db.Close()
	ts, err := db.Tokens(context.Background())
	if err != nil {
		return storeError(err)
	}
	if format == "json" {
		return writeJSON(c.App.Writer, ts)
	}
	when := func(ms int64, none string) string {
		if ms == 0 {
			return none
		}
		return time.UnixMilli(ms).UTC().Format(time.RFC3339)
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSCOPE\tNAME\tCREATED\tEXPIRES\tREVOKED")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Scope, t.Name, when(t.CreatedMS, "-"), when(t.ExpiresMS, "never"), when(t.RevokedMS, "-"))
	}
	return tw.Flush()
}

func tokenRevoke(c *cli.Context) error {
	if c.NArg() != 1 {
		return badInput("token revoke takes one token id (see blackstart token list)")
	}
	db, err := openDB(c, false)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := db.RevokeToken(context.Background(), c.Args().First())
	if err != nil {
		return storeError(err)
	}
	fmt.Fprintf(c.App.Writer, "token %s (%s) revoked at %s\n", t.ID, t.Scope, time.UnixMilli(t.RevokedMS).UTC().Format(time.RFC3339))
	return nil
}
