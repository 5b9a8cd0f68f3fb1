package stormpath

import (
	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
)

func init() {
	pipeline.RegisterSource(pipeline.SourceInfo{
		Name:        "stormpath",
		Description: "Stormpath export trees (stormpath-export CLI and the 2017 Admin-Console export), joined and merged",
		New:         func(cfg pipeline.SourceConfig) (pipeline.Source, error) { return New(cfg) },
		NewMapping:  pipeline.RejectFlagged(mappings.For("stormpath")),
	})
}
