package mappings

import (
	"fmt"
	"sort"
	"strings"

	"github.com/usher-migrate/usher/pipeline"
)

// materialKeys are field names (folded: lower case, without spaces, '_' and '-') that hold
// password material: a hash, a salt or hash parameters. Whatever --unknown-fields or a rest rule
// says, such a field is never copied into user_metadata or app_metadata; a mapping's password
// rule is the only way it reaches Auth0.
var materialKeys = map[string]bool{}

func init() {
	for _, k := range []string{
		"passwordHash", "hashedPassword", "compoundHashedPassword", "passwordDigest", "encryptedPassword",
		"cryptedPassword", "pwdHash", "passHash", "passwordSalt", "salt", "passwordHashSalt", "secretData",
		"credentialData", "hashSettings", "passwordHashSettings", "hashAlgorithm", "passwordHashAlgorithm",
		"hashIterations", "passwordHashIterations", "userPassword", "passwordHashParams",
	} {
		materialKeys[fold(k)] = true
	}
}

// maxMaterialDepth bounds how deep stripMaterial looks into nested objects.
const maxMaterialDepth = 16

// stripMaterial removes every password-material field from m and from the objects nested in it,
// and returns their dotted paths, sorted.
func stripMaterial(m map[string]any) []string {
	var found []string
	var walk func(m map[string]any, prefix string, depth int)
	walk = func(m map[string]any, prefix string, depth int) {
		for k, v := range m {
			if materialKeys[fold(k)] {
				found = append(found, prefix+k)
				delete(m, k)
				continue
			}
			if sub, ok := v.(map[string]any); ok && depth < maxMaterialDepth {
				walk(sub, prefix+k+".", depth+1)
			}
		}
	}
	walk(m, "", 0)
	sort.Strings(found)
	return found
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
