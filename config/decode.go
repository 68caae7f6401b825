package config

import (
	"bytes"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"go.yaml.in/yaml/v3"
)

// yaml.v3 reports decode problems only as text, "line N: ..."; these are
// the shapes of that text in v3.0.6 (decode.go: terror, mappingStruct,
// mapping) that get a friendlier message.
var (
	reLine      = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	reUnknown   = regexp.MustCompile(`^field (.+) not found in type (\S+)$`)
	reDuplicate = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	reType      = regexp.MustCompile("^cannot unmarshal (\\S+)(?: `(.*)`)? into (\\S+)$")
)

// sections names each struct a mapping decodes into, for "unknown key ...
// in a hop".
var sections = map[reflect.Type]string{
	reflect.TypeOf(Config{}):           "at the top level",
	reflect.TypeOf(Channels{}):         "in channels",
	reflect.TypeOf(faultline.Site{}):   "in a site",
	reflect.TypeOf(faultline.Hop{}):    "in a hop",
	reflect.TypeOf(faultline.Device{}): "in a device",
	reflect.TypeOf(faultline.Line{}):   "in a line",
	reflect.TypeOf(Backup{}):           "in a backup duty",
	reflect.TypeOf(Deadlines{}):        "in deadlines",
	reflect.TypeOf(Escalation{}):       "in escalation",
	reflect.TypeOf(Monitor{}):          "in a monitor",
	reflect.TypeOf(Announcement{}):     "in an announcement",
	reflect.TypeOf(Probe{}):            "in probe",
	reflect.TypeOf(Compliance{}):       "in compliance",
	reflect.TypeOf(Retention{}):        "in retention",
	reflect.TypeOf(Webhook{}):          "in a webhook",
	reflect.TypeOf(Calendar{}):         "in calendar",
	reflect.TypeOf(Digest{}):           "in digest",
}

// goTypes finds a Go type by the name yaml.v3 prints for it.
var goTypes = func() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		if _, seen := m[t.String()]; seen {
			return
		}
		m[t.String()] = t
		switch t.Kind() {
		case reflect.Slice, reflect.Pointer:
			visit(t.Elem())
		case reflect.Map:
			visit(t.Key())
			visit(t.Elem())
		case reflect.Struct:
			for i := 0; i < t.NumField(); i++ {
				visit(t.Field(i).Type)
			}
		}
	}
	visit(reflect.TypeOf(Config{}))
	return m
}()

// syntaxProblem records a YAML syntax error in data as one problem on its
// line.
func syntaxProblem(data []byte, err error, col *collector) {
	line, msg := splitLine(err)
	line = problemLine(data, line, msg)
	col.at(line, "", "this is not valid YAML (%s); check the indentation, colons and quotes", msg)
}

// splitLine splits yaml.v3's "yaml: line N: message" into N and message.
func splitLine(err error) (int, string) {
	m := reLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 1, strings.TrimPrefix(err.Error(), "yaml: ")
	}
	line, _ := strconv.Atoi(m[1])
	return line, m[2]
}

// problemLine finds the line a syntax error is really on. yaml.v3 reports
// the start of the enclosing block ("while parsing a block mapping"), which
// can be far above the misindented line; the first prefix of the file,
// from that line on, that fails with the same message ends on the culprit.
func problemLine(data []byte, reported int, msg string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	for k := max(reported, 1); k <= len(lines) && k < reported+2000; k++ {
		var n yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:k], nil), &n)
		if err == nil {
			continue
		}
		if _, m := splitLine(err); m == msg {
			return k
		}
	}
	return reported
}

// decodeProblems turns yaml.v3's decode errors into problems, and marks the
// values that did not decode so validation does not blame their stand-ins.
func decodeProblems(data []byte, err error, col *collector) {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		syntaxProblem(data, err, col)
		return
	}
	for _, e := range te.Errors {
		m := reLine.FindStringSubmatch(e)
		if m == nil {
			col.at(1, "", "%s", e)
			continue
		}
		line, _ := strconv.Atoi(m[1])
		decodeProblem(line, m[2], col)
	}
}

