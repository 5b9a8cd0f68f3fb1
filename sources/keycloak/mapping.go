package keycloak

import (
	_ "embed"

	"github.com/usher-migrate/usher/mappings"
)

// mappingYAML is the built-in keycloak mapping (mapping.yaml in this folder; print it with
// `usher mapping keycloak`, override parts of it with --mapping FILE).
//
//go:embed mapping.yaml
var mappingYAML []byte

func init() { mappings.RegisterBuiltin("keycloak", mappingYAML) }
