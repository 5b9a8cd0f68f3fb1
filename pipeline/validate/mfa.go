package validate

import (
	"strconv"

	"github.com/usher-migrate/usher/pipeline"
)

var mfaKinds = []string{"totp", "phone", "email"}

// mfaFactors checks mfa_factors: an array of 1..10 enrollments, each an object with exactly one
// of totp {secret}, phone {value} or email {value}, without other keys at either level. Problems
// inside the array are CodeInvalidMFAFactors (Auth0 reports them as MFA_FACTORS_FAILED).
func (c *checker) mfaFactors(v any) {
	const field = "mfa_factors"
	a, ok := v.([]any)
	if !ok {
		c.typeErr(pipeline.CodeInvalidType, field, "array", v)
		return
	}
	if len(a) < MinMFAFactors {
		c.add(pipeline.CodeInvalidMFAFactors, field, "mfa_factors is empty; it must hold 1 to 10 factors (omit it instead)")
	}
	if len(a) > MaxMFAFactors {
		c.add(pipeline.CodeInvalidMFAFactors, field, "mfa_factors holds "+strconv.Itoa(len(a))+
			" factors; Auth0 allows at most "+strconv.Itoa(MaxMFAFactors))
	}
	for i, item := range a {
		c.mfaFactor(i, item)
	}
}

func (c *checker) mfaFactor(i int, item any) {
	const code = pipeline.CodeInvalidMFAFactors
	path := func() string { return "mfa_factors[" + strconv.Itoa(i) + "]" }
	m, ok := item.(map[string]any)
	if !ok {
		c.typeErr(code, path(), "object", item)
		return
	}
	kinds := 0
	if v, ok := m["totp"]; ok {
		kinds++
		c.mfaInner(i, "totp", v, "secret", func(s string) string {
			if !isBase32Secret(s) {
				return "must be unpadded base32 (^[A-Z2-7]+$, e.g. JBTWY3DPEHPK3PNP)"
			}
			return ""
		})
	}
	if v, ok := m["phone"]; ok {
		kinds++
		c.mfaInner(i, "phone", v, "value", func(s string) string {
			if !isE164(s) {
				return "must be an E.164 number: + followed by 1 to 15 digits"
			}
			return ""
		})
	}
	if v, ok := m["email"]; ok {
		kinds++
		c.mfaInner(i, "email", v, "value", func(s string) string {
			if p := emailProblem(s); p != "" {
				return "not a valid email address: " + p
			}
			return ""
		})
	}
	if len(m) == 0 {
		c.add(code, path(), "an MFA factor must hold exactly one of totp, phone or email; this one is empty")
	}
	if kinds > 1 {
		c.add(code, path(), "an MFA factor must hold exactly one of totp, phone or email; this one holds "+
			strconv.Itoa(kinds))
	}
	if len(m) > kinds {
		for _, k := range unknownKeys(m, mfaKinds) {
			c.add(code, path()+"."+k, "unknown MFA factor type "+quote(k)+" (expected totp, phone or email)")
		}
	}
}

// mfaInner checks the inner object of factor i of the given kind: exactly the required string
// property prop, whose value check reports problems (messages never include the value: a TOTP
// secret is a secret).
func (c *checker) mfaInner(i int, kind string, v any, prop string, check func(string) string) {
	const code = pipeline.CodeInvalidMFAFactors
	path := func(sub string) string {
		p := "mfa_factors[" + strconv.Itoa(i) + "]." + kind
		if sub != "" {
			p += "." + sub
		}
		return p
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.typeErr(code, path(""), "object", v)
		return
	}
	pv, has := m[prop]
	if !has {
		c.add(code, path(prop), prop+" is required")
	} else if s, ok := pv.(string); !ok {
		c.typeErr(code, path(prop), "string", pv)
	} else if p := check(s); p != "" {
		c.add(code, path(prop), p)
	}
	if len(m) > 1 || (len(m) == 1 && !has) {
		for _, k := range unknownKeys(m, []string{prop}) {
			c.add(code, path(k), "unknown property "+quote(k)+" (only "+prop+" is allowed)")
		}
	}
}
