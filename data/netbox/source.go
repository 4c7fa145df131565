package netbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"blackstart/topology"
)

// Inventory is the NetBox objects the importer uses, by endpoint, each
// with the response it came from.
type Inventory struct {
	Panels          []Panel
	Feeds           []Feed
	Racks           []Rack
	Devices         []Device
	DeviceTypes     []DeviceType
	PortTemplates   []PortTemplate
	OutletTemplates []OutletTemplate
	Ports           []Port
	Outlets         []Outlet
	Cables          []Cable
	// Sources names where the objects were read (folders or the URL).
	Sources []string
	// Missing lists the endpoints a folder had no file for.
	Missing []string
	// origin[endpoint][id] is the file or URL an object came from.
	origin map[string]map[int]string
}

// slot returns a pointer to the slice of endpoint ep and a new element.
func (inv *Inventory) slot(ep string) (reflect.Value, reflect.Type) {
	v := reflect.ValueOf(inv).Elem()
	var f reflect.Value
	switch ep {
	case "power-panels":
		f = v.FieldByName("Panels")
	case "power-feeds":
		f = v.FieldByName("Feeds")
	case "racks":
		f = v.FieldByName("Racks")
	case "devices":
		f = v.FieldByName("Devices")
	case "device-types":
		f = v.FieldByName("DeviceTypes")
	case "power-port-templates":
		f = v.FieldByName("PortTemplates")
	case "power-outlet-templates":
		f = v.FieldByName("OutletTemplates")
	case "power-ports":
		f = v.FieldByName("Ports")
	case "power-outlets":
		f = v.FieldByName("Outlets")
	case "cables":
		f = v.FieldByName("Cables")
	}
	return f, f.Type().Elem()
}

// maxProblems bounds the problems reported per response: past it, one
// line says how many more there are.
const maxProblems = 100

// add decodes the results of one page of endpoint ep into inv, collecting
// every problem with its position (up to maxProblems).
func (inv *Inventory) add(ep, source string, data []byte, p *Page, errs *ErrorList) {
	problems := 0
	defer func() {
		if problems > maxProblems {
			*errs = append(*errs, &Error{Source: source, Msg: fmt.Sprintf("… and %d more problems in this response", problems-maxProblems)})
		}
	}()
	report := func(e *Error) {
		if problems++; problems <= maxProblems {
			*errs = append(*errs, e)
		}
	}
	f, t := inv.slot(ep)
	inv.originOf(ep)
	var ln *lines // built at the first problem
	lineCol := func(data []byte, off int64) (int, int) {
		if ln == nil {
			ln = newLines(data)
		}
		return ln.at(off)
	}
	for i, raw := range p.Results {
		nv := reflect.New(t)
		if err := decodeObject(raw, nv.Interface().(object)); err != nil {
			l, c := lineCol(data, p.Offsets[i])
			what := fmt.Sprintf("%s results[%d]", ep, i)
			var head struct {
				ID any `json:"id"`
			}
			if json.Unmarshal(raw, &head) == nil && head.ID != nil {
				what += fmt.Sprintf(" (id %v)", head.ID)
			}
			report(&Error{Source: source, Line: l, Col: c, Msg: what + ": " + err.Error()})
			continue
		}
		id := int(nv.Elem().FieldByName("ID").Int())
		if prev, dup := inv.origin[ep][id]; dup {
			l, c := lineCol(data, p.Offsets[i])
			report(&Error{Source: source, Line: l, Col: c, Msg: fmt.Sprintf("%s id %d given twice (first in %s)", ep, id, prev)})
			continue
		}
		inv.origin[ep][id] = source
		f.Set(reflect.Append(f, nv.Elem()))
	}
}

