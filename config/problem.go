package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one mistake in the config. Line is 1-based; 0 means the
// problem is not in the file (Path is then "env NAME" for an environment
// variable). Path names the value, like "sites[0].path[2].kind"; it is empty
// for the file as a whole or its top level.
type Problem struct {
	Line    int
	Path    string
	Message string
}

// Problems is every mistake found in one config, in line order (problems
// from the environment last). Load and Parse return it as their error, as a
// *Problems, so callers can list the problems with errors.As.
type Problems struct {
	File string
	List []Problem
}

// Error is one problem per line, "file:line: path: message"; a problem from
// the environment is "env NAME: message".
func (p *Problems) Error() string {
	lines := make([]string, len(p.List))
	for i, pr := range p.List {
		lines[i] = pr.format(p.File)
	}
	return strings.Join(lines, "\n")
}

func (pr Problem) format(file string) string {
	var b strings.Builder
	if pr.Line > 0 {
		fmt.Fprintf(&b, "%s:%d: ", file, pr.Line)
	}
	if pr.Path != "" {
		b.WriteString(pr.Path + ": ")
	}
	b.WriteString(pr.Message)
	return b.String()
}

// sortProblems orders problems by line, keeping the order they were found
// in on one line, with the environment's (line 0) at the end.
func sortProblems(list []Problem) {
	key := func(p Problem) int {
		if p.Line <= 0 {
			return int(^uint(0) >> 1)
		}
		return p.Line
	}
	sort.SliceStable(list, func(i, j int) bool { return key(list[i]) < key(list[j]) })
}

// collector gathers problems while decoding and validating one file.
type collector struct {
	ix     *index
	list   []Problem
	broken []string // paths whose value failed to decode
}

// add records a problem at path, on the line path is on. A path at or below
// one that failed to decode is skipped: its value is a zero stand-in and
// the decode problem already explains it.
func (c *collector) add(path, format string, args ...any) {
	for _, b := range c.broken {
		if within(path, b) {
			return
		}
	}
	line := 0
	if c.ix != nil {
		line = c.ix.line(path)
	}
	c.list = append(c.list, Problem{Line: line, Path: path, Message: fmt.Sprintf(format, args...)})
}

// at records a problem on a given line, unconditionally.
func (c *collector) at(line int, path, format string, args ...any) {
	c.list = append(c.list, Problem{Line: line, Path: path, Message: fmt.Sprintf(format, args...)})
}

// err returns the problems as a *Problems, or nil when there are none.
func (c *collector) err(file string) error {
	if len(c.list) == 0 {
		return nil
	}
	list := append([]Problem(nil), c.list...)
	sortProblems(list)
	return &Problems{File: file, List: list}
}
