// Package merge makes one Auth0 user of several legacy accounts that share an e-mail address
// (--duplicates merge): one person with an account in each of several directories, applications
// or tenants. An Auth0 database connection holds one user per e-mail, so the accounts become one
// user that keeps every account's data and accepts every account's password.
//
// The rules, in the order of the accounts in the input (the first is the primary):
//
//   - Scalar profile fields (user_id, username, name, given_name, picture, phone_number, …): the
//     primary's value; a field the primary lacks comes from the first account that has it.
//     phone_verified travels with the phone_number it describes.
//   - email_verified is true when any account's is: each proved the same mailbox.
//   - blocked is true only when every account is blocked: the person could still sign in through
//     an account that is not.
//   - user_metadata and app_metadata are merged key by key the same way (the primary wins, missing
//     keys are filled from later accounts, nested objects merged likewise); under
//     app_metadata.<namespace>, lists (groups, identities, …) are the union of every account's.
//   - app_metadata.<namespace>.merged_accounts lists every account as it was: its user_id,
//     username, e-mail, position in the input, and its own user_metadata and app_metadata, so
//     a value the merged user does not keep (another account's roles) is still there.
//   - Passwords: when the accounts carry one password (the same material, or only one has any)
//     the user keeps it and is imported (or held for lazy migration when that password is); when
//     they carry different ones, the user is held for lazy migration with every one of them under
//     pipeline.MergedPasswordsKey, and the hook accepts a password matching any.
package merge

import (
	"bytes"
	"slices"

	"github.com/usher-migrate/usher/pipeline"
)

// Account is one legacy account of a group, as the pipeline routed it on its own.
type Account struct {
	Seq int64
	Pos string
	// Outcome is Imported or Lazy; LazyReason is set for Lazy.
	Outcome    pipeline.Outcome
	LazyReason string
	// User is the Auth0-shaped user (for a lazy account, with its password material).
	User map[string]any
}

// Result is the merged user and where it goes.
type Result struct {
	User       map[string]any
	Outcome    pipeline.Outcome
	LazyReason string
}

// LazyReason is the lazy reason of a merged user whose accounts have different passwords.
const LazyReason = "merged_passwords"

// Key is the app_metadata.<namespace> key listing the merged accounts.
const Key = "merged_accounts"

// passwordKeys are the keys of a user that hold password material.
var passwordKeys = []string{"password_hash", "custom_password_hash", pipeline.LegacyPasswordKey, pipeline.MergedPasswordsKey}

