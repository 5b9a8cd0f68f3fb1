package mappings

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/validate"
)

// CodeMappingError rejects a record on which a mapping rule could not be applied (the data has
// another shape than the rule expects: a string where it reads an object's field, for example);
// the message names the target field, the rule as written and its line, and says what in the
// data did not fit, in plain words (ruleIssue).
const CodeMappingError = "mapping_error"

// Declarative is a mapping compiled from a mapping file: a built-in one, optionally overlaid by a
// user's --mapping file. It is safe for concurrent use.
//
// For each record it evaluates, in order: the reject rules (the first that holds rejects the
// record with its code); the field rules, in file order, each setting one target path of the
// Auth0 user from the first non-empty source path (from), a constant (value) or an expression
// (expr, which sees the record's top-level keys, "user" (the fields set so far), "vars" and
// "value" (what from found)); the password rule; then it removes what the rules consumed and
// what drop lists, and routes what is left by the rest rules ("source path: target", "*" for
// every remaining top-level key). Leftover keys with no rest rule follow unknown_fields.
//
// The social_only rule marks users who sign in only through social or enterprise identities
// (pipeline.Mapped.SocialOnly, routed by --social-only when they have no password): its
// providers expression lists the user's login providers (an array, or a comma-separated string),
// and its when expression, which sees that list as "value", says whether they are all social.
//
// A field rule marked optional names a top-level field that is left out of the user, with a
// warning, when Auth0 would refuse its value (pipeline.Mapped.Optional), instead of
// rejecting the user: the okta mapping's username, whose value stays in app_metadata.
type Declarative struct {
	name      string
	namespace string
	unknown   string
	vars      map[string]any
	rejects   []rejectRule
	fields    []fieldRule
	password  *passwordRule
	social    *socialRule
	consumed  []fieldPath
	drops     []globPath
	rests     []restRule
	star      *restRule
	optional  map[string]string // optional field → the target that keeps its value ("" none); read-only
	vms       sync.Pool
}

type rejectRule struct {
	prog          *vm.Program
	code, message string
	rule, where   string // the when expression and "file:line", for run-time errors
}

type fieldRule struct {
	target  fieldPath
	from    []fieldPath
	value   any
	isValue bool
	prog    *vm.Program
	rule    string // the rule as written, for run-time errors
	where   string // "file:line", for run-time errors
}

// socialRule is the compiled social_only rule.
type socialRule struct {
	when, providers              *vm.Program
	whenSrc, providersSrc, where string
}

type passwordRule struct {
	from   fieldPath
	format string
}

type restRule struct {
	from fieldPath
	to   fieldPath // nil: drop
}

// passwordTargets may not be set by field rules: password material goes through the password
// rule so the hash stage classifies it.
var passwordTargets = map[string]bool{"password_hash": true, "custom_password_hash": true}

