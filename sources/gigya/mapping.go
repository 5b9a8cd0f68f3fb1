package gigya

import (
	_ "embed"

	"github.com/usher-migrate/usher/mappings"
)

// mappingYAML is the built-in gigya mapping (mapping.yaml in this folder; print it with
// `usher mapping gigya`, override parts of it with --mapping FILE).
//
//go:embed mapping.yaml
var mappingYAML []byte

func init() { mappings.RegisterBuiltin("gigya", mappingYAML) }
