package main

import (
	"bytes"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ruleFile is one Prometheus rule file: a header comment and its groups.
type ruleFile struct {
	header string
	groups []ruleGroup
}

type ruleGroup struct {
	name    string
	comment string
	rules   []rule
}

// rule is a recording rule (record set) or an alert (alert set). Labels
// and annotations keep their order, so the YAML reads as written here.
type rule struct {
	comment     string
	record      string
	alert       string
	expr        string
	forDur      string
	labels      []kv
	annotations []kv
}

type kv struct{ key, value string }

// runbookURL is where every alert's runbook_url points, plus an anchor.
const runbookURL = "https://github.com/awardtracker/awardtracker/blob/main/docs/runbook.md"

// render writes f as YAML. It builds yaml.v3 nodes rather than marshalling
// structs so that the comments (why a rule is as it is) stay in the file
// that operators read and Prometheus loads.
func (f ruleFile) render() ([]byte, error) {
	groups := yamlSeq()
	for _, g := range f.groups {
		rules := yamlSeq()
		for _, r := range g.rules {
			rules.Content = append(rules.Content, r.node())
		}
		gn := yamlMap(yamlStr("name"), yamlStr(g.name), yamlStr("rules"), rules)
		gn.HeadComment = comment(g.comment)
		groups.Content = append(groups.Content, gn)
	}
	root := yamlMap(yamlStr("groups"), groups)
	root.HeadComment = comment(f.header)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (r rule) node() *yaml.Node {
	n := yamlMap()
	if r.record != "" {
		n.Content = append(n.Content, yamlStr("record"), yamlStr(r.record))
	} else {
		n.Content = append(n.Content, yamlStr("alert"), yamlStr(r.alert))
	}
	expr := yamlStr(strings.TrimSpace(r.expr) + "\n")
	expr.Style = yaml.LiteralStyle
	n.Content = append(n.Content, yamlStr("expr"), expr)
	if r.forDur != "" {
		n.Content = append(n.Content, yamlStr("for"), yamlStr(r.forDur))
	}
	for _, part := range []struct {
		key string
		kvs []kv
	}{{"labels", r.labels}, {"annotations", r.annotations}} {
		if len(part.kvs) == 0 {
			continue
		}
		m := yamlMap()
		for _, p := range part.kvs {
			m.Content = append(m.Content, yamlStr(p.key), yamlStr(p.value))
		}
		n.Content = append(n.Content, yamlStr(part.key), m)
	}
	n.HeadComment = comment(r.comment)
	return n
}

// scalar is a string: the !!str tag makes the encoder quote values such as
// "0.5" that would otherwise read back as numbers.
func yamlStr(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func yamlSeq() *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode} }

// yamlMap is a mapping of keys and values, alternating.
func yamlMap(keysAndValues ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Content: keysAndValues}
}

// comment turns prose (one paragraph per blank line) into YAML comment
// lines; "" is no comment.
func comment(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight("# "+strings.TrimSpace(l), " ")
	}
	return strings.Join(lines, "\n")
}

// alertRule is an alert with the house annotations: the runbook_url is
// derived from the name, so it always matches docs/runbook.md's anchor.
func alertRule(name, expr, forDur, severity, summary, description, why string, extra ...kv) rule {
	return rule{
		comment:     why,
		alert:       name,
		expr:        expr,
		forDur:      forDur,
		labels:      append([]kv{{"severity", severity}}, extra...),
		annotations: []kv{{"summary", summary}, {"description", description}, {"runbook_url", runbookURL + "#" + strings.ToLower(name)}},
	}
}

func record(name, expr string, labels ...kv) rule {
	return rule{record: name, expr: expr, labels: labels}
}