// compile builds a Declarative from a merged spec; defaultNS is the metadata namespace when the
// file sets none. namespace and unknown, when not empty,
// override the file's (they come from --namespace and --unknown-fields).
func compile(name, defaultNS string, s *spec, namespace, unknown string) (*Declarative, error) {
	d := &Declarative{name: name, vars: s.vars, unknown: s.unknownFields}
	if d.vars == nil {
		d.vars = map[string]any{}
	}
	d.namespace = defaultNS
	if s.namespace != nil {
		d.namespace = *s.namespace
	}
	if namespace != "" {
		if strings.ContainsAny(namespace, ".$[]{} ") {
			return nil, fmt.Errorf("metadata namespace %q: must not contain '.', '$', brackets, braces or spaces", namespace)
		}
		d.namespace = namespace
	}
	if unknown != "" {
		if !validUnknown(unknown) {
			return nil, fmt.Errorf("unknown-fields %q: want reject, user_metadata or drop", unknown)
		}
		d.unknown = unknown
	}
	if d.unknown == "" {
		d.unknown = "reject"
	}
	for _, r := range s.rejects {
		prog, err := compileExpr(r.when)
		if err != nil {
			return nil, specError(s.file, r.line, "reject when: %v", err)
		}
		msg := r.message
		if msg == "" {
			msg = "rejected by the mapping rule " + strconv.Quote(r.when)
		}
		d.rejects = append(d.rejects, rejectRule{prog: prog, code: r.code, message: msg,
			rule: r.when, where: fmt.Sprintf("%s:%d", s.file, r.line)})
	}
	fields := s.fields
	if s.emailVerified != nil {
		fields = append([]fieldSpec(nil), fields...)
		rule := fieldSpec{target: "email_verified", value: *s.emailVerified, isValue: true}
		replaced := false
		for i := range fields {
			if fields[i].target == "email_verified" {
				rule.line = fields[i].line
				fields[i], replaced = rule, true
			}
		}
		if !replaced {
			fields = append(fields, rule)
		}
	}
	for _, f := range fields {
		target, err := d.target(s.file, f.line, f.target)
		if err != nil {
			return nil, err
		}
		if passwordTargets[target[0].key] || target.hasMaterialKey() {
			return nil, specError(s.file, f.line, "%s: password material is mapped by the password rule, not by fields", f.target)
		}
		r := fieldRule{target: target, value: f.value, isValue: f.isValue,
			rule: ruleText(f), where: fmt.Sprintf("%s:%d", s.file, f.line)}
		for _, p := range f.from {
			fp, err := parsePath(p, false)
			if err != nil {
				return nil, specError(s.file, f.line, "%s: from: %v", f.target, err)
			}
			if fp.hasMaterialKey() {
				return nil, specError(s.file, f.line, "%s: from %s: password material is mapped by the password rule, not by fields", f.target, p)
			}
			r.from = append(r.from, fp)
			if fp.plainKeys() {
				d.consumed = append(d.consumed, fp)
			}
		}
		for _, p := range f.consume {
			fp, err := parsePath(p, false)
			if err != nil || !fp.plainKeys() {
				return nil, specError(s.file, f.line, "%s: consume %q: want a path of object keys", f.target, p)
			}
			d.consumed = append(d.consumed, fp)
		}
		if f.expr != "" {
			if r.prog, err = compileExpr(f.expr); err != nil {
				return nil, specError(s.file, f.line, "%s: expr: %v", f.target, err)
			}
		}
		d.fields = append(d.fields, r)
	}
	if err := d.compileOptional(s.file, fields); err != nil {
		return nil, err
	}
	if s.password != nil {
		fp, err := parsePath(s.password.from, false)
		if err != nil || !fp.plainKeys() {
			return nil, specError(s.file, s.password.line, "password from %q: want a path of object keys", s.password.from)
		}
		d.password = &passwordRule{from: fp, format: s.password.format}
	}
	if so := s.socialOnly; so != nil {
		r := &socialRule{whenSrc: so.when, providersSrc: so.providers, where: fmt.Sprintf("%s:%d", s.file, so.line)}
		var err error
		if r.when, err = compileExpr(so.when); err != nil {
			return nil, specError(s.file, so.line, "social_only when: %v", err)
		}
		if so.providers != "" {
			if r.providers, err = compileExpr(so.providers); err != nil {
				return nil, specError(s.file, so.line, "social_only providers: %v", err)
			}
		}
		d.social = r
	}
	for _, dr := range s.drops {
		fp, err := parsePath(dr.s, true)
		if err != nil {
			return nil, specError(s.file, dr.line, "drop: %v", err)
		}
		d.drops = append(d.drops, newGlobPath(fp))
	}
	for _, r := range s.rests {
		rr := restRule{}
		if r.to != "drop" {
			to, err := d.target(s.file, r.line, r.to)
			if err != nil {
				return nil, err
			}
			rr.to = to
		}
		if r.from == "*" {
			rr := rr
			d.star = &rr
			continue
		}
		fp, err := parsePath(r.from, false)
		if err != nil || !fp.plainKeys() {
			return nil, specError(s.file, r.line, "rest %q: want \"*\" or a path of object keys", r.from)
		}
		rr.from = fp
		d.rests = append(d.rests, rr)
	}
	d.vms.New = func() any { return new(vm.VM) }
	return d, nil
}

