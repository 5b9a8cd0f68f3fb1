package stormpath

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/usher-migrate/usher/pipeline"
)

// loc is where an account was read: the account file's rank in Read's order and the element's
// 1-based index in that file.
type loc struct{ file, index int }

func (a loc) less(b loc) bool {
	if a.file != b.file {
		return a.file < b.file
	}
	return a.index < b.index
}

// reader is the state of one Read call.
type reader struct {
	src  *Source
	emit func(pipeline.RawRecord) error
	rel  *relations
	cd   *customData

	// Linked accounts: where each linked id was found (its first position), the members of each
	// link component, which components are planned, and the outcome of planned positions: the
	// encoded record to emit there, or nothing.
	index   map[string]loc
	comps   map[string][]string
	planned map[string]bool
	pending map[loc]plannedRec
	skip    map[loc]bool
}

// plannedRec is the record a planned position emits: its encoded account and the issues that
// reject it (none when it is clean).
type plannedRec struct {
	data   []byte
	issues []pipeline.Issue
}

func newReader(s *Source, emit func(pipeline.RawRecord) error) *reader {
	return &reader{
		src: s, emit: emit, rel: newRelations(), cd: newCustomData(),
		index: map[string]loc{}, comps: map[string][]string{}, planned: map[string]bool{},
		pending: map[loc]plannedRec{}, skip: map[loc]bool{},
	}
}

// loadRelations reads the relation files in order, emitting a parse_error record for each file or
// element that cannot be parsed.
func (rd *reader) loadRelations(ctx context.Context) error {
	for _, f := range rd.src.relations {
		if err := ctx.Err(); err != nil {
			return err
		}
		elems, err := readFile(f.File, &rd.src.read, maxFile)
		if err != nil {
			return fmt.Errorf("stormpath source: %w", err)
		}
		for _, e := range elems {
			if e.err != nil {
				var tl *tooLarge
				if errors.As(e.err, &tl) {
					e.err = fmt.Errorf("file larger than %d MiB", maxFile>>20) // not a record: --max-record-bytes does not apply
				}
				err := rd.emit(pipeline.RawRecord{Pos: e.pos(f.Name),
					Err: fmt.Errorf("%s relation: %w", kindName(f.kind), e.err)})
				if err != nil {
					return err
				}
				continue
			}
			rd.rel.add(f.kind, f.Name, e.obj)
		}
	}
	rd.rel.finish()
	for id := range rd.rel.parent {
		root := rd.rel.find(id)
		rd.comps[root] = append(rd.comps[root], id)
	}
	for _, ids := range rd.comps {
		sort.Strings(ids)
	}
	return nil
}

func kindName(k kind) string {
	switch k {
	case kindDirectory:
		return "directories"
	case kindProvider:
		return "providers"
	case kindGroup:
		return "groups"
	case kindMembership:
		return "groupMemberships"
	case kindLink:
		return "accountLinks"
	}
	return "unknown"
}

// buildIndex finds where every linked account is, without keeping any account: first in the files
// named after the ids (Layout B names files <id>.json), then, for ids still missing, by scanning
// the other account files. Files are re-read uncounted; content errors are left to the main pass.
func (rd *reader) buildIndex(ctx context.Context) error {
	if len(rd.rel.parent) == 0 {
		return nil
	}
	files := rd.src.accounts
	byName := map[string][]int{}
	for i, f := range files {
		if f.Name != "-" {
			byName[fileID(f.Name)] = append(byName[fileID(f.Name)], i)
		}
	}
	scanned := map[int]bool{}
	scan := func(i int) error {
		scanned[i] = true
		if err := ctx.Err(); err != nil {
			return err
		}
		elems, err := readFile(files[i].File, nil, rd.src.max)
		if err != nil {
			return fmt.Errorf("stormpath source: %w", err)
		}
		for _, e := range elems {
			if e.obj == nil {
				continue
			}
			id := idOf(e.obj)
			if !rd.rel.linked(id) {
				continue
			}
			at := loc{i, e.index}
			if old, ok := rd.index[id]; !ok || at.less(old) {
				rd.index[strings.Clone(id)] = at // a decoded string would keep the file's bytes
			}
		}
		return nil
	}
	ids := make([]string, 0, len(rd.rel.parent))
	for id := range rd.rel.parent {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for _, i := range byName[id] {
			if !scanned[i] {
				if err := scan(i); err != nil {
					return err
				}
			}
		}
	}
	for _, id := range ids {
		if _, ok := rd.index[id]; ok {
			continue
		}
		for i, f := range files { // some linked account is not in <id>.json: look everywhere
			if !scanned[i] && f.Name != "-" {
				if err := scan(i); err != nil {
					return err
				}
			}
		}
		break
	}
	return nil
}

