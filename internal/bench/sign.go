package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The identity of a bench run with Config.Credentials: allowed
// everything, so that the figures measure verification, not refusals.
const (
	benchKeyID  = "AKIDGAFFERBENCH0"
	benchSecret = "gaffer-bench-secret-access-key"
	benchPolicy = `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

// writeCredentials writes the bench's credentials file into dir and
// returns its path.
func writeCredentials(dir string) (string, error) {
	path := filepath.Join(dir, "credentials.json")
	doc := `{"identities": [{"name": "bench", "accessKeyId": "` + benchKeyID + `", "secretAccessKey": "` + benchSecret + `", "policy": ` + benchPolicy + `}]}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		return "", fmt.Errorf("write credentials: %w", err)
	}
	return path, nil
}

// signer signs the bench's requests as aws-sdk-go-v2 does (its signer
// keeps the derived signing keys), so that a server started with the
// bench's credentials file verifies real signatures.
type signer struct {
	v4    *v4.Signer
	creds aws.Credentials
}

func newSigner() *signer {
	return &signer{v4: v4.NewSigner(), creds: aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret}}
}

// sign signs req, whose body is body, for service (the SigV4 signing
// name) in us-east-1, now. It sets the Authorization and X-Amz-Date
// headers of req.Header, which must be req's own.
func (s *signer) sign(ctx context.Context, req *http.Request, body []byte, service string) error {
	sum := sha256.Sum256(body)
	return s.v4.SignHTTP(ctx, s.creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now())
}