func decodeProblem(line int, msg string, col *collector) {
	if m := reUnknown.FindStringSubmatch(msg); m != nil {
		unknownKey(line, m[1], goTypes[m[2]], col)
		return
	}
	if m := reDuplicate.FindStringSubmatch(msg); m != nil {
		path, _ := col.ix.findKey(line, m[1])
		col.broken = append(col.broken, parentPath(path))
		col.at(line, path, "this key is given twice (first on line %s); keep one of them", m[2])
		return
	}
	if m := reType.FindStringSubmatch(msg); m != nil {
		wrongType(line, m[1], m[2], goTypes[m[3]], col)
		return
	}
	col.at(line, "", "%s", msg)
}

// replacedByNow are top-level keys of earlier versions, with what took their place.
var replacedByNow = map[string]string{
	"external_reports": "external_reports is replaced by compliance: set compliance.operator (cii, state_organ or other) and the outside report's deadlines follow the regulation; compliance.deadlines, .authority and .note adjust them",
}

// unknownKey reports a key its mapping does not know, with the keys it does.
func unknownKey(line int, key string, t reflect.Type, col *collector) {
	path, _ := col.ix.findKey(line, key)
	section := "here"
	if s, ok := sections[t]; ok {
		section = s
	}
	msg := "unknown key " + strconv.Quote(key) + " " + section
	if replaced, ok := replacedByNow[key]; ok && t == reflect.TypeOf(Config{}) {
		col.at(line, "", "%s", replaced)
		return
	}
	if keys := knownKeys(t); len(keys) > 0 {
		msg += "; known keys: " + strings.Join(keys, ", ")
	}
	parent := parentPath(path)
	col.at(line, parent, "%s", msg)
	// "hots" is surely the missing "host": say so once, not twice.
	for _, k := range knownKeys(t) {
		if p := joinKey(parent, k); !col.ix.has(p) && typo(key, k) {
			col.broken = append(col.broken, p)
		}
	}
}

// typo reports whether a is b with at most two letters changed, added,
// dropped or swapped (a restricted Damerau-Levenshtein distance ≤ 2).
func typo(a, b string) bool {
	if a == b || len(a) < 3 {
		return a == b
	}
	prev2, prev := []int(nil), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev = prev, cur
	}
	return prev[len(b)] <= 2
}

// knownKeys lists the yaml keys of struct type t, in field order.
func knownKeys(t reflect.Type) []string {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

// wrongType reports a value of the wrong shape: tag is yaml's short tag of
// what was written, shown its (possibly shortened) text, t the Go type wanted.
func wrongType(line int, tag, shown string, t reflect.Type, col *collector) {
	path, ok := col.ix.find(line, func(n *yaml.Node) bool { return tagMatches(n, tag, shown) })
	if !ok {
		col.at(line, "", "this value has the wrong type: expected %s", expected(t))
		return
	}
	n := col.ix.nodes[path]
	col.broken = append(col.broken, path)
	switch {
	case n.Kind == yaml.ScalarNode && t == reflect.TypeOf(time.Duration(0)):
		col.at(line, path, "%q is not a duration; write it like 15m, 90s or 4h", n.Value)
	case n.Kind == yaml.ScalarNode && t != nil && t.Kind() == reflect.Int:
		col.at(line, path, "%q is not a whole number", n.Value)
	default:
		col.at(line, path, "expected %s, not %s", expected(t), describe(n))
	}
}

// tagMatches reports whether n is the node yaml.v3 described by tag and
// shown: the text it prints is cut to 7 characters and "..." past 10.
func tagMatches(n *yaml.Node, tag, shown string) bool {
	switch tag {
	case "!!map":
		return n.Kind == yaml.MappingNode
	case "!!seq":
		return n.Kind == yaml.SequenceNode
	}
	if n.Kind != yaml.ScalarNode {
		return false
	}
	if prefix, cut := strings.CutSuffix(shown, "..."); cut && len(n.Value) > 10 {
		return strings.HasPrefix(n.Value, prefix)
	}
	return n.Value == shown
}

// expected describes what a value of Go type t is written as.
func expected(t reflect.Type) string {
	switch {
	case t == nil:
		return "another kind of value"
	case t == reflect.TypeOf(time.Duration(0)):
		return "a duration like 15m, 90s or 4h"
	case t.Kind() == reflect.Int:
		return "a whole number"
	case t.Kind() == reflect.String:
		return "a single value"
	case t.Kind() == reflect.Slice:
		return `a list (one "- item" per line)`
	default:
		return "a mapping (key: value lines)"
	}
}

// describe says what node n is, for "expected a list, not ...".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return "the single value " + strconv.Quote(n.Value)
}
