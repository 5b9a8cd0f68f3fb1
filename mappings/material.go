package mappings

import (
	"fmt"
	"sort"
	"strings"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// materialKeys are field names (folded: lower case, without spaces, '_' and '-') that hold
// password material: a hash, a salt or hash parameters. Whatever --unknown-fields or a rest rule
// says, such a field is never copied into user_metadata or app_metadata; a mapping's password
// rule is the only way it reaches Auth0.
var materialKeys = map[string]bool{}

func init() {
	for _, k := range []string{
		"passwordHash", "hashedPassword", "compoundHashedPassword", "passwordDigest", "encryptedPassword",
		"cryptedPassword", "pwdHash", "pwHash", "passHash", "hash", "passwd", "pwd", "passwordSalt", "pwSalt", "salt",
		"passwordHashSalt", "secretData", "credentialData", "hashSettings", "passwordHashSettings", "hashAlgorithm",
		"passwordHashAlgorithm", "hashType", "hashFunction", "hashMethod", "hashIterations", "passwordHashIterations",
		"iterations", "hashRounds", "saltRounds", "userPassword", "passwordHashParams",
	} {
		materialKeys[fold(k)] = true
		materialFirst[k[0]|0x20] = true
	}
}

// materialFirst holds the first letters (lower case) of materialKeys: most field names are
// ruled out by it before they are folded.
var materialFirst [256]bool

// isMaterialKey reports whether a field name is one of materialKeys, without allocating.
func isMaterialKey(k string) bool {
	if len(k) < 3 || len(k) > 40 || !materialFirst[k[0]|0x20] {
		return false
	}
	var buf [40]byte
	b := buf[:0]
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == ' ' || c == '_' || c == '-' || c == '\t':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c >= 0x80:
			return false // no material name is outside ASCII
		}
		b = append(b, c)
	}
	return materialKeys[string(b)]
}

// isHashString reports whether a value is a self-identifying stored password (modular crypt,
// PHC, RFC 2307 …), whatever the field holding it is called.
func isHashString(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < 13 || (s[0] != '$' && s[0] != '{') {
		return false
	}
	_, err := legacy.Parse(s)
	return err == nil
}

// maxMaterialDepth bounds how deep stripMaterial looks into nested objects and arrays.
const maxMaterialDepth = 16

// stripMaterial removes every password-material field (by name, or holding a self-identifying
// hash) from m and from the objects nested in it, arrays included, and returns their dotted
// paths, sorted. It allocates only for what it finds.
func stripMaterial(m map[string]any) []string {
	var found []string
	var path []pathStep // the way down to the value being looked at
	var walk func(v any)
	walkObj := func(m map[string]any) {
		for k, v := range m {
			if isMaterialKey(k) || isHashString(v) {
				found = append(found, joinPath(append(path, pathStep{key: k, idx: -1})))
				delete(m, k)
				continue
			}
			path = append(path, pathStep{key: k, idx: -1})
			walk(v)
			path = path[:len(path)-1]
		}
	}
	walk = func(v any) {
		if len(path) > maxMaterialDepth {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			walkObj(x)
		case []any:
			for i, e := range x {
				switch e.(type) {
				case string, map[string]any, []any:
				default:
					continue
				}
				path = append(path, pathStep{idx: i})
				if isHashString(e) {
					found = append(found, joinPath(path))
					x[i] = nil
				} else {
					walk(e)
				}
				path = path[:len(path)-1]
			}
		}
	}
	walkObj(m)
	sort.Strings(found)
	return found
}

// pathStep is an object key (idx -1) or an array index.
type pathStep struct {
	key string
	idx int
}

func joinPath(steps []pathStep) string {
	var b strings.Builder
	for i, s := range steps {
		switch {
		case s.idx >= 0:
			fmt.Fprintf(&b, "[%d]", s.idx)
		case i > 0:
			b.WriteString("." + s.key)
		default:
			b.WriteString(s.key)
		}
	}
	return b.String()
}

// stripMetadataMaterial removes password material from a user's user_metadata and app_metadata
// and returns its paths there ("user_metadata.x.salt").
func stripMetadataMaterial(user map[string]any) []string {
	var found []string
	for _, meta := range []string{"user_metadata", "app_metadata"} {
		if m, ok := user[meta].(map[string]any); ok {
			for _, p := range stripMaterial(m) {
				found = append(found, meta+"."+p)
			}
		}
	}
	return found
}

// materialIssue rejects a record whose password material usher cannot read: importing the user
// without a password would silently lose it.
func materialIssue(paths []string) pipeline.Issue {
	return pipeline.Issue{Code: pipeline.CodeUnsupportedHash, Field: paths[0],
		Message: fmt.Sprintf("%s hold%s password material (a hash, a salt or hash parameters) that no password rule reads; "+
			"it is never copied into metadata: declare it with --source-opt password-format=NAME or a mapping's password rule",
			strings.Join(paths, ", "), map[bool]string{true: "s", false: ""}[len(paths) == 1])}
}
