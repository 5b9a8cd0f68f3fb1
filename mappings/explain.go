package mappings

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/usher-migrate/usher/pipeline"
)

// ruleIssue is the mapping_error issue of a rule that could not be applied to a record. The
// message names the target field, the rule as written and its place in the mapping file, and
// says why in plain words ("emails is a string, not an object"), not in the expression
// engine's terms:
//
//	email_verified: the rule "emails?.verified != nil ? …" (gigya/mapping.yaml:31) could not be
//	applied: emails is a string, not an object
//
// field is the target ("" for a reject rule, then what names the rule: "reject rule"); prog and
// env, when set, are the failed expression and the values it saw (the record with user, vars
// and value), used to find which part of the data did not fit.
func ruleIssue(field, what, rule, where string, err error, prog *vm.Program, env map[string]any) pipeline.Issue {
	var b strings.Builder
	if field != "" {
		b.WriteString(field + ": the rule ")
	} else {
		b.WriteString("the " + what + " ")
	}
	b.WriteString(quoteRule(rule))
	if where != "" {
		b.WriteString(" (" + where + ")")
	}
	b.WriteString(" could not be applied: ")
	b.WriteString(plainReason(err, prog, env))
	return pipeline.Issue{Code: CodeMappingError, Field: field, Message: b.String()}
}

// maxRuleText bounds the rule text quoted in a message.
const maxRuleText = 160

// quoteRule quotes a rule's text on one line, shortened when long.
func quoteRule(rule string) string {
	rule = strings.Join(strings.Fields(rule), " ")
	if r := []rune(rule); len(r) > maxRuleText {
		rule = string(r[:maxRuleText-1]) + "…"
	}
	return `"` + rule + `"`
}

// plainReason says why an expression (or a path) failed, in terms of the record's data.
func plainReason(err error, prog *vm.Program, env map[string]any) string {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return err.Error()
	}
	if prog != nil && env != nil {
		if why := diagnose(prog.Node(), fe.From, env); why != "" {
			return why
		}
	}
	return plainMessage(fe.Message)
}

// diagnose looks for the member access of an expression that cannot work on the data: a field
// read from a value that is not an object (emails.verified when emails is a string), an index
// read from a value that is not an array, or an index past an array's end. Of several, the one
// nearest the failing position wins. "" when none is found.
func diagnose(root ast.Node, at int, env map[string]any) string {
	if root == nil {
		return ""
	}
	local := map[string]bool{} // names bound by let: not record fields
	var members []*ast.MemberNode
	var closures []*ast.BuiltinNode
	ast.Walk(&root, visitor(func(n ast.Node) {
		switch t := n.(type) {
		case *ast.VariableDeclaratorNode:
			local[t.Name] = true
		case *ast.MemberNode:
			members = append(members, t)
		case *ast.BuiltinNode:
			if len(t.Arguments) >= 2 {
				if _, ok := t.Arguments[1].(*ast.PredicateNode); ok {
					closures = append(closures, t)
				}
			}
		}
	}))
	best, bestDist := "", -1
	consider := func(why string, n ast.Node) {
		d := n.Location().From - at
		if d < 0 {
			d = -d
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = why, d
		}
	}
	// filter(identities, .provider != "site"): a field read from an item of a record array.
	for _, c := range closures {
		arg := c.Arguments[0]
		if b, ok := arg.(*ast.BinaryNode); ok && b.Operator == "??" {
			arg = b.Left
		}
		base, shown, ok := exprPath(arg, local)
		if !ok {
			continue
		}
		v, _ := base.get(env)
		arr, ok := v.([]any)
		if !ok {
			continue
		}
		for _, m := range itemMembers(c.Arguments[1].(*ast.PredicateNode)) {
			for i, item := range arr {
				if _, isObj := item.(map[string]any); !isObj && item != nil {
					consider(fmt.Sprintf("%s[%d] is %s, not an object (it has no field %q)", shown, i, aJSONType(item), m.Property.(*ast.StringNode).Value), m)
					break
				}
			}
		}
	}
	for _, m := range members {
		base, shown, ok := exprPath(m.Node, local)
		if !ok {
			continue
		}
		v, found := base.get(env)
		if !found || v == nil {
			continue
		}
		why := ""
		switch p := m.Property.(type) {
		case *ast.StringNode:
			if _, isObj := v.(map[string]any); !isObj {
				why = fmt.Sprintf("%s is %s, not an object (it has no field %q)", shown, aJSONType(v), p.Value)
			}
		case *ast.IntegerNode:
			arr, isArr := v.([]any)
			i := p.Value
			if isArr && i < 0 {
				i += len(arr)
			}
			switch {
			case !isArr:
				why = fmt.Sprintf("%s is %s, not an array", shown, aJSONType(v))
			case i < 0 || i >= len(arr):
				why = fmt.Sprintf("%s has %d item%s, so %s[%d] does not exist", shown, len(arr), plural(len(arr)), shown, p.Value)
			}
		}
		if why != "" {
			consider(why, m)
		}
	}
	return best
}

