package exchange_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/exchange/txlog"
)

// token gets an access token with client credentials in a form.
func (e *env) token(client *http.Client, id, secret string, basic bool) (string, resp) {
	e.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if !basic {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/lgsp/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(id, secret)
	}
	if client == nil {
		client = e.srv.Client()
	}
	res, err := client.Do(req)
	if err != nil {
		return "", resp{err: err}
	}
	defer res.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	raw, _ := json.Marshal(body)
	tok, _ := body["access_token"].(string)
	return tok, resp{status: res.StatusCode, header: res.Header, body: string(raw)}
}

func kidOf(t *testing.T, tok string) string {
	t.Helper()
	h, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	var head struct{ Alg, Kid string }
	_ = json.Unmarshal(raw, &head)
	if head.Alg != "EdDSA" {
		t.Errorf("alg %s", head.Alg)
	}
	return head.Kid
}

func TestClientCredentialsTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOpt{})
		tok, r := e.token(nil, e.fx.Key.ID, e.fx.Key.Secret, true)
		if r.status != 200 || !strings.Contains(r.body, `"token_type":"Bearer"`) || !strings.Contains(r.body, `"expires_in":300`) {
			t.Fatalf("token (Basic): %d %s", r.status, r.body)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Error("token response may be cached")
		}
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, "Authorization", "Bearer "+tok), 200, "")
		if got := e.last(); got.CredentialID != e.fx.Key.ID || got.ConsumerID != e.fx.Consumer.ID {
			t.Errorf("token call logged as %s/%s", got.ConsumerID, got.CredentialID)
		}
		tok2, r := e.token(nil, e.fx.Key.ID, e.fx.Key.Secret, false)
		if r.status != 200 || tok2 == "" {
			t.Fatalf("token (form): %d %s", r.status, r.body)
		}
		if _, r := e.token(nil, e.fx.Key.ID, "sai", true); r.status != 401 || !strings.Contains(r.body, "invalid_client") {
			t.Errorf("wrong secret: %d %s", r.status, r.body)
		}
		req, _ := http.NewRequest("POST", e.srv.URL+"/lgsp/oauth/token", strings.NewReader("grant_type=password&username=a&password=b"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, _ := e.srv.Client().Do(req)
		if res.StatusCode != 400 {
			t.Errorf("password grant: %d", res.StatusCode)
		}
		res.Body.Close()
		// A tampered token is refused.
		parts := strings.Split(tok, ".")
		claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
		forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(claims), `"exp":`, `"exp":9`, 1))) + "." + parts[2]
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, "Authorization", "Bearer "+forged), 401, "")
		// Tokens expire.
		e.clock.Advance(301 * time.Second)
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, "Authorization", "Bearer "+tok), 401, "hết hạn")
		// Revoking the key stops its tokens at once.
		tok3, _ := e.token(nil, e.fx.Key.ID, e.fx.Key.Secret, true)
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, "Authorization", "Bearer "+tok3), 200, "")
		if err := e.svc.RevokeKey(e.ctx, e.sys, e.fx.Key.ID); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, "Authorization", "Bearer "+tok3), 401, "")
		if _, r := e.token(nil, e.fx.Key.ID, e.fx.Key.Secret, true); r.status != 401 {
			t.Errorf("token for a revoked key: %d", r.status)
		}
	})
}

