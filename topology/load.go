package topology

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// File is one model file: its name (used in messages) and its content.
type File struct {
	Name string
	Data []byte
}

// Load reads and merges the model files at paths and returns the validated
// model. On failure the error is an ErrorList holding every problem found
// in every file, sorted.
func Load(paths ...string) (*Model, error) {
	files, err := ReadFiles(paths...)
	if err != nil {
		return nil, err
	}
	return Parse(files...)
}

// ReadFiles reads model files as Load does, without parsing them: at most
// MaxModelBytes in all (a larger file, or a device such as /dev/zero, is
// read no further), no file twice. On failure the error is an ErrorList
// naming each file.
func ReadFiles(paths ...string) ([]File, error) {
	var errs ErrorList
	files := make([]File, 0, len(paths))
	seen := map[string]bool{}
	total := 0
	for _, p := range paths {
		if abs, err := filepath.Abs(p); err == nil {
			if seen[abs] {
				errs = append(errs, &Error{Pos: Pos{File: p}, Msg: "model file given twice"})
				continue
			}
			seen[abs] = true
		}
		data, err := ReadBounded(p, MaxModelBytes-total)
		total += len(data)
		if errors.Is(err, ErrTooBig) {
			errs = append(errs, &Error{Pos: Pos{File: p}, Msg: fmt.Sprintf("the model is more than the limit of %d bytes (%d MiB) in all", MaxModelBytes, MaxModelBytes>>20)})
			continue
		}
		if err != nil {
			var pe *os.PathError
			msg := err.Error()
			if errors.As(err, &pe) {
				msg = pe.Err.Error()
			}
			errs = append(errs, &Error{Pos: Pos{File: p}, Msg: "cannot read model: " + msg})
			continue
		}
		files = append(files, File{Name: p, Data: data})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return files, nil
}

// ErrTooBig is ReadBounded's error for a file longer than its limit.
var ErrTooBig = errors.New("too big")

// ReadBounded reads the file at path, at most limit bytes: a larger file
// (or a device such as /dev/zero that never ends) is ErrTooBig, read no
// further, and a regular file's size is checked before any of it is read.
// A directory is an *os.PathError ("is a directory"). Every reader of a
// user's file (models, overlays, NetBox responses, the Alibaba trace,
// echarts) reads through it, so none can be made to hold more than its
// bound. A regular file is read into memory of its size; a stream of
// unknown length in blocks of 1 MiB, joined at its end, so that reading
// one up to the limit never needs a block larger than the file (doubling
// a slice past the limit did: a 256 MiB bound asked for 512 MiB).
func ReadBounded(path string, limit int) ([]byte, error) {
	limit = max(limit, 0)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	first := readBlock
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, &os.PathError{Op: "read", Path: path, Err: errors.New("is a directory")}
	} else if err == nil && fi.Mode().IsRegular() {
		if fi.Size() > int64(limit) {
			return nil, ErrTooBig // known without reading it
		}
		first = int(fi.Size()) + 1 // the 1: its end is seen in the same block
	}
	var blocks [][]byte
	n := 0
	for size := first; ; size = readBlock {
		b := make([]byte, min(size, limit+1-n))
		k, err := io.ReadFull(f, b)
		blocks = append(blocks, b[:k])
		n += k
		if n > limit {
			return nil, ErrTooBig
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(blocks) == 1 {
		return blocks[0], nil
	}
	data := make([]byte, 0, n)
	for _, b := range blocks {
		data = append(data, b...)
	}
	return data, nil
}

// readBlock is the block ReadBounded reads a stream of unknown length in,
// bytes.
const readBlock = 1 << 20

// Parse merges and validates model files already in memory.
func Parse(files ...File) (*Model, error) {
	if len(files) == 0 {
		return nil, ErrorList{{Msg: "no model file given"}}
	}
	size := 0
	for _, f := range files {
		size += len(f.Data)
	}
	if size > MaxModelBytes {
		return nil, ErrorList{{Pos: Pos{File: files[len(files)-1].Name}, Msg: fmt.Sprintf("the model is %d bytes, more than the limit of %d (%d MiB)", size, MaxModelBytes, MaxModelBytes>>20)}}
	}
	b := &builder{m: &Model{ids: map[string]ref{}}, idPos: map[string]Pos{}, dupIDs: map[string]bool{}, psusUnknown: map[string]bool{}}
	var used TOMLCounts
	for _, f := range files {
		b.m.Files = append(b.m.Files, f.Name)
		if e := CheckTOML(f.Name, f.Data, &used); e != nil {
			b.errs = append(b.errs, e)
			for t := range b.incomplete {
				b.incomplete[t] = true
			}
			continue
		}
		var tree map[string]any
		if _, err := toml.Decode(string(f.Data), &tree); err != nil {
			b.parseError(f.Name, err)
			for t := range b.incomplete {
				b.incomplete[t] = true
			}
			continue
		}
		if len(tree) == 0 {
			b.errs = append(b.errs, &Error{Pos: Pos{File: f.Name}, Msg: "the file is empty: no tables or keys (is it the right file?)"})
			continue
		}
		ix := buildPosIndex(f.Name, f.Data)
		var raw rawFile
		d := decoder{ix: ix, errs: &b.errs}
		d.table(tree, reflect.ValueOf(&raw).Elem(), "", "the model")
		b.files = append(b.files, parsedFile{ix: ix, raw: &raw})
	}
	b.build()
	if len(b.errs) == 0 && len(b.m.Elements)+len(b.m.Racks)+len(b.m.Devices)+len(b.m.Services) == 0 {
		b.errs = append(b.errs, &Error{Pos: Pos{File: files[0].Name}, Msg: "the model defines no power elements, racks, devices or services"})
	}
	b.errs.Sort()
	if len(b.errs) > 0 {
		return nil, b.errs
	}
	return b.m, nil
}

func (b *builder) parseError(file string, err error) {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		col := pe.Position.Col
		if col == 0 {
			col = 1
		}
		b.errs = append(b.errs, &Error{Pos: Pos{File: file, Line: pe.Position.Line, Col: col}, Msg: "syntax: " + pe.Message})
		return
	}
	b.errs = append(b.errs, &Error{Pos: Pos{File: file}, Msg: "syntax: " + err.Error()})
}

type parsedFile struct {
	ix  *posIndex
	raw *rawFile
}

// at locates a table of a file (its key path) for messages.
type at struct {
	ix   *posIndex
	path string
}

func (a at) pos(key string) Pos {
	if key == "" {
		return a.ix.lookup(a.path)
	}
	return a.ix.lookup(a.path + "." + key)
}

func (a at) keyPath(key string) string {
	if key == "" {
		return a.path
	}
	return a.path + "." + key
}

// rejected reports whether the decoder already reported key: its value had
// the wrong type, or an unknown key was taken for a misspelling of it. A
// check that the key is missing stays quiet then, so that one mistake gives
// one message.
func (a at) rejected(key string) bool {
	return a.ix.rejected[a.keyPath(key)]
}

type builder struct {
	m     *Model
	files []parsedFile
	errs  ErrorList

	// raw sources, parallel to the model slices
	elemRaw    []elemSrc
	deviceRaw  []deviceSrc
	serviceRaw []serviceSrc
	idPos      map[string]Pos  // where each registered id is written
	dupIDs     map[string]bool // ids defined twice, reported by register
	// incomplete[t] is set when an entry of table t was dropped for a bad
	// id, and for every table when a file could not be parsed: an id that
	// is not defined may then be defined there, so dangling references to
	// that table are not reported.
	incomplete [tabService + 1]bool
	// psusUnknown holds the device models whose psus or psus_required is
	// in error, so that their devices' feed counts are not checked.
	psusUnknown map[string]bool
	// members of device and service groups expanded so far, bounded by
	// MaxDevices and MaxInstances
	expandedDevices, expandedServices int
	instances                         int // workload instances of the services built so far, bounded by MaxInstances
}

type elemSrc struct {
	raw  *rawElement
	bank *rawBank
	at   at
}

type deviceSrc struct {
	raw    *rawDevice
	member int // index within the group
	at     at
}

type serviceSrc struct {
	raw    *rawService
	member int
	at     at
}

// errorf reports a problem about the entry with that id at key of a. A
// message that does not name the id is prefixed with the entry's kind and
// id, so that every message says which element, device or service is wrong.
func (b *builder) errorf(a at, key, id, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if id != "" && !strings.Contains(msg, strconv.Quote(id)) {
		msg = fmt.Sprintf("%s %q: %s", ownerWord(a.path), id, msg)
	}
	b.errs = append(b.errs, &Error{Pos: a.pos(key), Path: a.keyPath(key), ID: id, Msg: msg})
}

// register records a new id, reporting a duplicate. Of two definitions of
// one id the message sits at the later one in file order and points at the
// earlier; the entry registered second is left out, and references to the
// id are not checked against its kind (see resolve).
func (b *builder) register(id string, r ref, a at, what string) bool {
	pos := a.pos("id")
	if prev, ok := b.m.ids[id]; ok {
		b.dupIDs[id] = true
		prevPos, prevWhat := b.idPos[id], b.kindOf(prev)
		if b.before(prevPos, pos) {
			b.errorf(a, "id", id, "duplicate id %q for %s: already defined as %s at %s", id, article(what), article(prevWhat), prevPos)
		} else {
			b.errs = append(b.errs, &Error{Pos: prevPos, ID: id,
				Msg: fmt.Sprintf("duplicate id %q for %s: already defined as %s at %s", id, article(prevWhat), article(what), pos)})
		}
		return false
	}
	b.m.ids[id] = r
	b.idPos[id] = pos
	return true
}

// before reports whether p comes before q: by file in load order, then
// line and column.
func (b *builder) before(p, q Pos) bool {
	if p.File != q.File {
		return slices.Index(b.m.Files, p.File) < slices.Index(b.m.Files, q.File)
	}
	return p.Line < q.Line || p.Line == q.Line && p.Col <= q.Col
}

// kindOf names the kind of entry r refers to.
func (b *builder) kindOf(r ref) string {
	if r.table == tabElement && r.index >= 0 {
		return kindWords[b.m.Elements[r.index].Kind]
	}
	return [...]string{"power element", "rack", "device model", "device", "service"}[r.table]
}

var tableNames = [...]string{"a power element", "a rack", "a device model", "a device", "a service"}

// tableOf maps the kind word checkID and expand are given to its table.
func tableOf(what string) uint8 {
	switch what {
	case "rack":
		return tabRack
	case "device model":
		return tabModel
	case "device":
		return tabDevice
	case "service":
		return tabService
	}
	return tabElement
}

// article prefixes a kind word with "a" or "an".
func article(what string) string {
	if what != "" && strings.ContainsRune("aeiouAEIOU", rune(what[0])) && !strings.HasPrefix(what, "UPS") {
		return "an " + what
	}
	return "a " + what
}

// checkID validates an id's spelling.
func (b *builder) checkID(id *string, a at, what string) (string, bool) {
	if id == nil {
		if !a.rejected("id") && !a.rejected("") {
			b.errorf(a, "", "", "%s has no id", what)
		}
		b.incomplete[tableOf(what)] = true
		return "", false
	}
	s := *id
	if s == "" {
		b.errorf(a, "id", "", "%s has an empty id", what)
		b.incomplete[tableOf(what)] = true
		return "", false
	}
	if p := idProblem(s); p != "" {
		b.errorf(a, "id", s, "%s id %q %s", what, s, p)
		b.incomplete[tableOf(what)] = true
		return "", false
	}
	return s, true
}

func (b *builder) build() {
	b.presize()
	b.site()
	b.racks()
	b.elements()
	b.deviceModels()
	b.devices()
	b.rackUnits()
	b.rackFeeds()
	b.psuNames()
	b.services()
}

// psuNames refuses an element id that reads as a PSU of a device,
// "DEVICE/psuN" with N in 1..its PSU count: the power analysis names PSU
// faults that way, and one name must mean one thing.
func (b *builder) psuNames() {
	for i := range b.m.Elements {
		e := &b.m.Elements[i]
		dev, k, ok := strings.Cut(e.ID, "/psu")
		if !ok {
			continue
		}
		r, found := b.m.ids[dev]
		if !found || r.table != tabDevice || r.index < 0 || int(r.index) >= len(b.m.Devices) {
			continue
		}
		n, err := strconv.Atoi(k)
		if err != nil || n < 1 || n > len(b.m.Devices[r.index].Feeds) {
			continue
		}
		b.errorf(b.elemRaw[i].at, "id", e.ID, "element id %q collides with the name of PSU %d of device %q: rename the element", e.ID, n, dev)
	}
}

// rackUnits refuses a rack whose devices need more rack units than its u
// (a device model without u_height counts as 1 U), naming the first
// device that does not fit.
func (b *builder) rackUnits() {
	used := make([]int, len(b.m.Racks))
	for i := range b.m.Devices {
		d := &b.m.Devices[i]
		rk := &b.m.Racks[d.Rack]
		if rk.U == 0 {
			continue
		}
		used[d.Rack] += max(1, b.m.DeviceModels[d.Model].UHeight)
		if used[d.Rack] > rk.U && used[d.Rack]-max(1, b.m.DeviceModels[d.Model].UHeight) <= rk.U {
			b.errorf(b.deviceRaw[i].at, "rack", d.ID, "rack %q has %d U: its devices up to %q need %d U", rk.ID, rk.U, d.ID, used[d.Rack])
		}
	}
}

func (b *builder) site() {
	s := Site{ContinuousLimit: 0.8, PowerFactor: 1, FrequencyHz: 50}
	var first *at
	for _, f := range b.files {
		r := f.raw.Site
		if r == nil {
			continue
		}
		a := at{f.ix, "site"}
		if first != nil {
			b.errorf(a, "", "", "[site] defined again (first at %s)", first.pos(""))
			continue
		}
		first = &a
		if r.Name != nil {
			s.Name = *r.Name
		}
		if r.ContinuousLimit != nil {
			s.ContinuousLimit = *r.ContinuousLimit
			b.fraction(a, "continuous_limit", "", s.ContinuousLimit)
		}
		if r.PowerFactor != nil {
			s.PowerFactor = *r.PowerFactor
			b.fraction(a, "power_factor", "", s.PowerFactor)
		}
		if r.FrequencyHz != nil {
			s.FrequencyHz = *r.FrequencyHz
			if s.FrequencyHz != 50 && s.FrequencyHz != 60 {
				b.errorf(a, "frequency_hz", "", "frequency_hz must be 50 or 60, got %g", s.FrequencyHz)
			}
		}
	}
	b.m.Site = s
}

// presize sizes the id index and the model's slices for the entries the
// files declare (groups counted by their members, within MaxDevices and MaxInstances), so
// a large site does not regrow them while loading.
func (b *builder) presize() {
	ids, devs, svcs := 0, 0, 0
	members := func(count *int) int {
		if count != nil && *count > 0 && *count <= maxGroup {
			return *count
		}
		return 1
	}
	for _, f := range b.files {
		r := f.raw
		ids += len(r.Source) + len(r.UPS) + len(r.Panel) + len(r.Breaker) + len(r.Circuit) + len(r.ATS) + len(r.RackPDU) + len(r.Rack) + len(r.DeviceModel)
		for i := range r.RackPDU {
			ids += len(r.RackPDU[i].Bank)
		}
		for i := range r.Device {
			devs += members(r.Device[i].Count)
		}
		for i := range r.Service {
			svcs += members(r.Service[i].Count)
		}
	}
	devs, svcs = min(devs, MaxDevices), min(svcs, MaxInstances)
	b.m.ids = make(map[string]ref, ids+devs+svcs)
	b.m.Devices = make([]Device, 0, devs)
	b.m.Services = make([]Service, 0, svcs)
}

// fraction checks a value in (0, 1].
func (b *builder) fraction(a at, key, id string, v float64) bool {
	if v <= 0 || v > 1 {
		b.errorf(a, key, id, "%s must be in (0, 1], got %g", key, v)
		return false
	}
	return true
}

// positive checks an optional value > 0.
func (b *builder) positive(a at, key, id string, v *float64, unit string) float64 {
	if v == nil {
		return 0
	}
	if *v <= 0 {
		b.errorf(a, key, id, "%s must be > 0 %s, got %g", key, unit, *v)
		return 0
	}
	return *v
}

// nonNegative checks an optional value >= 0.
func (b *builder) nonNegative(a at, key, id string, v *float64, unit string) float64 {
	if v == nil {
		return 0
	}
	if *v < 0 {
		b.errorf(a, key, id, "%s must not be negative, got %g %s", key, *v, unit)
		return 0
	}
	return *v
}

func (b *builder) racks() {
	for _, f := range b.files {
		for i := range f.raw.Rack {
			r := &f.raw.Rack[i]
			a := at{f.ix, fmt.Sprintf("rack[%d]", i)}
			id, ok := b.checkID(r.ID, a, "rack")
			if !ok {
				continue
			}
			rk := Rack{ID: id, Pos: a.pos("")}
			if r.Row != nil {
				rk.Row = *r.Row
			}
			if r.Room != nil {
				rk.Room = *r.Room
			}
			rk.U = b.units(a, "u", id, r.U)
			if b.register(id, ref{tabRack, int32(len(b.m.Racks))}, a, "rack") {
				b.m.Racks = append(b.m.Racks, rk)
			}
		}
	}
}

// resolve looks up an id that must name an entry of table.
func (b *builder) resolve(id string, table uint8, a at, key, owner, what string) (int32, bool) {
	r, ok := b.m.ids[id]
	if !ok {
		if !b.incomplete[table] {
			b.errorf(a, key, owner, "%s %q is not defined", what, id)
		}
		return -1, false
	}
	if r.table != table {
		if !b.dupIDs[id] { // else the clash is the mistake, reported once
			b.errorf(a, key, owner, "%s %q is %s, not %s", what, id, tableNames[r.table], tableNames[table])
		}
		return -1, false
	}
	return r.index, true
}

// maxGroup bounds the members of one group.
const maxGroup = 1_000_000

// percentVerb reports whether a group pattern holds exactly one integer verb
// of width at most 9 (a wider one would only pad ids with zeros or spaces).
func percentVerb(p string) bool {
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			continue
		}
		j := i + 1
		width := 0
		for j < len(p) && (p[j] >= '0' && p[j] <= '9') {
			width = min(width*10+int(p[j]-'0'), 1000)
			j++
		}
		if j < len(p) && p[j] == 'd' && width <= 9 { // %d, %4d, %02d … %09d
			n++
			i = j
			continue
		}
		return false
	}
	return n == 1
}

