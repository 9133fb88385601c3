package waybill_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/jiaotong-platform/jiaotong/internal/platform/apperr"
	"github.com/jiaotong-platform/jiaotong/internal/platform/sqldb/sqldbtest"
	"github.com/jiaotong-platform/jiaotong/internal/waybill"
)

// signWith builds a token for claims with a key of the test's own.
func signWith(t *testing.T, key *sm2.PrivateKey, c waybill.Claims) string {
	t.Helper()
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	signed := "JTW1." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := key.Sign(rand.Reader, []byte(signed), sm2.DefaultSM2SignerOpts)
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func refused(t *testing.T, what string, v *waybill.Verification, err error) {
	t.Helper()
	if !errors.Is(err, apperr.ErrInvalid) || v != nil {
		t.Fatalf("%s: accepted (%v, %+v)", what, err, v)
	}
	if f := apperr.Fields(err); len(f) != 1 || f[0].Field != "query.token" {
		t.Fatalf("%s: refusal %v does not name query.token", what, err)
	}
}

func TestSignedVerification(t *testing.T) {
	e := newEnv(t, sqldbtest.OpenSQLite(t))
	ctx := systemCtx()
	c := e.carrier("510104")
	w := e.issued(c.fields())

	// genuine: accepted, with the waybill's facts; no principal needed
	v, err := e.svc.Verify(t.Context(), w.Token)
	if err != nil {
		t.Fatalf("genuine token refused: %v", err)
	}
	if !v.Valid || !v.Current || v.Claims.Number != w.Number || v.Claims.Plate != c.tanker.Plate || v.Facts.Plate != c.tanker.Plate ||
		v.Facts.Driver != "王驾驶" || len(v.Facts.Goods) != 1 || v.Claims.UN[0] != "1203" {
		t.Fatalf("verification %+v", v)
	}

	parts := strings.Split(w.Token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])

	// altered payload (another plate), signature kept
	var claims waybill.Claims
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims.Plate = "川A99999"
	altered, _ := json.Marshal(claims)
	v, err = e.svc.Verify(ctx, parts[0]+"."+base64.RawURLEncoding.EncodeToString(altered)+"."+parts[2])
	refused(t, "altered payload", v, err)

	// altered signature
	bad := append([]byte(nil), sig...)
	bad[len(bad)-3] ^= 0x40
	v, err = e.svc.Verify(ctx, parts[0]+"."+parts[1]+"."+base64.RawURLEncoding.EncodeToString(bad))
	refused(t, "altered signature", v, err)

	// forged: claims naming the platform's key, signed by another key
	forger, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	claims.Plate = c.tanker.Plate
	v, err = e.svc.Verify(ctx, signWith(t, forger, claims))
	refused(t, "forged with another key", v, err)

	// a token of another platform (its own key) is not ours
	other := newEnv(t, sqldbtest.OpenSQLite(t))
	oc := other.carrier("510104")
	ow := other.issued(oc.fields())
	v, err = e.svc.Verify(ctx, ow.Token)
	refused(t, "token of another platform", v, err)

	// malformed
	for _, tok := range []string{"", "JTW1", "JTW1..", "JTW2." + parts[1] + "." + parts[2], parts[1] + "." + parts[2], w.Token + ".x",
		"JTW1.%%%." + parts[2], strings.Repeat("A", 5000)} {
		v, err = e.svc.Verify(ctx, tok)
		refused(t, "malformed "+tok[:min(len(tok), 20)], v, err)
	}

	// the published key verifies the token independently
	keys, err := e.svc.PublicKeys(ctx)
	if err != nil || len(keys) != 1 || !keys[0].Signing || keys[0].Kid != claims.Kid || !strings.Contains(keys[0].PEM, "BEGIN PUBLIC KEY") {
		t.Fatalf("keys %+v %v", keys, err)
	}
	raw, _ := hex.DecodeString(keys[0].Hex)
	pub, err := sm2.NewPublicKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !sm2.VerifyASN1WithSM2(pub, nil, []byte(parts[0]+"."+parts[1]), sig) {
		t.Fatal("published key does not verify the token")
	}

	// the key survives a restart: a new service on the same database verifies
	again := waybill.New(e.db, e.reg, nil)
	if _, err := again.Verify(ctx, w.Token); err != nil {
		t.Fatalf("after restart: %v", err)
	}

	// a cancelled waybill still verifies, but is not current
	w2, err := e.svc.Cancel(ctx, w.ID, 0, "改派")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := e.svc.Verify(ctx, w2.Token); err != nil || v.Current || v.Facts.State != waybill.StateCancelled {
		t.Fatalf("cancelled: %v %+v", err, v)
	}
}

func FuzzParseToken(f *testing.F) {
	e := newEnv(f, sqldbtest.OpenSQLite(f))
	w := e.issued(e.carrier("510104").fields())
	f.Add(w.Token)
	f.Add("JTW1..")
	f.Add("JTW1.e30.AA")
	f.Fuzz(func(t *testing.T, tok string) {
		c, signed, sig, err := waybill.ParseToken(tok)
		if err != nil {
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("error of the wrong kind: %v", err)
			}
			return
		}
		if c.ID <= 0 || c.Number == "" || c.Kid == "" || len(sig) == 0 || !strings.HasPrefix(string(signed), "JTW1.") {
			t.Fatalf("accepted incomplete token %q: %+v", tok, c)
		}
		// only a genuine token passes the signature
		if v, err := e.svc.Verify(t.Context(), tok); err == nil && tok != w.Token {
			t.Fatalf("verified a token that is not the issued one: %q %+v", tok, v)
		}
	})
}
