package csvfile

import (
	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
)

func init() {
	pipeline.RegisterSource(pipeline.SourceInfo{
		Name:        "csv",
		Description: "CSV/TSV with dotted headers (Auth0 export style), delimiter detection, gzip, folders",
		Options: map[string]string{
			"delimiter":    `",", "\t", ";" or "auto" (default)`,
			"json-columns": "comma-separated headers whose cells are JSON objects/arrays",
			"split":        "comma-separated headers whose cells are lists",
			"split-sep":    `list separator for split columns (default "|")`,
			"bool-columns": "extra headers parsed as booleans",
		},
		New: func(cfg pipeline.SourceConfig) (pipeline.Source, error) { return New(cfg) },
		// Decode flags rows that must be rejected with a reason of their own (too large, invalid
		// text or numbers); this mapping rejects them with it.
		NewMapping: pipeline.RejectFlagged(mappings.NewGeneric),
	})
}
