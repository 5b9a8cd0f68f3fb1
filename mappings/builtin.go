package mappings

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/usher-migrate/usher/internal/smallfile"
	"github.com/usher-migrate/usher/pipeline"
)

// builtins are the built-in mappings, by source kind, that the sources registered.
var (
	builtinMu sync.RWMutex
	builtins  = map[string]builtin{}
)

type builtin struct {
	name string // how errors name the file: <kind>/mapping.yaml
	text []byte
}

// RegisterBuiltin records the built-in mapping of a source kind (the mapping.yaml its folder
// embeds), from the source's init; it panics on a second one for the same kind (a programming
// error caught at init).
func RegisterBuiltin(source string, text []byte) {
	builtinMu.Lock()
	defer builtinMu.Unlock()
	if _, dup := builtins[source]; dup {
		panic("mappings: built-in mapping registered twice: " + source)
	}
	builtins[source] = builtin{name: source + "/mapping.yaml", text: text}
}

// Builtin returns the text of the built-in mapping of a source kind, or an error naming the kinds
// that have one.
func Builtin(source string) ([]byte, error) {
	b, ok := lookupBuiltin(source)
	if !ok {
		return nil, fmt.Errorf("no built-in mapping for %q (have: %s)", source, strings.Join(BuiltinNames(), ", "))
	}
	return b.text, nil
}

func lookupBuiltin(source string) (builtin, bool) {
	builtinMu.RLock()
	defer builtinMu.RUnlock()
	b, ok := builtins[source]
	return b, ok
}

// BuiltinNames lists the source kinds with a built-in declarative mapping.
func BuiltinNames() []string {
	builtinMu.RLock()
	defer builtinMu.RUnlock()
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Load compiles the mapping of a source kind: its built-in mapping overlaid by cfg.File when set
// (see the package documentation for the file format). Errors name the file and line.
func Load(source string, cfg pipeline.MappingConfig) (*Declarative, error) {
	text, err := Builtin(source)
	if err != nil {
		return nil, err
	}
	b, _ := lookupBuiltin(source)
	s, err := parseSpec(b.name, text)
	if err != nil {
		return nil, err
	}
	if cfg.File != "" {
		over, err := readSpec(cfg.File)
		if err != nil {
			return nil, err
		}
		s = merge(s, over)
	}
	if err := declarePassword(source, s, cfg.PasswordFormat); err != nil {
		return nil, err
	}
	return compile(source, source, s, cfg.Namespace, cfg.UnknownFields)
}

// declarePassword applies a declared password format (MappingConfig.PasswordFormat) to a
// mapping whose password rule reads stored hash strings.
func declarePassword(name string, s *spec, format string) error {
	if format == "" {
		return nil
	}
	if err := checkPasswordFormat(format); err != nil {
		return err
	}
	if s.password == nil || (s.password.format != "mcf" && checkPasswordFormat(s.password.format) != nil) {
		return fmt.Errorf("password format %s: the %s mapping has no password rule reading hash strings (give one in a mapping file)", format, name)
	}
	p := *s.password
	p.format = format
	s.password = &p
	return nil
}

// LoadFile compiles the mapping file cfg.File on its own (no built-in mapping under it), for the
// csv and json sources; its metadata namespace defaults to "legacy".
func LoadFile(cfg pipeline.MappingConfig) (*Declarative, error) {
	s, err := readSpec(cfg.File)
	if err != nil {
		return nil, err
	}
	if err := declarePassword("file", s, cfg.PasswordFormat); err != nil {
		return nil, err
	}
	return compile("file", "legacy", s, cfg.Namespace, cfg.UnknownFields)
}

func readSpec(path string) (*spec, error) {
	b, err := smallfile.Read(path)
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	return parseSpec(path, b)
}

// For returns the mapping constructor of a source kind with a built-in mapping, for
// pipeline.SourceInfo.NewMapping.
func For(source string) func(pipeline.MappingConfig) (pipeline.Mapping, error) {
	return func(cfg pipeline.MappingConfig) (pipeline.Mapping, error) {
		return Load(source, cfg)
	}
}

// Namespace is the app_metadata key the mapping keeps legacy data under.
func (d *Declarative) Namespace() string { return d.namespace }

// Namespace is the app_metadata key the mapping keeps legacy data under.
func (g *Generic) Namespace() string { return g.namespace }
