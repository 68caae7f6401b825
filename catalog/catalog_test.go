package catalog_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/faultline/faultline/catalog"
)

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// Both languages carry the same keys, and each sentence takes the same
// arguments in both, so switching language never shows a gap or a
// %!d(string=…).
func TestCatalogsMatch(t *testing.T) {
	en, zh := catalog.Keys(catalog.EN), catalog.Keys(catalog.ZH)
	for k, v := range en {
		w, ok := zh[k]
		if !ok {
			t.Errorf("zh lacks %q", k)
			continue
		}
		if a, b := verbs(v), verbs(w); a != b {
			t.Errorf("%q: en verbs %s, zh verbs %s", k, a, b)
		}
	}
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("en lacks %q", k)
		}
	}
}

func verbs(s string) string {
	found := verb.FindAllString(s, -1)
	sort.Strings(found)
	return strings.Join(found, " ")
}

// keysInUse reads the module's Go source for the keys it asks for. Keys
// are written out in full where they are used: as the first argument of a
// .T call (or of a local t := ….T), as the values of a table named …Keys or …Titles, or in a field
// named Code or …Key (a rule's refusal code, a sentence in a struct).
func keysInUse(t *testing.T) map[string]string {
	t.Helper()
	used := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			strings.HasPrefix(path, filepath.Join("..", "catalog")) {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		note := func(e ast.Expr) {
			if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					used[s] = fset.Position(lit.Pos()).String()
				}
			}
		}
		aliases := map[string]bool{} // t := f.cat.T
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, rhs := range n.Rhs {
					if sel, ok := rhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "T" && i < len(n.Lhs) {
						if id, ok := n.Lhs[i].(*ast.Ident); ok {
							aliases[id.Name] = true
						}
					}
				}
			case *ast.CallExpr:
				sel, isSel := n.Fun.(*ast.SelectorExpr)
				id, isIdent := n.Fun.(*ast.Ident)
				if len(n.Args) > 0 && (isSel && sel.Sel.Name == "T" || isIdent && aliases[id.Name]) {
					note(n.Args[0])
				}
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if (strings.HasSuffix(name.Name, "Keys") || strings.HasSuffix(name.Name, "Titles")) && i < len(n.Values) {
						if cl, ok := n.Values[i].(*ast.CompositeLit); ok {
							for _, el := range cl.Elts {
								if kv, ok := el.(*ast.KeyValueExpr); ok {
									note(kv.Value)
								}
							}
						}
					}
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && (id.Name == "Code" || strings.HasSuffix(id.Name, "Key") && id.Name != "RequestKey") {
					note(n.Value)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 200 {
		t.Fatalf("found only %d keys in use; is the scan still right?", len(used))
	}
	return used
}

// Every key the code asks for exists, and every key the catalog has is
// asked for somewhere, so neither a gap nor a dead sentence creeps in.
func TestEveryKeyInUseExistsAndNoneIsDead(t *testing.T) {
	used := keysInUse(t)
	en := catalog.Keys(catalog.EN)
	for k, where := range used {
		if _, ok := en[k]; !ok {
			t.Errorf("%s asks for %q, which the catalog lacks", where, k)
		}
	}
	var dead []string
	for k := range en {
		if _, ok := used[k]; !ok {
			dead = append(dead, k)
		}
	}
	sort.Strings(dead)
	if len(dead) > 0 {
		t.Errorf("the catalog has keys nothing asks for: %s", strings.Join(dead, ", "))
	}
}