// itemMembers are the field reads of a closure's current item (#.provider, .provider), outside
// the closures nested in it (whose # is another item).
func itemMembers(p *ast.PredicateNode) []*ast.MemberNode {
	var all []*ast.MemberNode
	nested := map[*ast.MemberNode]bool{}
	ast.Walk(&p.Node, visitor(func(n ast.Node) {
		switch t := n.(type) {
		case *ast.MemberNode:
			if ptr, ok := t.Node.(*ast.PointerNode); ok && ptr.Name == "" {
				if _, ok := t.Property.(*ast.StringNode); ok {
					all = append(all, t)
				}
			}
		case *ast.PredicateNode:
			ast.Walk(&t.Node, visitor(func(n ast.Node) {
				if m, ok := n.(*ast.MemberNode); ok {
					nested[m] = true
				}
			}))
		}
	}))
	out := all[:0]
	for _, m := range all {
		if !nested[m] {
			out = append(out, m)
		}
	}
	return out
}

type visitor func(ast.Node)

func (v visitor) Visit(n *ast.Node) { v(*n) }

// exprPath renders a chain of identifiers, field names and indexes (emails.verified[0]) as a
// record path; ok is false for anything else (a call, a closure's #, a let-bound name).
func exprPath(n ast.Node, local map[string]bool) (p fieldPath, shown string, ok bool) {
	switch t := n.(type) {
	case *ast.IdentifierNode:
		if local[t.Value] {
			return nil, "", false
		}
		return fieldPath{{key: t.Value, idx: -1}}, t.Value, true
	case *ast.ChainNode:
		return exprPath(t.Node, local)
	case *ast.MemberNode:
		base, shown, ok := exprPath(t.Node, local)
		if !ok {
			return nil, "", false
		}
		switch prop := t.Property.(type) {
		case *ast.StringNode:
			return append(base[:len(base):len(base)], segment{key: prop.Value, idx: -1}), shown + "." + prop.Value, true
		case *ast.IntegerNode:
			if prop.Value < 0 {
				return nil, "", false
			}
			return append(base[:len(base):len(base)], segment{idx: prop.Value}), fmt.Sprintf("%s[%d]", shown, prop.Value), true
		}
	}
	return nil, "", false
}

// aJSONType names a value's JSON type with its article.
func aJSONType(v any) string {
	switch t := pipeline.JSONType(v); t {
	case "array", "object":
		return "an " + t
	case "null":
		return "null"
	default:
		return "a " + t
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// goTypes are the Go type names of record values, as the expression engine prints them, and
// what they are in JSON.
var goTypes = strings.NewReplacer(
	"map[string]interface {}", "object", "map[string]any", "object",
	"[]interface {}", "array", "[]any", "array", "[]string", "array",
	"interface {}", "value", "json.Number", "number", "<nil>", "null",
)

var goScalars = regexp.MustCompile(`\b(float64|float32|int64|int32|int|uint8|bool)\b`)

var cannotFetch = regexp.MustCompile(`^cannot fetch (.+) from (\w+)$`)

// article puts "a" or "an" before a JSON type name.
func article(typ string) string {
	if typ == "null" {
		return typ
	}
	if strings.ContainsRune("aeiou", rune(typ[0])) {
		return "an " + typ
	}
	return "a " + typ
}

// plainMessage rewrites an expression engine error message in the record's terms.
func plainMessage(msg string) string {
	msg, _, _ = strings.Cut(msg, "\n")
	msg = goTypes.Replace(msg)
	msg = goScalars.ReplaceAllStringFunc(msg, func(s string) string {
		if s == "bool" {
			return "boolean"
		}
		return "number"
	})
	if m := cannotFetch.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("it reads the field %q of %s, which has no fields", m[1], article(m[2]))
	}
	if rest, ok := strings.CutPrefix(msg, "invalid operation: "); ok {
		if strings.HasPrefix(rest, "number(") {
			// What reading a field of a string or a number fails with (record numbers are
			// json.Number, strings to the engine).
			return "a field is read from a value that is not an object"
		}
		return "the values do not fit the operation (" + rest + ")"
	}
	return msg
}

// exprList is the expression function list(x): x as an array. An array stays as it is, without
// its nulls and empty strings; a string is split at commas, items trimmed and empty ones dropped
// (Gigya's socialProviders "facebook,site", an import file's emails "a@x.com,b@y.com"); null is
// an empty array; any other value is a one-item array.
func exprList(params ...any) (any, error) {
	out := []any{}
	switch t := params[0].(type) {
	case nil:
	case []any:
		for _, x := range t {
			if !absent(x) {
				out = append(out, x)
			}
		}
	case []string:
		for _, x := range t {
			if x != "" {
				out = append(out, x)
			}
		}
	case string:
		for _, x := range strings.Split(t, ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
	default:
		out = append(out, t)
	}
	return out, nil
}
