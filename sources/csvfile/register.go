package csvfile

import (
	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
)

func init() {
	pipeline.RegisterSource(pipeline.SourceInfo{
		Name:        "csv",
		Description: "CSV/TSV with dotted headers (Auth0 export style), delimiter detection, gzip, folders",
		Options: []pipeline.Option{
			{Name: "delimiter", Help: `",", "\t", ";" or "auto"`, Default: "auto"},
			{Name: "json-columns", Help: "comma-separated headers whose cells are JSON objects/arrays"},
			{Name: "split", Help: "comma-separated headers whose cells are lists"},
			{Name: "split-sep", Help: "list separator for split columns", Default: "|"},
			{Name: "bool-columns", Help: "extra headers parsed as booleans"},
		},
		New: func(cfg pipeline.SourceConfig) (pipeline.Source, error) { return New(cfg) },
		// Decode flags rows that must be rejected with a reason of their own (too large, invalid
		// text or numbers); this mapping rejects them with it.
		NewMapping: pipeline.RejectFlagged(mappings.NewGeneric),
	})
}