// Merge makes one user of accounts (at least one, in input order), keeping legacy data under
// app_metadata.<namespace>. A single account is returned unchanged.
func Merge(namespace string, accounts []Account) Result {
	if len(accounts) == 1 {
		a := accounts[0]
		return Result{User: a.User, Outcome: a.Outcome, LazyReason: a.LazyReason}
	}
	out := map[string]any{}
	var list []any
	for _, a := range accounts {
		u := a.User
		entry := map[string]any{"position": a.Pos}
		for _, k := range []string{"user_id", "username", "email"} {
			if v, ok := u[k]; ok {
				entry[k] = v
			}
		}
		if um, ok := u["user_metadata"]; ok {
			entry["user_metadata"] = um
		}
		if am, ok := u["app_metadata"]; ok {
			entry["app_metadata"] = am
		}
		list = append(list, entry)
		for k, v := range u {
			if slices.Contains(passwordKeys, k) {
				continue
			}
			switch k {
			case "email_verified":
				if v == true || out[k] == nil {
					out[k] = v
				}
			case "blocked":
				// Settled below.
			case "phone_verified":
				// Follows phone_number below.
			case "phone_number":
				if _, ok := out[k]; !ok {
					out[k] = v
					if pv, ok := u["phone_verified"]; ok {
						out["phone_verified"] = pv
					}
				}
			case "user_metadata":
				out[k] = fill(out[k], v, false)
			case "app_metadata":
				out[k] = fillApp(out[k], v, namespace)
			default:
				if _, ok := out[k]; !ok {
					out[k] = v
				}
			}
		}
	}
	allBlocked, anySaid := true, false
	for _, a := range accounts {
		b, ok := a.User["blocked"]
		anySaid = anySaid || ok
		allBlocked = allBlocked && b == true
	}
	switch {
	case allBlocked:
		out["blocked"] = true
	case anySaid:
		out["blocked"] = false
	}
	// Copies: the accounts' own maps are listed in merged_accounts and must not change.
	am := clone(out["app_metadata"])
	ns := clone(am[namespace])
	ns[Key] = list
	am[namespace] = ns
	out["app_metadata"] = am

	res := Result{User: out, Outcome: pipeline.Imported}
	var materials []map[string]any
	var keys [][]byte
	lazyReason := ""
	for _, a := range accounts {
		m := material(a.User)
		if a.Outcome == pipeline.Lazy && lazyReason == "" {
			lazyReason = a.LazyReason
		}
		if m == nil {
			continue
		}
		b, err := pipeline.Marshal(m)
		if err != nil || slices.ContainsFunc(keys, func(k []byte) bool { return bytes.Equal(k, b) }) {
			continue
		}
		keys = append(keys, b)
		materials = append(materials, m)
	}
	switch len(materials) {
	case 0:
		// Nobody has a password: the user goes where the accounts went (--passwordless).
		if lazyReason != "" {
			res.Outcome, res.LazyReason = pipeline.Lazy, lazyReason
		}
	case 1:
		for k, v := range materials[0] {
			out[k] = v
		}
		// Lazy when the account holding the password was (its hash cannot be imported) or when
		// every account was (usher stage holds everyone).
		for _, a := range accounts {
			if m := material(a.User); m != nil {
				if a.Outcome == pipeline.Lazy {
					res.Outcome, res.LazyReason = pipeline.Lazy, a.LazyReason
				}
				break
			}
		}
		if res.Outcome == pipeline.Imported && allLazy(accounts) {
			res.Outcome, res.LazyReason = pipeline.Lazy, lazyReason
		}
	default:
		list := make([]any, len(materials))
		for i, m := range materials {
			list[i] = m
		}
		out[pipeline.MergedPasswordsKey] = list
		res.Outcome, res.LazyReason = pipeline.Lazy, LazyReason
	}
	return res
}

// material is an account's password material as an object holding its key, or nil.
func material(u map[string]any) map[string]any {
	for _, k := range passwordKeys {
		if v, ok := u[k]; ok && v != nil {
			if k == pipeline.MergedPasswordsKey {
				continue
			}
			return map[string]any{k: v}
		}
	}
	return nil
}

// clone returns a shallow copy of v when it is an object, else an empty object.
func clone(v any) map[string]any {
	m, _ := v.(map[string]any)
	out := make(map[string]any, len(m)+1)
	for k, x := range m {
		out[k] = x
	}
	return out
}

func allLazy(accounts []Account) bool {
	for _, a := range accounts {
		if a.Outcome != pipeline.Lazy {
			return false
		}
	}
	return true
}

// fillApp merges app_metadata b into a: the namespace's lists are unions, the rest as fill.
func fillApp(a, b any, namespace string) any {
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if !ok1 || !ok2 {
		return fill(a, b, false)
	}
	out := fill(am, withoutKey(bm, namespace), false).(map[string]any)
	if nb, ok := bm[namespace]; ok {
		out[namespace] = fill(am[namespace], nb, true)
	}
	return out
}

func withoutKey(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// fill returns a with the keys it lacks taken from b, recursively for objects (a wins on
// conflicting values). With union, lists present in both are joined, without repeats. a is not
// modified; b's values may be shared.
func fill(a, b any, union bool) any {
	if a == nil {
		return b
	}
	switch at := a.(type) {
	case map[string]any:
		bt, ok := b.(map[string]any)
		if !ok {
			return a
		}
		out := make(map[string]any, len(at)+len(bt))
		for k, v := range at {
			out[k] = v
		}
		for k, v := range bt {
			if cur, ok := out[k]; ok {
				out[k] = fill(cur, v, union)
			} else {
				out[k] = v
			}
		}
		return out
	case []any:
		bt, ok := b.([]any)
		if !ok || !union {
			return a
		}
		out := slices.Clone(at)
		seen := make([][]byte, 0, len(at)+len(bt))
		for _, v := range at {
			k, _ := pipeline.Marshal(v)
			seen = append(seen, k)
		}
		for _, v := range bt {
			k, _ := pipeline.Marshal(v)
			if !slices.ContainsFunc(seen, func(s []byte) bool { return bytes.Equal(s, k) }) {
				seen = append(seen, k)
				out = append(out, v)
			}
		}
		return out
	}
	return a
}
