package firebase

import (
	_ "embed"

	"github.com/usher-migrate/usher/mappings"
)

// mappingYAML is the built-in firebase mapping (mapping.yaml in this folder; print it with
// `usher mapping firebase`, override parts of it with --mapping FILE).
//
//go:embed mapping.yaml
var mappingYAML []byte

func init() { mappings.RegisterBuiltin("firebase", mappingYAML) }
