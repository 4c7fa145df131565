package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"blackstart/chart"
	"blackstart/data/store"
	"blackstart/diff"
	"blackstart/estimate"
	"blackstart/power"
)

//go:embed pages/*.html
var pageFiles embed.FS

// TopRisks is how many of a revision's worst failures its page lists.
const TopRisks = 10

// EchartsPath is where the server serves its local echarts script, when
// it has one (Config.Echarts).
const EchartsPath = "/assets/echarts.min.js"

// pageFuncs format figures for the pages; every unit is named.
var pageFuncs = template.FuncMap{
	"dur": func(v float64) string { // seconds as "1 h 02 min", or "never" when infinite
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return "not projected"
		}
		return durText(v)
	},
	"secs": func(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + " s" },
	"pct":  func(v float64) string { return strconv.FormatFloat(math.Round(v*1000)/10, 'f', -1, 64) + " %" },
	"amps": func(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) + " A" },
	"utc": func(ms int64) string {
		if ms == 0 {
			return "—"
		}
		return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"wall": func(startMS int64, s float64) string { // s from the start as a UTC wall time
		if math.IsInf(s, 0) || math.IsNaN(s) {
			return "—"
		}
		return time.UnixMilli(startMS).Add(time.Duration(s * float64(time.Second))).UTC().Format("15:04:05 UTC")
	},
	"short": func(sha string) string { return sha[:min(12, len(sha))] },
	"join":  strings.Join,
	"path":  url.PathEscape,
	"add":   func(a, b int) int { return a + b },
}

// durText writes s seconds as hours, minutes and seconds.
func durText(s float64) string {
	s = math.Round(s)
	h, m, sec := int(s)/3600, int(s)%3600/60, int(s)%60
	switch {
	case h > 0:
		return fmt.Sprintf("%d h %02d min", h, m)
	case m > 0:
		return fmt.Sprintf("%d min %02d s", m, sec)
	}
	return fmt.Sprintf("%d s", sec)
}

var pageTemplates = template.Must(template.New("").Funcs(pageFuncs).ParseFS(pageFiles, "pages/*.html"))

// pageData is what every page's layout needs.
type pageData struct {
	Title string
	// Echarts is the script's address; Local whether it is this server's
	// copy (else the CDN's): the page says which.
	Echarts string
	Local   bool
	Session *session
	Signed  bool // signed in with a token (else loopback without sign-in)
	TokenID string
	Scope   string
	CSRF    string
	Body    any
}

func (s *Server) echartsURL() (string, bool) {
	if len(s.cfg.Echarts) > 0 {
		return EchartsPath, true
	}
	return chart.CDNHost + "echarts.min.js", false
}

// renderPage writes page name (a template of pages/) with body.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, ss *session, body any) {
	src, local := s.echartsURL()
	d := pageData{Title: name, Echarts: src, Local: local, Session: ss, Body: body}
	if ss != nil {
		d.Signed, d.CSRF, d.TokenID, d.Scope = ss.token.ID != "", ss.csrf, ss.token.ID, ss.token.Scope
	}
	var b bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&b, name, d); err != nil {
		s.cfg.Log.Printf("page %s: %v", name, err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// writePageError answers a page request that failed, as a page.
func (s *Server) writePageError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.renderPage(w, r, status, "error", nil, map[string]any{"Status": status, "StatusText": http.StatusText(status), "Message": msg})
}

// page registers a page: authenticated as pageAuth says, errors answered
// as pages.
func (s *Server) page(pattern string, h func(w http.ResponseWriter, r *http.Request, ss *session) error) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		ss, ok := s.pageAuth(w, r)
		if !ok {
			return
		}
		if err := h(w, r, ss); err != nil {
			ae := classify(err)
			if ae.status == http.StatusInternalServerError {
				s.cfg.Log.Printf("%s %s: %v", r.Method, r.URL.Path, err)
			}
			if ae.status == 499 {
				return
			}
			if ae.retry {
				w.Header().Set("Retry-After", strconv.Itoa(RetryAfterS))
			}
			s.writePageError(w, r, ae.status, ae.msg)
		}
	})
}

