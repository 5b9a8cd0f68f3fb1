// Package auth0hash models Auth0's custom_password_hash object and implements its documented
// semantics: verifying a password against it exactly as Auth0 does at login, generating one (for
// tests and translations), and bounding its parameters so a hostile hash cannot exhaust CPU or
// memory at verify time.
package auth0hash

// CustomPasswordHash is Auth0's custom_password_hash object (bulk-import schema,
// https://auth0.com/docs/manage-users/user-migration/bulk-user-import-schema). Field order and
// JSON names follow the schema; zero values are omitted.
type CustomPasswordHash struct {
	Algorithm       string    `json:"algorithm"`
	Hash            HashValue `json:"hash"`
	Salt            *Salt     `json:"salt,omitempty"`
	Password        *Password `json:"password,omitempty"`
	KeyLen          int       `json:"keylen,omitempty"`
	Cost            int       `json:"cost,omitempty"`
	BlockSize       int       `json:"blockSize,omitempty"`
	Parallelization int       `json:"parallelization,omitempty"`
}

// HashValue is custom_password_hash.hash.
type HashValue struct {
	Value    string `json:"value"`
	Encoding string `json:"encoding,omitempty"` // base64 | hex | utf8
	Digest   string `json:"digest,omitempty"`   // hmac only
	Key      *Key   `json:"key,omitempty"`      // hmac only
}

// Key is custom_password_hash.hash.key (hmac).
type Key struct {
	Value    string `json:"value"`
	Encoding string `json:"encoding,omitempty"` // base64 | hex | utf8 (default utf8)
}

// Salt is custom_password_hash.salt.
type Salt struct {
	Value    string `json:"value"`
	Encoding string `json:"encoding,omitempty"` // base64 | hex | utf8 (default utf8)
	Position string `json:"position,omitempty"` // prefix | suffix (default prefix)
}

// Password is custom_password_hash.password: how Auth0 encodes the typed password before hashing.
type Password struct {
	Encoding string `json:"encoding"` // ascii | utf8 | utf16le | ucs2 | latin1 | binary
}
