package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// envID is the environment variable the schema binary reads the active
// mutant's id from (0 or unset: no mutant, the original program).
const envID = "MUTSCHEMA_ID"

// idVar is the package-level variable of the schema that holds it.
const idVar = "mutschemaID"

// listed is what `go list -export -deps -json` says of one package.
type listed struct {
	ImportPath string
	Name       string
	Dir        string
	Export     string
	GoFiles    []string
}

// goList runs `go list -export -deps -json` on the package pattern and
// the extra import paths, in dir.
func goList(dir string, args ...string) (map[string]listed, error) {
	cmd := exec.Command("go", append([]string{"list", "-export", "-deps", "-json"}, args...)...)
	cmd.Dir = dir
	cmd.Env = goEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	res := map[string]listed{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var l listed
		if err := dec.Decode(&l); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		res[l.ImportPath] = l
	}
	return res, nil
}

// goEnv is the environment for the go commands the runner starts: GOFLAGS
// is dropped (stage 1's -short is a flag of the test binary here).
func goEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GOFLAGS=") {
			env = append(env, e)
		}
	}
	return env
}

// site is one place the schema switches: a non-constant operator, a
// whole constant expression holding operators, or an increment statement.
type site struct {
	node  ast.Node   // the expression or statement replaced
	ops   []ast.Node // its operators' nodes (one unless node is a constant expression)
	muts  []*Mutant
	group bool // node is a constant expression: each mutant is its text re-written
}

// span is a part of a rewritten file that belongs to some mutants: a
// compile error inside it demotes them to the slow path.
type span struct {
	start, end int
	ids        []int
}

// schemaFile is one non-test file of the package and how to rewrite it.
type schemaFile struct {
	name  string // base name
	src   []byte
	ast   *ast.File
	tfile *token.File
}

// Schema rewrites a package so that one build holds every mutant.
type Schema struct {
	Pkg     *types.Package
	fset    *token.FileSet
	info    *types.Info
	files   []*schemaFile
	byOp    map[string]ast.Node // "file:offset" of an operator → its node
	parent  map[ast.Node]ast.Node
	lookup  func(path string) (io.ReadCloser, error)
	mutants []*Mutant
	// Slow holds the mutants the schema does not switch (they did not
	// compile there); they are planted one at a time.
	Slow map[int]bool
}

// loadSchema parses and type-checks the package in dir (import path
// pkgPath, as go list sees it from modRoot) for the given mutants.
func loadSchema(modRoot, pkgPath string, mutants []*Mutant) (*Schema, error) {
	pkgs, err := goList(modRoot, pkgPath, "os", "strconv")
	if err != nil {
		return nil, err
	}
	lp, ok := pkgs[pkgPath]
	if !ok {
		return nil, fmt.Errorf("go list does not know %s", pkgPath)
	}
	s := &Schema{fset: token.NewFileSet(), byOp: map[string]ast.Node{}, parent: map[ast.Node]ast.Node{},
		mutants: mutants, Slow: map[int]bool{}}
	s.lookup = func(path string) (io.ReadCloser, error) {
		l, ok := pkgs[path]
		if !ok || l.Export == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(l.Export)
	}
	var files []*ast.File
	for _, name := range lp.GoFiles {
		src, err := os.ReadFile(filepath.Join(lp.Dir, name))
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(s.fset, name, src, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		sf := &schemaFile{name: name, src: src, ast: f, tfile: s.fset.File(f.Pos())}
		s.files = append(s.files, sf)
		files = append(files, f)
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			if len(stack) > 0 {
				s.parent[n] = stack[len(stack)-1]
			}
			stack = append(stack, n)
			if _, pos, ok := opOf(n); ok {
				s.byOp[fmt.Sprintf("%s:%d", name, sf.tfile.Offset(pos))] = n
			}
			return true
		})
	}
	s.info = &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{},
		Implicits: map[ast.Node]types.Object{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: importer.ForCompiler(s.fset, "gc", s.lookup)}
	s.Pkg, err = conf.Check(pkgPath, s.fset, files, s.info)
	if err != nil {
		return nil, fmt.Errorf("type-checking %s: %w", pkgPath, err)
	}
	return s, nil
}

