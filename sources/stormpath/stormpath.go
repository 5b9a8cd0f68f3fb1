// Package stormpath reads the JSON trees of a Stormpath tenant export, in either of the two known
// layouts:
//
//   - Layout A, the stormpath-export CLI: <tenant>/{meta.json, accounts/, directories/, groups/,
//     applications/, organizations/}, one object per file, each account embedding its groups,
//     directory and apiKeys (plaintext secrets; never copied).
//   - Layout B, the 2017 Admin-Console export: <tenant>/{accounts/, accountLinks/, apiKeys/,
//     directories/, providers/, groups/, groupMemberships/, …}, one resource per file, accounts
//     flat (accounts/<id>.json) or nested (accounts/<directoryId>/<id>.json), each with a
//     "password" MCF string; relations live in their own folders. Account custom data is embedded
//     ("customData": {…}) or, when the account only links to it, a resource of its own in a
//     customData/ folder (see customdata.go), joined back into the account.
//
// Read loads the small relation folders first, indexes the customData folder, then streams one
// record per account (or per group of linked accounts sharing an email, merged) in lexical order
// of the account files. Each record is the account object as exported, with secrets removed and
// relations resolved; see Read for the exact shape. The field mapping to Auth0 lives elsewhere.
package stormpath

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/internal/inputs"
)

// Extensions are the file name endings taken from export folders (".json.gz" is accepted too).
var Extensions = []string{".json"}

// Source reads Stormpath export trees. It implements pipeline.Source and pipeline.Sizer.
// A Source holds only the file list between runs; each Read builds its relation tables afresh.
type Source struct {
	accounts   []acctFile
	relations  []relFile
	customData []inputs.File // customData resources, joined to their accounts (see Read)
	total      int64
	read       inputs.Counter
	max        int // the record limit: the largest account or customData file read, in bytes
}

// acctFile is one account file, with the folder directly under accounts/ when the file is nested
// (accounts/<directoryId>/<id>.json), used as a directory hint.
type acctFile struct {
	inputs.File
	dirHint string
}

// relFile is one relation file to load before the accounts.
type relFile struct {
	inputs.File
	kind kind
}

// New lists the files under cfg.Inputs and classifies them by folder (see Read). Inputs are
// tenant folders, folders holding tenant folders, accounts folders or single account .json
// files; a named file is an account unless it sits in a relation folder. The stormpath source
// takes no options: any key in cfg.Options is an error. It is also an error when the inputs hold
// no account file at all. cfg.MaxRecordBytes (0: pipeline.DefaultMaxRecordBytes) bounds an
// account or customData file (see Read).
func New(cfg pipeline.SourceConfig) (*Source, error) {
	for k := range cfg.Options {
		return nil, fmt.Errorf("stormpath source: unknown option %q", k)
	}
	if len(cfg.Inputs) == 0 {
		return nil, errors.New("stormpath source: no --input given")
	}
	s := &Source{max: cfg.RecordLimit()}
	for _, in := range cfg.Inputs {
		files, err := inputs.Expand([]string{in}, Extensions)
		if err != nil {
			return nil, fmt.Errorf("stormpath source: %w", err)
		}
		isDir := false
		base := ""
		if in != "-" {
			if st, err := os.Stat(in); err == nil && st.IsDir() {
				isDir = true
				abs, err := filepath.Abs(in)
				if err != nil {
					abs = in
				}
				base = filepath.Base(abs)
			}
		}
		for _, f := range files {
			var k kind
			var hint string
			if isDir {
				k, hint = classify(folderChain(base, in, f.Name))
			} else {
				k, hint = classifyNamed(f.Name)
			}
			if k == kindAccount && strings.EqualFold(fileID(f.Name), "customData") {
				k = kindCustomData // accounts/<id>/customData.json: the account's custom data
			}
			switch k {
			case kindAccount:
				s.accounts = append(s.accounts, acctFile{File: f, dirHint: hint})
				s.total += f.Size
			case kindDirectory, kindProvider, kindGroup, kindMembership, kindLink:
				s.relations = append(s.relations, relFile{File: f, kind: k})
				s.total += f.Size
			case kindCustomData:
				s.customData = append(s.customData, f)
				s.total += f.Size
			}
		}
	}
	if len(s.accounts) == 0 {
		return nil, fmt.Errorf("stormpath source: no account files under %s (expected <tenant>/accounts/*.json)",
			strings.Join(cfg.Inputs, ", "))
	}
	return s, nil
}

