package workload

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/orders"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/signing"
	"github.com/cxledger/cxledger/ledgerapi"
)

// TestCustomersWhoSign: a customer given a certificate and key instead of an API key
// prepares its transactions as itself, with a request signature and no API key; a key that
// is not ECDSA PKCS#8 is refused when the service is set up.
func TestCustomersWhoSign(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/openapi.json" {
			fmt.Fprint(w, `{"paths": {"/v1/orders/orders": {"post": {"operationId": "orders.Place"}}}}`)
			return
		}
		mu.Lock()
		seen = append(seen, r.URL.Path+" auth="+r.Header.Get("Authorization")+" signed="+fmt.Sprint(r.Header.Get(signing.SignatureHeader) != ""))
		mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"code":"UNAUTHENTICATED","message":"not a member's customer"}`)
	}))
	defer srv.Close()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	cust := APIKey{Principal: "c0", MSPID: "Org2MSP", User: "c0", CertPEM: []byte("cert"), KeyPEM: keyPEM}
	env := &Env{Service: &ServiceConfig{URL: srv.URL, Customers: []APIKey{cust}}, Workers: 1}
	defer env.Close()
	s, err := env.service(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ts, accounts, err := serviceActors{s}.customers(1)
	if err != nil || accounts[0] != "Org2MSP/c0" {
		t.Fatalf("customers %v: %v", accounts, err)
	}
	_, err = ledgerapi.OrdersPlace.Run(context.Background(), ts[0], ledgerapi.PlaceOrderRequest{ID: "o1", Merchant: "Org1MSP", Amount: 1, Currency: "EUR",
		Deadline: time.Now().Add(time.Hour).UTC().Truncate(time.Second), Items: []orders.OrderItem{{SKU: "x", Quantity: 1}}})
	if cxlerr.CodeOf(err) != cxlerr.Unauthenticated {
		t.Fatalf("place: %v", err)
	}
	if len(seen) != 1 || seen[0] != "/v1/customer/prepare auth= signed=true" {
		t.Fatalf("requests %q", seen)
	}
	bad := cust
	bad.KeyPEM = []byte("junk")
	if _, err := newService(context.Background(), ServiceConfig{URL: srv.URL, Customers: []APIKey{bad}}); err == nil {
		t.Fatal("a key that is not PEM was accepted")
	}
}