// nodeOf finds the operator node of a mutant (nil when the mutant is in a
// file outside the build, e.g. excluded by a build constraint).
func (s *Schema) nodeOf(m *Mutant) (ast.Node, *schemaFile) {
	for _, f := range s.files {
		if f.name != m.File {
			continue
		}
		if m.Line > f.tfile.LineCount() {
			return nil, f
		}
		off := f.tfile.Offset(f.tfile.LineStart(m.Line)) + m.Col - 1
		return s.byOp[fmt.Sprintf("%s:%d", f.name, off)], f
	}
	return nil, nil
}

// isConst reports whether e is a constant expression.
func (s *Schema) isConst(e ast.Node) bool {
	x, ok := e.(ast.Expr)
	if !ok {
		return false
	}
	tv, ok := s.info.Types[x]
	return ok && tv.Value != nil
}

// sites groups the mutants not on the slow path by the node the schema
// replaces, per file, sorted by position (outer first).
func (s *Schema) sites() (map[*schemaFile][]*site, error) {
	byNode := map[ast.Node]*site{}
	res := map[*schemaFile][]*site{}
	for _, m := range s.mutants {
		if s.Slow[m.ID] {
			continue
		}
		n, f := s.nodeOf(m)
		if n == nil {
			if m.Covered {
				return nil, fmt.Errorf("%s %s: no operator there in the package's build", m.Type, m.Pos())
			}
			s.Slow[m.ID] = true
			continue
		}
		top := n
		if s.isConst(n) {
			for p := s.parent[top]; p != nil && s.isConst(p); p = s.parent[top] {
				top = p
			}
		}
		st, ok := byNode[top]
		if !ok {
			st = &site{node: top, group: s.isConst(top)}
			byNode[top] = st
			res[f] = append(res[f], st)
		}
		st.muts = append(st.muts, m)
		st.ops = append(st.ops, n)
	}
	for _, l := range res {
		sort.Slice(l, func(i, j int) bool {
			if l[i].node.Pos() != l[j].node.Pos() {
				return l[i].node.Pos() < l[j].node.Pos()
			}
			return l[i].node.End() > l[j].node.End()
		})
	}
	return res, nil
}

// renderer writes one rewritten file.
type renderer struct {
	s       *Schema
	f       *schemaFile
	sites   []*site
	buf     bytes.Buffer
	spans   []span
	imports map[string]string // path → name usable in this file
	extra   map[string]string // path → alias added to the file
}

func (r *renderer) off(p token.Pos) int { return r.f.tfile.Offset(p) }

// qual names a package in a type, importing it under an alias when the
// file does not.
func (r *renderer) qual(p *types.Package) string {
	if p == r.s.Pkg {
		return ""
	}
	if n, ok := r.imports[p.Path()]; ok {
		return n
	}
	if n, ok := r.extra[p.Path()]; ok {
		return n
	}
	n := fmt.Sprintf("mutschemaImport%d", len(r.extra))
	r.extra[p.Path()] = n
	return n
}

// typeOf is the type to declare for e: its recorded type, the default
// type for an untyped one; "" when it has none (untyped nil).
func (r *renderer) typeOf(e ast.Expr) string {
	tv := r.s.info.Types[e]
	t := types.Default(tv.Type)
	if t == nil || tv.IsNil() {
		return ""
	}
	if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		return ""
	}
	return types.TypeString(t, r.qual)
}

// copyRange writes the source between from and to with every site in it
// switched (outermost sites first; those inside are their operands).
func (r *renderer) copyRange(from, to token.Pos) {
	cur := from
	i := sort.Search(len(r.sites), func(i int) bool { return r.sites[i].node.Pos() >= from })
	for ; i < len(r.sites); i++ {
		st := r.sites[i]
		if st.node.Pos() < cur {
			continue
		}
		if st.node.End() > to {
			if st.node.Pos() >= to {
				break
			}
			continue
		}
		r.buf.Write(r.f.src[r.off(cur):r.off(st.node.Pos())])
		r.site(st)
		cur = st.node.End()
	}
	r.buf.Write(r.f.src[r.off(cur):r.off(to)])
}

