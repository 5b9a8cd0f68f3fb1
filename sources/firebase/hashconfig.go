package firebase

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/usher-migrate/usher/internal/smallfile"
	"github.com/usher-migrate/usher/sources/firebase/firebasehash"
)

// ReadHashConfig reads a project's password hash parameters from a file (ParseHashConfig). The
// signer key is a secret: no error shows it, and the file is read like the other secret files
// (a regular file of at most 4 MiB).
func ReadHashConfig(path string) (firebasehash.Params, error) {
	b, err := smallfile.Read(path)
	if err != nil {
		return firebasehash.Params{}, fmt.Errorf("hash config: %w", err)
	}
	p, err := ParseHashConfig(b)
	if err != nil {
		return p, fmt.Errorf("hash config %s: %w", path, err)
	}
	return p, nil
}

// hashConfigNames maps the names a hash config may give each parameter to the parameter:
// the console's "Password hash parameters" dialog (base64_signer_key, base64_salt_separator,
// rounds, mem_cost; firebase/scrypt README), the Identity Toolkit admin API's getConfig answer
// (signIn.hashConfig: signerKey, saltSeparator, rounds, memoryCost) and firebase auth:import's
// flags (--hash-key, --salt-separator, --rounds, --mem-cost).
var hashConfigNames = map[string]string{
	"base64_signer_key": "key", "signerkey": "key", "signer_key": "key", "hash_key": "key", "hashkey": "key", "hash-key": "key",
	"base64_salt_separator": "sep", "saltseparator": "sep", "salt_separator": "sep", "salt-separator": "sep",
	"rounds":   "rounds",
	"mem_cost": "mem", "memorycost": "mem", "memcost": "mem", "mem-cost": "mem", "memory_cost": "mem",
	"algorithm": "alg", "hash_algo": "alg", "hash-algo": "alg", "hashalgorithm": "alg",
}

// ParseHashConfig reads a project's password hash parameters, as copied from the Firebase
// console (Authentication → Users → ⋮ → Password hash parameters):
//
//	hash_config {
//	  algorithm: SCRYPT,
//	  base64_signer_key: jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==,
//	  base64_salt_separator: Bw==,
//	  rounds: 8,
//	  mem_cost: 14,
//	}
//
// (the hash_config wrapper, braces, commas and quotes around values optional; "key = value" too),
// or as JSON: that object ({"hash_config": {…}} or bare), the Identity Toolkit admin API's
// projects.getConfig answer ({"signIn": {"hashConfig": {"algorithm", "signerKey",
// "saltSeparator", "rounds", "memoryCost"}}}) or its hashConfig alone. An algorithm other than
// SCRYPT, a missing key, rounds or mem_cost, an unknown name and values out of Firebase's ranges
// are errors naming the parameter, never showing the key.
func ParseHashConfig(b []byte) (firebasehash.Params, error) {
	b = bytes.TrimPrefix(bytes.TrimSpace(b), []byte("\xef\xbb\xbf"))
	var vals map[string]string
	var err error
	if len(b) > 0 && b[0] == '{' && json.Valid(b) {
		vals, err = jsonHashConfig(b)
	} else {
		vals, err = textHashConfig(string(b))
	}
	if err != nil {
		return firebasehash.Params{}, err
	}
	if alg, ok := vals["alg"]; ok && !strings.EqualFold(alg, "SCRYPT") {
		return firebasehash.Params{}, fmt.Errorf("algorithm %q: Firebase projects hash passwords with SCRYPT (its modified scrypt); this is not a project's hash config", cut(alg, 40))
	}
	for _, k := range []struct{ key, name string }{{"key", "base64_signer_key"}, {"rounds", "rounds"}, {"mem", "mem_cost"}} {
		if strings.TrimSpace(vals[k.key]) == "" {
			return firebasehash.Params{}, fmt.Errorf("no %s (want base64_signer_key, base64_salt_separator, rounds and mem_cost)", k.name)
		}
	}
	m := map[string]any{firebasehash.KeySignerKey: vals["key"], firebasehash.KeyRounds: vals["rounds"], firebasehash.KeyMemoryCost: vals["mem"]}
	if sep, ok := vals["sep"]; ok {
		m[firebasehash.KeySaltSeparator] = sep
	}
	p, err := firebasehash.ParseParams(m)
	if err != nil {
		return p, err
	}
	return p, nil
}

// textHashConfig reads the console's text: name: value items separated by commas or line
// breaks, inside an optional "hash_config { … }".
func textHashConfig(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "hash_config"); ok {
		s = strings.TrimSpace(rest)
	}
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}"))
	vals := map[string]string{}
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ';' }) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		i := strings.IndexAny(item, ":=")
		if i < 0 {
			return nil, fmt.Errorf("%q is not a name: value pair (the console shows base64_signer_key: …, base64_salt_separator: …, rounds: …, mem_cost: …)", cut(nameOnly(item), 40))
		}
		name := strings.Trim(strings.TrimSpace(item[:i]), `"'`)
		if err := setHashValue(vals, name, strings.Trim(strings.TrimSpace(item[i+1:]), `"'`)); err != nil {
			return nil, err
		}
	}
	return vals, nil
}

// nameOnly keeps what could be a name, so an error never repeats a value (a pasted key).
func nameOnly(s string) string {
	if len(s) > 24 {
		return "a line of " + strconv.Itoa(len(s)) + " characters"
	}
	return s
}

// jsonHashConfig reads the JSON forms.
func jsonHashConfig(b []byte) (map[string]string, error) {
	var doc map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil, errors.New("not a JSON object")
	}
	for _, wrap := range []string{"hash_config", "hashConfig"} {
		if inner, ok := doc[wrap].(map[string]any); ok {
			doc = inner
		}
	}
	if signIn, ok := doc["signIn"].(map[string]any); ok {
		if inner, ok := signIn["hashConfig"].(map[string]any); ok {
			doc = inner
		}
	}
	names := make([]string, 0, len(doc))
	for k := range doc {
		names = append(names, k)
	}
	sort.Strings(names)
	vals := map[string]string{}
	for _, k := range names {
		var v string
		switch t := doc[k].(type) {
		case string:
			v = t
		case json.Number:
			v = t.String()
		default:
			if _, known := hashConfigNames[strings.ToLower(k)]; known {
				return nil, fmt.Errorf("%s: want a string or a number", k)
			}
			if k == "name" || k == "signIn" {
				continue // the rest of a getConfig answer
			}
			return nil, fmt.Errorf("unknown name %q (want base64_signer_key, base64_salt_separator, rounds and mem_cost)", cut(k, 40))
		}
		if k == "name" {
			continue
		}
		if err := setHashValue(vals, k, v); err != nil {
			return nil, err
		}
	}
	return vals, nil
}

// setHashValue records one parameter under its canonical name.
func setHashValue(vals map[string]string, name, v string) error {
	canon, ok := hashConfigNames[strings.ToLower(name)]
	if !ok {
		return fmt.Errorf("unknown name %q (want base64_signer_key, base64_salt_separator, rounds and mem_cost)", cut(nameOnly(name), 40))
	}
	if _, dup := vals[canon]; dup {
		return fmt.Errorf("%s given twice", name)
	}
	vals[canon] = v
	return nil
}
