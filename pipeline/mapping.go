package pipeline

import (
	"sort"
	"strings"
)

// Mapped is a record after the mapping stage: the candidate Auth0 import object plus any
// password material the hash stage must still turn into Auth0's form.
type Mapped struct {
	// User is the Auth0 bulk-import object being built (keys of the import schema only, unless the
	// validator is to reject them).
	User map[string]any
	// Plaintext is a clear-text password taken from the source (a CSV "password" column); the hash
	// stage replaces it with a bcrypt password_hash. Empty when there is none.
	Plaintext string
	// Format, when not empty, names the source password format the mapping translated (for
	// example "gigya_pbkdf2"); it is what report.json counts instead of the Auth0 algorithm.
	Format string
	// Unimportable, when not empty, says why the source password cannot be imported into Auth0;
	// the user is then routed by --unimportable and Legacy holds the material.
	Unimportable string
	// Legacy is source password material Auth0 cannot import, kept in the user's lazy record
	// (under LegacyPasswordKey) so the lazy-migration hook can verify it; never imported.
	Legacy map[string]any
	// SocialOnly marks a user who signs in only through social or enterprise identities (an
	// Auth0 export's google-oauth2|… user, a Gigya account whose only logins are social): with
	// no password, importing them into a database connection would give them a second account at
	// their next social login, so they are routed by --social-only instead of --passwordless.
	// Providers lists those identities' providers, for the reject message.
	SocialOnly bool
	Providers  []string
	// Optional names the top-level fields of User the mapping lets go when Auth0 would refuse
	// their value (an Okta login that is an e-mail address or too long for a username), each
	// with the path of User that keeps the value too ("" when none): the runner then leaves the
	// field out and counts a warning instead of rejecting the user (LeaveOut). Shared between
	// records: read-only.
	Optional map[string]string
}

// LeaveOut removes from User each optional field (see Optional) that an issue of errs names,
// and returns one warning per field removed, with a message that says the field was left out,
// why, and where its value is kept. Its code is that of the field's first issue about the value
// itself rather than its length (an e-mail address as username is invalid_username, whatever its
// length), else of its first issue. It returns nil when errs name no optional field. The caller
// validates User again: errs about other fields still reject it.
func (n *Mapped) LeaveOut(errs []Issue) []Issue {
	var warnings []Issue
	for field, kept := range n.Optional {
		var first *Issue
		var why []string
		for i := range errs {
			if f := errs[i].Field; f == field || strings.HasPrefix(f, field+".") || strings.HasPrefix(f, field+"[") {
				length := errs[i].Code == CodeFieldTooLong || errs[i].Code == CodeFieldTooShort
				if first == nil || (!length && (first.Code == CodeFieldTooLong || first.Code == CodeFieldTooShort)) {
					first = &errs[i]
				}
				why = append(why, errs[i].Message)
			}
		}
		if first == nil {
			continue
		}
		if _, ok := n.User[field]; !ok {
			continue
		}
		delete(n.User, field)
		msg := field + " left out of the user (" + strings.Join(why, "; ") + ")"
		if kept != "" {
			msg += "; its value is kept in " + kept
		}
		warnings = append(warnings, Issue{Code: first.Code, Field: field, Message: msg})
	}
	sort.Slice(warnings, func(i, j int) bool { return warnings[i].Field < warnings[j].Field })
	return warnings
}

// LegacyPasswordKey is the key of a lazy record that holds source password material Auth0
// cannot import, as {"kind": <source password format>, "value": <the source's value>}.
const LegacyPasswordKey = "legacy_password"

// MergedPasswordsKey is the key of a lazy record made of several accounts with different
// passwords (--duplicates merge): a list of password objects, each holding one of password_hash,
// custom_password_hash or LegacyPasswordKey as the account had it. The hook accepts a password
// that matches any of them; it is never imported.
const MergedPasswordsKey = "merged_passwords"

// Namespaced is implemented by mappings that keep legacy data under one app_metadata key.
type Namespaced interface {
	Namespace() string
}

// Mapping maps one decoded source record into Auth0 shape. It must be safe for concurrent use.
// Issues it returns reject the record (they are reported with the record's position); it returns
// a nil Mapped only together with at least one issue. With issues it may also return a Mapped
// whose User holds what it could map of the user's identity (user_id, email, username): the
// reject line names the user by them.
type Mapping interface {
	Map(rec map[string]any) (*Mapped, []Issue)
}

// MappingConfig configures a source's mapping.
type MappingConfig struct {
	// Namespace is the app_metadata key under which legacy timestamps and provenance are kept
	// (app_metadata.<Namespace>.created_at, …).
	Namespace string
	// UnknownFields says what happens to keys that are neither Auth0 import keys nor known
	// aliases: "reject" (reason unknown_field), "user_metadata" (moved there) or "drop".
	UnknownFields string
	// File is a mapping file (--mapping) laid over the source's built-in mapping; empty for none.
	File string
	// PasswordFormat declares the format of stored password strings that cannot be told apart from
	// their text (a legacy.DeclaredFormats name such as hex_md5, nthash or postgres_md5); empty:
	// self-identifying formats are recognised.
	PasswordFormat string
}