// hasSite reports whether a site lies inside [from, to).
func (r *renderer) hasSite(from, to token.Pos) bool {
	for _, st := range r.sites {
		if st.node.Pos() >= from && st.node.End() <= to {
			return true
		}
	}
	return false
}

func ids(ms []*Mutant) []int {
	var out []int
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// mutated is the operator a mutant puts in place of tok.
func mutated(m *Mutant, tok token.Token) token.Token { return mutations[m.Type][tok] }

// site writes a site's switch.
func (r *renderer) site(st *site) {
	start := r.buf.Len()
	defer func() { r.spans = append(r.spans, span{start, r.buf.Len(), ids(st.muts)}) }()
	if st.group {
		// A constant expression: each case is its whole text with one
		// operator replaced, so the constant arithmetic stays exact.
		e := st.node.(ast.Expr)
		fmt.Fprintf(&r.buf, "(func() %s { switch %s {", r.typeOf(e), idVar)
		text := r.f.src[r.off(e.Pos()):r.off(e.End())]
		for i, m := range st.muts {
			tok, pos, _ := opOf(st.ops[i])
			o := r.off(pos) - r.off(e.Pos())
			fmt.Fprintf(&r.buf, " case %d: return ", m.ID)
			b := r.buf.Len()
			r.buf.Write(text[:o])
			r.buf.WriteString(mutated(m, tok).String())
			r.buf.Write(text[o+len(tok.String()):])
			r.spans = append(r.spans, span{b, r.buf.Len(), []int{m.ID}})
			r.buf.WriteString(";")
		}
		r.buf.WriteString(" }; return ")
		r.buf.Write(text)
		r.buf.WriteString(" }())")
		return
	}
	switch n := st.node.(type) {
	case *ast.BinaryExpr:
		operand := func(e ast.Expr, name string) (param, use string, arg bool) {
			tv := r.s.info.Types[e]
			if tv.IsNil() || (tv.Value != nil && !r.hasSite(e.Pos(), e.End())) {
				return "", string(r.f.src[r.off(e.Pos()):r.off(e.End())]), false
			}
			return name + " " + r.typeOf(e), name, true
		}
		pl, ul, al := operand(n.X, "mutL")
		pr, ur, ar := operand(n.Y, "mutR")
		var params []string
		for _, p := range []string{pl, pr} {
			if p != "" {
				params = append(params, p)
			}
		}
		fmt.Fprintf(&r.buf, "(func(%s) %s { switch %s {", strings.Join(params, ", "), r.typeOf(n), idVar)
		for _, m := range st.muts {
			fmt.Fprintf(&r.buf, " case %d: return ", m.ID)
			b := r.buf.Len()
			fmt.Fprintf(&r.buf, "(%s) %s (%s)", ul, mutated(m, n.Op), ur)
			r.spans = append(r.spans, span{b, r.buf.Len(), []int{m.ID}})
			r.buf.WriteString(";")
		}
		fmt.Fprintf(&r.buf, " }; return (%s) %s (%s) }(", ul, n.Op, ur)
		if al {
			r.copyRange(n.X.Pos(), n.X.End())
		}
		if al && ar {
			r.buf.WriteString(", ")
		}
		if ar {
			r.copyRange(n.Y.Pos(), n.Y.End())
		}
		r.buf.WriteString("))")
	case *ast.UnaryExpr:
		fmt.Fprintf(&r.buf, "(func(mutX %s) %s { switch %s {", r.typeOf(n.X), r.typeOf(n), idVar)
		for _, m := range st.muts {
			fmt.Fprintf(&r.buf, " case %d: return ", m.ID)
			b := r.buf.Len()
			fmt.Fprintf(&r.buf, "%s(mutX)", mutated(m, n.Op))
			r.spans = append(r.spans, span{b, r.buf.Len(), []int{m.ID}})
			r.buf.WriteString(";")
		}
		fmt.Fprintf(&r.buf, " }; return %s(mutX) }(", n.Op)
		r.copyRange(n.X.Pos(), n.X.End())
		r.buf.WriteString("))")
	case *ast.IncDecStmt:
		// An if statement where a statement list holds it, a closure
		// elsewhere (a for loop's post statement must be simple).
		_, inList := r.s.parent[n].(*ast.BlockStmt)
		if _, ok := r.s.parent[n].(*ast.CaseClause); ok {
			inList = true
		}
		if !inList {
			r.buf.WriteString("func() { ")
		}
		for _, m := range st.muts {
			fmt.Fprintf(&r.buf, "if %s == %d { ", idVar, m.ID)
			b := r.buf.Len()
			r.copyRange(n.X.Pos(), n.X.End())
			r.buf.WriteString(mutated(m, n.Tok).String())
			r.spans = append(r.spans, span{b, r.buf.Len(), []int{m.ID}})
			r.buf.WriteString(" } else { ")
		}
		r.copyRange(n.X.Pos(), n.X.End())
		r.buf.WriteString(n.Tok.String())
		r.buf.WriteString(strings.Repeat(" }", len(st.muts)))
		if !inList {
			r.buf.WriteString(" }()")
		}
	default:
		panic(fmt.Sprintf("mutschema: unexpected site %T", n))
	}
}

// render rewrites every file; it returns the files' new text and spans.
func (s *Schema) render() (map[string][]byte, map[string][]span, error) {
	sites, err := s.sites()
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]byte{}
	spans := map[string][]span{}
	for _, f := range s.files {
		r := &renderer{s: s, f: f, sites: sites[f], imports: map[string]string{}, extra: map[string]string{}}
		for _, is := range f.ast.Imports {
			path, _ := strconv.Unquote(is.Path.Value)
			var obj types.Object
			if is.Name != nil {
				obj = s.info.Defs[is.Name]
			} else {
				obj = s.info.Implicits[is]
			}
			if pn, ok := obj.(*types.PkgName); ok && pn.Name() != "_" && pn.Name() != "." {
				r.imports[path] = pn.Name()
			}
		}
		r.copyRange(f.tfile.Pos(0), f.tfile.Pos(len(f.src)))
		text := r.buf.Bytes()
		if len(r.extra) > 0 {
			// Added imports go right after the package clause.
			at := f.tfile.Offset(f.ast.Name.End())
			var add bytes.Buffer
			paths := make([]string, 0, len(r.extra))
			for p := range r.extra {
				paths = append(paths, p)
			}
			sort.Strings(paths)
			for _, p := range paths {
				fmt.Fprintf(&add, "; import %s %q", r.extra[p], p)
			}
			// at is an offset of the original; the package clause comes
			// before any site, so it is the same in the new text.
			text = append(append(append([]byte{}, text[:at]...), add.Bytes()...), text[at:]...)
			for i := range r.spans {
				r.spans[i].start += add.Len()
				r.spans[i].end += add.Len()
			}
		}
		out[f.name] = text
		spans[f.name] = r.spans
	}
	out["zz_mutschema_id.go"] = []byte(fmt.Sprintf(`// Code generated by scripts/mutschema. DO NOT EDIT.

package %s

import (
	mutschemaOS "os"
	mutschemaStrconv "strconv"
)

// %s is the active mutant (the environment's %s), 0 for none.
var %s = func() int {
	n, _ := mutschemaStrconv.Atoi(mutschemaOS.Getenv(%q))
	return n
}()
`, s.Pkg.Name(), idVar, envID, idVar, envID))
	return out, spans, nil
}

