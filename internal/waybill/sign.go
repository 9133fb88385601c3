package waybill

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb"
)

// Verification tokens. A token is three dot-separated parts:
//
//	JTW1.<payload>.<signature>
//
// payload is the base64url (no padding) JSON of Claims; signature is the
// base64url ASN.1 SM2 signature (GB/T 32918.2, SM3 digest, default user id
// 1234567812345678) of the ASCII bytes "JTW1.<payload>". The key is named
// by the claims' kid, the first 8 bytes (hex) of the SM3 digest of the
// uncompressed public key; the public keys are published at
// /api/v1/public/waybills/keys.
const tokenPrefix = "JTW1"

// maxTokenLen bounds what the parser reads: a real token is ~300 bytes.
const maxTokenLen = 2048

// Claims are what a token states about its waybill, enough for an officer
// to compare with the truck in front of them even offline.
type Claims struct {
	Kid      string   `json:"kid"`
	ID       int64    `json:"id"`
	Number   string   `json:"no"`
	Plate    string   `json:"plate"`
	UN       []string `json:"un"`
	IssuedAt int64    `json:"iat" doc:"Unix seconds"`
}

// badToken is the refusal of a token (bad form, unknown key, wrong
// signature): a 422 problem naming query.token.
func badToken(reason string) error {
	return &apperr.Invalid{Fields: []apperr.FieldError{{Field: "query.token", Reason: reason}}}
}

// ParseToken splits a token into its claims, the signed bytes and the
// signature without checking the signature.
func ParseToken(tok string) (c Claims, signed, sig []byte, err error) {
	tok = strings.TrimSpace(tok)
	if tok == "" || len(tok) > maxTokenLen {
		return c, nil, nil, badToken("运单凭证为空或过长 (empty or oversized token)")
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || parts[0] != tokenPrefix {
		return c, nil, nil, badToken("不是电子运单凭证 (not a waybill token)")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return c, nil, nil, badToken("运单凭证内容损坏 (payload is not base64url)")
	}
	sig, err = base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) == 0 {
		return c, nil, nil, badToken("运单凭证签名损坏 (signature is not base64url)")
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return Claims{}, nil, nil, badToken("运单凭证内容损坏 (payload is not the claims JSON)")
	}
	if c.ID <= 0 || c.Number == "" || c.Kid == "" {
		return Claims{}, nil, nil, badToken("运单凭证内容不完整 (claims incomplete)")
	}
	return c, []byte(parts[0] + "." + parts[1]), sig, nil
}

// signingKey is one stored key pair.
type signingKey struct {
	kid     string
	created time.Time
	priv    *sm2.PrivateKey // nil for a verify-only key
	pub     *ecdsa.PublicKey
	pubRaw  []byte // uncompressed point 04||X||Y
}

// keyring holds the platform's keys, loaded once from the database.
type keyring struct {
	mu      sync.Mutex
	loaded  bool
	signer  *signingKey
	byKid   map[string]*signingKey
	ordered []*signingKey
	// reloaded is when an unknown kid last made verify reload the keys.
	reloaded time.Time
}

func kidOf(pubRaw []byte) string {
	h := sm3.Sum(pubRaw)
	return hex.EncodeToString(h[:8])
}

func publicBytes(k *ecdsa.PublicKey) ([]byte, error) {
	e, err := sm2.PublicKeyToECDH(k)
	if err != nil {
		return nil, err
	}
	return e.Bytes(), nil
}

// ensure loads the keys, creating the first key pair on first start.
// Processes starting together may each create one; the oldest (then the
// lowest kid) signs in every process, the others only verify.
func (r *keyring) ensure(ctx context.Context, db *sqldb.DB, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.loaded {
		return nil
	}
	if err := r.load(ctx, db); err != nil {
		return err
	}
	if r.signer == nil {
		priv, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			return fmt.Errorf("waybill: generate SM2 key: %w", err)
		}
		pubRaw, err := publicBytes(&priv.PublicKey)
		if err != nil {
			return fmt.Errorf("waybill: SM2 public key: %w", err)
		}
		d := make([]byte, 32)
		priv.D.FillBytes(d)
		if _, err := db.Write().ExecContext(ctx, `INSERT INTO waybill_signing_keys (kid, created_at, private_key, public_key)
			VALUES ($1, $2, $3, $4)`, kidOf(pubRaw), now.UnixMilli(), hex.EncodeToString(d), hex.EncodeToString(pubRaw)); err != nil {
			return fmt.Errorf("waybill: store SM2 key: %w", err)
		}
		if err := r.load(ctx, db); err != nil {
			return err
		}
		if r.signer == nil {
			return errors.New("waybill: no signing key after creating one")
		}
	}
	r.loaded = true
	return nil
}

