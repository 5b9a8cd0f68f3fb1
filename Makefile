# usher — common tasks. `make test` is the test command CI runs (.ci/run).
GO       ?= go
# An execution count, not a duration: with a duration, Go 1.26's fuzz coordinator can fail a
# clean run with "context deadline exceeded" at the boundary (golang/go#75804).
FUZZTIME ?= 20000x
N        ?= 1000000

.PHONY: build test oracles fuzz bench bench-gigya bench-export quickstart vet clean

build:
	$(GO) build -o bin/usher ./cmd/usher
	$(GO) build -o bin/usher-bench ./cmd/usher-bench
	$(GO) build -o bin/usher-gen ./cmd/usher-gen

# The independent oracles (ajv JSON-schema validator, DuckDB and apache-arrow table readers) and the
# object-storage emulators (s3rver for S3, azurite for Azure Blob: internal/objstore/objstoretest)
# used by the tests, all from testdata/oracle/package.json.
oracles:
	@if command -v npm >/dev/null; then npm install --prefix testdata/oracle --no-audit --no-fund --silent; \
	else echo "npm not found: oracle checks will be skipped"; fi

# The hook's timing properties (refusals take as long as logins) are measured alone: next to the
# other packages' tests, the machine's own load would be what they measure.
test: oracles
	$(GO) test -count=1 -timeout 14m $$($(GO) list ./... | grep -v '/usher/hook$$')
	$(GO) test -count=1 ./hook

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (echo "gofmt needed:"; gofmt -l .; exit 1)