// demote moves to the slow path the mutants of the innermost span holding
// offset off of file; false when no span holds it.
func (s *Schema) demote(spans []span, off int) bool {
	best := -1
	for i, sp := range spans {
		if off >= sp.start && off < sp.end && (best < 0 || sp.end-sp.start < spans[best].end-spans[best].start) {
			best = i
		}
	}
	if best < 0 {
		return false
	}
	for _, id := range spans[best].ids {
		s.Slow[id] = true
	}
	return true
}

// check type-checks the rewritten files; it returns the errors as
// file → offsets.
func (s *Schema) check(files map[string][]byte) (map[string][]int, []string, error) {
	fset := token.NewFileSet()
	var fs []*ast.File
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f, err := parser.ParseFile(fset, n, files[n], parser.SkipObjectResolution)
		if err != nil {
			dump := filepath.Join(os.TempDir(), "mutschema-"+n)
			_ = os.WriteFile(dump, files[n], 0o644)
			return nil, nil, fmt.Errorf("parsing the rewritten %s (kept as %s): %w", n, dump, err)
		}
		fs = append(fs, f)
	}
	errs := map[string][]int{}
	var msgs []string
	conf := types.Config{Importer: importer.ForCompiler(fset, "gc", s.lookup), Error: func(err error) {
		te, ok := err.(types.Error)
		if !ok {
			msgs = append(msgs, err.Error())
			return
		}
		p := fset.Position(te.Pos)
		errs[p.Filename] = append(errs[p.Filename], fset.File(te.Pos).Offset(te.Pos))
		msgs = append(msgs, te.Error())
	}}
	conf.Check(s.Pkg.Path(), fset, fs, nil)
	return errs, msgs, nil
}

