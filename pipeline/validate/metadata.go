package validate

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/usher-migrate/usher/pipeline"
)

// ReservedAppMetadataKeys are the 18 top-level app_metadata keys Auth0 refuses on import.
var ReservedAppMetadataKeys = []string{
	"__tenant", "_id", "blocked", "clientID", "created_at", "email_verified", "email",
	"globalClientID", "global_client_id", "identities", "lastIP", "lastLogin", "loginsCount",
	"metadata", "multifactor_last_modified", "multifactor", "updated_at", "user_id",
}

func isReservedAppMetadataKey(k string) bool {
	switch k {
	case "__tenant", "_id", "blocked", "clientID", "created_at", "email_verified", "email",
		"globalClientID", "global_client_id", "identities", "lastIP", "lastLogin", "loginsCount",
		"metadata", "multifactor_last_modified", "multifactor", "updated_at", "user_id":
		return true
	}
	return false
}

// metadata checks app_metadata (app true) or user_metadata: an object whose keys, at every depth
// (objects nested in objects and in arrays), contain neither '.' nor '$'; for app_metadata the
// top-level keys must not be reserved ones. Issues found here are sorted by field path, as map
// order is random. The walk also measures the value's JSON encoding (added to c.size), so the
// metadata, usually most of a profile, is traversed once.
func (c *checker) metadata(field string, v any, app bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.size += encodedSize(v)
		c.typeErr(pipeline.CodeInvalidType, field, "object", v)
		return
	}
	start := len(c.errs)
	var buf [128]byte
	path := append(buf[:0], field...)
	size := containerSize(len(m))
	for k, val := range m {
		if app && isReservedAppMetadataKey(k) {
			c.add(pipeline.CodeReservedMetadata, field+"."+k, quote(k)+
				" is a reserved app_metadata key; Auth0 rejects users whose app_metadata has it"+
				" (move it under a namespace)")
		}
		size += c.metaEntry(path, k, val)
	}
	c.size += size
	if len(c.errs)-start > 1 {
		slices.SortFunc(c.errs[start:], func(a, b pipeline.Issue) int {
			return cmp.Or(strings.Compare(a.Field, b.Field), strings.Compare(a.Code, b.Code))
		})
	}
}

// metaEntry checks one key of a metadata object at path (the object's path), descends into its
// value and returns the member's encoded size.
func (c *checker) metaEntry(path []byte, k string, val any) int {
	size, bad := keySize(k)
	if bad {
		what := "\".\""
		switch {
		case strings.IndexByte(k, '.') >= 0 && strings.IndexByte(k, '$') >= 0:
			what = "\".\" and \"$\""
		case strings.IndexByte(k, '$') >= 0:
			what = "\"$\""
		}
		c.add(pipeline.CodeInvalidMetadata, string(path)+"."+k, "metadata key "+quote(k)+" contains "+what+
			"; Auth0 metadata key names must not contain \".\" or \"$\"")
	}
	size++ // the colon
	switch x := val.(type) {
	case map[string]any:
		return size + c.metaWalk(append(append(path, '.'), k...), x)
	case []any:
		return size + c.metaArray(append(append(path, '.'), k...), x)
	}
	return size + encodedSize(val)
}

func (c *checker) metaWalk(path []byte, m map[string]any) int {
	size := containerSize(len(m))
	for k, val := range m {
		size += c.metaEntry(path, k, val)
	}
	return size
}

func (c *checker) metaArray(path []byte, a []any) int {
	size := containerSize(len(a))
	for i, el := range a {
		switch x := el.(type) {
		case map[string]any:
			size += c.metaWalk(indexPath(path, i), x)
		case []any:
			size += c.metaArray(indexPath(path, i), x)
		default:
			size += encodedSize(el)
		}
	}
	return size
}

// indexPath appends "[i]" to path.
func indexPath(path []byte, i int) []byte {
	return append(strconv.AppendInt(append(path, '['), int64(i), 10), ']')
}