// compileOptional collects the optional fields of the field rules (compiled into d.fields
// already): each must be a top-level field, and its kept_in a target that another rule sets.
func (d *Declarative) compileOptional(file string, fields []fieldSpec) error {
	for i, f := range fields {
		if !f.optional {
			continue
		}
		target := d.fields[i].target
		if len(target) != 1 {
			return specError(file, f.line, "%s: optional applies to top-level fields only (a field Auth0 may refuse is left out whole)", f.target)
		}
		kept := ""
		if f.keptIn != "" {
			p, err := d.target(file, f.line, f.keptIn)
			if err != nil {
				return err
			}
			kept = p.String()
			set := false
			for j := range d.fields {
				set = set || (j != i && d.fields[j].target.String() == kept)
			}
			if !set {
				return specError(file, f.line, "%s: kept_in %s: no field rule sets that target (keep its rule, or override %s too)", f.target, kept, f.target)
			}
		}
		if d.optional == nil {
			d.optional = map[string]string{}
		}
		d.optional[target.String()] = kept
	}
	return nil
}

// target parses a target path: {namespace} is replaced by the metadata namespace; the first key
// must be an Auth0 import field and app_metadata's own keys must not be reserved ones.
func (d *Declarative) target(file string, line int, s string) (fieldPath, error) {
	s = strings.ReplaceAll(s, "{namespace}", d.namespace)
	p, err := parsePath(s, false)
	if err != nil {
		return nil, specError(file, line, "target: %v", err)
	}
	if !p.plainKeys() {
		return nil, specError(file, line, "target %q: indexes are not allowed in targets", s)
	}
	if !contains(ImportKeys, p[0].key) {
		return nil, specError(file, line, "target %q: %q is not an Auth0 import field (%s)", s, p[0].key, strings.Join(ImportKeys, ", "))
	}
	if p[0].key == "app_metadata" && len(p) > 1 && contains(validate.ReservedAppMetadataKeys, p[1].key) {
		return nil, specError(file, line, "target %q: %q is a reserved app_metadata key; nest it under a namespace (app_metadata.{namespace}.%s)", s, p[1].key, p[1].key)
	}
	return p, nil
}

// compileExpr compiles a mapping expression. Variables are resolved when the rule runs; names the
// record lacks are nil.
func compileExpr(src string) (*vm.Program, error) {
	return expr.Compile(src, expr.Env(map[string]any{}), expr.AllowUndefinedVariables(),
		expr.Function("number", toNumber, new(func(any) any)),
		expr.Function("list", exprList, new(func(any) []any)))
}

// toNumber is the expression function number(x): a JSON number or a numeric string as a float64
// (an int when it is integral), nil for anything else.
func toNumber(params ...any) (any, error) {
	var s string
	switch t := params[0].(type) {
	case json.Number:
		s = t.String()
	case string:
		s = strings.TrimSpace(t)
	case int, int64, float64:
		return t, nil
	default:
		return nil, nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return int(i), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, nil
	}
	return nil, nil
}

// exprKeys are the names the mapping adds to a record while its expressions run.
var exprKeys = [...]string{"user", "vars", "value"}

// Map maps one decoded record (see the type comment). It changes rec in place.
func (d *Declarative) Map(rec map[string]any) (*pipeline.Mapped, []pipeline.Issue) {
	user := make(map[string]any, 16) // sized for the import keys: no growth while mapping
	out := &pipeline.Mapped{User: user, Optional: d.optional}
	if iss := d.apply(rec, user, out); iss != nil {
		return identityOf(user), iss
	}
	if d.password != nil {
		if iss := d.applyPassword(rec, out); iss != nil {
			return identityOf(user), []pipeline.Issue{*iss}
		}
	}
	if iss := d.route(rec, user); iss != nil {
		return identityOf(user), iss
	}
	switch id := user["user_id"].(type) {
	case json.Number:
		user["user_id"] = id.String()
	case int:
		user["user_id"] = strconv.Itoa(id)
	}
	if s, ok := user["email"].(string); ok {
		if t := strings.TrimSpace(s); len(t) != len(s) {
			user["email"] = t
		}
	}
	return out, nil
}

