// Package jsonfile is the "json" source: users as a JSON array, NDJSON (including Auth0's own
// users-export files), wrapper objects ({"users":[…]}, {"results":[…]}, {"data":[…]},
// {"items":[…]}, whatever precedes the array: a wrapper's other keys are skipped as they stream
// past), a stream of pretty-printed objects, or a folder of such files (walked recursively), each
// optionally gzip-compressed. Legacy sources framing their files with this package may name
// their own wrapper keys and file endings (NewWith).
//
// Hostile or damaged input costs one rejected record, never the run, and bounded memory:
//
//   - A record larger than --max-record-bytes (pipeline.DefaultMaxRecordBytes, 1 MiB) is
//     rejected record_too_large at its position; it is skipped to its end as it streams past,
//     never held whole nor decoded. NDJSON result pages ({"results":[…]} per line) are framed
//     element by element, so the limit applies to each user, not to the page.
//   - In NDJSON a broken or too large line is one record, and framing goes on at the next line,
//     the first line included (a file whose first line holds no whole value is NDJSON when the
//     next lines each hold one).
//   - Text that is not UTF-8, or a \u escape of half a UTF-16 surrogate pair, is rejected
//     invalid_encoding naming the field (a key: the object holding it), rather than decoded into
//     U+FFFD; a number beyond a 64-bit float's range (1e999) is rejected invalid_number naming
//     the field; a record nested deeper than pipeline.MaxRecordDepth levels is a parse_error.
package jsonfile

import (
	"bytes"
	"context"
	"fmt"

	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/internal/inputs"
)

func init() {
	pipeline.RegisterSource(pipeline.SourceInfo{
		Name:        "json",
		Description: "JSON array, NDJSON (Auth0 users export too), wrapper objects, folders; gzip ok",
		New: func(cfg pipeline.SourceConfig) (pipeline.Source, error) {
			s, err := New(cfg)
			if err != nil {
				return nil, err
			}
			return s.FlagTooLarge(), nil // the mapping below rejects flagged records with their codes
		},
		NewMapping: pipeline.RejectFlagged(mappings.NewGeneric),
	})
}

// Extensions are the file name endings taken from folders.
var Extensions = []string{".json", ".ndjson", ".jsonl"}

// Source reads JSON inputs. It implements pipeline.Source and pipeline.Sizer.
type Source struct {
	files []inputs.File
	read  inputs.Counter
	max   int // the largest record read, in bytes
	// flags is set for the registered json source, whose mapping rejects flagged records
	// (pipeline.RejectFlagged): a record too large to read is then framed without error and
	// flagged record_too_large by Decode. Without it (other sources framing with this package and
	// decoding themselves), the record's framing error is the record_too_large issue, which the
	// runner reports as a parse_error with that text.
	flags bool
	opts  Options
}

// Options adjust how a legacy source that reads its files through this package frames them.
type Options struct {
	// Wrappers are the keys of an object whose array value holds the records, in place of
	// WrapperKeys (Cognito's list-users pages: {"Users": […]}; a Keycloak realm export: {"users":
	// […]} after the realm's settings, however long).
	Wrappers []string
	// Extensions are the file name endings taken from folders, in place of Extensions.
	Extensions []string
}

// FlagTooLarge makes Read frame a record over the size limit without an error, and Decode return
// it flagged record_too_large: for the sources whose mapping is wrapped with
// pipeline.RejectFlagged (json, and the legacy sources that read files through this package).
func (s *Source) FlagTooLarge() *Source {
	s.flags = true
	return s
}

// New checks the inputs exist and lists the files to read. The json source takes no options;
// cfg.MaxRecordBytes bounds a record.
func New(cfg pipeline.SourceConfig) (*Source, error) { return NewWith(cfg, Options{}) }

// NewWith is New with framing options, for legacy sources whose files are JSON.
func NewWith(cfg pipeline.SourceConfig, o Options) (*Source, error) {
	for k := range cfg.Options {
		return nil, fmt.Errorf("json source: unknown option %q", k)
	}
	ext := o.Extensions
	if ext == nil {
		ext = Extensions
	}
	files, err := inputs.Expand(cfg.Inputs, ext)
	if err != nil {
		return nil, fmt.Errorf("json source: %w", err)
	}
	return &Source{files: files, max: cfg.RecordLimit(), opts: o}, nil
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
		var emitErr error // emit's error, returned unchanged (cancellation must propagate)
		fr := &framer{r: r, name: file.Name, max: s.max, wrappers: s.opts.Wrappers, emit: func(rec frameRec) error {
			raw := pipeline.RawRecord{Pos: pipeline.Position{File: file.Name, Line: rec.line, Index: rec.index}, Err: rec.err}
			switch {
			case rec.size > 0:
				if iss := pipeline.TooLarge(rec.size, s.max); s.flags {
					raw.Aux = iss
				} else {
					raw.Err = iss
				}
			case rec.data != nil:
				raw.Data = bytes.Clone(rec.data)
			}
			emitErr = emit(raw)
			return emitErr
		}}
		err = fr.run()
		closer.Close()
		if err != nil {
			if emitErr != nil {
				return emitErr
			}
			if ctx.Err() != nil {
				return err
			}
			return fmt.Errorf("json source: %s:%d: %w", file.Name, fr.line, err)
		}
	}
	return nil
}

// Decode parses one record strictly (pipeline.DecodeRecord): it must be a JSON object. A record
// that was too large to read, or whose text or numbers are invalid, is returned flagged.
func (s *Source) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	if iss, ok := raw.Aux.(pipeline.Issue); ok {
		return pipeline.Flag(nil, iss), nil
	}
	return pipeline.DecodeRecord(raw.Data)
}

// TotalBytes is the summed size of the input files (compressed size for gzip).
func (s *Source) TotalBytes() int64 { return inputs.TotalSize(s.files) }

// ReadBytes is how many input bytes Read has consumed so far.
func (s *Source) ReadBytes() int64 { return s.read.Load() }
