package mappings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// spec is a mapping file as written: every item remembers the file and line it came from, so
// errors found when compiling name them.
type spec struct {
	file          string
	inherit       *bool
	namespace     *string
	emailVerified *bool
	unknownFields string
	vars          map[string]any
	rejects       []rejectSpec
	password      *passwordSpec
	passwordSet   bool // password given (possibly null: no password handling)
	socialOnly    *socialSpec
	socialSet     bool // social_only given (possibly null: no social-only rule)
	fields        []fieldSpec
	drops         []lineString
	rests         []restSpec
}

type lineString struct {
	s    string
	line int
}

type rejectSpec struct {
	when, code, message string
	line                int
}

type passwordSpec struct {
	from, format string
	line         int
}

// socialSpec is the social_only rule: when (an expression) holds for users who sign in only
// through social or enterprise identities; providers (an expression, optional) lists them.
type socialSpec struct {
	when, providers string
	line            int
}

// fieldSpec is one "target: rule" entry. remove marks "target: null" in an override. optional
// (with keptIn, the target that keeps the value too) lets a top-level field Auth0 would refuse be
// left out of the user, as a warning, instead of rejecting the user.
type fieldSpec struct {
	target   string
	from     []string
	consume  []string
	value    any
	isValue  bool
	expr     string
	optional bool
	keptIn   string
	remove   bool
	line     int
}

type restSpec struct {
	from, to string // to "" with remove: the override deletes the rule
	remove   bool
	line     int
}

// specError is an error at a place in a mapping file.
func specError(file string, line int, format string, args ...any) error {
	return fmt.Errorf("mapping %s:%d: %s", file, line, fmt.Sprintf(format, args...))
}

var codeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// parseSpec reads a mapping file. Unknown keys, wrong shapes and duplicate keys are errors that
// name the line.
func parseSpec(file string, data []byte) (*spec, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &spec{file: file}, nil
		}
		return nil, fmt.Errorf("mapping %s: %w", file, err)
	}
	s := &spec{file: file}
	if len(doc.Content) == 0 {
		return s, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, specError(file, root.Line, "a mapping file is a YAML mapping (keys: %s)", strings.Join(topKeys, ", "))
	}
	err := eachPair(file, root, topKeys, func(key string, k, v *yaml.Node) error {
		switch key {
		case "inherit":
			b, err := boolNode(file, v)
			s.inherit = &b
			return err
		case "namespace":
			str, err := stringNode(file, v)
			if err == nil && (str == "" || strings.ContainsAny(str, ".$[]{} ")) {
				err = specError(file, v.Line, "namespace %q must be a non-empty key without '.', '$', brackets, braces or spaces", str)
			}
			s.namespace = &str
			return err
		case "email_verified":
			b, err := boolNode(file, v)
			s.emailVerified = &b
			return err
		case "unknown_fields":
			str, err := stringNode(file, v)
			if err == nil && !validUnknown(str) {
				err = specError(file, v.Line, "unknown_fields %q: want reject, user_metadata or drop", str)
			}
			s.unknownFields = str
			return err
		case "vars":
			if v.Kind != yaml.MappingNode {
				return specError(file, v.Line, "vars must be a mapping of names to values")
			}
			s.vars = map[string]any{}
			return eachPair(file, v, nil, func(name string, _, val *yaml.Node) error {
				var x any
				if err := val.Decode(&x); err != nil {
					return specError(file, val.Line, "vars.%s: %v", name, err)
				}
				s.vars[name] = normalizeYAML(x)
				return nil
			})
		case "reject":
			return eachItem(file, v, "reject", func(item *yaml.Node) error {
				r := rejectSpec{line: item.Line}
				err := eachPair(file, item, []string{"when", "code", "message"}, func(key string, _, val *yaml.Node) error {
					str, err := stringNode(file, val)
					switch key {
					case "when":
						r.when = str
					case "code":
						r.code = str
					case "message":
						r.message = str
					}
					return err
				})
				if err != nil {
					return err
				}
				if r.when == "" || r.code == "" {
					return specError(file, item.Line, "a reject rule needs when (an expression) and code")
				}
				if !codeRE.MatchString(r.code) {
					return specError(file, item.Line, "reject code %q must be snake_case", r.code)
				}
				s.rejects = append(s.rejects, r)
				return nil
			})
		case "password":
			s.passwordSet = true
			if v.Tag == "!!null" {
				return nil
			}
			p := passwordSpec{line: v.Line}
			err := eachPair(file, v, []string{"from", "format"}, func(key string, _, val *yaml.Node) error {
				str, err := stringNode(file, val)
				if key == "from" {
					p.from = str
				} else {
					p.format = str
				}
				return err
			})
			if err != nil {
				return err
			}
			if p.from == "" || !validPasswordFormat(p.format) {
				return specError(file, v.Line, "password needs from (a path) and format (%s, a legacy system's password object: %s, or a stored-hash format: %s)",
					strings.Join(passwordFormats, ", "), strings.Join(legacy.MaterialSchemes(), ", "), strings.Join(legacy.DeclaredFormats(), ", "))
			}
			s.password = &p
			return nil
		case "social_only":
			s.socialSet = true
			if v.Tag == "!!null" {
				return nil
			}
			so := socialSpec{line: v.Line}
			err := eachPair(file, v, []string{"when", "providers"}, func(key string, _, val *yaml.Node) error {
				str, err := stringNode(file, val)
				if key == "when" {
					so.when = str
				} else {
					so.providers = str
				}
				return err
			})
			if err != nil {
				return err
			}
			if so.when == "" {
				return specError(file, v.Line, "social_only needs when (an expression that holds for users whose only logins are social or enterprise) and optionally providers")
			}
			s.socialOnly = &so
			return nil
		case "fields":
			if v.Kind != yaml.MappingNode {
				return specError(file, v.Line, "fields must be a mapping of target paths to rules")
			}
			return eachPair(file, v, nil, func(target string, k, val *yaml.Node) error {
				f, err := parseField(file, target, k.Line, val)
				if err != nil {
					return err
				}
				s.fields = append(s.fields, f)
				return nil
			})
		case "drop":
			return eachItem(file, v, "drop", func(item *yaml.Node) error {
				str, err := stringNode(file, item)
				s.drops = append(s.drops, lineString{str, item.Line})
				return err
			})
		case "rest":
			if v.Kind != yaml.MappingNode {
				return specError(file, v.Line, "rest must be a mapping of source paths (or \"*\") to targets")
			}
			return eachPair(file, v, nil, func(from string, k, val *yaml.Node) error {
				r := restSpec{from: from, line: k.Line}
				if val.Tag == "!!null" {
					r.remove = true
				} else {
					str, err := stringNode(file, val)
					if err != nil {
						return err
					}
					r.to = str
				}
				s.rests = append(s.rests, r)
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

var topKeys = []string{"inherit", "namespace", "email_verified", "unknown_fields", "vars", "reject", "password", "social_only", "fields", "drop", "rest"}

var passwordFormats = []string{"mcf", "plaintext", "custom"}

// validPasswordFormat accepts the rule formats above, the password objects of registered legacy
// systems (legacy.MaterialSchemes: gigya, …) and every stored-hash format name
// (legacy.DeclaredFormats: hex_md5, nthash, postgres_md5, django_pbkdf2_sha256, …).
func validPasswordFormat(f string) bool {
	if slices.Contains(passwordFormats, f) || slices.Contains(legacy.MaterialSchemes(), f) {
		return true
	}
	return checkPasswordFormat(f) == nil && f != ""
}

func validUnknown(s string) bool {
	return s == "reject" || s == "user_metadata" || s == "drop"
}

// parseField reads one rule: "path", [paths], null, or {from, value, expr, consume, optional,
// kept_in}.
func parseField(file, target string, line int, v *yaml.Node) (fieldSpec, error) {
	f := fieldSpec{target: target, line: line}
	switch {
	case v.Tag == "!!null":
		f.remove = true
		return f, nil
	case v.Kind == yaml.ScalarNode:
		str, err := stringNode(file, v)
		f.from = []string{str}
		return f, err
	case v.Kind == yaml.SequenceNode:
		list, err := stringList(file, v)
		f.from = list
		return f, err
	case v.Kind != yaml.MappingNode:
		return f, specError(file, v.Line, "rule for %s must be a path, a list of paths or a mapping", target)
	}
	err := eachPair(file, v, []string{"from", "value", "expr", "consume", "optional", "kept_in"}, func(key string, _, val *yaml.Node) error {
		var err error
		switch key {
		case "from", "consume":
			var list []string
			if val.Kind == yaml.SequenceNode {
				list, err = stringList(file, val)
			} else {
				var str string
				str, err = stringNode(file, val)
				list = []string{str}
			}
			if key == "from" {
				f.from = list
			} else {
				f.consume = list
			}
		case "value":
			var x any
			if err = val.Decode(&x); err != nil {
				return specError(file, val.Line, "%s: value: %v", target, err)
			}
			f.value, f.isValue = normalizeYAML(x), true
		case "expr":
			f.expr, err = stringNode(file, val)
		case "optional":
			f.optional, err = boolNode(file, val)
		case "kept_in":
			f.keptIn, err = stringNode(file, val)
		}
		return err
	})
	if err != nil {
		return f, err
	}
	switch {
	case f.keptIn != "" && !f.optional:
		return f, specError(file, line, "%s: kept_in goes with optional: true", target)
	case f.isValue && (len(f.from) > 0 || f.expr != "" || len(f.consume) > 0):
		return f, specError(file, line, "%s: value cannot be combined with from, expr or consume", target)
	case !f.isValue && len(f.from) == 0 && f.expr == "":
		return f, specError(file, line, "%s: a rule needs from, value or expr", target)
	}
	return f, nil
}

// eachPair walks a mapping node's pairs in order; with allowed set, other keys are errors. Keys
// must be strings and unique.
func eachPair(file string, n *yaml.Node, allowed []string, fn func(key string, k, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return specError(file, n.Line, "expected a mapping")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return specError(file, k.Line, "keys must be plain strings")
		}
		if seen[k.Value] {
			return specError(file, k.Line, "%q appears twice", k.Value)
		}
		seen[k.Value] = true
		if allowed != nil && !contains(allowed, k.Value) {
			return specError(file, k.Line, "unknown key %q (known: %s)", k.Value, strings.Join(allowed, ", "))
		}
		if err := fn(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func eachItem(file string, n *yaml.Node, what string, fn func(item *yaml.Node) error) error {
	if n.Kind != yaml.SequenceNode {
		return specError(file, n.Line, "%s must be a list", what)
	}
	for _, item := range n.Content {
		if err := fn(item); err != nil {
			return err
		}
	}
	return nil
}

func stringNode(file string, n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", specError(file, n.Line, "expected a string")
	}
	return n.Value, nil
}

func boolNode(file string, n *yaml.Node) (bool, error) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return false, specError(file, n.Line, "expected true or false, got %q", n.Value)
	}
	err := n.Decode(&b)
	return b, err
}

func stringList(file string, n *yaml.Node) ([]string, error) {
	var out []string
	for _, item := range n.Content {
		s, err := stringNode(file, item)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, specError(file, n.Line, "empty list")
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// normalizeYAML turns YAML-decoded values into the JSON-like types records hold
// (map[string]any, []any); integers stay ints.
func normalizeYAML(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalizeYAML(x)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = normalizeYAML(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = normalizeYAML(x)
		}
		return t
	}
	return v
}

// merge lays an override on top of a base mapping: scalars, password and social_only replace
// (null removes them), vars merge, fields replace by target in place (new targets append; null
// removes), reject rules and drops append, rest rules replace by source path (null removes).
// With inherit: false the override stands alone.
func merge(base, over *spec) *spec {
	if over.inherit != nil && !*over.inherit {
		return over
	}
	out := *base
	out.file = over.file
	if over.namespace != nil {
		out.namespace = over.namespace
	}
	if over.emailVerified != nil {
		out.emailVerified = over.emailVerified
	}
	if over.unknownFields != "" {
		out.unknownFields = over.unknownFields
	}
	if len(over.vars) > 0 {
		out.vars = map[string]any{}
		for k, v := range base.vars {
			out.vars[k] = v
		}
		for k, v := range over.vars {
			out.vars[k] = v
		}
	}
	out.rejects = append(append([]rejectSpec(nil), base.rejects...), over.rejects...)
	if over.passwordSet {
		out.password, out.passwordSet = over.password, true
	}
	if over.socialSet {
		out.socialOnly, out.socialSet = over.socialOnly, true
	}
	out.fields = overlay(base.fields, over.fields, func(f fieldSpec) (string, bool) { return f.target, f.remove })
	out.drops = append(append([]lineString(nil), base.drops...), over.drops...)
	out.rests = overlay(base.rests, over.rests, func(r restSpec) (string, bool) { return r.from, r.remove })
	return &out
}

// overlay lays over's items on base's by key: an item replaces base's item of the same key in
// place, or removes it when marked so; new keys are appended.
func overlay[T any](base, over []T, key func(T) (string, bool)) []T {
	out := append([]T(nil), base...)
	for _, item := range over {
		k, remove := key(item)
		i := -1
		for j := range out {
			if kj, _ := key(out[j]); kj == k {
				i = j
				break
			}
		}
		switch {
		case i >= 0 && remove:
			out = append(out[:i], out[i+1:]...)
		case i >= 0:
			out[i] = item
		case !remove:
			out = append(out, item)
		}
	}
	return out
}