// identityOf is the Mapped a rejected record's line is named by: the user_id, email and username
// mapped so far (nil when there is none).
func identityOf(user map[string]any) *pipeline.Mapped {
	id := map[string]any{}
	for _, k := range []string{"user_id", "email", "username"} {
		if v, ok := user[k]; ok {
			id[k] = v
		}
	}
	if len(id) == 0 {
		return nil
	}
	return &pipeline.Mapped{User: id}
}

// apply runs the reject and field rules, then the social_only rule.
func (d *Declarative) apply(rec, user map[string]any, out *pipeline.Mapped) []pipeline.Issue {
	var saved [len(exprKeys)]any
	var had [len(exprKeys)]bool
	for i, k := range exprKeys {
		saved[i], had[i] = rec[k]
	}
	defer func() {
		for i, k := range exprKeys {
			if had[i] {
				rec[k] = saved[i]
			} else {
				delete(rec, k)
			}
		}
	}()
	// Source keys named like the expression variables stay reachable through from paths, which
	// read the record before the variables are set.
	var fromVals []any
	if len(d.fields) > 0 {
		fromVals = make([]any, len(d.fields))
		for i := range d.fields {
			fromVals[i] = d.first(rec, d.fields[i].from)
		}
	}
	rec["user"], rec["vars"] = user, d.vars
	delete(rec, "value")
	machine := d.vms.Get().(*vm.VM)
	defer d.vms.Put(machine)
	for _, r := range d.rejects {
		v, err := machine.Run(r.prog, rec)
		if err != nil {
			return []pipeline.Issue{ruleIssue("", "reject rule", r.rule, r.where, err, r.prog, rec)}
		}
		if b, _ := v.(bool); b {
			// The reject line still names the user: map the identity fields, errors ignored.
			d.mapFields(machine, rec, user, fromVals, func(t fieldPath) bool {
				return len(t) == 1 && (t[0].key == "user_id" || t[0].key == "email" || t[0].key == "username")
			})
			return []pipeline.Issue{{Code: r.code, Message: r.message}}
		}
	}
	if iss := d.mapFields(machine, rec, user, fromVals, nil); iss != nil {
		return iss
	}
	if d.social != nil {
		if iss := d.social.apply(machine, rec, out); iss != nil {
			return []pipeline.Issue{*iss}
		}
	}
	return nil
}

// mapFields runs the field rules (those whose target only accepts, when only is set) into user.
func (d *Declarative) mapFields(machine *vm.VM, rec, user map[string]any, fromVals []any, only func(fieldPath) bool) []pipeline.Issue {
	for i := range d.fields {
		f := &d.fields[i]
		if only != nil && !only(f.target) {
			continue
		}
		var v any
		switch {
		case f.isValue:
			v = deepCopy(f.value)
		case f.prog != nil:
			rec["value"] = fromVals[i]
			var err error
			if v, err = machine.Run(f.prog, rec); err != nil {
				return []pipeline.Issue{ruleIssue(f.target.String(), "", f.rule, f.where, err, f.prog, rec)}
			}
			v = fromExpr(v)
			if v == nil && fromVals[i] != nil {
				// The source had a value the rule maps to null (a sentinel): keep the null.
				if err := f.target.set(user, nil); err != nil {
					return []pipeline.Issue{ruleIssue(f.target.String(), "", f.rule, f.where, err, nil, nil)}
				}
				continue
			}
		default:
			v = deepCopy(fromVals[i])
		}
		if absent(v) {
			continue
		}
		if err := f.target.set(user, v); err != nil {
			return []pipeline.Issue{ruleIssue(f.target.String(), "", f.rule, f.where, err, nil, nil)}
		}
	}
	return nil
}

