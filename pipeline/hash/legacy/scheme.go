package legacy

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// A Scheme is a password format that a legacy system contributes from its own folder
// (sources/<kind>/…), registered with Register from an init function. A scheme is either
// self-identifying (Prefix and ParseString: a modular-crypt string such as "$stormpath2$…",
// which Parse then recognises anywhere a hash string is read) or object-shaped (Material and
// ParseMaterial: a structured password such as Gigya's {hash, hashSettings}, which a mapping's
// password rule names by the scheme's Name and a lazy profile stores as legacy_password
// {"kind": Name, "value": material}), or both.
type Scheme struct {
	// Name names the scheme in mappings (a password rule's format) and in stored lazy material
	// (legacy_password's kind). Required; unique; not a DeclaredFormats name.
	Name string
	// Formats lists the report names the scheme's hashes give from Format. For a
	// self-identifying scheme they are also names a mapping may declare (ParseAs then checks
	// that the value is of that format).
	Formats []string

	// Prefix is the leading text by which Parse recognises the scheme's strings ("$stormpath2$"):
	// "$<id>$", with an id no built-in format reads.
	Prefix string
	// ParseString parses a string that starts with Prefix. Its errors wrap ErrMalformed for a
	// bad structure; it does no expensive work (bounds are checked by CheckBounds and Verify).
	ParseString func(s string) (Hash, error)

	// Material turns the value a mapping's password rule reads into the material ParseMaterial
	// takes and a lazy profile stores. parent is the object holding the value (at the top
	// level: the record itself); Material may remove sibling keys it consumes (a hash's settings beside it). It
	// returns nil material and a nil error when the value holds no password (a social-only
	// account's empty password object), and an error naming what does not fit otherwise.
	Material func(v any, parent map[string]any) (map[string]any, error)
	// ParseMaterial parses material from Material or from a stored lazy profile. Errors wrap
	// ErrMalformed for a bad structure.
	ParseMaterial func(material map[string]any) (Hash, error)
}

// schemes is the registry of password formats contributed by legacy systems.
var schemes struct {
	sync.RWMutex
	byName   map[string]Scheme
	prefixed []Scheme // self-identifying schemes, each prefix "$<id>$" of its own
}

// Register adds a legacy system's password scheme. It panics on a scheme without a name, a name
// or format of a built-in format, a duplicate name, a prefix that is not "$<id>$" or that a
// built-in format or another scheme reads, a prefix without ParseString, or Material
// without ParseMaterial: registrations run from init functions, where these are programming
// errors.
func Register(s Scheme) {
	builtin := func(name string) bool {
		_, isDeclared := declared[name]
		_, isAlias := formatAliases[name]
		return isDeclared || isAlias || name == FormatAuto || slices.Contains(SelfIdentifying, name)
	}
	if builtin(s.Name) {
		panic(fmt.Sprintf("legacy: Register %q: the name of a built-in format", s.Name))
	}
	for _, f := range s.Formats {
		if builtin(f) {
			panic(fmt.Sprintf("legacy: Register %q: format %q is a built-in format's", s.Name, f))
		}
	}
	if s.Prefix != "" {
		if len(s.Prefix) < 3 || s.Prefix[0] != '$' || s.Prefix[len(s.Prefix)-1] != '$' || strings.Count(s.Prefix, "$") != 2 {
			panic(fmt.Sprintf("legacy: Register %q: prefix %q is not \"$<id>$\"", s.Name, s.Prefix))
		}
		if _, err := Parse(s.Prefix + "x"); !errors.Is(err, ErrUnrecognized) {
			panic(fmt.Sprintf("legacy: Register %q: prefix %q is read by a built-in format or a scheme", s.Name, s.Prefix))
		}
	}
	switch {
	case s.Name == "":
		panic("legacy: Register: a scheme without a name")
	case (s.Prefix == "") != (s.ParseString == nil):
		panic(fmt.Sprintf("legacy: Register %q: Prefix and ParseString go together", s.Name))
	case (s.Material == nil) != (s.ParseMaterial == nil):
		panic(fmt.Sprintf("legacy: Register %q: Material and ParseMaterial go together", s.Name))
	case s.Prefix == "" && s.Material == nil:
		panic(fmt.Sprintf("legacy: Register %q: neither a prefix nor material", s.Name))
	}
	schemes.Lock()
	defer schemes.Unlock()
	if _, dup := schemes.byName[s.Name]; dup {
		panic(fmt.Sprintf("legacy: Register %q twice", s.Name))
	}
	if schemes.byName == nil {
		schemes.byName = map[string]Scheme{}
	}
	if s.Prefix != "" {
		schemes.prefixed = append(schemes.prefixed, s)
	}
	schemes.byName[s.Name] = s
}

// SchemeNamed returns the registered scheme called name.
func SchemeNamed(name string) (Scheme, bool) {
	schemes.RLock()
	defer schemes.RUnlock()
	s, ok := schemes.byName[name]
	return s, ok
}

// MaterialSchemes lists, sorted, the names of the registered object-shaped schemes: the password
// formats a mapping may name besides DeclaredFormats.
func MaterialSchemes() []string {
	schemes.RLock()
	defer schemes.RUnlock()
	var out []string
	for name, s := range schemes.byName {
		if s.Material != nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// parsePrefixed parses s with the registered self-identifying scheme whose prefix it starts
// with; ok is false when none does.
func parsePrefixed(s string) (Hash, bool, error) {
	schemes.RLock()
	defer schemes.RUnlock()
	for _, sc := range schemes.prefixed {
		if strings.HasPrefix(s, sc.Prefix) {
			h, err := sc.ParseString(s)
			return h, true, err
		}
	}
	return nil, false, nil
}

// schemeFormats lists the report names of the registered self-identifying schemes.
func schemeFormats() []string {
	schemes.RLock()
	defer schemes.RUnlock()
	var out []string
	for _, s := range schemes.prefixed {
		out = append(out, s.Formats...)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// ParseMaterial parses legacy password material of the registered scheme kind (a stored lazy
// profile's legacy_password). Errors wrap ErrUnsupported when no such scheme is registered.
func ParseMaterial(kind string, material map[string]any) (Hash, error) {
	s, ok := SchemeNamed(kind)
	if !ok || s.ParseMaterial == nil {
		return nil, fmt.Errorf("%w: legacy password of kind %q (no such password scheme is registered)", ErrUnsupported, kind)
	}
	return s.ParseMaterial(material)
}
