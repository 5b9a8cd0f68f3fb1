package stormpath

import (
	"sort"
	"strings"
	"time"

	"github.com/usher-migrate/usher/pipeline"
)

// prepare turns one exported account into the record shape Read documents (secrets removed, id,
// directory and groups resolved), in place, and returns it with its id. dirHint is the folder the
// file is nested in under accounts/ ("" when flat).
func (r *relations) prepare(acc map[string]any, dirHint string) (map[string]any, string) {
	stripSecrets(acc)
	id := idOf(acc)
	if id != "" && str(acc["id"]) == "" {
		acc["id"] = id
	}
	switch d := acc["directory"].(type) {
	case map[string]any:
		acc["directory"] = r.directory(d)
	case nil:
		if _, ok := r.dirs[dirHint]; ok && dirHint != "" {
			acc["directory"] = r.directory(map[string]any{"id": dirHint})
		}
	}
	var groups []any
	switch g := acc["groups"].(type) {
	case []any:
		groups = g
	case map[string]any: // a collection page, or only a link {"href": …/groups}
		groups, _ = g["items"].([]any)
	}
	for _, gid := range r.members[id] {
		groups = append(groups, map[string]any{"id": gid})
	}
	r.setGroups(acc, groups)
	dropLinks(acc)
	return acc, id
}

// isLink reports whether v is a link-only object, {"href": "…"}: a resource the export did not
// expand (the 2017 export writes an account's tenant, applications, groupMemberships, apiKeys,
// accessTokens, refreshTokens, linkedAccounts, accountLinks, phones, factors, providerData and
// customData this way; stormpath-documentation source/reference.rst, Account Example). It holds
// no data of the account.
func isLink(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	_, ok = m["href"].(string)
	return ok
}

// dropLinks removes link-only objects from an account at any depth, as object members and as
// array elements, so they never reach app_metadata. Inside "customData", the owner's own data,
// nothing is removed; a customData that is itself only a link (its resource not in the export)
// is removed.
func dropLinks(acc map[string]any) {
	for k, v := range acc {
		switch {
		case isLink(v):
			delete(acc, k)
		case k != "customData":
			acc[k] = withoutLinks(v)
		}
	}
}

func withoutLinks(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if isLink(x) {
				delete(t, k)
			} else {
				t[k] = withoutLinks(x)
			}
		}
	case []any:
		n := 0
		for _, x := range t {
			if !isLink(x) {
				n++
			}
		}
		out := t
		if n < len(t) {
			out = make([]any, 0, n)
		}
		for i, x := range t {
			if isLink(x) {
				continue
			}
			if n < len(t) {
				out = append(out, withoutLinks(x))
			} else {
				out[i] = withoutLinks(x)
			}
		}
		return out
	}
	return v
}

// stripSecrets removes API keys (at any depth: Layout A embeds them with plaintext secrets), the
// email verification token and OAuth tokens kept with social provider data.
func stripSecrets(acc map[string]any) {
	delete(acc, "emailVerificationToken")
	if pd, ok := acc["providerData"].(map[string]any); ok {
		delete(pd, "accessToken")
		delete(pd, "refreshToken")
	}
	dropKey(acc, "apiKeys")
}

func dropKey(v any, key string) {
	switch v := v.(type) {
	case map[string]any:
		delete(v, key)
		for _, x := range v {
			dropKey(x, key)
		}
	case []any:
		for _, x := range v {
			dropKey(x, key)
		}
	}
}

// directory completes an embedded directory object from the directories/ relation and reduces its
// provider to {providerId} (providers may hold OAuth client secrets).
func (r *relations) directory(d map[string]any) map[string]any {
	id := idOf(d)
	out := make(map[string]any, len(d)+4)
	for k, v := range d {
		if k != "provider" {
			out[k] = v
		}
	}
	if id != "" && str(out["id"]) == "" {
		out["id"] = id
	}
	if rel, ok := r.dirs[id]; ok && id != "" {
		for k, v := range rel {
			if out[k] == nil {
				out[k] = v
			}
		}
	}
	if ref := provRefOf(d["provider"]); ref != (provRef{}) {
		if pid := r.providerID(id, ref); pid != "" {
			out["provider"] = map[string]any{"providerId": pid}
		}
	}
	return out
}

