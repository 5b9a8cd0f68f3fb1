package firebasetest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"sync"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

// ServiceAccountKey returns the JSON key file of a service account of project whose token_uri is
// tokenURI (a Server's TokenURI), and the account's e-mail and public key for Options.Accounts.
// The RSA key is made once per process (2048 bits, as Google issues them).
func ServiceAccountKey(project, tokenURI string) (keyFile []byte, email string, pub *rsa.PublicKey) {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	der, err := x509.MarshalPKCS8PrivateKey(testKey)
	if err != nil {
		panic(err)
	}
	email = "firebase-adminsdk-emu01@" + project + ".iam.gserviceaccount.com"
	keyFile, _ = json.MarshalIndent(map[string]string{
		"type": "service_account", "project_id": project, "private_key_id": "0123456789abcdef0123456789abcdef01234567",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": email, "client_id": "100000000000000000001",
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": tokenURI,
	}, "", "  ")
	return keyFile, email, &testKey.PublicKey
}
