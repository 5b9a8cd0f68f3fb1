package mappings

import (
	"os"
	"path/filepath"
)

// The sources register their built-in mappings (sources/<kind>/mapping.yaml) when they are
// imported, which this package's tests cannot do (the sources import it): they read the same
// files.
func init() {
	for _, kind := range []string{"gigya", "okta", "stormpath"} {
		b, err := os.ReadFile(filepath.Join("..", "sources", kind, "mapping.yaml"))
		if err != nil {
			panic(err)
		}
		RegisterBuiltin(kind, b)
	}
}