func (s *Server) pageRoutes() {
	s.page("GET /{$}", s.indexPage)
	s.page("GET /models/{model}", s.revisionPage)
	s.page("GET /models/{model}/revisions/{rev}", s.revisionPage)
	s.page("GET /models/{model}/diff", s.diffPage)
	s.page("GET /incidents/{id}", s.incidentPage)
	s.page("GET /incidents/{id}/panel", s.incidentPanel)
	s.page("GET /incidents/{id}/stream", func(w http.ResponseWriter, r *http.Request, _ *session) error { return s.stream(w, r) })
	s.page("POST /incidents/{id}/close", s.closeForm)
	s.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	s.mux.HandleFunc("/signin", s.signin)
	s.mux.HandleFunc("POST /signout", s.signout)
	s.mux.HandleFunc("GET "+EchartsPath, func(w http.ResponseWriter, r *http.Request) {
		if len(s.cfg.Echarts) == 0 {
			http.Error(w, "this server has no local echarts: its pages load it from the CDN", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Write(s.cfg.Echarts)
	})
}

func (s *Server) indexPage(w http.ResponseWriter, r *http.Request, ss *session) error {
	ms, err := s.db.Models(r.Context())
	if err != nil {
		return err
	}
	ins, err := s.db.Incidents(r.Context())
	if err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "index", ss, map[string]any{"Models": ms, "Incidents": ins})
	return nil
}

// analysisJSON is the JSON answer of analysis route path of revision rev
// with query params: the same computation and cache as the API's.
func (s *Server) analysisJSON(ctx context.Context, rev store.Revision, path string, params url.Values) ([]byte, error) {
	for _, a := range analyses {
		if a.path != path {
			continue
		}
		q := &query{v: params, used: map[string]bool{}}
		canon, run, err := a.parse(q)
		if err != nil {
			return nil, err
		}
		body, err := s.result(ctx, rev.SHA256+" "+a.path+"?"+canon, rev.SHA256, true, func(stop func() bool) ([]byte, error) {
			m, _, err := s.db.LoadModel(context.WithoutCancel(ctx), rev.Model, rev.Name())
			if err != nil {
				return nil, err
			}
			return run(m, stop)
		})
		if err != nil {
			return nil, err
		}
		return unpack(body)
	}
	return nil, fmt.Errorf("no analysis %q", path)
}

// unpack returns a kept result as JSON.
func unpack(stored []byte) ([]byte, error) {
	if !isGzip(stored) {
		return stored, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(stored))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// revisionPage: a model's revisions, and one revision's (the latest
// unless named) worst failures and rack headroom chart.
func (s *Server) revisionPage(w http.ResponseWriter, r *http.Request, ss *session) error {
	model := r.PathValue("model")
	ref := r.PathValue("rev")
	if ref == "" {
		ref = "@latest"
	}
	rev, err := s.db.Resolve(r.Context(), model, ref)
	if err != nil {
		return err
	}
	revs, err := s.db.Log(r.Context(), model)
	if err != nil {
		return err
	}
	lj, err := s.analysisJSON(r.Context(), rev, "power/load", url.Values{})
	if err != nil {
		return err
	}
	var load power.LoadReport
	if err := json.Unmarshal(lj, &load); err != nil {
		return err
	}
	fj, err := s.analysisJSON(r.Context(), rev, "power/failover", url.Values{})
	if err != nil {
		return err
	}
	var sweep power.SweepReport
	if err := json.Unmarshal(fj, &sweep); err != nil {
		return err
	}
	risks := sweep.Scenarios
	if len(risks) > TopRisks {
		risks = risks[:TopRisks]
	}
	// The headroom chart draws power headroom's figures (the same cached
	// analysis the power/headroom route answers).
	hj, err := s.analysisJSON(r.Context(), rev, "power/headroom", url.Values{})
	if err != nil {
		return err
	}
	var head power.HeadroomReport
	if err := json.Unmarshal(hj, &head); err != nil {
		return err
	}
	var ch bytes.Buffer
	if err := chart.Headroom(head, 0).Embed(&ch); err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "revision", ss, map[string]any{"Rev": rev, "Revisions": revs, "Load": load, "Summary": sweep.Summary,
		"Risks": risks, "More": len(sweep.Scenarios) - len(risks), "Chart": template.HTML(ch.String())})
	return nil
}

// diffPage: what blackstart diff says of two revisions (new: the latest
// unless named; old: new's parent unless named).
func (s *Server) diffPage(w http.ResponseWriter, r *http.Request, ss *session) error {
	q, err := newQuery(r)
	if err != nil {
		return err
	}
	oldRef, err := q.str("old", "")
	if err != nil {
		return err
	}
	newRef, err := q.str("new", "")
	if err != nil {
		return err
	}
	b, bs, err := basisParam(q) // conservative unless given, as blackstart diff
	if err != nil {
		return err
	}
	if err := q.done(); err != nil {
		return err
	}
	key, oldRev, newRev, compute, err := s.diffOf(r.Context(), r.PathValue("model"), oldRef, newRef, b, bs, power.DefaultHorizonS)
	if err != nil {
		return err
	}
	stored, err := s.result(r.Context(), key, newRev.SHA256, true, compute)
	if err != nil {
		return err
	}
	body, err := unpack(stored)
	if err != nil {
		return err
	}
	var rep diff.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "diff", ss, map[string]any{"Old": oldRev, "New": newRev, "Report": rep})
	return nil
}

