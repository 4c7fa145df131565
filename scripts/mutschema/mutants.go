package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Mutant is one of gremlins v0.6.0's mutants: an operator at File:Line:Col
// (File relative to the package directory, Col in bytes from 1) and the
// mutator Type applied to it.
type Mutant struct {
	ID   int    `json:"id"`
	Type string `json:"type"`
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	// Covered is gremlins' verdict (its dry run), or, without gremlins,
	// whether some test's coverage profile holds the operator.
	Covered bool `json:"covered"`
}

// Pos is the mutant's position as gremlins prints it: file:line:col.
func (m Mutant) Pos() string { return fmt.Sprintf("%s:%d:%d", m.File, m.Line, m.Col) }

// The mutator types gremlins v0.6.0 enables by default
// (internal/configuration/mutantenabled.go) and the token each one puts in
// place of the original (internal/engine/mappings.go). INVERT_NEGATIVES
// applies to every SUB token, the binary minus too, where it makes the
// same mutant as ARITHMETIC_BASE.
var mutations = map[string]map[token.Token]token.Token{
	"ARITHMETIC_BASE": {token.ADD: token.SUB, token.MUL: token.QUO, token.QUO: token.MUL,
		token.REM: token.MUL, token.SUB: token.ADD},
	"CONDITIONALS_BOUNDARY": {token.GEQ: token.GTR, token.GTR: token.GEQ, token.LEQ: token.LSS,
		token.LSS: token.LEQ},
	"CONDITIONALS_NEGATION": {token.EQL: token.NEQ, token.GEQ: token.LSS, token.GTR: token.LEQ,
		token.LEQ: token.GTR, token.LSS: token.GEQ, token.NEQ: token.EQL},
	"INCREMENT_DECREMENT": {token.DEC: token.INC, token.INC: token.DEC},
	"INVERT_NEGATIVES":    {token.SUB: token.ADD},
}

// typesOf lists the enabled mutator types of tok in gremlins' order
// (engine.TokenMutantType).
func typesOf(tok token.Token) []string {
	switch tok {
	case token.ADD, token.MUL, token.QUO, token.REM:
		return []string{"ARITHMETIC_BASE"}
	case token.SUB:
		return []string{"INVERT_NEGATIVES", "ARITHMETIC_BASE"}
	case token.EQL, token.NEQ:
		return []string{"CONDITIONALS_NEGATION"}
	case token.GEQ, token.GTR, token.LEQ, token.LSS:
		return []string{"CONDITIONALS_BOUNDARY", "CONDITIONALS_NEGATION"}
	case token.INC, token.DEC:
		return []string{"INCREMENT_DECREMENT"}
	}
	return nil
}

// opOf returns the mutable operator of n and its position, as gremlins'
// NewTokenNode reads them (assignments and branch statements are left out:
// none of their mutators is enabled by default).
func opOf(n ast.Node) (token.Token, token.Pos, bool) {
	switch n := n.(type) {
	case *ast.BinaryExpr:
		return n.Op, n.OpPos, true
	case *ast.UnaryExpr:
		return n.Op, n.OpPos, true
	case *ast.IncDecStmt:
		return n.Tok, n.TokPos, true
	}
	return 0, 0, false
}

// findMutants walks the package directory as gremlins does (every .go file
// but tests, sub-directories included) and lists the mutants in its order.
// Covered is left false.
func findMutants(dir string) ([]Mutant, error) {
	var out []Mutant
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Ext(path) != ".go" || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			tok, pos, ok := opOf(n)
			if !ok {
				return true
			}
			p := fset.Position(pos)
			for _, t := range typesOf(tok) {
				out = append(out, Mutant{Type: t, File: rel, Line: p.Line, Col: p.Column})
			}
			return true
		})
		return nil
	})
	for i := range out {
		out[i].ID = i + 1
	}
	return out, err
}

// gremlinsDryRun runs `gremlins unleash --dry-run` on the package (GOFLAGS
// as the environment has it) and returns its mutants with its covered
// verdict.
func gremlinsDryRun(gremlins, modRoot, pkg, tmp string) ([]Mutant, error) {
	out := filepath.Join(tmp, "dry-run.json")
	cmd := exec.Command(gremlins, "unleash", "--dry-run", "-o", out, "./"+pkg)
	cmd.Dir = modRoot
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("gremlins dry run of %s: %v\n%s", pkg, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	var res struct {
		Files []struct {
			FileName  string `json:"file_name"`
			Mutations []struct {
				Type   string `json:"type"`
				Status string `json:"status"`
				Line   int    `json:"line"`
				Column int    `json:"column"`
			} `json:"mutations"`
		} `json:"files"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", out, err)
	}
	var ms []Mutant
	for _, f := range res.Files {
		for _, m := range f.Mutations {
			ms = append(ms, Mutant{Type: m.Type, File: f.FileName, Line: m.Line, Col: m.Column,
				Covered: m.Status == "RUNNABLE"})
		}
	}
	return ms, nil
}

// mergeGremlins checks that gremlins' mutants are exactly ours (same type
// at the same place; gremlins lists files in a map's order) and copies its
// covered verdict onto ours.
func mergeGremlins(ours, theirs []Mutant) error {
	key := func(m Mutant) string { return m.Type + " " + m.Pos() }
	idx := map[string][]int{}
	for i, m := range ours {
		idx[key(m)] = append(idx[key(m)], i)
	}
	var missing []string
	for _, m := range theirs {
		is := idx[key(m)]
		if len(is) == 0 {
			missing = append(missing, key(m))
			continue
		}
		ours[is[0]].Covered = m.Covered
		idx[key(m)] = is[1:]
	}
	for k, is := range idx {
		if len(is) > 0 {
			missing = append(missing, "not in gremlins' list: "+k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("gremlins' mutants differ from ours: %s", strings.Join(missing, "; "))
	}
	return nil
}
