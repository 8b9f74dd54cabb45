package ledger_test

import (
	"slices"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/cxlerr"
)

func TestNewTx(t *testing.T) {
	at := time.Date(2026, 5, 4, 12, 30, 0, 123, time.FixedZone("CEST", 2*3600))
	stub := ledgertest.New().At(at).AsIdentity(ledgertest.Identity{
		MSP: "Org1MSP", CN: "alice", OU: "client", Attrs: map[string]string{"care.agent": "true"},
	})
	tx := newTx(t, stub)
	if tx.ID() != stub.GetTxID() || tx.Stub() != stub {
		t.Fatalf("ID %q, stub %v", tx.ID(), tx.Stub())
	}
	if !tx.Time().Equal(at) || tx.Time().Location() != time.UTC {
		t.Fatalf("Time = %v, want %v in UTC", tx.Time(), at)
	}
	c := tx.Caller()
	if c.MSP != "Org1MSP" || c.Name != "alice" || c.Account != "Org1MSP/alice" {
		t.Fatalf("caller %+v", c)
	}
	if !slices.Equal(c.Roles, []string{"client"}) || !c.IsClient() || c.IsAdmin() {
		t.Fatalf("roles %q", c.Roles)
	}
	if c.Attrs["care.agent"] != "true" || len(c.Attrs) != 1 {
		t.Fatalf("attrs %v", c.Attrs)
	}
}

func TestNewTxCallers(t *testing.T) {
	tests := []struct {
		name    string
		id      *ledgertest.Identity
		wantErr string
		check   func(*testing.T, ledger.Caller)
	}{
		{"admin", &ledgertest.Identity{MSP: "Org2MSP", CN: "Admin@org2.example.com", OU: "admin"}, "", func(t *testing.T, c ledger.Caller) {
			if !c.IsAdmin() || c.IsClient() || c.Attrs == nil {
				t.Fatalf("caller %+v", c)
			}
		}},
		{"no NodeOU", &ledgertest.Identity{MSP: "Org2MSP", CN: "legacy", OU: "department7"}, "", func(t *testing.T, c ledger.Caller) {
			if c.Roles == nil || len(c.Roles) != 0 || c.IsAdmin() || c.IsClient() {
				t.Fatalf("roles %q", c.Roles)
			}
		}},
		{"no caller", nil, "identify caller", nil},
		{"empty common name", &ledgertest.Identity{MSP: "Org1MSP", CN: "", OU: "client"}, "certificate common name: required", nil},
		{"control character in common name", &ledgertest.Identity{MSP: "Org1MSP", CN: "a\tb", OU: "client"}, "unprintable", nil},
		{"bad MSP ID", &ledgertest.Identity{MSP: "Org 1", CN: "alice", OU: "client"}, "MSP ID", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub := ledgertest.New()
			if tt.id != nil {
				stub.AsIdentity(*tt.id)
			}
			tx, err := ledger.NewTx(stub)
			if tt.wantErr != "" {
				assertCode(t, err, cxlerr.Unauthenticated, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, tx.Caller())
		})
	}
}
