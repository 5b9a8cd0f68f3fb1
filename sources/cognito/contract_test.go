package cognito

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/cognito/cognitoapi"
	"github.com/usher-migrate/usher/sources/cognito/cognitotest"
	"github.com/usher-migrate/usher/sources/sourcetest"
)

// contractUser renders a user as ListUsers returns it (epoch-second timestamps).
func contractUser(i int, u sourcetest.User) string {
	b, _ := json.Marshal(map[string]any{
		"Username": u.ID,
		"Attributes": []map[string]string{
			{"Name": "sub", "Value": fmt.Sprintf("00000000-0000-4000-8000-%012d", i)},
			{"Name": "email_verified", "Value": "true"},
			{"Name": "name", "Value": u.Name},
			{"Name": "email", "Value": u.Email},
		},
		"UserCreateDate": json.Number("1682955829.578"), "UserLastModifiedDate": json.Number("1689030181.63"),
		"Enabled": true, "UserStatus": "CONFIRMED",
	})
	return string(b)
}

// TestContract runs the source contract against list-users files: NDJSON and a list-users page
// ({"Users": [...]}) in a folder.
func TestContract(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "cognito",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return sourcetest.JSONFiles(t, dir, users, contractUser, "Users", "")
		},
		Malformed: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return sourcetest.JSONFiles(t, dir, users, contractUser, "Users", `{"Username": "broken", "Attributes": [`)
		},
		Stdin: func(t *testing.T, _ string, users []sourcetest.User) ([]byte, sourcetest.Input) {
			return sourcetest.NDJSONStdin(users, contractUser)
		},
		Gzip:        true,
		RecordLimit: true,
	})
}

// csvHeader is the header aws cognito-idp get-csv-header returns for a pool without custom
// attributes (the Amazon Cognito developer guide's documented order).
const csvHeader = "cognito:username,name,given_name,family_name,middle_name,nickname,preferred_username,profile,picture,website,email,email_verified,gender,birthdate,zoneinfo,locale,phone_number,phone_number_verified,address,updated_at,cognito:mfa_enabled"

// csvRow renders a user as a row under csvHeader (an address with an escaped comma).
func csvRow(u sourcetest.User) string {
	return u.ID + "," + u.Name + ",,,,,,,,," + u.Email + ",TRUE,,,,,,FALSE,1 Main Street\\, Apt " + u.ID + ",,FALSE"
}

// writeCSV writes users as two user-import CSV files in a folder (bad, when set, is an extra row
// after the first user of the first file).
func writeCSV(t *testing.T, dir string, users []sourcetest.User, bad string) sourcetest.Input {
	folder := filepath.Join(dir, "import")
	half := len(users) / 2
	var in sourcetest.Input
	for f, part := range [][]sourcetest.User{users[:half], users[half:]} {
		name := filepath.Join(folder, fmt.Sprintf("users-%d.csv", f+1))
		lines := []string{csvHeader}
		for i, u := range part {
			lines = append(lines, csvRow(u))
			in.Records = append(in.Records, sourcetest.Record{Pos: pipeline.Position{File: name, Line: len(lines)}, Email: u.Email})
			if i == 0 && f == 0 && bad != "" {
				lines = append(lines, bad)
				in.Records = append(in.Records, sourcetest.Record{Pos: pipeline.Position{File: name, Line: len(lines)}, Bad: true})
			}
		}
		if len(part) > 0 {
			sourcetest.WriteFile(t, name, []byte(strings.Join(lines, "\n")+"\n"))
		}
	}
	in.Paths = []string{folder}
	return in
}

// TestContractCSV runs the source contract against user-import CSV files.
func TestContractCSV(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "cognito",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return writeCSV(t, dir, users, "")
		},
		Malformed: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return writeCSV(t, dir, users, "broken,row,with,too,few,cells")
		},
		Gzip:        true,
		RecordLimit: true,
	})
}

// TestContractLive runs the source contract against the live ListUsers API (the cognitotest
// emulator): what is fetched is spooled to the run's folder, so positions name lines of the spool
// file and a second Read (a resumed run) reads the spool again.
func TestContractLive(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "cognito",
		New: func(cfg pipeline.SourceConfig) (pipeline.Source, error) {
			return newSource(cfg, func(c *cognitoapi.Config) {
				c.Credentials = staticCreds
			})
		},
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			o := cognitotest.Options{PoolID: testPool, AccessKeys: map[string]string{testAKID: testSecretKey}}
			for i, u := range users {
				o.Users = append(o.Users, []byte(contractUser(i, u)))
			}
			srv := cognitotest.NewServer(o)
			t.Cleanup(srv.Close)
			work := filepath.Join(dir, "out")
			spooled := filepath.Join(work, "fetched", "cognito-users.ndjson")
			in := sourcetest.Input{Options: map[string]string{"user-pool-id": testPool, "endpoint": srv.URL, "page-size": "7", "rate": "1000"}, WorkDir: work}
			for i, u := range users {
				in.Records = append(in.Records, sourcetest.Record{Pos: pipeline.Position{File: spooled, Line: i + 1}, Email: u.Email})
			}
			return in
		},
		RecordLimit: true,
	})
}

// Test identities of the emulated pool.
const (
	testPool      = "us-east-1_Ab12Cd34E"
	testAKID      = "AKIDUSHERTEST0000001"
	testSecretKey = "usher-test-secret-access-key-0000000000"
)

// staticCreds signs the calls of the tests with the emulator's key.
var staticCreds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecretKey, Source: "test"}, nil
})
