package server

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"blackstart/data/store"
)

// Defaults and limits of the server (docs/api.md lists them).
const (
	DefaultAddr = "127.0.0.1:8080"
	// MaxCommitBytes bounds a commit's request body, bytes (413 past it).
	MaxCommitBytes = 16 << 20
	// DefaultMaxReadingsBytes bounds a readings upload's request body,
	// bytes (413 past it), when Config.MaxReadingsBytes is 0.
	DefaultMaxReadingsBytes = 256 << 20
	// MaxHeaderBytes bounds a request's headers, bytes.
	MaxHeaderBytes = 64 << 10
	// DefaultCacheBytes bounds the results kept in memory, bytes.
	DefaultCacheBytes = 1 << 30
	// ReadHeaderTimeout, ReadTimeout and IdleTimeout bound how long a
	// client may take to send its headers, its whole request, and how long
	// an idle connection is kept.
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	// ShutdownTimeout bounds how long a shutdown waits for requests in
	// flight (writes finish; then the database is closed).
	ShutdownTimeout = 30 * time.Second
	// RetryAfterS is the Retry-After of a 429, seconds.
	RetryAfterS = 2
)

// Config sets up a Server.
type Config struct {
	DB *store.DB // the open database; the server does not close it
	// Remote is set when the server listens on more than loopback
	// (--allow-remote): every request but /healthz then needs a token.
	Remote bool
	// MaxAnalyses bounds the analyses computed at once, >= 1; 0 means
	// max(1, GOMAXPROCS/2). Past it a request for an uncached result is
	// answered 429 with Retry-After.
	MaxAnalyses int
	// CacheBytes bounds the analysis results kept in memory, bytes;
	// DefaultCacheBytes when 0.
	CacheBytes int64
	// MaxReadingsBytes bounds the body of a readings upload (POST
	// …/readings), bytes; DefaultMaxReadingsBytes when 0.
	MaxReadingsBytes int64
	// Version names the build; results are cached under it. BuildVersion
	// when empty.
	Version string
	// PersistResults also keeps results in the database (table result),
	// so that a restarted server does not compute them again. Only
	// sensible for a released build whose Version names its code.
	PersistResults bool
	// MaxLive bounds the incidents whose live estimators are kept in
	// memory, >= 1; DefaultMaxLive when 0. Past it the one asked about
	// least recently is dropped (rebuilt from its events when asked
	// again).
	MaxLive int
	// Echarts, when set, is the content of echarts.min.js (chart.LocateEcharts):
	// the pages load it from this server (EchartsPath); else from the CDN.
	Echarts []byte
	// Now is the clock of token expiry and of the audit log; time.Now
	// when nil.
	Now func() time.Time
	// Log receives one line per internal error; log.Default() when nil.
	Log *log.Logger
}

// Server serves the API over one database.
type Server struct {
	cfg   Config
	db    *store.DB
	cache *cache
	sem   chan struct{} // one token per analysis running
	// resultHook, when set (tests only, before any request), runs right
	// before a computed result is handed to its waiters.
	resultHook func(*Server)
	mux        *http.ServeMux
	inc        incidents
	group      groupCommit // event batches committed together
	sess       sessions    // the pages' sign-ins
	// done is closed when the server shuts down: streams end.
	done     chan struct{}
	doneOnce sync.Once
	// methods lists the methods of each route's path, paths the paths in
	// the order registered (for the 405 answers).
	methods map[string][]string
	paths   []string
}

// BuildVersion names this build: its module version and, when built from
// a checkout, the VCS revision ("+dirty" when modified).
func BuildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" && !strings.Contains(v, rev[:min(12, len(rev))]) {
		v += "-" + rev[:min(12, len(rev))]
	}
	if !strings.HasSuffix(v, "+dirty") {
		v += dirty
	}
	return v
}

// New makes a server over cfg.DB.
func New(cfg Config) *Server {
	if cfg.MaxReadingsBytes <= 0 {
		cfg.MaxReadingsBytes = DefaultMaxReadingsBytes
	}
	if cfg.MaxAnalyses <= 0 {
		cfg.MaxAnalyses = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = DefaultCacheBytes
	}
	if cfg.Version == "" {
		cfg.Version = BuildVersion()
	}
	if cfg.MaxLive <= 0 {
		cfg.MaxLive = DefaultMaxLive
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = log.Default()
	}
	s := &Server{cfg: cfg, db: cfg.DB, cache: newCache(cfg.CacheBytes), sem: make(chan struct{}, cfg.MaxAnalyses), mux: http.NewServeMux(),
		inc: incidents{m: map[int64]*live{}, revs: map[string]*revState{}, max: cfg.MaxLive, estimating: make(chan struct{}, runtime.GOMAXPROCS(0))}, sess: sessions{m: map[string]*session{}}, done: make(chan struct{}), methods: map[string][]string{}}
	s.routes()
	return s
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// CacheStats returns the results kept in memory and their size, bytes.
func (s *Server) CacheStats() (entries int, bytes int64) { return s.cache.stats() }

// ErrListen is returned by CheckListen for an address the server refuses.
var ErrListen = errors.New("refusing to listen")

// IsLoopback reports whether addr's host is a loopback address or
// "localhost" (an empty host means every interface: not loopback).
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckListen refuses a non-loopback address unless allowRemote, and a
// remote server without a usable token (tokens > 0).
func CheckListen(addr string, allowRemote bool, tokens int) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%w: --addr %q: want HOST:PORT (%v)", ErrListen, addr, err)
	}
	if IsLoopback(addr) {
		return nil
	}
	if !allowRemote {
		return fmt.Errorf("%w on %s: not a loopback address; pass --allow-remote to serve other hosts (every request then needs a token)", ErrListen, addr)
	}
	if tokens == 0 {
		return fmt.Errorf("%w on %s: remote access needs at least one valid token (blackstart token create --scope read)", ErrListen, addr)
	}
	return nil
}

// Serve answers on ln until ctx ends, then shuts down gracefully: it
// stops accepting, lets the requests in flight finish (writes complete)
// for up to ShutdownTimeout, and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          s.cfg.Log,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.doneOnce.Do(func() { close(s.done) })
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc
	return err
}

// Persistable reports whether results computed by the build named v may
// be kept in the database: only a build of a known, unmodified VCS
// revision names its code (a "devel" or "+dirty" build may change without
// changing its name).
func Persistable(v string) bool {
	return strings.Contains(v, "-") && !strings.HasPrefix(v, "devel") && !strings.HasSuffix(v, "+dirty")
}
