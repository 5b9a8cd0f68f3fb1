package hash

import (
	"errors"
	"fmt"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// LegacyHash is the kind of legacy password material (kept under pipeline.LegacyPasswordKey for
// the hook) that is a stored hash string in a named format:
// {"kind":"hash","format":NAME,"value":STRING,"user":USER-NAME-IF-SALTED-WITH-IT}. Any other kind
// names a registered legacy.Scheme whose material is the value: {"kind":"gigya","value":{hash,
// hashSettings}}.
const LegacyHash = "hash"

// Declared moves a stored password string in the declared format (a legacy.DeclaredFormats name;
// legacy.FormatAuto recognises self-identifying strings) into out: a bcrypt password_hash or a
// custom_password_hash when Auth0 reproduces the hash exactly, otherwise out.Unimportable with
// the reason and out.Legacy holding the string for the hook. user is the user name the format is
// salted with (postgres_md5, oracle10). out.Format names the format for report.json. An error
// means the value is not a hash of that format (the caller rejects the record with it).
func Declared(out *pipeline.Mapped, format, value, user string) error {
	h, err := legacy.ParseAs(format, value, user)
	if err != nil {
		return err
	}
	if err := legacy.CheckBounds(h); err != nil {
		return fmt.Errorf("%w (verifying it would exhaust CPU or memory at login)", err)
	}
	out.Format = h.Format()
	delete(out.User, "password_hash")
	delete(out.User, "custom_password_hash")
	ph, custom, err := h.Auth0()
	switch {
	case errors.Is(err, legacy.ErrUnimportable):
		out.Unimportable = err.Error()
		lp := map[string]any{"kind": LegacyHash, "format": format, "value": value}
		if legacy.NeedsUser(format) {
			lp["user"] = user
		}
		out.Legacy = lp
	case err != nil:
		return err
	case ph != "":
		out.User["password_hash"] = ph
	default:
		out.User["custom_password_hash"] = CustomToMap(custom)
	}
	return nil
}

// ParseLegacy parses the legacy password material of a lazy record (pipeline.LegacyPasswordKey)
// for verification: a hash string in a named format (LegacyHash) or a registered legacy system's
// password object (legacy.ParseMaterial; ErrUnsupported when no scheme of that kind is
// registered).
func ParseLegacy(lp map[string]any) (legacy.Hash, error) {
	kind, _ := lp["kind"].(string)
	if kind == LegacyHash {
		format, _ := lp["format"].(string)
		value, _ := lp["value"].(string)
		user, _ := lp["user"].(string)
		return legacy.ParseAs(format, value, user)
	}
	value, _ := lp["value"].(map[string]any)
	if value == nil {
		return nil, fmt.Errorf("%w: %s legacy password without a value", legacy.ErrMalformed, kind)
	}
	return legacy.ParseMaterial(kind, value)
}

// Unverifiable reports, for the password material of a stored lazy profile (password_hash,
// custom_password_hash or legacy_password), its format and why the hook cannot verify it; why is
// "" when the hook can (or the profile holds no password).
func Unverifiable(profile map[string]any) (format, why string) {
	if list, ok := profile[pipeline.MergedPasswordsKey].([]any); ok {
		// A merged user signs in with any of its accounts' passwords: it is unverifiable only
		// when none of them can be checked.
		for _, item := range list {
			if m, ok := item.(map[string]any); ok {
				if _, nested := m[pipeline.MergedPasswordsKey]; nested {
					continue
				}
				f, w := Unverifiable(m)
				if w == "" {
					return f, ""
				}
				format, why = f, w
			}
		}
		return format, why
	}
	if ph, ok := profile["password_hash"].(string); ok && ph != "" {
		if isBcrypt10(ph) {
			return FormatBcrypt, ""
		}
		h, err := legacy.Parse(ph)
		if err != nil {
			return "unknown", err.Error()
		}
		return h.Format(), legacy.Unverifiable(h)
	}
	if m, ok := profile["custom_password_hash"].(map[string]any); ok {
		alg, _ := m["algorithm"].(string)
		c, err := MapToCustom(m)
		if err == nil {
			err = auth0hash.CheckBounds(c)
		}
		if err != nil {
			return alg, err.Error()
		}
		return alg, ""
	}
	if lp, ok := profile[pipeline.LegacyPasswordKey].(map[string]any); ok {
		h, err := ParseLegacy(lp)
		if err != nil {
			kind, _ := lp["kind"].(string)
			if f, _ := lp["format"].(string); f != "" {
				kind = f
			}
			return kind, err.Error()
		}
		return h.Format(), legacy.Unverifiable(h)
	}
	return FormatNone, ""
}
