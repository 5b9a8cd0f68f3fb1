// Package mappings holds the built-in mappings that turn decoded source records into Auth0
// bulk-import objects. The generic mapping serves the csv and json sources: it recognises the
// Auth0 import keys, common aliases of them (CSV headers such as "First Name" or "emailAddress",
// the User Import/Export extension's column names), and the read-only fields of Auth0's own users
// export, which it keeps as provenance under app_metadata.<namespace>.
package mappings

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// ImportKeys are the top-level keys of Auth0's bulk-import user schema.
var ImportKeys = []string{
	"email", "email_verified", "phone_number", "phone_verified", "user_id", "username",
	"given_name", "family_name", "name", "nickname", "picture", "blocked", "app_metadata",
	"user_metadata", "password_hash", "custom_password_hash", "mfa_factors",
}

// provenanceKeys are read-only Auth0 profile fields (present in Auth0's own exports) that cannot be
// imported; the generic mapping moves them under app_metadata.<namespace>.
var provenanceKeys = []string{
	"created_at", "updated_at", "last_login", "last_ip", "logins_count", "last_password_reset",
	"identities", "connection", "multifactor", "multifactor_last_modified", "blocked_for",
	"guardian_authenticators", "tenant", "password_set_date",
}

// provenance is provenanceKeys as a set.
var provenance = map[string]bool{}

// plaintextKey is the canonical name of a clear-text password column.
const plaintextKey = "password"

// aliases maps a folded header or key (lower case, without spaces, '_' and '-') to its canonical
// name. Canonical names map to themselves.
var aliases = map[string]string{}

func init() {
	for _, k := range provenanceKeys {
		provenance[k] = true
	}
	add := func(canon string, alts ...string) {
		aliases[canon] = canon
		aliases[fold(canon)] = canon
		for _, a := range alts {
			aliases[fold(a)] = canon
		}
	}
	add("email", "mail", "email address", "e-mail", "emailaddress", "primary_email_address")
	add("email_verified", "emailVerified", "Email Verified", "verified_email", "is_email_verified")
	add("given_name", "first_name", "firstName", "first", "forename", "Given Name")
	add("family_name", "last_name", "lastName", "surname", "last", "Family Name")
	add("name", "full_name", "fullName", "display_name", "displayName")
	add("nickname", "nick")
	add("user_id", "id", "userId", "uid")
	add("username", "user_name", "userName")
	add("phone_number", "phone", "phoneNumber", "mobile", "mobile_phone")
	add("phone_verified", "phoneVerified")
	add("picture", "photo_url", "photoURL", "avatar", "avatar_url", "image_url", "picture_url")
	add("blocked", "is_blocked")
	add("app_metadata", "appMetadata")
	add("user_metadata", "userMetadata")
	add("password_hash", "passwordHash", "bcrypt_hash", "hashedPassword", "password_digest", "encrypted_password", "crypted_password",
		"userPassword")
	add("custom_password_hash", "customPasswordHash")
	add("mfa_factors", "mfaFactors")
	add(plaintextKey, "plaintext_password", "clear_password")
	add("created_at", "createdAt", "Created At", "created")
	add("updated_at", "updatedAt", "Updated At")
	add("last_login", "lastLogin", "Last Login")
	add("last_ip", "lastIP")
	add("logins_count", "loginsCount")
	add("last_password_reset", "lastPasswordReset")
	for _, k := range []string{"identities", "multifactor", "multifactor_last_modified", "blocked_for", "guardian_authenticators", "tenant"} {
		add(k)
	}
	// The date of an Auth0 password-hash export line (its {"$date": …} as text; sources/auth0).
	add("password_set_date")
	// The User Import/Export extension's default CSV/JSON column names, and the export_as name
	// Auth0's users-exports documentation gives identities[0].connection ("provider").
	add("connection", "Connection", "identities[0].connection", "provider")
}