// streamAccounts emits the account records in order.
func (rd *reader) streamAccounts(ctx context.Context) error {
	for fi, f := range rd.src.accounts {
		if err := ctx.Err(); err != nil {
			return err
		}
		elems, err := readFile(f.File, &rd.src.read, rd.src.max)
		if err != nil {
			return fmt.Errorf("stormpath source: %w", err)
		}
		for ei, e := range elems {
			pos := e.pos(f.Name)
			if e.err != nil {
				if len(elems) == 1 && e.line > 0 && f.Name != "-" {
					rd.cdDrop(fileID(f.Name)) // the unreadable account's reject stands for its custom data
				}
				raw := pipeline.RawRecord{Pos: pos, Err: e.err}
				if tl := (*tooLarge)(nil); errors.As(e.err, &tl) {
					// Skipped unread: framed without error, flagged record_too_large by Decode.
					raw = pipeline.RawRecord{Pos: pos, Aux: []pipeline.Issue{tl.issue("account", f.Name)}}
				}
				if err := rd.emit(raw); err != nil {
					return err
				}
				continue
			}
			at := loc{fi, e.index}
			if id := idOf(e.obj); rd.rel.linked(id) && rd.index[id] == at {
				root := rd.rel.find(id)
				if !rd.planned[root] {
					rd.planned[root] = true
					if err := rd.plan(ctx, root, fi, elems); err != nil {
						return err
					}
				}
				if p, ok := rd.pending[at]; ok {
					delete(rd.pending, at)
					if err := rd.emitData(pos, p.data, p.issues); err != nil {
						return err
					}
					continue
				}
				if rd.skip[at] {
					delete(rd.skip, at)
					continue
				}
			}
			obj, issues, err := rd.prepare(e, f.dirHint)
			if err != nil {
				return err
			}
			elems[ei].obj = nil // let the account go
			data, err := pipeline.Marshal(obj)
			if err != nil {
				if err := rd.emit(pipeline.RawRecord{Pos: pos, Err: fmt.Errorf("cannot encode account: %w", err)}); err != nil {
					return err
				}
				continue
			}
			if err := rd.emitData(pos, data, issues); err != nil {
				return err
			}
		}
	}
	return nil
}

// prepare readies one account element for its record: its customData resource joined, secrets
// removed, relations resolved, link-only objects dropped (relations.prepare). The issues reject
// the account: the element's own and those of its custom data.
func (rd *reader) prepare(e element, dirHint string) (map[string]any, []pipeline.Issue, error) {
	cdIssues, err := rd.joinCustomData(e.obj)
	if err != nil {
		return nil, nil, err
	}
	obj, _ := rd.rel.prepare(e.obj, dirHint)
	var issues []pipeline.Issue
	if len(e.issues)+len(cdIssues) > 0 {
		issues = append(append(issues, e.issues...), cdIssues...)
	}
	return obj, issues, nil
}

// emitData emits an encoded account at pos; with issues it is rejected with them (Decode flags
// it) and shown redacted. A record larger than the record limit once joined (its customData,
// directory and groups added, linked accounts merged) is emitted without its data, flagged
// record_too_large.
func (rd *reader) emitData(pos pipeline.Position, data []byte, issues []pipeline.Issue) error {
	if len(data) > rd.src.max {
		iss := pipeline.Issue{Code: pipeline.CodeRecordTooLarge, Message: fmt.Sprintf("the account is %d bytes once its customData, "+
			"directory, groups and linked accounts are joined, more than the %d a record may have (--max-record-bytes)", len(data), rd.src.max)}
		return rd.emit(pipeline.RawRecord{Pos: pos, Aux: []pipeline.Issue{iss}})
	}
	if len(issues) > 0 {
		return rd.emit(pipeline.RawRecord{Pos: pos, Data: data, Aux: issues})
	}
	return rd.emit(pipeline.RawRecord{Pos: pos, Data: data})
}

// plan loads every located member of link component root (the current file's elements are
// reused), merges members sharing an email and records what each member's position emits. It runs
// when the component's first position is reached, so every merged record's position is still
// ahead or current.
func (rd *reader) plan(ctx context.Context, root string, curFile int, curElems []element) error {
	byFile := map[int][]string{}
	for _, id := range rd.comps[root] {
		if at, ok := rd.index[id]; ok {
			byFile[at.file] = append(byFile[at.file], id)
		}
	}
	fileIdx := make([]int, 0, len(byFile))
	for fi := range byFile {
		fileIdx = append(fileIdx, fi)
	}
	sort.Ints(fileIdx)
	var ms []member
	for _, fi := range fileIdx {
		elems := curElems
		if fi != curFile {
			if err := ctx.Err(); err != nil {
				return err
			}
			var err error
			if elems, err = readFile(rd.src.accounts[fi].File, nil, rd.src.max); err != nil {
				return fmt.Errorf("stormpath source: %w", err)
			}
		}
		for _, id := range byFile[fi] {
			at := rd.index[id]
			if at.index < 1 || at.index > len(elems) {
				continue
			}
			e := elems[at.index-1]
			if e.obj == nil || idOf(e.obj) != id {
				continue // the file changed since the index was built: read it as unlinked
			}
			obj, issues, err := rd.prepare(e, rd.src.accounts[fi].dirHint)
			if err != nil {
				return err
			}
			ms = append(ms, member{id: id, at: at, obj: obj, issues: issues})
		}
	}
	byEmail := map[string][]member{}
	var order []string
	for _, m := range ms {
		key := emailKey(m.obj)
		if key == "" {
			key = "\x00id:" + m.id // no email: never merged
		}
		if _, ok := byEmail[key]; !ok {
			order = append(order, key)
		}
		byEmail[key] = append(byEmail[key], m)
	}
	for _, key := range order {
		group := byEmail[key]
		first := group[0].at
		in := map[string]bool{}
		for _, m := range group {
			in[m.id] = true
			if m.at.less(first) {
				first = m.at
			}
		}
		var issues []pipeline.Issue
		for _, m := range group {
			issues = append(issues, m.issues...)
		}
		var rec map[string]any
		if len(group) == 1 {
			rec = group[0].obj
		} else {
			rec = rd.rel.merge(group)
		}
		var linked []any
		for _, id := range rd.comps[root] {
			if !in[id] {
				linked = append(linked, id)
			}
		}
		if len(linked) > 0 {
			rec["linkedAccounts"] = linked
		}
		data, err := pipeline.Marshal(rec)
		if err != nil {
			return fmt.Errorf("stormpath source: cannot encode account %s: %w", group[0].id, err)
		}
		for _, m := range group {
			if m.at != first {
				rd.skip[m.at] = true
			}
		}
		rd.pending[first] = plannedRec{data: data, issues: issues}
	}
	return nil
}