// Read emits, in order:
//
//  1. a parse_error record (RawRecord.Err set, Data nil, position = that file, or file#index for
//     an element of a collection) for every relation file or element that cannot be parsed;
//  2. one record per account, in lexical order of the account files (inputs in the order given),
//     each element of a collection file ({"items":[…]} page or JSON array) in order with
//     Position.Index set and Line 0; a single-object file has Index 1 and the Line where its
//     object starts. An account file or element that is not a JSON object is a parse_error record.
//     An account file larger than the record limit (SourceConfig.MaxRecordBytes) is one record
//     at index 1 and the line where its content starts, without data, flagged record_too_large
//     by Decode (the message names the file); it is skipped unread, never held whole nor
//     decoded, and its customData resource goes with it. A collection file counts as one
//     record here: the limit applies to the file.
//
// A record's Data is the account object as exported (unknown fields kept) with these changes:
//
//   - removed: "apiKeys" at any depth, "emailVerificationToken", and "accessToken"/"refreshToken"
//     inside "providerData";
//   - removed: link-only objects ({"href": …} and nothing else: tenant, applications, phones, …),
//     at any depth, as members and array elements, except inside "customData";
//   - "customData": the account's customData resource from the customData folder, when there is
//     one (its href …/accounts/<id>/customData, else its file <id>.json or
//     accounts/<id>/customData.json), its fields added to the embedded object (the resource's
//     win); a customData file that cannot be parsed, or a second resource for the same account,
//     rejects the account with a parse_error issue on "customData" naming the file(s), a
//     customData file larger than the record limit (skipped unread) with a record_too_large
//     issue on "customData" naming the file, and invalid text or numbers in the resource reject
//     it with issues on "customData.…";
//   - "id" filled from the last path segment of "href" when missing;
//   - "directory": the embedded object (its "provider" reduced to {"providerId"}) completed with
//     the directories/ relation ({id, name, description, status, href, provider:{providerId}});
//     for an account nested as accounts/<directoryId>/… with no directory, that directory;
//   - "groups": embedded groups plus groupMemberships, as {id, name, description, status, href}
//     objects, deduplicated by id and sorted by name then id; removed when there are none;
//   - accounts linked by accountLinks (transitively) that share an email (trimmed, case-folded)
//     become one record, emitted at the first of their positions: the primary (first with a
//     non-empty "password", then earliest "createdAt", then first position) completed with the
//     others' missing or null top-level fields (not id, href, directory, password,
//     passwordModifiedAt), "customData" merged key by key (primary wins), "groups" unioned, and
//     "mergedAccounts": [{"id","href","directory":{"id","name"}}…] for the accounts folded in;
//   - "linkedAccounts": the sorted ids of the accounts linked to this record that were not folded
//     into it (different email), when there are any.
//
// After the accounts, a parse_error record for each account customData resource whose account
// was not read (its id not in the export) and each unusable customData file naming no account
// read; a collection element of a customData file that cannot be parsed or names no owner is a
// parse_error record emitted before the accounts. The custom data of other resources (tenant,
// application, directory, group, organization) is ignored.
//
// A record larger than the limit once built (customData joined, relations resolved, linked
// accounts merged) is emitted without its data, flagged record_too_large, so no record's Data
// exceeds the limit.
//
// Only linked accounts are held in memory (until their record is emitted); the others stream.
// Of the customData folder only the position of each account's resource is kept; it is read
// again when its account is emitted (one file at a time). No account or customData file is held
// beyond the record limit; relation files, whose resources the relation tables keep anyway, are
// read whole up to 64 MiB (a larger one is a parse_error record).
// Read returns the error emit returns, unchanged, and stops on I/O errors.
func (s *Source) Read(ctx context.Context, emit func(pipeline.RawRecord) error) error {
	rd := newReader(s, emit)
	if err := rd.loadRelations(ctx); err != nil {
		return err
	}
	if err := rd.loadCustomData(ctx); err != nil {
		return err
	}
	if err := rd.buildIndex(ctx); err != nil {
		return err
	}
	if err := rd.streamAccounts(ctx); err != nil {
		return err
	}
	return rd.emitOrphanCustomData(ctx)
}

// Decode parses one record emitted by Read strictly (pipeline.DecodeRecord): a JSON object,
// numbers kept exact (json.Number); invalid text or numbers beyond float64 return it flagged, and
// so does a record too large to read (it has no data).
func (s *Source) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	if raw.Err != nil {
		return nil, raw.Err
	}
	if issues, ok := raw.Aux.([]pipeline.Issue); ok {
		if raw.Data == nil {
			return pipeline.Flag(nil, issues...), nil
		}
		m, err := pipeline.DecodeObject(raw.Data)
		if err != nil {
			return nil, err
		}
		return pipeline.Flag(m, issues...), nil
	}
	return pipeline.DecodeRecord(raw.Data)
}

// TotalBytes is the summed size of the files Read consumes (accounts and the relation folders it
// uses; compressed size for gzip).
func (s *Source) TotalBytes() int64 { return s.total }

// ReadBytes is how many input bytes Read has consumed so far, counting each file once (files
// re-read to gather linked accounts are not counted again).
func (s *Source) ReadBytes() int64 { return s.read.Load() }