// incidentView is what the incident page and its panel show: the
// incident, the estimate now (the document GET …/eta answers), and the
// ETA chart of the estimates made so far.
type incidentView struct {
	In    store.Incident
	Snap  estimate.Snapshot
	ETA   string // the JSON document
	Chart template.HTML
	Seq   int
	Stale int
}

func (s *Server) incidentView(ctx context.Context, idText string) (incidentView, error) {
	id, err := incidentID(idText)
	if err != nil {
		return incidentView{}, err
	}
	in, err := s.incidentOf(ctx, id)
	if err != nil {
		return incidentView{}, err
	}
	doc, seq, err := s.etaAt(ctx, idText, func(lastT float64) float64 { return s.clockAt(in.StartMS, lastT) })
	if err != nil {
		return incidentView{}, err
	}
	var v incidentView
	if err := json.Unmarshal(doc, &v.Snap); err != nil {
		return v, err
	}
	nullsAsInf(doc, &v.Snap)
	hist, err := s.history(ctx, idText)
	if err != nil {
		return v, err
	}
	var ch bytes.Buffer
	if err := chart.ETA(hist, -1, "").Embed(&ch); err != nil {
		return v, err
	}
	// A closed incident shows its last known state.
	v.In, v.ETA, v.Chart, v.Seq, v.Stale = in, string(doc), template.HTML(ch.String()), seq, len(v.Snap.StaleNodes)
	return v, nil
}

// nullsAsInf restores the infinities an ETA document writes as null.
func nullsAsInf(doc []byte, sn *estimate.Snapshot) {
	var raw map[string]json.RawMessage
	if json.Unmarshal(doc, &raw) != nil {
		return
	}
	for k, p := range map[string]*float64{"eta_all_s": &sn.ETAAllS, "eta_all_low_s": &sn.ETAAllLowS, "eta_all_high_s": &sn.ETAAllHighS,
		"eta_90_s": &sn.ETA90S, "eta_90_low_s": &sn.ETA90LowS, "eta_90_high_s": &sn.ETA90HighS, "ram_eta_all_s": &sn.RAMETAAllS, "ram_eta_90_s": &sn.RAMETA90S} {
		if string(raw[k]) == "null" {
			*p = math.Inf(1)
		}
	}
	var tiers []struct {
		ETAS *float64 `json:"eta_s"`
	}
	if json.Unmarshal(raw["tiers"], &tiers) == nil {
		for k := range tiers {
			if k < len(sn.Tiers) && tiers[k].ETAS == nil {
				sn.Tiers[k].ETAS = math.Inf(1)
			}
		}
	}
}

func (s *Server) incidentPage(w http.ResponseWriter, r *http.Request, ss *session) error {
	v, err := s.incidentView(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "incident", ss, v)
	return nil
}

// incidentPanel is the part of the incident page that updates itself.
func (s *Server) incidentPanel(w http.ResponseWriter, r *http.Request, ss *session) error {
	v, err := s.incidentView(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.renderPage(w, r, http.StatusOK, "panel", ss, v)
	return nil
}

// closeForm closes the incident from its page: a form with the session's
// CSRF token, by a session signed in with an ingest or admin token.
func (s *Server) closeForm(w http.ResponseWriter, r *http.Request, ss *session) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := checkCSRF(r, ss); err != nil {
		return err
	}
	if ss.token.ID == "" || !store.Allows(ss.token.Scope, store.ScopeIngest) {
		return errorf(http.StatusForbidden, "closing an incident needs a sign-in with an ingest or admin token")
	}
	lv, err := s.lockLive(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	in, err := s.db.CloseIncident(context.WithoutCancel(r.Context()), lv.in.ID)
	if err == nil {
		lv.in = in
		s.inc.mu.Lock()
		s.dropLocked(in.ID, lv)
		s.inc.mu.Unlock()
	}
	lv.mu.Unlock()
	if err != nil {
		return err
	}
	if _, aerr := s.db.Audit(context.WithoutCancel(r.Context()), store.AuditEntry{TimeMS: s.cfg.Now().UnixMilli(), TokenID: ss.token.ID, Method: r.Method,
		Route: r.URL.Path, Status: http.StatusSeeOther, Model: in.Model, Revision: in.Revision, Remote: r.RemoteAddr}); aerr != nil {
		s.cfg.Log.Printf("audit of %s %s: %v", r.Method, r.URL.Path, aerr)
	}
	http.Redirect(w, r, fmt.Sprintf("/incidents/%d", in.ID), http.StatusSeeOther)
	return nil
}