// apply evaluates the social_only rule: providers (bound to "value"), then when.
func (r *socialRule) apply(machine *vm.VM, rec map[string]any, out *pipeline.Mapped) *pipeline.Issue {
	providers := []any{}
	if r.providers != nil {
		rec["value"] = nil
		v, err := machine.Run(r.providers, rec)
		if err != nil {
			iss := ruleIssue("social_only", "", r.providersSrc, r.where, err, r.providers, rec)
			return &iss
		}
		l, _ := exprList(fromExpr(v))
		providers = l.([]any)
	}
	rec["value"] = providers
	v, err := machine.Run(r.when, rec)
	if err == nil {
		if _, isBool := v.(bool); !isBool && v != nil {
			err = fmt.Errorf("it gives %s, not true or false", aJSONType(fromExpr(v)))
		}
	}
	if err != nil {
		iss := ruleIssue("social_only", "", r.whenSrc, r.where, err, r.when, rec)
		return &iss
	}
	if b, _ := v.(bool); !b {
		return nil
	}
	out.SocialOnly = true
	for _, p := range providers {
		if s, ok := p.(string); ok && !slices.Contains(out.Providers, s) {
			out.Providers = append(out.Providers, s)
		}
	}
	return nil
}

// ruleText is a field rule as written: its expression, its source paths or its constant.
func ruleText(f fieldSpec) string {
	switch {
	case f.expr != "":
		return f.expr
	case len(f.from) > 0:
		return strings.Join(f.from, ", ")
	}
	b, _ := json.Marshal(f.value)
	return "value " + string(b)
}

// first returns the first non-empty value among paths (nil when none).
func (d *Declarative) first(rec map[string]any, paths []fieldPath) any {
	for _, p := range paths {
		if v, ok := p.get(rec); ok && !absent(v) {
			return v
		}
	}
	return nil
}

// absent reports whether a mapped value means "no value": null or the empty string.
func absent(v any) bool {
	if v == nil {
		return true
	}
	s, ok := v.(string)
	return ok && s == ""
}

// fromExpr converts expression results to record types: typed slices and maps from builtins
// become []any / map[string]any (fromPairs' keys as their text), and float results that are integral stay floats (JSON numbers).
func fromExpr(v any) any {
	switch t := v.(type) {
	case []any:
		for i, x := range t {
			t[i] = fromExpr(x)
		}
		return t
	case map[string]any:
		for k, x := range t {
			t[k] = fromExpr(x)
		}
		return t
	case []string:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = x
		}
		return out
	case map[any]any: // fromPairs: keys are JSON object keys, so they become strings
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[fmt.Sprint(k)] = fromExpr(x)
		}
		return out
	}
	return v
}

