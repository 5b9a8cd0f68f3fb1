package stormpath

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/usher-migrate/usher/pipeline"
)

// Account custom data kept apart from the accounts.
//
// Both published layouts embed each account's custom data in the account file ("customData":
// {…}; stormpath-export writes dict(account.custom_data), and Okta's importer reads
// account.customData from accounts/*.json). The REST API, though, shows customData as a link
// ("customData": {"href": "…/v1/accounts/<id>/customData"}) to a resource of its own,
// {"href", "createdAt", "modifiedAt", …fields} (stormpath-documentation source/reference.rst,
// Custom Data), which an export may write to a customData/ folder. Such a folder holds the custom
// data of any resource (tenant, application, directory, group, organization, account): only the
// account ones are joined.
//
// The folder is read once before the accounts to learn which account each resource belongs to
// (its href …/accounts/<id>/customData, or else the file name <id>.json, or the folder of an
// accounts/<id>/customData.json); only those positions are kept, keyed by ids copied out of the
// decoded text (a decoded string shares its file's bytes), never the data, which can reach 10 MB
// per resource. Each account's resource is read again when the account is emitted.

// cdPlace is where an account's customData resource is: the file's rank in Source.customData and
// the element's index and line (a Position's fields).
type cdPlace struct{ file, index, line int }

// cdProblem is why an account's custom data cannot be joined; the account is rejected with it,
// code parse_error, or record_too_large for a customData file larger than the record limit.
type cdProblem struct {
	at   cdPlace
	code string
	msg  string
}

// customData is the index of the customData resources of one Read.
type customData struct {
	at  map[string]cdPlace    // account id → its resource
	bad map[string]*cdProblem // account id → why its resource cannot be used

	cacheFile  int // the customData file last read again (-1: none), and its elements
	cacheElems []element
}

func newCustomData() *customData {
	return &customData{at: map[string]cdPlace{}, bad: map[string]*cdProblem{}, cacheFile: -1}
}

// loadCustomData indexes the customData files. A file that cannot be parsed, or is larger than
// the record limit (skipped unread), is a problem of the account its name designates; an element
// of a collection that cannot be parsed or names no owner is a parse_error record.
func (rd *reader) loadCustomData(ctx context.Context) error {
	for fi, f := range rd.src.customData {
		if err := ctx.Err(); err != nil {
			return err
		}
		elems, err := readFile(f, &rd.src.read, rd.src.max)
		if err != nil {
			return fmt.Errorf("stormpath source: %w", err)
		}
		single := len(elems) == 1 && elems[0].line > 0
		for _, e := range elems {
			pos := e.pos(f.Name)
			if e.err != nil {
				at := cdPlace{fi, e.index, e.line}
				if tl := (*tooLarge)(nil); errors.As(e.err, &tl) {
					rd.cdFail(ownerByName(f.Name), at, pipeline.CodeRecordTooLarge, tl.issue("customData", f.Name).Message)
					continue
				}
				if single {
					rd.cdFail(ownerByName(f.Name), at, pipeline.CodeParseError, fmt.Sprintf("customData file %s: %v", f.Name, e.err))
					continue
				}
				if err := rd.emit(pipeline.RawRecord{Pos: pos, Err: fmt.Errorf("customData: %w", e.err)}); err != nil {
					return err
				}
				continue
			}
			id, account := customDataOwner(e.obj, f.Name, single)
			if !account {
				continue // the custom data of a tenant, application, directory, group or organization
			}
			if id == "" {
				err := fmt.Errorf(`customData: element %d names no account (no "href" …/accounts/<id>/customData)`, e.index)
				if err := rd.emit(pipeline.RawRecord{Pos: pos, Err: err}); err != nil {
					return err
				}
				continue
			}
			if p, ok := rd.cd.bad[id]; ok {
				p.msg += "; also in " + cdName(pos)
				continue
			}
			if prev, dup := rd.cd.at[id]; dup {
				rd.cdFail(id, prev, pipeline.CodeParseError, fmt.Sprintf("account %s has two customData resources: %s and %s", id, cdName(rd.cdPos(prev)), cdName(pos)))
				continue
			}
			rd.cd.at[strings.Clone(id)] = cdPlace{fi, e.index, e.line} // not the file's bytes
		}
	}
	return nil
}

// cdFail records why account id's custom data cannot be joined (at: the first file involved;
// code: the first problem's).
func (rd *reader) cdFail(id string, at cdPlace, code, msg string) {
	if p, ok := rd.cd.bad[id]; ok {
		p.msg += "; " + msg
		return
	}
	delete(rd.cd.at, id)
	rd.cd.bad[strings.Clone(id)] = &cdProblem{at: at, code: code, msg: msg}
}

// cdPos is the position of a customData resource.
func (rd *reader) cdPos(at cdPlace) pipeline.Position {
	return pipeline.Position{File: rd.src.customData[at.file].Name, Index: at.index, Line: at.line}
}

// cdName names a customData resource in messages: its file, with #index in a collection.
func cdName(pos pipeline.Position) string {
	if pos.Line == 0 && pos.Index > 0 {
		return pos.String()
	}
	return pos.File
}

// cdDrop forgets account id's custom data: the account file could not be read, and its reject
// stands for the account as a whole.
func (rd *reader) cdDrop(id string) {
	delete(rd.cd.at, id)
	delete(rd.cd.bad, id)
}

// customDataOwner is the account a customData resource belongs to: the id in its href
// (…/accounts/<id>/customData; account false for another resource type), or, without an href,
// the account its file name designates when the file holds only this resource ("" otherwise).
func customDataOwner(obj map[string]any, file string, single bool) (id string, account bool) {
	if typ, owner := customDataParent(str(obj["href"])); typ != "" {
		return owner, typ == "accounts"
	}
	if single {
		return ownerByName(file), true
	}
	return "", true
}