func (r *keyring) load(ctx context.Context, db *sqldb.DB) error {
	rows, err := db.Write().QueryContext(ctx, `SELECT kid, created_at, private_key, public_key FROM waybill_signing_keys ORDER BY created_at, kid`)
	if err != nil {
		return fmt.Errorf("waybill: load keys: %w", err)
	}
	defer rows.Close()
	r.byKid, r.ordered, r.signer = map[string]*signingKey{}, nil, nil
	for rows.Next() {
		var kid, privHex, pubHex string
		var created int64
		if err := rows.Scan(&kid, &created, &privHex, &pubHex); err != nil {
			return fmt.Errorf("waybill: load keys: %w", err)
		}
		k := &signingKey{kid: kid, created: sqldb.FromMillis(created)}
		if k.pubRaw, err = hex.DecodeString(pubHex); err != nil {
			return fmt.Errorf("waybill: key %s: %w", kid, err)
		}
		if k.pub, err = sm2.NewPublicKey(k.pubRaw); err != nil {
			return fmt.Errorf("waybill: key %s: %w", kid, err)
		}
		if privHex != "" {
			d, err := hex.DecodeString(privHex)
			if err != nil {
				return fmt.Errorf("waybill: key %s: %w", kid, err)
			}
			if k.priv, err = sm2.NewPrivateKey(d); err != nil {
				return fmt.Errorf("waybill: key %s: %w", kid, err)
			}
			if !k.priv.PublicKey.Equal(k.pub) {
				return fmt.Errorf("waybill: key %s: private and public keys differ", kid)
			}
			if r.signer == nil {
				r.signer = k
			}
		}
		r.byKid[kid] = k
		r.ordered = append(r.ordered, k)
	}
	return rows.Err()
}

// sign returns the token for claims c, signed with the signing key.
func (r *keyring) sign(c Claims) (string, error) {
	r.mu.Lock()
	k := r.signer
	r.mu.Unlock()
	if k == nil {
		return "", errors.New("waybill: no signing key")
	}
	c.Kid = k.kid
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	signed := tokenPrefix + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := k.priv.Sign(rand.Reader, []byte(signed), sm2.DefaultSM2SignerOpts)
	if err != nil {
		return "", fmt.Errorf("waybill: sign: %w", err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// verify checks a token's signature and returns its claims. A kid it does
// not know makes it reload the keys once: another process may have created
// one since (processes that started together).
func (r *keyring) verify(ctx context.Context, db *sqldb.DB, tok string) (Claims, error) {
	c, signed, sig, err := ParseToken(tok)
	if err != nil {
		return Claims{}, err
	}
	r.mu.Lock()
	k := r.byKid[c.Kid]
	if k == nil && time.Since(r.reloaded) > time.Minute { // unknown kids of forged tokens do not hammer the database
		r.reloaded = time.Now()
		if err := r.load(ctx, db); err != nil {
			r.mu.Unlock()
			return Claims{}, err
		}
		k = r.byKid[c.Kid]
	}
	r.mu.Unlock()
	if k == nil {
		return Claims{}, badToken("运单凭证不是本平台签发的 (signed by a key this platform does not know)")
	}
	if !sm2.VerifyASN1WithSM2(k.pub, nil, signed, sig) {
		return Claims{}, badToken("运单凭证签名无效，内容可能被篡改 (signature does not match: altered or forged)")
	}
	return c, nil
}

// PublicKey is one of the platform's verification keys.
type PublicKey struct {
	Kid       string    `json:"kid"`
	Algorithm string    `json:"algorithm" doc:"SM2 with SM3 (GB/T 32918.2), default user id"`
	UserID    string    `json:"user_id"`
	Hex       string    `json:"public_key_hex" doc:"uncompressed point 04||X||Y"`
	PEM       string    `json:"public_key_pem" doc:"SubjectPublicKeyInfo (PKIX) PEM"`
	Signing   bool      `json:"signing" doc:"the key that signs new tokens"`
	CreatedAt time.Time `json:"created_at"`
}

func (r *keyring) publicKeys() ([]PublicKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]PublicKey, 0, len(r.ordered))
	for _, k := range r.ordered {
		der, err := smx509.MarshalPKIXPublicKey(k.pub)
		if err != nil {
			return nil, fmt.Errorf("waybill: marshal public key: %w", err)
		}
		out = append(out, PublicKey{Kid: k.kid, Algorithm: "SM2-SM3", UserID: "1234567812345678", Hex: hex.EncodeToString(k.pubRaw),
			PEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), Signing: k == r.signer, CreatedAt: k.created})
	}
	return out, nil
}
