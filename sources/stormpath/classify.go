package stormpath

import (
	"path/filepath"
	"strings"
)

// kind is what a file holds, decided by the folder it sits in.
type kind int

const (
	kindNone       kind = iota // no known folder: ignored under a folder input, an account when named
	kindAccount                // accounts/
	kindDirectory              // directories/
	kindProvider               // providers/
	kindGroup                  // groups/
	kindMembership             // groupMemberships/
	kindLink                   // accountLinks/
	kindCustomData             // customData/ (one customData resource per file), or a file named customData.json
	kindIgnored                // apiKeys/ (secrets, never opened) and resources users do not need
)

// folderKinds maps the lower-cased names of export folders to what their files hold.
var folderKinds = map[string]kind{
	"accounts":                         kindAccount,
	"directories":                      kindDirectory,
	"providers":                        kindProvider,
	"groups":                           kindGroup,
	"groupmemberships":                 kindMembership,
	"accountlinks":                     kindLink,
	"customdata":                       kindCustomData,
	"apikeys":                          kindIgnored,
	"applications":                     kindIgnored,
	"organizations":                    kindIgnored,
	"accountstoremappings":             kindIgnored,
	"organizationaccountstoremappings": kindIgnored,
	"passwordpolicies":                 kindIgnored,
	"userinfomappingrules":             kindIgnored,
}

// folderChain lists the folders that hold name, from the input folder (named base) down to the
// file's own folder. Folders above the input are not considered.
func folderChain(base, input, name string) []string {
	chain := []string{base}
	rel, err := filepath.Rel(input, name)
	if err != nil {
		return chain
	}
	dir := filepath.Dir(rel)
	if dir == "." {
		return chain
	}
	return append(chain, strings.Split(filepath.ToSlash(dir), "/")...)
}

// classify decides a file's kind by the nearest folder of chain (outermost first) whose name is a
// known export folder. For an account nested below accounts/, hint is the folder directly under
// accounts/ (the directory id in Layout B's accounts/<directoryId>/<accountId>.json).
func classify(chain []string) (k kind, hint string) {
	for i := len(chain) - 1; i >= 0; i-- {
		if fk, ok := folderKinds[strings.ToLower(chain[i])]; ok {
			if fk == kindAccount && i+1 < len(chain) {
				hint = chain[i+1]
			}
			return fk, hint
		}
	}
	return kindNone, ""
}

// classifyNamed decides the kind of a file named directly as an input: by its folders like
// classify, and an account when none is known (except a tenant's meta.json).
func classifyNamed(name string) (kind, string) {
	if name == "-" {
		return kindAccount, ""
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		abs = name
	}
	dir := filepath.ToSlash(filepath.Dir(abs))
	k, hint := classify(strings.Split(dir, "/"))
	if k == kindNone {
		if strings.EqualFold(filepath.Base(name), "meta.json") {
			return kindIgnored, ""
		}
		return kindAccount, ""
	}
	return k, hint
}