func TestSigningKeysRotateWithoutDowntime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOpt{config: exchange.Config{KeyActivation: time.Minute}})
		// A second gateway node on the same database.
		other, err := exchange.New(e.ctx, exchange.Deps{DB: d, Audit: e.audit, Log: txlog.New(d, txlog.Options{}), Now: e.clock.Now}, exchange.Config{})
		if err != nil {
			t.Fatal(err)
		}
		otherCtx, stopOther := context.WithCancel(e.ctx)
		otherDone := make(chan struct{})
		go func() { other.Run(otherCtx); close(otherDone) }()
		defer func() { stopOther(); <-otherDone }()
		old, _ := e.token(nil, e.fx.Key.ID, e.fx.Key.Secret, true)
		oldKid := kidOf(t, old)
		admin := official("qt", "province_admin")
		k, err := e.svc.RotateSigningKey(e.ctx, admin)
		if err != nil || k.State != "pending" {
			t.Fatalf("rotate: %+v, %v", k, err)
		}
		var jwks struct{ Keys []struct{ Kid string } }
		r := e.call(nil, "GET", "/lgsp/oauth/jwks", nil)
		_ = json.Unmarshal([]byte(r.body), &jwks)
		if len(jwks.Keys) != 2 {
			t.Fatalf("JWKS must publish the new key before it signs: %s", r.body)
		}
		// Until it activates, the old key signs.
		t1, _ := e.token(nil, e.fx.Key.ID, e.fx.Key.Secret, true)
		if kidOf(t, t1) != oldKid {
			t.Error("a pending key signed")
		}
		e.clock.Advance(2 * time.Minute)
		t2, _ := e.token(nil, e.fx.Key.ID, e.fx.Key.Secret, true)
		if kidOf(t, t2) != k.KID {
			t.Errorf("signed by %s, want the new key %s", kidOf(t, t2), k.KID)
		}
		// Old and new tokens both work, here and on the other node.
		for _, tok := range []string{old, t1, t2} {
			wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, "Authorization", "Bearer "+tok), 200, "")
		}
		otherGW := httptestServer(t, other.Gateway(exchange.GatewayOptions{}))
		for _, tok := range []string{t1, t2} {
			req, _ := http.NewRequest("GET", otherGW+e.path("/fast"), nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("other node: %v %v", res.StatusCode, err)
			}
			res.Body.Close()
		}
		// The old key cannot be retired while its tokens may live.
		if err := e.svc.RetireSigningKey(e.ctx, admin, oldKid); err == nil || !strings.Contains(err.Error(), "chưa hết hạn") {
			t.Fatalf("early retirement: %v", err)
		}
		if err := e.svc.RetireSigningKey(e.ctx, admin, k.KID); err == nil {
			t.Fatal("the signing key was retired")
		}
		keys, _ := e.svc.SigningKeys(e.ctx, admin)
		states := map[string]string{}
		for _, sk := range keys {
			states[sk.KID] = sk.State
		}
		if states[oldKid] != "verifying" || states[k.KID] != "active" {
			t.Errorf("states %v", states)
		}
		e.clock.Advance(6 * time.Minute)
		if err := e.svc.RetireSigningKey(e.ctx, admin, oldKid); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, "Authorization", "Bearer "+t2), 401, "") // expired by now
		t3, _ := e.token(nil, e.fx.Key.ID, e.fx.Key.Secret, true)
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, "Authorization", "Bearer "+t3), 200, "")
		if _, err := e.svc.RotateSigningKey(e.ctx, official("x", "agency_admin@"+e.fx.ProviderAgencyID)); err == nil {
			t.Error("an agency admin rotated the province's signing key")
		}
	})
}