// ReadDir reads the saved responses of a folder: one file per endpoint,
// <endpoint>.json, each one complete list response (GET
// /api/dcim/<endpoint>/?limit=0). A missing file contributes nothing and
// is listed in Missing.
func ReadDir(dir string) (*Inventory, error) {
	inv := &Inventory{Sources: []string{dir}}
	var errs ErrorList
	datas := make([][]byte, len(endpoints))
	// The files are bounded before any is decoded: in bytes all together
	// (a device such as /dev/zero is read no further), and in the objects
	// of their results.
	total, objects := 0, 0
	for i, ep := range endpoints {
		name := filepath.Join(dir, ep+".json")
		data, err := topology.ReadBounded(name, MaxFolderBytes-total)
		if errors.Is(err, fs.ErrNotExist) {
			inv.Missing = append(inv.Missing, name)
			continue
		}
		if errors.Is(err, topology.ErrTooBig) {
			return nil, ErrorList{{Source: name, Msg: tooBigMsg("the folder's response files are", MaxFolderBytes) + " in all: import from a live NetBox (--url), or a smaller site"}}
		}
		if err != nil {
			errs = append(errs, &Error{Source: name, Msg: "cannot read: " + unwrapPath(err)})
			continue
		}
		total += len(data)
		if line, col := countObjects(data, &objects, MaxFolderObjects); line > 0 {
			return nil, ErrorList{{Source: name, Line: line, Col: col, Msg: fmt.Sprintf("more than %d objects in the folder's results, all together (the limit: each takes the importer about 230 bytes)", MaxFolderObjects)}}
		}
		datas[i] = data
		inv.originOf(ep) // created here: the decoders below run at once
	}
	if len(inv.Missing) == len(endpoints) {
		errs = append(errs, &Error{Source: dir, Msg: fmt.Sprintf("no NetBox response files (%s.json, …)", endpoints[0])})
	}
	// Each endpoint fills its own slice and origin map: decode them in
	// parallel, and collect the problems in endpoint order.
	perEP := make([]ErrorList, len(endpoints))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, ep := range endpoints {
		if datas[i] == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			inv.readResponse(ep, filepath.Join(dir, ep+".json"), datas[i], &perEP[i])
		}()
	}
	wg.Wait()
	for _, l := range perEP {
		errs = append(errs, l...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return inv, nil
}

// readResponse adds a saved, complete list response of endpoint ep: in
// one pass when it is sound, else read again with positions to say what
// is wrong.
func (inv *Inventory) readResponse(ep, name string, data []byte, errs *ErrorList) {
	if inv.addFast(ep, name, data) {
		return
	}
	p, err := ReadPage(name, data)
	if err != nil {
		*errs = append(*errs, asError(name, err))
		return
	}
	if p.Next != "" || len(p.Results) < p.Count {
		*errs = append(*errs, &Error{Source: name, Msg: fmt.Sprintf("holds %d of %d objects (next: %q): save the whole list (?limit=0, or every page merged into one results array)", len(p.Results), p.Count, p.Next)})
		return
	}
	inv.add(ep, name, data, p, errs)
}

func unwrapPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func asError(source string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Source: source, Msg: err.Error()}
}

// Client reads a live NetBox.
type Client struct {
	BaseURL string       // e.g. https://netbox.example.com (without /api)
	Token   string       // API token: a v1 token, or a v2 "nbt_<key>.<token>"
	HTTP    *http.Client // nil: a client with Timeout
	Timeout time.Duration
	// PageSize is the limit asked for per page (NetBox caps it at its
	// MAX_PAGE_SIZE, 1000 by default); 1000 when 0.
	PageSize int
	// MaxObjects bounds the objects read per endpoint (a server that
	// never ends); 5,000,000 when 0.
	MaxObjects int
	// Progress, when set, is called after each page with the objects
	// read and the objects known to come (the counts the endpoints read
	// so far give; it grows as each endpoint's first page arrives), from
	// the calling goroutine.
	Progress func(done, total int)
}

// authorization returns the Authorization header for the token: "Bearer"
// for v2 tokens (nbt_…), "Token" for v1 tokens.
func (c *Client) authorization() string {
	if strings.HasPrefix(c.Token, "nbt_") {
		return "Bearer " + c.Token
	}
	return "Token " + c.Token
}