// customDataParent splits a customData href …/<type>/<id>/customData ("", "" when it is not one).
func customDataParent(href string) (typ, id string) {
	href = strings.TrimRight(stripQuery(strings.TrimSpace(href)), "/")
	i := strings.LastIndexByte(href, '/')
	if i < 0 || !strings.EqualFold(href[i+1:], "customData") {
		return "", ""
	}
	parts := strings.Split(href[:i], "/")
	if len(parts) < 2 || parts[len(parts)-1] == "" || parts[len(parts)-2] == "" {
		return "", ""
	}
	return parts[len(parts)-2], parts[len(parts)-1]
}

// ownerByName is the account a customData file designates by its name: <id>.json, or the folder
// of a file named customData.json.
func ownerByName(file string) string {
	id := fileID(file)
	if strings.EqualFold(id, "customData") {
		return filepath.Base(filepath.Dir(file))
	}
	return id
}

// joinCustomData adds account acc's customData resource, if the export has one apart, to its
// "customData" object: the resource's fields win over embedded ones of the same name. It returns
// the issues that reject the account: a customData file that cannot be used, or the resource's
// own invalid text or numbers. The error is an I/O error that stops the run.
func (rd *reader) joinCustomData(acc map[string]any) ([]pipeline.Issue, error) {
	id := idOf(acc)
	if id == "" {
		return nil, nil
	}
	if p, ok := rd.cd.bad[id]; ok {
		delete(rd.cd.bad, id)
		return []pipeline.Issue{{Code: p.code, Field: "customData", Message: p.msg}}, nil
	}
	at, ok := rd.cd.at[id]
	if !ok {
		return nil, nil
	}
	delete(rd.cd.at, id)
	elems, err := rd.cdElems(at.file)
	if err != nil {
		return nil, err
	}
	f := rd.src.customData[at.file]
	pos := rd.cdPos(at)
	var e element
	if at.index >= 1 && at.index <= len(elems) {
		e = elems[at.index-1]
		elems[at.index-1].obj = nil // joined once; let it go with the account
	}
	if owner, _ := customDataOwner(orEmpty(e.obj), f.Name, at.line > 0); e.obj == nil || owner != id {
		return []pipeline.Issue{{Code: pipeline.CodeParseError, Field: "customData",
			Message: fmt.Sprintf("customData file %s changed while it was read", cdName(pos))}}, nil
	}
	merged := map[string]any{}
	switch have := acc["customData"].(type) {
	case map[string]any:
		for k, v := range have {
			merged[k] = v
		}
	case nil:
	default:
		return []pipeline.Issue{{Code: pipeline.CodeInvalidType, Field: "customData",
			Message: fmt.Sprintf("customData is a JSON %s in the account and an object in %s", pipeline.JSONType(have), cdName(pos))}}, nil
	}
	for k, v := range e.obj {
		merged[k] = v
	}
	acc["customData"] = merged
	issues := make([]pipeline.Issue, 0, len(e.issues))
	for _, is := range e.issues {
		is.Field = "customData." + is.Field
		if is.Code == pipeline.CodeInvalidEncoding {
			is.Message = is.Field + " is not valid UTF-8 text (" + cdName(pos) + ")"
		}
		issues = append(issues, is)
	}
	return issues, nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// cdElems reads customData file fi again (not counted), keeping the last one read.
func (rd *reader) cdElems(fi int) ([]element, error) {
	if rd.cd.cacheFile == fi {
		return rd.cd.cacheElems, nil
	}
	rd.cd.cacheFile, rd.cd.cacheElems = -1, nil
	elems, err := readFile(rd.src.customData[fi], nil, rd.src.max)
	if err != nil {
		return nil, fmt.Errorf("stormpath source: %w", err)
	}
	rd.cd.cacheFile, rd.cd.cacheElems = fi, elems
	return elems, nil
}

// emitOrphanCustomData emits, after the accounts, a parse_error record for each account
// customData resource that was not joined (no account read has its id) and each customData file
// that could not be used and designates no account read, in file order: custom data is never
// dropped silently. A customData file larger than the record limit that designates no account
// read is a record flagged record_too_large instead.
func (rd *reader) emitOrphanCustomData(ctx context.Context) error {
	type orphan struct {
		at   cdPlace
		code string // parse_error (framed with Err) or record_too_large (flagged)
		err  error
	}
	var out []orphan
	for id, at := range rd.cd.at {
		out = append(out, orphan{at, pipeline.CodeParseError, fmt.Errorf("customData of account %s, which is not in the export: not imported", id)})
	}
	for id, p := range rd.cd.bad {
		out = append(out, orphan{p.at, p.code, fmt.Errorf("%s (no account %s in the export)", p.msg, id)})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].at, out[j].at
		if a.file != b.file {
			return a.file < b.file
		}
		if a.index != b.index {
			return a.index < b.index
		}
		return out[i].err.Error() < out[j].err.Error()
	})
	rd.cd.at, rd.cd.bad, rd.cd.cacheElems = nil, nil, nil
	for _, o := range out {
		if err := ctx.Err(); err != nil {
			return err
		}
		raw := pipeline.RawRecord{Pos: rd.cdPos(o.at), Err: o.err}
		if o.code == pipeline.CodeRecordTooLarge {
			raw = pipeline.RawRecord{Pos: raw.Pos, Aux: []pipeline.Issue{{Code: o.code, Message: o.err.Error()}}}
		}
		if err := rd.emit(raw); err != nil {
			return err
		}
	}
	return nil
}