// Build rewrites the package until it type-checks, writes it into
// copyDir/rel and builds the schema test binary there as out.
func (s *Schema) Build(copyDir, rel, out string) error {
	for round := 0; ; round++ {
		files, spans, err := s.render()
		if err != nil {
			return err
		}
		errs, msgs, err := s.check(files)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			for n, b := range files {
				if err := os.WriteFile(filepath.Join(copyDir, rel, n), b, 0o644); err != nil {
					return err
				}
			}
			b, err := buildTest(filepath.Join(copyDir, rel), out)
			if err == nil {
				return nil
			}
			// The compiler refused what go/types took: demote by its
			// positions.
			errs = compilerErrors(b, files)
			if len(errs) == 0 || round > 20 {
				return fmt.Errorf("building the schema: %v\n%s", err, b)
			}
		}
		if round > 20 {
			return fmt.Errorf("the schema does not type-check after %d rounds: %s", round, strings.Join(msgs, "; "))
		}
		for n, offs := range errs {
			for _, o := range offs {
				if !s.demote(spans[n], o) {
					return fmt.Errorf("the schema does not type-check outside any mutant: %s", strings.Join(msgs, "; "))
				}
			}
		}
	}
}

// buildTest builds the test binary of the package in dir.
func buildTest(dir, out string, extra ...string) ([]byte, error) {
	args := append([]string{"test", "-c", "-vet=off", "-ldflags=-w", "-o", out}, extra...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = goEnv()
	return cmd.CombinedOutput()
}

var compileErr = regexp.MustCompile(`(?m)^\.?/?([^\s:]+\.go):(\d+):(\d+): `)

// compilerErrors reads the compiler's file:line:col positions as offsets
// into the rewritten files.
func compilerErrors(out []byte, files map[string][]byte) map[string][]int {
	errs := map[string][]int{}
	for _, m := range compileErr.FindAllSubmatch(out, -1) {
		name := filepath.Base(string(m[1]))
		src, ok := files[name]
		if !ok {
			continue
		}
		line, _ := strconv.Atoi(string(m[2]))
		col, _ := strconv.Atoi(string(m[3]))
		off, l := 0, 1
		for l < line && off < len(src) {
			if i := bytes.IndexByte(src[off:], '\n'); i >= 0 {
				off += i + 1
				l++
			} else {
				break
			}
		}
		errs[name] = append(errs[name], off+col-1)
	}
	return errs
}