func httptestServer(t *testing.T, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// pki makes a CA, a server certificate for 127.0.0.1 and client certificates.
type pki struct {
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	serial int64
}

func newPKI(t *testing.T) *pki {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "LGSP thử nghiệm CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	return &pki{ca: ca, caKey: key, serial: 1}
}

func (p *pki) issue(t *testing.T, cn string, server bool) tls.Certificate {
	p.serial++
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(p.serial), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func TestMutualTLSPinnedCertificates(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), envOpt{tls: true})
	p := newPKI(t)
	e.srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.issue(t, "127.0.0.1", true)}, ClientAuth: tls.RequestClientCert}
	e.srv.StartTLS()
	roots := x509.NewCertPool()
	roots.AddCert(p.ca)
	client := func(cert *tls.Certificate) *http.Client {
		cfg := &tls.Config{RootCAs: roots}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	good, bad := p.issue(t, "mot-cua-tinh", false), p.issue(t, "ke-gia-mao", false)
	// Before pinning, any TLS client with the key gets through.
	wantStatus(t, e.call(client(nil), "GET", e.path("/fast"), nil, e.key()...), 200, "")
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: good.Leaf.Raw}))
	c, err := e.svc.AddCert(e.ctx, e.sys, e.fx.Consumer.ID, exchange.CertInput{Name: "máy chủ một cửa", PEM: pemText})
	if err != nil {
		t.Fatal(err)
	}
	if c.Fingerprint != exchange.Fingerprint(good.Leaf.Raw) || !strings.Contains(c.Subject, "mot-cua-tinh") {
		t.Errorf("registered %+v", c)
	}
	wantStatus(t, e.call(client(nil), "GET", e.path("/fast"), nil, e.key()...), 401, "chứng thư số đã đăng ký")
	wantStatus(t, e.call(client(&bad), "GET", e.path("/fast"), nil, e.key()...), 401, "không khớp")
	wantStatus(t, e.call(client(&good), "GET", e.path("/fast"), nil, e.key()...), 200, "")
	// The token endpoint checks it too.
	if _, r := e.token(client(&bad), e.fx.Key.ID, e.fx.Key.Secret, true); r.status != 401 {
		t.Errorf("token with the wrong certificate: %d", r.status)
	}
	tok, r := e.token(client(&good), e.fx.Key.ID, e.fx.Key.Secret, true)
	if r.status != 200 {
		t.Fatalf("token with the pinned certificate: %d %s", r.status, r.body)
	}
	wantStatus(t, e.call(client(&bad), "GET", e.path("/fast"), nil, "Authorization", "Bearer "+tok), 401, "không khớp")
	wantStatus(t, e.call(client(&good), "GET", e.path("/fast"), nil, "Authorization", "Bearer "+tok), 200, "")
	// Fingerprints can be registered directly; unpinning takes effect at once.
	if _, err := e.svc.AddCert(e.ctx, e.sys, e.fx.Consumer.ID, exchange.CertInput{Name: "dự phòng", Fingerprint: "zz"}); err == nil {
		t.Error("a bad fingerprint was accepted")
	}
	if err := e.svc.RevokeCert(e.ctx, e.sys, e.fx.Consumer.ID, c.Fingerprint); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.call(client(nil), "GET", e.path("/fast"), nil, e.key()...), 200, "")
}

func TestDirectoryForConsumers(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), envOpt{})
	wantStatus(t, e.call(nil, "GET", "/lgsp/directory/members", nil), 401, "")
	r := e.call(nil, "GET", "/lgsp/directory/members", nil, e.key()...)
	wantStatus(t, r, 200, gwdemoProvider)
	if !strings.Contains(r.body, "000.00.91.H25") || !strings.Contains(r.body, `"gateway_path":"/lgsp/`+gwdemoProvider+`/tra-cuu/"`) {
		t.Errorf("members: %s", r.body)
	}
	wantStatus(t, e.call(nil, "GET", "/lgsp/directory/services", nil, e.key()...), 200, `"code":"tra-cuu"`)
	r = e.call(nil, "GET", "/lgsp/directory/services/"+gwdemoProvider+"/tra-cuu", nil, e.key()...)
	wantStatus(t, r, 200, "openapi: 3.1.0")
	if strings.Contains(r.body, e.up.URL) {
		t.Error("the directory shows the upstream address")
	}
	r = e.call(nil, "GET", "/lgsp/directory/services/"+gwdemoProvider+"/tra-cuu/openapi", nil, e.key()...)
	wantStatus(t, r, 200, "/citizens/{id}")
	if !strings.Contains(r.header.Get("Content-Type"), "yaml") {
		t.Errorf("content type %s", r.header.Get("Content-Type"))
	}
	r = e.call(nil, "GET", "/lgsp/directory/allowed", nil, e.key()...)
	wantStatus(t, r, 200, `"consumer":"`+e.fx.Consumer.Code+`"`)
	if !strings.Contains(r.body, `"access_id":"`+e.fx.Access.ID+`"`) {
		t.Errorf("allowed: %s", r.body)
	}
	wantStatus(t, e.call(nil, "GET", "/lgsp/directory/nothing", nil, e.key()...), 404, "")
}