// Fetch reads every endpoint, following the next links of each.
func (c *Client) Fetch(ctx context.Context) (*Inventory, error) {
	base, err := url.Parse(strings.TrimRight(c.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, ErrorList{{Source: c.BaseURL, Msg: "--url must be an http(s) URL of a NetBox, e.g. https://netbox.example.com"}}
	}
	hc := c.HTTP
	if hc == nil {
		t := c.Timeout
		if t <= 0 {
			t = 30 * time.Second
		}
		hc = &http.Client{Timeout: t}
	}
	size := c.PageSize
	if size <= 0 {
		size = 1000
	}
	maxObj := c.MaxObjects
	if maxObj <= 0 {
		maxObj = 5_000_000
	}
	inv := &Inventory{Sources: []string{base.String()}}
	var errs ErrorList
	read, known := 0, 0 // objects read, and announced, over all endpoints
	for _, ep := range endpoints {
		next := fmt.Sprintf("%s/api/dcim/%s/?limit=%d", base.String(), ep, size)
		seen := map[string]bool{}
		total := 0
		counted := false
		for next != "" {
			if seen[next] {
				errs = append(errs, &Error{Source: next, Msg: "the pages loop: this next link was already read"})
				break
			}
			seen[next] = true
			nu, err := url.Parse(next)
			if err != nil || nu.Scheme != base.Scheme || nu.Host != base.Host {
				errs = append(errs, &Error{Source: next, Msg: fmt.Sprintf("next link leaves %s://%s: not followed (the token is not sent elsewhere)", base.Scheme, base.Host)})
				break
			}
			data, err := c.get(ctx, hc, next)
			if err != nil {
				errs = append(errs, &Error{Source: next, Msg: err.Error()})
				break
			}
			p, err := ReadPage(next, data)
			if err != nil {
				errs = append(errs, asError(next, err))
				break
			}
			total += len(p.Results)
			switch {
			case total > p.Count:
				errs = append(errs, &Error{Source: next, Msg: fmt.Sprintf("%d objects read, more than the count of %d the server gives", total, p.Count)})
			case total > maxObj:
				errs = append(errs, &Error{Source: next, Msg: fmt.Sprintf("more than %d objects: stopped", maxObj)})
			case len(p.Results) == 0 && p.Next != "":
				errs = append(errs, &Error{Source: next, Msg: "an empty page with a next link: the pages never end"})
			case p.Next == "" && total < p.Count:
				errs = append(errs, &Error{Source: next, Msg: fmt.Sprintf("the last page ends at %d of %d objects", total, p.Count)})
			default:
				inv.add(ep, next, data, p, &errs)
				next = p.Next
				if !counted {
					known, counted = known+p.Count, true
				}
				read += len(p.Results)
				if c.Progress != nil && known > 0 {
					c.Progress(read, known)
				}
				continue
			}
			break
		}
		if len(errs) > 0 { // the next endpoints would fail alike
			return nil, errs
		}
	}
	return inv, nil
}

// maxBody bounds one response, bytes.
const maxBody = 256 << 20

func (c *Client) get(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", c.authorization())
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ue.Timeout() {
			return nil, fmt.Errorf("GET timed out (%v)", hc.Timeout)
		}
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("GET failed: %v", ue.Err)
		}
		return nil, fmt.Errorf("GET failed: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the response: %v", err)
	}
	if len(data) > maxBody {
		return nil, fmt.Errorf("response larger than %d MiB", maxBody>>20)
	}
	if resp.StatusCode != http.StatusOK {
		detail := ""
		var d struct {
			Detail string `json:"detail"`
		}
		if json.Unmarshal(data, &d) == nil && d.Detail != "" {
			detail = ": " + d.Detail
		}
		hint := ""
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			hint = " (check the token in --token-file and its permissions)"
		case http.StatusNotFound:
			hint = " (is --url the NetBox root, and the API v4?)"
		}
		return nil, fmt.Errorf("HTTP %s%s%s", resp.Status, detail, hint)
	}
	return data, nil
}