// fold lower-cases s and drops spaces, '_' and '-', so "First Name", "first_name" and
// "firstName" meet.
func fold(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range strings.ToLower(s) {
		switch r {
		case ' ', '_', '-', '\t':
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return string(b)
}

// Canonical returns the canonical key for a source key and whether it is known.
func Canonical(key string) (string, bool) {
	if c, ok := aliases[key]; ok && c == key {
		return c, true // fast path: already canonical
	}
	c, ok := aliases[fold(key)]
	return c, ok
}

// Generic is the mapping for csv and json records. It is safe for concurrent use.
type Generic struct {
	namespace string
	unknown   string
	pwFormat  string // declared format of password_hash strings; "" recognises them
}

// NewGeneric validates cfg and builds the generic mapping.
func NewGeneric(cfg pipeline.MappingConfig) (pipeline.Mapping, error) {
	if cfg.File != "" {
		// A mapping file for csv or json records replaces the alias table: the file says it all.
		return LoadFile(cfg)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "legacy"
	}
	if strings.ContainsAny(cfg.Namespace, ".$") {
		return nil, fmt.Errorf("metadata namespace %q: must not contain '.' or '$'", cfg.Namespace)
	}
	switch cfg.UnknownFields {
	case "":
		cfg.UnknownFields = "reject"
	case "reject", "user_metadata", "drop":
	default:
		return nil, fmt.Errorf("unknown-fields %q: want reject, user_metadata or drop", cfg.UnknownFields)
	}
	if err := checkPasswordFormat(cfg.PasswordFormat); err != nil {
		return nil, err
	}
	return &Generic{namespace: cfg.Namespace, unknown: cfg.UnknownFields, pwFormat: cfg.PasswordFormat}, nil
}

// Map maps one record, in place. Keys are matched through the alias table; two keys that
// map to the same canonical name are a conflict (unknown_field names both). A user_id of Auth0's
// own export loses its "auth0|" prefix; a numeric id becomes its decimal string; email is trimmed.
// Read-only Auth0 fields go to app_metadata.<namespace>. Values are otherwise kept exactly: type
// errors are the validator's to report. An Auth0 user who signs in only through social,
// enterprise or passwordless identities is marked SocialOnly (see socialOnly).
func (g *Generic) Map(rec map[string]any) (*pipeline.Mapped, []pipeline.Issue) {
	var issues []pipeline.Issue
	var prov, extra map[string]any
	var renames [][2]string
	hasProv := false
	out := &pipeline.Mapped{User: rec}
	var material []string
	for k, v := range rec {
		canon, known := Canonical(k)
		if !known && isMaterialKey(k) {
			material = append(material, k)
			delete(rec, k)
			continue
		}
		if !known {
			switch g.unknown {
			case "user_metadata":
				if extra == nil {
					extra = map[string]any{}
				}
				extra[k] = v
				delete(rec, k)
			case "drop":
				delete(rec, k)
			default:
				issues = append(issues, pipeline.Issue{Code: pipeline.CodeUnknownField, Field: k,
					Message: fmt.Sprintf("%q is not an Auth0 import field or a known alias (use --unknown-fields user_metadata or drop, or a mapping)", k)})
			}
			continue
		}
		if canon != k {
			renames = append(renames, [2]string{k, canon})
		}
		hasProv = hasProv || provenance[canon]
	}
	if len(renames) > 0 {
		// Apply renames after the walk; two source keys for one field are a conflict.
		sort.Slice(renames, func(i, j int) bool { return renames[i][0] < renames[j][0] })
		for _, r := range renames {
			from, canon := r[0], r[1]
			if _, taken := rec[canon]; taken {
				other := canon
				for _, o := range renames {
					if o[1] == canon && o[0] != from {
						other = o[0]
						break
					}
				}
				a, b := min(other, from), max(other, from)
				issues = append(issues, pipeline.Issue{Code: pipeline.CodeUnknownField, Field: b,
					Message: fmt.Sprintf("%q and %q both map to %s", a, b, canon)})
				continue
			}
			rec[canon] = rec[from]
			delete(rec, from)
		}
	}
	if len(material) > 0 {
		sort.Strings(material)
		issues = append(issues, materialIssue(material))
	}
	if len(issues) > 0 {
		// Map iteration order is random; reports must not be.
		sort.Slice(issues, func(i, j int) bool { return issues[i].Field < issues[j].Field })
		return nil, issues
	}
	if v, ok := rec[plaintextKey]; ok {
		s, isStr := v.(string)
		if !isStr {
			return nil, []pipeline.Issue{{Code: pipeline.CodeInvalidType, Field: plaintextKey,
				Message: "password must be a string, got " + pipeline.JSONType(v)}}
		}
		out.Plaintext = s
		delete(rec, plaintextKey)
	}
	if ph, ok := rec["password_hash"].(string); ok && g.pwFormat != "" {
		if err := hash.Declared(out, g.pwFormat, ph, passwordUser(rec)); err != nil {
			return nil, []pipeline.Issue{{Code: pipeline.CodeInvalidHash, Field: "password_hash",
				Message: fmt.Sprintf("password_hash is not a %s hash: %v", g.pwFormat, err)}}
		}
	}
	// Before user_id loses its provider prefix and identities move to app_metadata.
	out.SocialOnly, out.Providers = socialOnly(rec)
	switch id := rec["user_id"].(type) {
	case string:
		if strings.HasPrefix(id, "auth0|") {
			rec["user_id"] = id[len("auth0|"):]
		}
	case json.Number:
		rec["user_id"] = id.String()
	}
	if s, ok := rec["email"].(string); ok {
		if t := strings.TrimSpace(s); len(t) != len(s) {
			rec["email"] = t
		}
	}
	if hasProv {
		for _, k := range provenanceKeys {
			if v, ok := rec[k]; ok {
				if prov == nil {
					prov = map[string]any{}
				}
				prov[k] = v
				delete(rec, k)
			}
		}
	}
	if prov != nil {
		if iss := g.mergeInto(rec, "app_metadata", g.namespace, prov); iss != nil {
			return nil, []pipeline.Issue{*iss}
		}
	}
	if extra != nil {
		if iss := g.mergeInto(rec, "user_metadata", "", extra); iss != nil {
			return nil, []pipeline.Issue{*iss}
		}
	}
	// Password material no rule read never lands in metadata, nested or not.
	if found := stripMetadataMaterial(rec); len(found) > 0 {
		return nil, []pipeline.Issue{materialIssue(found)}
	}
	return out, nil
}

// nonDatabase are the Auth0 connection strategies whose users have no password Auth0 stores:
// social, enterprise and passwordless connections (the Management API's connection strategy
// enum, less "auth0", which database and custom-database connections use). They are the
// provider part of an Auth0 user_id ("google-oauth2|1234", "samlp|acme|jdoe") and identities'
// "provider".
var nonDatabase = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`ad adfs amazon apple aol auth0-oidc baidu bitbucket bitly box custom
		daccount dropbox dwolla email evernote evernote-sandbox exact facebook fitbit flickr github
		google-apps google-oauth2 instagram ip line linkedin miicard oauth1 oauth2 office365 oidc
		okta paypal paypal-sandbox pingfederate planningcenter renren salesforce
		salesforce-community salesforce-sandbox samlp sharepoint shop shopify sms soundcloud
		thecity thecity-sandbox thirtysevensignals twitter untappd vkontakte waad weibo windowslive
		wordpress yahoo yammer yandex`) {
		nonDatabase[s] = true
	}
}

