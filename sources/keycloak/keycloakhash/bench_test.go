package keycloakhash

import (
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// BenchmarkTranslate measures parse + Auth0 translation (no password verification) of Keycloak
// credentials, the bulk path of a migration. Run:
// go test -run '^$' -bench Translate -benchmem ./sources/keycloak/keycloakhash
func BenchmarkTranslate(b *testing.B) {
	legacytest.BenchTranslate(b, []legacytest.Vector[map[string]any]{
		{Name: "keycloak_pbkdf2_sha256_to_phc", Stored: map[string]any{
			"secretData":     `{"value":"kNwotFPNeuwelpT1HWt+E4ONXFK6wjd+h0zbzNBRGwOqacAjeY7vYN9QZQ46DlEKSdn04cEU/3RvX8WPcRegxg==","salt":"rEIJDbs+BQqpx31v8mONWA=="}`,
			"credentialData": `{"hashIterations":27500,"algorithm":"pbkdf2-sha256","additionalParameters":{}}`}},
		{Name: "keycloak_argon2id_to_phc", Stored: map[string]any{
			"secretData":     `{"value":"nP0LZ1DFGlBMjW40AradFQ6D3AXXCCgwHAAsbO5XGZc=","salt":"QEFCQ0RFRkdISUpLTE1OTw==","additionalParameters":{}}`,
			"credentialData": `{"hashIterations":5,"algorithm":"argon2","additionalParameters":{"hashLength":["32"],"memory":["7168"],"type":["id"],"version":["1.3"],"parallelism":["1"]}}`}},
	}, Parse)
}
