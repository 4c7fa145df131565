package topology

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// maxNumber bounds every number of a model (watts, volts, amperes,
// seconds, GiB): far above any real datacenter figure, low enough that sums
// over a whole site stay finite.
const maxNumber = 1e9

// decoder copies the generic tree that BurntSushi/toml produced into the raw*
// structs, reporting every unknown key and every value of the wrong type
// (the library's own struct decoding stops at the first one and cannot place
// keys inside arrays of tables).
type decoder struct {
	ix   *posIndex
	errs *ErrorList
}

// fieldsOf maps each raw struct type to its TOML keys. It is filled once by
// init and only read afterwards.
var fieldsOf = map[reflect.Type]map[string]int{}

func init() {
	for _, v := range []any{rawFile{}, rawSite{}, rawElement{}, rawOverload{}, rawBank{}, rawRack{}, rawDeviceModel{}, rawDevice{}, rawService{}, rawDist{}} {
		t := reflect.TypeOf(v)
		m := map[string]int{}
		for i := 0; i < t.NumField(); i++ {
			m[t.Field(i).Tag.Get("toml")] = i
		}
		fieldsOf[t] = m
	}
}

func (d *decoder) errorf(path, format string, args ...any) {
	*d.errs = append(*d.errs, &Error{Pos: d.ix.lookup(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// reject reports a value of the wrong type at path and marks the key as
// reported, so that the builder does not also call it missing.
func (d *decoder) reject(path, owner, format string, args ...any) {
	d.ix.rejected[path] = true
	msg := fmt.Sprintf(format, args...)
	if owner != "the model" {
		msg = owner + ": " + msg
	}
	d.errorf(path, "%s", msg)
}

// sectionWords names the tables of the file format in messages.
var sectionWords = map[string]string{
	"source": "source", "ups": "UPS", "panel": "panel", "breaker": "breaker", "circuit": "circuit",
	"ats": "transfer switch", "rack_pdu": "rack PDU", "bank": "bank", "rack": "rack",
	"device_model": "device model", "device": "device", "service": "service",
}

// ownerWord names the kind of entry a key path such as "rack_pdu[0].bank[1]"
// or "service[2].start" belongs to: its innermost table that has an id.
func ownerWord(path string) string {
	segs := strings.Split(path, ".")
	for i := len(segs) - 1; i >= 0; i-- {
		name, _, _ := strings.Cut(segs[i], "[")
		if w, ok := sectionWords[name]; ok {
			return w
		}
	}
	return "entry"
}

// nested describes the table under key of the table described by owner.
func nested(key, owner string) string {
	w, ok := sectionWords[key]
	if !ok {
		w = key
	}
	if owner == "the model" {
		return w
	}
	return w + " of " + owner
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return "string " + strconv.Quote(x)
	case int64:
		return "integer " + strconv.FormatInt(x, 10)
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eIN") {
			s += ".0" // 2.0, not 2, when an integer was expected
		}
		return "float " + s
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// table decodes a TOML table into the struct rv points to. what describes
// the table in messages ("the model", "site", "overload of UPS \"ups-1\"");
// a table with a string id is described by its kind and id.
func (d *decoder) table(data any, rv reflect.Value, path, what string) {
	m, ok := data.(map[string]any)
	if !ok {
		d.ix.rejected[path] = true
		d.errorf(path, "%s must be a table, got %s", what, describe(data))
		return
	}
	if id, ok := m["id"].(string); ok {
		what = fmt.Sprintf("%s %q", ownerWord(path), id)
	}
	t := rv.Type()
	fields := fieldsOf[t]
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := k
		if path != "" {
			p = path + "." + k
		}
		fi, ok := fields[k]
		if !ok {
			msg := fmt.Sprintf("unknown key %q in %s", k, what)
			if s := suggest(k, fields); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
				if _, written := m[s]; !written {
					d.ix.rejected[strings.TrimSuffix(p, k)+s] = true
				}
			}
			d.errorf(p, "%s", msg)
			continue
		}
		d.value(m[k], rv.Field(fi), p, k, what)
	}
}

// value decodes the value of key (at path, in the table described by owner)
// into fv. A value of the wrong type, or an array with an element of the
// wrong type, is reported and leaves fv unset.
func (d *decoder) value(data any, fv reflect.Value, path, key, owner string) {
	switch fv.Kind() {
	case reflect.Pointer:
		elem := fv.Type().Elem()
		switch elem.Kind() {
		case reflect.String:
			s, ok := data.(string)
			if !ok {
				d.reject(path, owner, "%s must be a string, got %s", key, describe(data))
				return
			}
			fv.Set(reflect.ValueOf(&s))
		case reflect.Bool:
			v, ok := data.(bool)
			if !ok {
				d.reject(path, owner, "%s must be true or false, got %s", key, describe(data))
				return
			}
			fv.Set(reflect.ValueOf(&v))
		case reflect.Float64:
			var f float64
			switch x := data.(type) {
			case float64:
				f = x
			case int64:
				f = float64(x)
			default:
				d.reject(path, owner, "%s must be a number, got %s", key, describe(data))
				return
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				d.reject(path, owner, "%s must be a finite number, got %v", key, f)
				return
			}
			if math.Abs(f) > maxNumber {
				d.reject(path, owner, "%s must be at most 1e9 in magnitude, got %v", key, f)
				return
			}
			fv.Set(reflect.ValueOf(&f))
		case reflect.Int:
			x, ok := data.(int64)
			if !ok {
				d.reject(path, owner, "%s must be an integer, got %s", key, describe(data))
				return
			}
			if x > math.MaxInt32 || x < math.MinInt32 {
				d.reject(path, owner, "%s: integer %d is out of range", key, x)
				return
			}
			n := int(x)
			fv.Set(reflect.ValueOf(&n))
		case reflect.Struct:
			nv := reflect.New(elem)
			d.table(data, nv.Elem(), path, nested(key, owner))
			if _, ok := data.(map[string]any); ok { // else reported, left unset
				fv.Set(nv)
			}
		}
	case reflect.Slice:
		items, ok := asSlice(data)
		if !ok {
			d.reject(path, owner, "%s must be an array, got %s", key, describe(data))
			return
		}
		sv := reflect.MakeSlice(fv.Type(), len(items), len(items))
		bad := false
		for i, it := range items {
			p := path + "[" + strconv.Itoa(i) + "]"
			ev := sv.Index(i)
			switch ev.Kind() {
			case reflect.String:
				s, ok := it.(string)
				if !ok {
					d.reject(p, owner, "%s must be an array of strings, element %d is %s", key, i+1, describe(it))
					bad = true
					continue
				}
				ev.SetString(s)
			case reflect.Float64:
				switch x := it.(type) {
				case float64:
					ev.SetFloat(x)
				case int64:
					ev.SetFloat(float64(x))
				default:
					d.reject(p, owner, "%s must be an array of numbers, element %d is %s", key, i+1, describe(it))
					bad = true
				}
			case reflect.Slice: // [][]string
				inner, ok := asSlice(it)
				if !ok {
					d.reject(p, owner, "%s must be an array of arrays, element %d is %s", key, i+1, describe(it))
					bad = true
					continue
				}
				iv := reflect.MakeSlice(ev.Type(), len(inner), len(inner))
				for j, x := range inner {
					s, ok := x.(string)
					if !ok {
						d.reject(p+"["+strconv.Itoa(j)+"]", owner, "%s must hold arrays of strings, element %d of array %d is %s", key, j+1, i+1, describe(x))
						bad = true
						continue
					}
					iv.Index(j).SetString(s)
				}
				ev.Set(iv)
			case reflect.Struct:
				d.table(it, ev, p, nested(key, owner))
			}
		}
		if bad {
			d.ix.rejected[path] = true
			return
		}
		fv.Set(sv)
	}
}

func asSlice(data any) ([]any, bool) {
	switch x := data.(type) {
	case []any:
		return x, true
	case []map[string]any:
		out := make([]any, len(x))
		for i, m := range x {
			out[i] = m
		}
		return out, true
	}
	return nil, false
}

// suggest returns the known key closest to k when it is a plausible typo
// (edit distance at most 2), else "".
func suggest(k string, fields map[string]int) string {
	best, bestD := "", 3
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if d := editDistance(k, name); d < bestD {
			best, bestD = name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