# Runs every fuzz target briefly (parsers: JSON framing, CSV, validator, the record decoder and
# encoder against the general JSON library, hash decoders, mapping
# files, Stormpath accounts, Gigya, Okta and Auth0 API answers; go test -fuzz takes one target at a time).
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzFrame$$' -fuzztime=$(FUZZTIME) ./sources/jsonfile
	$(GO) test -run='^$$' -fuzz='^FuzzCSV$$' -fuzztime=$(FUZZTIME) ./sources/csvfile
	$(GO) test -run='^$$' -fuzz='^FuzzRowFraming$$' -fuzztime=$(FUZZTIME) ./sources/csvfile
	$(GO) test -run='^$$' -fuzz='^FuzzUser$$' -fuzztime=$(FUZZTIME) ./pipeline/validate
	$(GO) test -run='^$$' -fuzz='^FuzzFastDecode$$' -fuzztime=$(FUZZTIME) ./pipeline
	$(GO) test -run='^$$' -fuzz='^FuzzMarshal$$' -fuzztime=$(FUZZTIME) ./pipeline
	$(GO) test -run='^$$' -fuzz='^FuzzSpilled$$' -fuzztime=$(FUZZTIME) ./pipeline
	$(GO) test -run='^$$' -fuzz='^FuzzVerify$$' -fuzztime=$(FUZZTIME) ./pipeline/hash/auth0hash
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./pipeline/hash/legacy
	$(GO) test -run='^$$' -fuzz='^FuzzParseGigya$$' -fuzztime=$(FUZZTIME) ./sources/gigya/gigyahash
	$(GO) test -run='^$$' -fuzz='^FuzzParseStormpath$$' -fuzztime=$(FUZZTIME) ./sources/stormpath/stormpathhash
	$(GO) test -run='^$$' -fuzz='^FuzzParseFirebase$$' -fuzztime=$(FUZZTIME) ./sources/firebase/firebasehash
	$(GO) test -run='^$$' -fuzz='^FuzzCSVRows$$' -fuzztime=$(FUZZTIME) ./sources/firebase
	$(GO) test -run='^$$' -fuzz='^FuzzHashConfig$$' -fuzztime=$(FUZZTIME) ./sources/firebase
	$(GO) test -run='^$$' -fuzz='^FuzzOldCrypt$$' -fuzztime=$(FUZZTIME) ./pipeline/hash/legacy/oldcrypt
	$(GO) test -run='^$$' -fuzz='^FuzzMappingFile$$' -fuzztime=$(FUZZTIME) ./mappings
	$(GO) test -run='^$$' -fuzz='^FuzzAccount$$' -fuzztime=$(FUZZTIME) ./sources/stormpath
	$(GO) test -run='^$$' -fuzz='^FuzzCustomData$$' -fuzztime=$(FUZZTIME) ./sources/stormpath
	$(GO) test -run='^$$' -fuzz='^FuzzPasswordExport$$' -fuzztime=$(FUZZTIME) ./sources/auth0
	$(GO) test -run='^$$' -fuzz='^FuzzRedactRaw$$' -fuzztime=$(FUZZTIME) ./pipeline/runreport
	$(GO) test -run='^$$' -fuzz='^FuzzSearchResponse$$' -fuzztime=$(FUZZTIME) ./sources/gigya/gigyaapi
	$(GO) test -run='^$$' -fuzz='^FuzzParseLinks$$' -fuzztime=$(FUZZTIME) ./sources/okta/oktaapi
	$(GO) test -run='^$$' -fuzz='^FuzzDecodePage$$' -fuzztime=$(FUZZTIME) ./sources/okta/oktaapi
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeJobErrors$$' -fuzztime=$(FUZZTIME) ./internal/auth0api
	$(GO) test -run='^$$' -fuzz='^FuzzAppendJSONString$$' -fuzztime=$(FUZZTIME) ./sinks/export/format
	$(GO) test -run='^$$' -fuzz='^FuzzDigestsFile$$' -fuzztime=$(FUZZTIME) ./sinks/export/digests
	$(GO) test -run='^$$' -fuzz='^FuzzValidJSON$$' -fuzztime=$(FUZZTIME) ./sinks/export/format
	$(GO) test -run='^$$' -fuzz='^FuzzAppendJSON$$' -fuzztime=$(FUZZTIME) ./sinks/export
	$(GO) test -run='^$$' -fuzz='^FuzzUser$$' -fuzztime=$(FUZZTIME) ./sources/cognito
	$(GO) test -run='^$$' -fuzz='^FuzzTimestamp$$' -fuzztime=$(FUZZTIME) ./sources/cognito
	$(GO) test -run='^$$' -fuzz='^FuzzImportCSV$$' -fuzztime=$(FUZZTIME) ./sources/cognito
	$(GO) test -run='^$$' -fuzz='^FuzzFilter$$' -fuzztime=$(FUZZTIME) ./sources/cognito/cognitotest
	$(GO) test -run='^$$' -fuzz='^FuzzParseKeycloak$$' -fuzztime=$(FUZZTIME) ./sources/keycloak/keycloakhash
	$(GO) test -run='^$$' -fuzz='^FuzzFrame$$' -fuzztime=$(FUZZTIME) ./sources/keycloak
	$(GO) test -run='^$$' -fuzz='^FuzzAnswers$$' -fuzztime=$(FUZZTIME) ./sources/keycloak/keycloakapi

# Benchmarks (not tests: they print figures). Each runs usher and its anchors in one run, each in
# its own process, and prints the ratios.
# bench: usher migrate on N generated Auth0-export users against a struct-decoding Go loop, a
# map[string]any Go loop and jq (on a 100k sample).
bench: build
	./bin/usher-bench -usher ./bin/usher -n $(N)

# bench-gigya: the same for N generated Gigya accounts through the built-in gigya mapping (the
# struct-decoding loop with a typed Gigya mapping is the main anchor).
bench-gigya: build
	./bin/usher-bench -source gigya -usher ./bin/usher -n $(N) -jq-sample 100000

# bench-export: usher export (NDJSON → Parquet zstd) against DuckDB doing the same conversion.
bench-export: build oracles
	./bin/usher-bench -export -usher ./bin/usher -n $(N)

quickstart:
	$(GO) run ./cmd/usher run

clean:
	rm -rf bin out