// setGroups stores entries as acc["groups"]: each reduced to {id, name, description, status, href}
// and completed from the groups/ relation, deduplicated by id, sorted by name then id; the key is
// removed when no group is left.
func (r *relations) setGroups(acc map[string]any, entries []any) {
	byKey := map[string]map[string]any{}
	var keys []string
	for _, e := range entries {
		var g map[string]any
		switch e := e.(type) {
		case map[string]any:
			g = pick(e, groupFields, idOf(e))
		case string:
			g = map[string]any{"id": lastSegment(e)}
		default:
			continue
		}
		id := str(g["id"])
		if rel, ok := r.groups[id]; ok && id != "" {
			for k, v := range rel {
				if g[k] == nil {
					g[k] = v
				}
			}
		}
		key := id
		if key == "" {
			if name := str(g["name"]); name != "" {
				key = "\x00name:" + name
			} else {
				continue
			}
		}
		if have, ok := byKey[key]; ok {
			for k, v := range g {
				if have[k] == nil {
					have[k] = v
				}
			}
			continue
		}
		byKey[key] = g
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		delete(acc, "groups")
		return
	}
	list := make([]map[string]any, len(keys))
	for i, k := range keys {
		list[i] = byKey[k]
	}
	sort.SliceStable(list, func(i, j int) bool {
		ni, nj := str(list[i]["name"]), str(list[j]["name"])
		if ni != nj {
			return ni < nj
		}
		return str(list[i]["id"]) < str(list[j]["id"])
	})
	out := make([]any, len(list))
	for i, g := range list {
		out[i] = g
	}
	acc["groups"] = out
}

// member is one linked account, prepared, with the position it was read at.
type member struct {
	id     string
	at     loc
	obj    map[string]any
	issues []pipeline.Issue // reject the record the member ends in
}

// emailKey is the email used to decide which linked accounts merge: trimmed and case-folded; ""
// when the account has none (such an account is never merged).
func emailKey(acc map[string]any) string {
	return strings.ToLower(strings.TrimSpace(str(acc["email"])))
}

// noFill lists the top-level fields a merged record never takes from a folded-in account: they
// describe the primary account itself (a social account's externalId and providerData belong to
// that account, which mergedAccounts names), or are merged separately.
var noFill = map[string]bool{
	"id": true, "href": true, "directory": true, "password": true, "passwordModifiedAt": true,
	"externalId": true, "providerData": true, "createdAt": true, "modifiedAt": true, "status": true,
	"customData": true, "groups": true, "mergedAccounts": true, "linkedAccounts": true,
}

// byPriority orders linked accounts sharing an email: the ones with a password first, then the
// earliest createdAt (unparsable or missing last), then the first position.
func byPriority(ms []member) {
	created := func(m member) (time.Time, bool) {
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(str(m.obj["createdAt"])))
		return t, err == nil
	}
	sort.SliceStable(ms, func(i, j int) bool {
		pi, pj := str(ms[i].obj["password"]) != "", str(ms[j].obj["password"]) != ""
		if pi != pj {
			return pi
		}
		ti, oki := created(ms[i])
		tj, okj := created(ms[j])
		if oki != okj {
			return oki
		}
		if oki && !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return ms[i].at.less(ms[j].at)
	})
}

// merge folds linked accounts sharing an email into one record (see Read). ms must hold at least
// two members; it is reordered.
func (r *relations) merge(ms []member) map[string]any {
	byPriority(ms)
	out := ms[0].obj
	others := ms[1:]
	for _, m := range others {
		for k, v := range m.obj {
			if !noFill[k] && v != nil && out[k] == nil {
				out[k] = v
			}
		}
	}
	var cd map[string]any
	if pc, ok := out["customData"].(map[string]any); ok {
		cd = pc
	}
	for _, m := range others {
		oc, ok := m.obj["customData"].(map[string]any)
		if !ok {
			continue
		}
		if cd == nil {
			cd = make(map[string]any, len(oc))
		}
		for k, v := range oc {
			if cd[k] == nil && v != nil {
				cd[k] = v
			}
		}
	}
	if cd != nil {
		out["customData"] = cd
	}
	var groups []any
	for _, m := range ms {
		if g, ok := m.obj["groups"].([]any); ok {
			groups = append(groups, g...)
		}
	}
	r.setGroups(out, groups)
	folded := append([]member(nil), others...)
	sort.Slice(folded, func(i, j int) bool { return folded[i].at.less(folded[j].at) })
	list := make([]any, 0, len(folded))
	for _, m := range folded {
		e := map[string]any{"id": m.id}
		if h := str(m.obj["href"]); h != "" {
			e["href"] = h
		}
		if d, ok := m.obj["directory"].(map[string]any); ok {
			dir := map[string]any{}
			for _, k := range []string{"id", "name"} {
				if v, ok := d[k]; ok && v != nil {
					dir[k] = v
				}
			}
			if len(dir) > 0 {
				e["directory"] = dir
			}
		}
		list = append(list, e)
	}
	out["mergedAccounts"] = list
	return out
}
