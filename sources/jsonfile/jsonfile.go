// Package jsonfile is the "json" source: users as a JSON array, NDJSON (including Auth0's own
// users-export files), wrapper objects ({"users":[…]}, {"results":[…]}, {"data":[…]},
// {"items":[…]}), a stream of pretty-printed objects, or a folder of such files (walked
// recursively), each optionally gzip-compressed.
package jsonfile

import (
	"context"
	"fmt"

	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/internal/inputs"
)

func init() {
	pipeline.RegisterSource(pipeline.SourceInfo{
		Name:          "json",
		Description:   "JSON array, NDJSON (Auth0 users export too), wrapper objects, folders; gzip ok",
		New:           func(cfg pipeline.SourceConfig) (pipeline.Source, error) { return New(cfg) },
		NewNormalizer: mappings.NewGeneric,
	})
}

// Extensions are the file name endings taken from folders.
var Extensions = []string{".json", ".ndjson", ".jsonl"}

// Source reads JSON inputs. It implements pipeline.Source and pipeline.Sizer.
type Source struct {
	files []inputs.File
	read  inputs.Counter
}

// New checks the inputs exist and lists the files to read. The json source takes no options.
func New(cfg pipeline.SourceConfig) (*Source, error) {
	for k := range cfg.Options {
		return nil, fmt.Errorf("json source: unknown option %q", k)
	}
	files, err := inputs.Expand(cfg.Inputs, Extensions)
	if err != nil {
		return nil, fmt.Errorf("json source: %w", err)
	}
	return &Source{files: files}, nil
}

// Read frames every file in order; see the package comment for the shapes recognised.
func (s *Source) Read(ctx context.Context, emit func(pipeline.RawRecord) error) error {
	for _, file := range s.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, closer, err := inputs.Open(file, &s.read)
		if err != nil {
			return fmt.Errorf("json source: %w", err)
		}
		fr := &framer{r: r, name: file.Name, emit: func(rec frameRec) error {
			var data []byte
			if rec.data != nil {
				data = append(make([]byte, 0, len(rec.data)), rec.data...)
			}
			return emit(pipeline.RawRecord{
				Pos:  pipeline.Position{File: file.Name, Line: rec.line, Index: rec.index},
				Data: data,
				Err:  rec.err,
			})
		}}
		err = fr.run()
		closer.Close()
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			return fmt.Errorf("json source: %s:%d: %w", file.Name, fr.line, err)
		}
	}
	return nil
}

// Decode parses one record; it must be a JSON object.
func (s *Source) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	return pipeline.DecodeObject(raw.Data)
}

// TotalBytes is the summed size of the input files (compressed size for gzip).
func (s *Source) TotalBytes() int64 { return inputs.TotalSize(s.files) }

// ReadBytes is how many input bytes Read has consumed so far.
func (s *Source) ReadBytes() int64 { return s.read.Load() }
