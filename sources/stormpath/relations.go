package stormpath

import (
	"path/filepath"
	"strings"
)

// relations holds the small relation folders of an export, keyed by resource id. Ids are global in
// Stormpath, so several tenants share the tables.
type relations struct {
	dirs      map[string]map[string]any // id → {id, name, description, status, href[, provider]}
	dirProv   map[string]provRef        // id → the directory's provider reference
	providers map[string]string         // href, id, directory id or file name → providerId
	groups    map[string]map[string]any // id → {id, name, description, status, href}
	members   map[string][]string       // account id → group ids (groupMemberships)
	parent    map[string]string         // union-find over accountLinks; holds every linked id
}

// provRef is what a directory says about its provider: its providerId, or where to find it.
type provRef struct{ providerID, href, id string }

func newRelations() *relations {
	return &relations{
		dirs:      map[string]map[string]any{},
		dirProv:   map[string]provRef{},
		providers: map[string]string{},
		groups:    map[string]map[string]any{},
		members:   map[string][]string{},
		parent:    map[string]string{},
	}
}

// dirFields and groupFields are the only fields taken from directory and group resources:
// directories and their providers may hold OAuth client secrets.
var (
	dirFields   = []string{"id", "name", "description", "status", "href"}
	groupFields = []string{"id", "name", "description", "status", "href"}
)

// add files one relation resource of kind k read from file.
func (r *relations) add(k kind, file string, obj map[string]any) {
	switch k {
	case kindDirectory:
		id := idOf(obj)
		if id == "" {
			return
		}
		r.dirs[id] = pick(obj, dirFields, id)
		r.dirProv[id] = provRefOf(obj["provider"])
	case kindProvider:
		pid, _ := obj["providerId"].(string)
		if pid == "" {
			return
		}
		href, _ := obj["href"].(string)
		for _, key := range []string{href, str(obj["id"]), providerDirID(href), fileID(file)} {
			if key != "" {
				if _, dup := r.providers[key]; !dup {
					r.providers[key] = pid
				}
			}
		}
	case kindGroup:
		if id := idOf(obj); id != "" {
			r.groups[id] = pick(obj, groupFields, id)
		}
	case kindMembership:
		acc, grp := refID(obj["account"]), refID(obj["group"])
		if acc != "" && grp != "" { // copied: a decoded string would keep its file's bytes
			r.members[strings.Clone(acc)] = append(r.members[acc], strings.Clone(grp))
		}
	case kindLink:
		left, right := refID(obj["leftAccount"]), refID(obj["rightAccount"])
		if left != "" && right != "" && left != right {
			r.union(strings.Clone(left), strings.Clone(right))
		}
	}
}

// finish resolves directory providers once every relation file is loaded.
func (r *relations) finish() {
	for id, d := range r.dirs {
		if pid := r.providerID(id, r.dirProv[id]); pid != "" {
			d["provider"] = map[string]any{"providerId": pid}
		}
	}
	r.dirProv = nil
}

// providerID finds the providerId of directory dirID from its reference or the providers/ folder.
func (r *relations) providerID(dirID string, ref provRef) string {
	if ref.providerID != "" {
		return ref.providerID
	}
	for _, key := range []string{ref.href, ref.id, dirID} {
		if key == "" {
			continue
		}
		if pid, ok := r.providers[key]; ok {
			return pid
		}
	}
	return ""
}

// find returns the representative of id's link component (id itself when it is not linked).
func (r *relations) find(id string) string {
	root := id
	for {
		p, ok := r.parent[root]
		if !ok || p == root {
			break
		}
		root = p
	}
	for id != root { // path compression
		next := r.parent[id]
		r.parent[id] = root
		id = next
	}
	return root
}

func (r *relations) union(a, b string) {
	for _, id := range []string{a, b} {
		if _, ok := r.parent[id]; !ok {
			r.parent[id] = id
		}
	}
	ra, rb := r.find(a), r.find(b)
	if ra == rb {
		return
	}
	if rb < ra {
		ra, rb = rb, ra
	}
	r.parent[rb] = ra
}

// linked reports whether id appears in accountLinks.
func (r *relations) linked(id string) bool {
	_, ok := r.parent[id]
	return id != "" && ok
}

// pick copies the named fields of m that are present and not null, with id set.
func pick(m map[string]any, fields []string, id string) map[string]any {
	out := make(map[string]any, len(fields)+1)
	for _, f := range fields {
		if v, ok := m[f]; ok && v != nil {
			out[f] = v
		}
	}
	if str(out["id"]) == "" && id != "" {
		out["id"] = id
	}
	return out
}

// provRefOf reads a directory's "provider" value: an object with providerId, href or id.
func provRefOf(v any) provRef {
	m, ok := v.(map[string]any)
	if !ok {
		if s, ok := v.(string); ok {
			return provRef{href: s}
		}
		return provRef{}
	}
	return provRef{providerID: str(m["providerId"]), href: str(m["href"]), id: str(m["id"])}
}

// providerDirID extracts the directory id from a provider href …/directories/<id>/provider.
func providerDirID(href string) string {
	href = strings.TrimRight(stripQuery(href), "/")
	rest, ok := strings.CutSuffix(href, "/provider")
	if !ok {
		return ""
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 || !strings.HasSuffix(rest[:i], "/directories") {
		return ""
	}
	return rest[i+1:]
}

// fileID is a file's base name without .json and .gz (Layout B names files by resource id).
func fileID(name string) string {
	base := filepath.Base(name)
	lower := strings.ToLower(base)
	if strings.HasSuffix(lower, ".gz") {
		base, lower = base[:len(base)-3], lower[:len(lower)-3]
	}
	if strings.HasSuffix(lower, ".json") {
		base = base[:len(base)-5]
	}
	return base
}

// idOf is a resource's id: its "id" string, or the last path segment of its "href".
func idOf(m map[string]any) string {
	if id := str(m["id"]); id != "" {
		return id
	}
	return lastSegment(str(m["href"]))
}

// refID is the id of a reference: {"id":…}, {"href":…} or an href string.
func refID(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return idOf(v)
	case string:
		return lastSegment(v)
	}
	return ""
}

// lastSegment is the last non-empty path segment of an href, without query or fragment.
func lastSegment(href string) string {
	href = strings.TrimRight(stripQuery(strings.TrimSpace(href)), "/")
	if i := strings.LastIndexByte(href, '/'); i >= 0 {
		return href[i+1:]
	}
	return href
}

func stripQuery(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		return s[:i]
	}
	return s
}

// str returns v when it is a string, "" otherwise.
func str(v any) string {
	s, _ := v.(string)
	return s
}