// Merge joins inventories read from several folders (an export and device
// types from the public library): objects of one endpoint with the same id
// must be the same object; device types with the same slug are one type
// (its templates are the union, the first folder's id kept). Two objects
// that collide are an error naming both.
func Merge(invs ...*Inventory) (*Inventory, error) {
	if len(invs) == 1 {
		return invs[0], nil
	}
	out := &Inventory{origin: map[string]map[int]string{}}
	var errs ErrorList
	alias := map[int]int{} // device type id -> the id kept for its slug
	bySlug := map[string]DeviceType{}
	for _, inv := range invs {
		out.Sources = append(out.Sources, inv.Sources...)
		out.Missing = append(out.Missing, inv.Missing...)
		for _, ep := range endpoints {
			src, _ := inv.slot(ep)
			dst, _ := out.slot(ep)
			if out.origin[ep] == nil {
				out.origin[ep] = map[int]string{}
			}
			index := map[int]int{}
			for i := 0; i < dst.Len(); i++ {
				index[int(dst.Index(i).FieldByName("ID").Int())] = i
			}
			for i := 0; i < src.Len(); i++ {
				obj := src.Index(i)
				id := int(obj.FieldByName("ID").Int())
				from := inv.origin[ep][id]
				if ep == "device-types" {
					dt := obj.Interface().(DeviceType)
					if first, ok := bySlug[dt.Slug]; ok && first.ID != dt.ID {
						if first.Model != dt.Model || mfr(first) != mfr(dt) {
							errs = append(errs, &Error{Source: from, Msg: fmt.Sprintf("device type %d %q (%s %s) collides with device type %d of the same slug in %s (%s %s)",
								dt.ID, dt.Slug, mfr(dt), dt.Model, first.ID, out.origin[ep][first.ID], mfr(first), first.Model)})
						}
						alias[dt.ID] = first.ID
						continue
					}
					bySlug[dt.Slug] = dt
				}
				if k, ok := index[id]; ok {
					if !reflect.DeepEqual(dst.Index(k).Interface(), obj.Interface()) {
						errs = append(errs, &Error{Source: from, Msg: fmt.Sprintf("%s id %d differs from the object of the same id in %s", ep, id, out.origin[ep][id])})
					}
					continue
				}
				index[id] = dst.Len()
				out.origin[ep][id] = from
				dst.Set(reflect.Append(dst, obj))
			}
		}
	}
	// Templates of an aliased type move to the kept type; a template of the
	// same name there must agree.
	type tkey struct {
		typ  int
		name string
	}
	ports := map[tkey]PortTemplate{}
	var keptPorts []PortTemplate
	for _, t := range out.PortTemplates {
		if t.DeviceType != nil {
			if to, ok := alias[t.DeviceType.ID]; ok {
				r := *t.DeviceType
				r.ID = to
				t.DeviceType = &r
			}
			k := tkey{t.DeviceType.ID, t.Name}
			if prev, ok := ports[k]; ok {
				if !eqf(prev.MaximumDraw, t.MaximumDraw) || !eqf(prev.AllocatedDraw, t.AllocatedDraw) {
					errs = append(errs, &Error{Source: out.origin["power-port-templates"][t.ID], Msg: fmt.Sprintf("power-port template %d %q of device type %d has other draws than template %d of the same name in %s",
						t.ID, t.Name, t.DeviceType.ID, prev.ID, out.origin["power-port-templates"][prev.ID])})
				}
				continue
			}
			ports[k] = t
		}
		keptPorts = append(keptPorts, t)
	}
	out.PortTemplates = keptPorts
	outlets := map[tkey]bool{}
	var keptOutlets []OutletTemplate
	for _, t := range out.OutletTemplates {
		if t.DeviceType != nil {
			if to, ok := alias[t.DeviceType.ID]; ok {
				r := *t.DeviceType
				r.ID = to
				t.DeviceType = &r
			}
			k := tkey{t.DeviceType.ID, t.Name}
			if outlets[k] {
				continue
			}
			outlets[k] = true
		}
		keptOutlets = append(keptOutlets, t)
	}
	out.OutletTemplates = keptOutlets
	for i := range out.Devices {
		if d := out.Devices[i].DeviceType; d != nil {
			if to, ok := alias[d.ID]; ok {
				r := *d
				r.ID = to
				out.Devices[i].DeviceType = &r
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	sort.Strings(out.Missing)
	return out, nil
}

func mfr(d DeviceType) string {
	if d.Manufacturer == nil {
		return ""
	}
	return d.Manufacturer.Slug
}

func eqf(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
