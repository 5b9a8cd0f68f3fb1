package mappings

import (
	"fmt"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// gigyaPassword returns the Gigya password object a password rule of format gigya reads at
// from (legacy.ParseGigya takes the exported {hash, hashSettings} and the import file's
// {hashedPassword, hashSettings} or {compoundHashedPassword}). Two flat shapes become objects:
//
//   - a hash string with hashSettings beside it ({"password": "<base64>", "hashSettings": {…}},
//     the import template of Gigya's own GigyaPasswordValidator, github.com/gigya/
//     GigyaPasswordValidator README): {hashedPassword, hashSettings}, and the hashSettings beside
//     it is consumed;
//   - a self-identifying hash string alone ("$2a$10$…"): {compoundHashedPassword}.
func gigyaPassword(rec map[string]any, from fieldPath, v any) (map[string]any, error) {
	switch t := v.(type) {
	case map[string]any:
		return t, nil
	case string:
		var parent any = rec
		if len(from) > 1 {
			parent, _ = from[:len(from)-1].get(rec)
		}
		if p, ok := parent.(map[string]any); ok {
			if hs, ok := p["hashSettings"].(map[string]any); ok {
				delete(p, "hashSettings")
				return map[string]any{"hashedPassword": t, "hashSettings": hs}, nil
			}
		}
		if _, err := legacy.Parse(t); err == nil {
			return map[string]any{"compoundHashedPassword": t}, nil
		}
		return nil, fmt.Errorf("%s is a string without hashSettings beside it, and not a hash string usher recognises: "+
			"a Gigya password is an object ({hash, hashSettings}; in an import file {hashedPassword, hashSettings} or {compoundHashedPassword})", from)
	}
	return nil, fmt.Errorf("%s must be a Gigya password object, got %s", from, pipeline.JSONType(v))
}
