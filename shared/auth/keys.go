package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/chatbotsaas/chatbot/shared/fsx"
)

// KeySet is the signing key and every public key tokens may be verified
// with (the signing key's own, plus older or newer ones during rotation).
type KeySet struct {
	signing   ed25519.PrivateKey
	signingID string
	public    map[string]ed25519.PublicKey
}

// DevKeyFile is where a generated development key is kept under DATA_DIR.
const DevKeyFile = "jwt_ed25519.pem"

// LoadKeys reads the signing key from privateFile, or, when it is empty,
// from DATA_DIR (generating one there with a warning), and adds the public
// keys of publicFiles.
func LoadKeys(privateFile string, publicFiles []string, dataDir string, log *slog.Logger) (*KeySet, error) {
	if privateFile == "" {
		privateFile = filepath.Join(dataDir, DevKeyFile)
		if _, err := os.Stat(privateFile); errors.Is(err, os.ErrNotExist) {
			if err := generateKey(privateFile); err != nil {
				return nil, fmt.Errorf("generate a development JWT key under DATA_DIR: %v", err)
			}
			log.Warn("JWT_PRIVATE_KEY_FILE is not set: generated a development signing key; set it in production", "file", privateFile)
		}
	}
	priv, err := readPrivate(privateFile)
	if err != nil {
		return nil, fmt.Errorf("JWT_PRIVATE_KEY_FILE %s: %v", privateFile, err)
	}
	ks := NewKeySet(priv)
	for _, f := range publicFiles {
		pub, err := readPublic(f)
		if err != nil {
			return nil, fmt.Errorf("JWT_PUBLIC_KEY_FILES %s: %v", f, err)
		}
		ks.public[KeyID(pub)] = pub
	}
	return ks, nil
}

// NewKeySet makes a key set around one signing key.
func NewKeySet(priv ed25519.PrivateKey) *KeySet {
	pub := priv.Public().(ed25519.PublicKey)
	id := KeyID(pub)
	return &KeySet{signing: priv, signingID: id, public: map[string]ed25519.PublicKey{id: pub}}
}

// AddPublic accepts tokens signed by pub too.
func (k *KeySet) AddPublic(pub ed25519.PublicKey) { k.public[KeyID(pub)] = pub }

// KeyID is the kid of a public key: a digest of the key itself.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// JWK is one public key in a JWKS document.
type JWK struct {
	KeyType   string `json:"kty"`
	Curve     string `json:"crv"`
	X         string `json:"x"`
	KeyID     string `json:"kid"`
	Use       string `json:"use"`
	Algorithm string `json:"alg"`
}

// JWKS lists the public keys, the signing key's first.
func (k *KeySet) JWKS() []JWK {
	out := []JWK{jwk(k.signingID, k.public[k.signingID])}
	for id, pub := range k.public {
		if id != k.signingID {
			out = append(out, jwk(id, pub))
		}
	}
	return out
}

func jwk(id string, pub ed25519.PublicKey) JWK {
	return JWK{KeyType: "OKP", Curve: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), KeyID: id, Use: "sig", Algorithm: "EdDSA"}
}

func generateKey(path string) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	return fsx.CreateOnce(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func readPrivate(path string) (ed25519.PrivateKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("not a PKCS#8 private key")
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("not an Ed25519 key")
	}
	return priv, nil
}

func readPublic(path string) (ed25519.PublicKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	if block.Type == "PRIVATE KEY" {
		priv, err := readPrivate(path)
		if err != nil {
			return nil, err
		}
		return priv.Public().(ed25519.PublicKey), nil
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, errors.New("not a PKIX public key")
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("not an Ed25519 key")
	}
	return pub, nil
}

func readPEM(path string) (*pem.Block, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New("cannot be read")
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	return block, nil
}