// socialOnly reports whether rec (canonical keys, user_id still carrying its provider prefix)
// is an Auth0 user who signs in only through social, enterprise or passwordless identities, and
// names their providers. The identities array decides when each element names its provider (or
// says isSocial): a user none of whose identities is "auth0" is social-only; a mixed user, with
// a database identity as well, is not (their identities are kept under app_metadata). Otherwise
// the provider prefix of user_id decides, when it is a known non-database strategy. It
// allocates nothing for a database user.
func socialOnly(rec map[string]any) (bool, []string) {
	if ids, ok := rec["identities"].([]any); ok && len(ids) > 0 {
		var providers []string
		known := true
		for _, x := range ids {
			m, _ := x.(map[string]any)
			p, _ := m["provider"].(string)
			if p == "auth0" {
				return false, nil
			}
			if p == "" {
				if !isTrue(m["isSocial"]) {
					known = false // a bare {connection}: not enough to tell
					continue
				}
				if p, _ = m["connection"].(string); p == "" {
					p = "social"
				}
			}
			if !slices.Contains(providers, p) {
				providers = append(providers, p)
			}
		}
		if known {
			return true, providers
		}
	}
	if id, ok := rec["user_id"].(string); ok {
		if p, _, ok := strings.Cut(id, "|"); ok && nonDatabase[p] {
			return true, []string{p}
		}
	}
	return false, nil
}

// isTrue reports whether v is true: the boolean, or its text (a CSV cell).
func isTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// passwordUser is the user name a declared format salted with it (postgres_md5, oracle10) takes:
// the record's username, else its email.
func passwordUser(rec map[string]any) string {
	if u, ok := rec["username"].(string); ok && u != "" {
		return u
	}
	e, _ := rec["email"].(string)
	return strings.TrimSpace(e)
}

// checkPasswordFormat validates a declared password format name.
func checkPasswordFormat(f string) error {
	if f == "" {
		return nil
	}
	for _, k := range legacy.DeclaredFormats() {
		if k == f {
			return nil
		}
	}
	return fmt.Errorf("password format %q: want one of %s", f, strings.Join(legacy.DeclaredFormats(), ", "))
}

// mergeInto adds vals to user[meta] (under sub-key ns when ns is not empty) without overwriting
// what the record already holds there.
func (g *Generic) mergeInto(user map[string]any, meta, ns string, vals map[string]any) *pipeline.Issue {
	obj, present := user[meta].(map[string]any)
	if _, exists := user[meta]; exists && !present {
		return &pipeline.Issue{Code: pipeline.CodeInvalidType, Field: meta,
			Message: meta + " must be an object, got " + pipeline.JSONType(user[meta])}
	}
	if obj == nil {
		obj = map[string]any{}
	}
	target := obj
	if ns != "" {
		sub, ok := obj[ns].(map[string]any)
		if _, exists := obj[ns]; exists && !ok {
			return &pipeline.Issue{Code: pipeline.CodeInvalidType, Field: meta + "." + ns,
				Message: "the provenance namespace already holds a " + pipeline.JSONType(obj[ns]) + "; choose another --namespace"}
		}
		if sub == nil {
			sub = map[string]any{}
		}
		obj[ns] = sub
		target = sub
	}
	for k, v := range vals {
		if _, taken := target[k]; !taken {
			target[k] = v
		}
	}
	user[meta] = obj
	return nil
}
