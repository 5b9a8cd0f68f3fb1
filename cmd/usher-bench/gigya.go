package main

import (
	"strings"

	json "github.com/goccy/go-json"
)

// mapGigya is the bare loop's hand-written Gigya mapping: the fields of usher's built-in gigya
// mapping (names, email and its verification, blocked, the lastLogin sentinel, profile rest to
// user_metadata, everything else under app_metadata.gigya, pbkdf2 → PHC string), with no
// validation, no expression engine, no error reporting.
func mapGigya(m map[string]any) map[string]any {
	u := map[string]any{}
	prof, _ := m["profile"].(map[string]any)
	if prof == nil {
		prof = map[string]any{}
	}
	u["user_id"] = m["UID"]
	email, _ := prof["email"].(string)
	if ids, ok := m["loginIDs"].(map[string]any); ok {
		if es, ok := ids["emails"].([]any); ok && len(es) > 0 {
			email, _ = es[0].(string)
		}
	}
	u["email"] = email
	verified := false
	if ems, ok := m["emails"].(map[string]any); ok {
		if vs, ok := ems["verified"].([]any); ok {
			for _, v := range vs {
				if s, _ := v.(string); strings.EqualFold(s, email) {
					verified = true
				}
			}
		}
	}
	u["email_verified"] = verified
	first, _ := prof["firstName"].(string)
	last, _ := prof["lastName"].(string)
	u["given_name"], u["family_name"] = first, last
	u["name"] = strings.TrimSpace(first + " " + last)
	u["nickname"] = prof["nickname"]
	u["picture"] = prof["photoURL"]
	u["blocked"] = m["isActive"] == false
	for _, k := range []string{"firstName", "lastName", "nickname", "photoURL", "thumbnailURL", "email", "name"} {
		delete(prof, k)
	}
	prof["data"] = m["data"]
	prof["preferences"] = m["preferences"]
	u["user_metadata"] = prof
	if pw, ok := m["password"].(map[string]any); ok {
		hs, _ := pw["hashSettings"].(map[string]any)
		h, _ := pw["hash"].(string)
		salt, _ := hs["salt"].(string)
		rounds, _ := hs["rounds"].(json.Number)
		u["custom_password_hash"] = map[string]any{"algorithm": "pbkdf2", "hash": map[string]any{"encoding": "utf8",
			"value": "$pbkdf2-sha1$i=" + rounds.String() + ",l=20$" + strings.TrimRight(salt, "=") + "$" + strings.TrimRight(h, "=")}}
	}
	if s, _ := m["lastLogin"].(string); strings.HasPrefix(s, "0001-01-01") {
		m["lastLogin"] = nil
	}
	for _, k := range []string{"UID", "profile", "data", "preferences", "password", "isActive", "isVerified"} {
		delete(m, k)
	}
	for k := range m {
		if strings.HasSuffix(k, "Timestamp") {
			delete(m, k)
		}
	}
	u["app_metadata"] = map[string]any{"gigya": m}
	return u
}

// jqGigya is the same mapping in jq.
const jqGigya = `(.profile // {}) as $p
| ((.loginIDs.emails[0]) // $p.email) as $email
| {user_id: .UID, email: $email,
   email_verified: ((.emails.verified // []) | any(ascii_downcase == ($email | ascii_downcase))),
   given_name: $p.firstName, family_name: $p.lastName,
   name: ((($p.firstName // "") + " " + ($p.lastName // "")) | ltrimstr(" ") | rtrimstr(" ")),
   nickname: $p.nickname, picture: $p.photoURL, blocked: (.isActive == false),
   user_metadata: ($p | del(.firstName, .lastName, .nickname, .photoURL, .thumbnailURL, .email, .name) + {data, preferences}),
   app_metadata: {gigya: (del(.UID, .profile, .data, .preferences, .password, .isActive, .isVerified)
      | with_entries(select(.key | endswith("Timestamp") | not))
      | if (.lastLogin // "") | startswith("0001-01-01") then .lastLogin = null else . end)}}
  + (if .password then {custom_password_hash: {algorithm: "pbkdf2", hash: {encoding: "utf8",
      value: ("$pbkdf2-sha1$i=\(.password.hashSettings.rounds),l=20$" + (.password.hashSettings.salt | rtrimstr("=") | rtrimstr("="))
              + "$" + (.password.hash | rtrimstr("=")))}}} else {} end)`
