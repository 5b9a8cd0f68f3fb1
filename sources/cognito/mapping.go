package cognito

import (
	_ "embed"

	"github.com/usher-migrate/usher/mappings"
)

// mappingYAML is the built-in cognito mapping (mapping.yaml in this folder; print it with
// `usher mapping cognito`, override parts of it with --mapping FILE). NewMapping lays it over the
// records Normalize has prepared.
//
//go:embed mapping.yaml
var mappingYAML []byte

func init() { mappings.RegisterBuiltin("cognito", mappingYAML) }