// expand returns the ids of a group (count members from first) or the single id.
func (b *builder) expand(id *string, count, first *int, a at, what string) []string {
	if count == nil && a.rejected("count") {
		b.incomplete[tableOf(what)] = true
		return nil
	}
	if count == nil {
		if first != nil {
			b.errorf(a, "first", "", "first only applies with count")
		}
		s, ok := b.checkID(id, a, what)
		if !ok {
			return nil
		}
		if strings.Contains(s, "%") {
			b.errorf(a, "id", s, "id %q holds a pattern but no count is given", s)
			b.incomplete[tableOf(what)] = true
			return nil
		}
		return []string{s}
	}
	pat, ok := b.checkID(id, a, what)
	if !ok {
		return nil
	}
	if *count < 1 {
		b.errorf(a, "count", pat, "count must be >= 1, got %d", *count)
		b.incomplete[tableOf(what)] = true
		return nil
	}
	if *count > maxGroup {
		b.errorf(a, "count", pat, "count %d is more than 1,000,000", *count)
		b.incomplete[tableOf(what)] = true
		return nil
	}
	// Devices and services are bounded separately: a service has at least
	// one instance, so at most MaxInstances of them.
	expanded, limit := &b.expandedDevices, MaxDevices
	if tableOf(what) == tabService {
		expanded, limit = &b.expandedServices, MaxInstances
	}
	if *expanded+*count > limit {
		b.errorf(a, "count", pat, "groups expand to more than %d %ss in all", limit, what)
		b.incomplete[tableOf(what)] = true
		return nil
	}
	*expanded += *count
	if !percentVerb(pat) {
		b.errorf(a, "id", pat, "a group's id must hold one integer verb such as %%d or %%02d (width at most 9), got %q", pat)
		b.incomplete[tableOf(what)] = true
		return nil
	}
	start := 1
	if first != nil {
		start = *first
	}
	ids := make([]string, *count)
	for i := range ids {
		ids[i] = fmt.Sprintf(pat, start+i)
	}
	return ids
}

func sqrt3() float64 { return math.Sqrt(3) }

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