// applyPassword moves the record's password material into the user in the form the hash stage
// classifies (password_hash, custom_password_hash or clear text). A Gigya password object is
// translated here; when Auth0 cannot import it, it is kept for lazy migration.
func (d *Declarative) applyPassword(rec map[string]any, out *pipeline.Mapped) *pipeline.Issue {
	v, ok := d.password.from.get(rec)
	if !ok || absent(v) {
		return nil
	}
	field := d.password.from.String()
	bad := func(format string, args ...any) *pipeline.Issue {
		return &pipeline.Issue{Code: pipeline.CodeInvalidHash, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	switch d.password.format {
	case "mcf", "plaintext":
		s, isStr := v.(string)
		if !isStr {
			return bad("%s must be a string, got %s", field, pipeline.JSONType(v))
		}
		if d.password.format == "plaintext" {
			out.Plaintext = s
		} else {
			out.User["password_hash"] = s
		}
	case "custom":
		if _, isObj := v.(map[string]any); !isObj {
			return bad("%s must be a custom_password_hash object, got %s", field, pipeline.JSONType(v))
		}
		out.User["custom_password_hash"] = v
	default:
		if scheme, ok := legacy.SchemeNamed(d.password.format); ok && scheme.Material != nil {
			return d.applyMaterial(scheme, rec, v, out, bad)
		}
		// a stored-hash format name (legacy.DeclaredFormats)
		s, isStr := v.(string)
		if !isStr {
			return bad("%s must be a %s hash string, got %s", field, d.password.format, pipeline.JSONType(v))
		}
		if err := hash.Declared(out, d.password.format, s, passwordUser(out.User)); err != nil {
			return bad("%s is not a %s hash: %v", field, d.password.format, err)
		}
	}
	return nil
}

// applyMaterial moves a legacy system's password object (a registered legacy.Scheme: Gigya's
// {hash, hashSettings}, …) into the user: translated to Auth0's form when Auth0 can import it,
// else kept as legacy_password for lazy migration.
func (d *Declarative) applyMaterial(scheme legacy.Scheme, rec map[string]any, v any, out *pipeline.Mapped,
	bad func(string, ...any) *pipeline.Issue) *pipeline.Issue {
	field := d.password.from.String()
	parent := rec
	if len(d.password.from) > 1 {
		p, _ := d.password.from[:len(d.password.from)-1].get(rec)
		parent, _ = p.(map[string]any)
	}
	obj, err := scheme.Material(v, parent)
	if err != nil {
		return bad("%s: %v", field, err)
	}
	if obj == nil {
		return nil // no password: a social-only account's empty password object
	}
	h, err := scheme.ParseMaterial(obj)
	if err == nil {
		err = legacy.CheckBounds(h)
	}
	if err != nil {
		return bad("%v", err)
	}
	out.Format = h.Format()
	bcryptHash, custom, err := h.Auth0()
	switch {
	case errors.Is(err, legacy.ErrUnimportable):
		out.Unimportable = err.Error()
		out.Legacy = map[string]any{"kind": scheme.Name, "value": obj}
	case err != nil:
		return bad("%v", err)
	case bcryptHash != "":
		out.User["password_hash"] = bcryptHash
	default:
		out.User["custom_password_hash"] = hash.CustomToMap(custom)
	}
	return nil
}

// route removes consumed and dropped keys and sends what is left where the rest rules say.
func (d *Declarative) route(rec, user map[string]any) []pipeline.Issue {
	for _, p := range d.consumed {
		p.remove(rec)
	}
	if d.password != nil {
		d.password.from.remove(rec)
	}
	for _, p := range d.drops {
		p.remove(rec)
	}
	// Password material no rule read is refused before anything is dropped or moved: an implicit
	// drop (unknown_fields: drop, a rest rule to drop) would lose it silently, a move would copy
	// it into metadata. A drop entry naming it is the mapping's explicit choice.
	if found := stripMaterial(rec); len(found) > 0 {
		return []pipeline.Issue{materialIssue(found)}
	}
	bad := func(err error) []pipeline.Issue {
		return []pipeline.Issue{{Code: CodeMappingError, Message: err.Error()}}
	}
	for _, r := range d.rests {
		v, ok := r.from.remove(rec)
		if !ok || r.to == nil {
			continue
		}
		if m, isObj := v.(map[string]any); isObj && len(m) == 0 {
			continue
		}
		if err := r.to.merge(user, v); err != nil {
			return bad(fmt.Errorf("the rest rule \"%s: %s\" could not be applied: %w", r.from, r.to, err))
		}
	}
	for k, v := range rec {
		if v == nil {
			delete(rec, k) // a null carries nothing worth keeping
		}
	}
	if len(rec) == 0 {
		return nil
	}
	if d.star != nil {
		if d.star.to == nil {
			return nil
		}
		if err := d.star.to.merge(user, map[string]any(rec)); err != nil {
			return bad(fmt.Errorf("the rest rule \"*: %s\" could not be applied: %w", d.star.to, err))
		}
		return nil
	}
	switch d.unknown {
	case "drop":
		return nil
	case "user_metadata":
		if err := (fieldPath{{key: "user_metadata", idx: -1}}).merge(user, map[string]any(rec)); err != nil {
			return bad(fmt.Errorf("the fields no rule maps could not be moved to user_metadata: %w", err))
		}
		return nil
	}
	keys := make([]string, 0, len(rec))
	for k := range rec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	issues := make([]pipeline.Issue, 0, len(keys))
	for _, k := range keys {
		issues = append(issues, pipeline.Issue{Code: pipeline.CodeUnknownField, Field: k,
			Message: fmt.Sprintf("%q is not mapped by the %s mapping (add a field or rest rule, or set unknown_fields)", k, d.name)})
	}
	return issues
}
