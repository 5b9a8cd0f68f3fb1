package live

import "encoding/json"

// Kept says where a source's mapping keeps the legacy login of a user in the Auth0 profile it
// writes, for a live login's pipeline.LiveLoginNames.LoginOf: app_metadata.<Namespace>.<Key>,
// else a top-level Fallback.
type Kept struct {
	// Namespace is the app_metadata key the mapping writes under (the run's --namespace, or the
	// source's default when none was given).
	Namespace string
	// Key is the login's key in that object ("login", "username").
	Key string
	// Marker, when set, is a key that tells the source's own object apart: an app_metadata
	// object of another namespace counts only when it holds Marker as well as Key.
	Marker string
	// Fallback is the profile's top-level key whose string is the login when app_metadata keeps
	// none ("username", "user_id").
	Fallback string
}

// LoginOf returns the legacy login profile keeps: the string app_metadata.<Namespace>.<Key>;
// when that object holds no such non-empty string (a run with another --namespace), the Key
// string of the one app_metadata object that holds one (and Marker, when set), none when two
// objects do; else the profile's Fallback string; else "".
func (k Kept) LoginOf(profile map[string]any) string {
	am, _ := profile["app_metadata"].(map[string]any)
	if m, _ := am[k.Namespace].(map[string]any); m != nil {
		if s, _ := m[k.Key].(string); s != "" {
			return s
		}
	}
	found := ""
	for _, v := range am {
		m, _ := v.(map[string]any)
		s, _ := m[k.Key].(string)
		if s == "" {
			continue
		}
		if k.Marker != "" {
			if _, marked := m[k.Marker]; !marked {
				continue
			}
		}
		if found != "" {
			found = ""
			break // two candidates: neither is taken
		}
		found = s
	}
	if found != "" {
		return found
	}
	s, _ := profile[k.Fallback].(string)
	return s
}

// AccountID returns the string "id" of a JSON object (its key matched in any case, as
// encoding/json matches a struct field), or "" when account is not such an object: the id of an
// account record a live login's Account or Lookup returned, for
// pipeline.LiveLoginNames.AccountID of systems whose records name their id "id" (Okta user
// objects, Keycloak user representations).
func AccountID(account []byte) string {
	var u struct{ ID string }
	if json.Unmarshal(account, &u) != nil {
		return ""
	}
	return u.ID
}
