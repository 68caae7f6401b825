package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// index maps config paths such as "sites[0].path[2].kind" to the YAML nodes
// they were written as, so that a problem found on the decoded value can
// name the line it is on.
type index struct {
	root  *yaml.Node            // the top-level mapping
	keys  map[string]*yaml.Node // path → key node, for mapping entries
	nodes map[string]*yaml.Node // path → value node
	order []string              // paths in document order
}

// buildIndex walks the document below root (a mapping node).
func buildIndex(root *yaml.Node) *index {
	ix := &index{root: root, keys: map[string]*yaml.Node{}, nodes: map[string]*yaml.Node{}}
	ix.walk("", root)
	return ix
}

func (ix *index) walk(path string, n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				continue // merge keys carry no path of their own
			}
			p := joinKey(path, k.Value)
			ix.add(p, k, v)
			ix.walk(p, v)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			ix.add(p, nil, v)
			ix.walk(p, v)
		}
	}
}

func (ix *index) add(path string, key, value *yaml.Node) {
	if _, dup := ix.nodes[path]; !dup {
		ix.order = append(ix.order, path)
	}
	if key != nil {
		ix.keys[path] = key
	}
	ix.nodes[path] = value
}

// has reports whether path was written in the file.
func (ix *index) has(path string) bool {
	_, ok := ix.nodes[path]
	return ok
}

// line is the line path is on: its key's line for a mapping entry, its own
// line for a list item. A path missing from the file takes the line of the
// nearest ancestor that is present, so "a hop needs a host" points at the hop.
func (ix *index) line(path string) int {
	for {
		if k, ok := ix.keys[path]; ok {
			return k.Line
		}
		if n, ok := ix.nodes[path]; ok {
			return n.Line
		}
		if path == "" {
			return ix.root.Line
		}
		path = parentPath(path)
	}
}

// find returns the first path, in document order, whose value node is on
// line and satisfies match.
func (ix *index) find(line int, match func(*yaml.Node) bool) (string, bool) {
	for _, p := range ix.order {
		if n := ix.nodes[p]; n.Line == line && match(n) {
			return p, true
		}
	}
	return "", false
}

// findKey returns the path of the mapping entry whose key is name, on line.
func (ix *index) findKey(line int, name string) (string, bool) {
	for _, p := range ix.order {
		if k := ix.keys[p]; k != nil && k.Line == line && k.Value == name {
			return p, true
		}
	}
	return "", false
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// parentPath strips the last ".key" or "[i]" from path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// within reports whether path is ancestor or a path below it.
func within(path, ancestor string) bool {
	if ancestor == "" || path == ancestor {
		return true
	}
	return strings.HasPrefix(path, ancestor) &&
		(path[len(ancestor)] == '.' || path[len(ancestor)] == '[')
}
