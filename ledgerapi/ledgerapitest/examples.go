// Package ledgerapitest has what tests of ledgerapi's adapters share: a valid example
// request for every request type of the ledger's operations.
package ledgerapitest

import "reflect"

// Example is a valid JSON request of type t ("{}" for a type that is valid empty): it passes
// the request's Validate. The names it uses (IDs, GTINs, accounts) are examples, not records
// that exist on any ledger.
func Example(t reflect.Type) []byte {
	if e, ok := examples[t.String()]; ok {
		return []byte(e)
	}
	return []byte("{}")
}

// examples are the valid requests by type name.
var examples = map[string]string{
	"epcis.CaptureArgs":                `{"events":[{"type":"ObjectEvent","eventTime":"2030-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:9506000.013435.S1"],"action":"OBSERVE"}]}`,
	"provenance.GetProductArgs":        `{"gtin":"09506000134352"}`,
	"provenance.GetLotArgs":            `{"gtin":"09506000134352","lot":"L1"}`,
	"provenance.GetItemArgs":           `{"gtin":"09506000134352","serial":"S1"}`,
	"ledgerapi.PingRequest":            `{"nonce":"n1"}`,
	"ledgerapi.RoleRequest":            `{"msp":"Org1MSP","role":"brand"}`,
	"provenance.CustodyArgs":           `{"kind":"lot","gtin":"09506000134352","lot":"L1"}`,
	"provenance.ProvenanceHistoryArgs": `{"kind":"lot","gtin":"09506000134352","lot":"L1"}`,
	"provenance.IssueCertificateArgs":  `{"id":"c1","subject":{"kind":"lot","gtin":"09506000134352","lot":"L1"},"type":"organic","hash":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","validFrom":"2030-01-01T00:00:00Z","validUntil":"2031-01-01T00:00:00Z"}`,
	"provenance.OfferCustodyArgs":      `{"kind":"lot","gtin":"09506000134352","lot":"L1","to":"Org2MSP","location":"dock 4"}`,
	"provenance.RecallLotArgs":         `{"gtin":"09506000134352","lot":"L1","reason":"salmonella"}`,
	"provenance.RegisterItemsArgs":     `{"gtin":"09506000134352","lot":"L1","serials":["S1"]}`,
	"provenance.RegisterLotArgs":       `{"gtin":"09506000134352","lot":"L1","quantity":1,"unit":"each"}`,
	"provenance.RegisterProductArgs":   `{"gtin":"09506000134352","name":"Kettle"}`,
	"provenance.RejectCustodyArgs":     `{"kind":"lot","gtin":"09506000134352","lot":"L1"}`,
	"provenance.RevokeCertificateArgs": `{"id":"c1","subject":{"kind":"lot","gtin":"09506000134352","lot":"L1"},"reason":"withdrawn"}`,
	"provenance.TraceArgs":             `{"gtin":"09506000134352","lot":"L1"}`,
	"provenance.VerifyArgs":            `{"gtin":"09506000134352","serial":"S1"}`,
	"orders.AccountArgs":               `{"account":"Org1MSP/alice","currency":"EUR"}`,
	"orders.IDArgs":                    `{"id":"o1"}`,
	"orders.DepositArgs":               `{"ref":"r1","currency":"EUR","credits":[{"account":"Org1MSP/alice","amount":100}]}`,
	"orders.MerchantOrdersArgs":        `{"merchant":"Org1MSP"}`,
	"orders.ReasonArgs":                `{"id":"o1"}`,
	"orders.PlaceArgs":                 `{"id":"o1","merchant":"Org1MSP","amount":1200,"currency":"EUR","deadline":"2030-01-02T03:04:05Z","items":[{"sku":"kettle","quantity":1}]}`,
	"orders.RefundArgs":                `{"id":"o1","refundId":"r1"}`,
	"orders.RegisterCurrencyArgs":      `{"currency":"EUR"}`,
	"orders.ResolveDisputeArgs":        `{"id":"o1","refund":0}`,
	"orders.WithdrawArgs":              `{"ref":"r1","account":"Org1MSP/alice","currency":"EUR","amount":1}`,
	"loyalty.ProgramArgs":              `{"program":"p1"}`,
	"loyalty.BalanceArgs":              `{"program":"p1"}`,
	"loyalty.CreateProgramArgs":        `{"id":"p1","name":"Stars","unit":"star","currency":"EUR","earn":{"per":100,"points":1},"expiryDays":365}`,
	"loyalty.EarnArgs":                 `{"program":"p1","id":"e1","account":"Org1MSP/alice","points":5}`,
	"loyalty.ExpireArgs":               `{"program":"p1","accounts":["Org1MSP/alice"]}`,
	"loyalty.HistoryArgs":              `{"program":"p1"}`,
	"loyalty.OrderArgs":                `{"order":"o1"}`,
	"loyalty.RedeemArgs":               `{"program":"p1","id":"r1","account":"Org1MSP/alice","points":5,"merchant":"Org1MSP"}`,
	"loyalty.StatementArgs":            `{"merchant":"Org1MSP","counterparty":"Org2MSP","from":"2030-01-01T00:00:00Z","to":"2030-02-01T00:00:00Z"}`,
	"loyalty.TransferArgs":             `{"program":"p1","id":"t1","account":"Org1MSP/alice","to":"Org1MSP/bob","points":5}`,
	"care.AssignTicketArgs":            `{"id":"t1","agent":"Org1MSP/agent-1"}`,
	"care.BreachReportArgs":            `{"merchant":"Org1MSP"}`,
	"care.IDArgs":                      `{"id":"t1"}`,
	"care.EditReviewArgs":              `{"id":"rv1","rating":4,"text":"good"}`,
	"care.MerchantArgs":                `{"merchant":"Org1MSP"}`,
	"care.ListReviewsArgs":             `{"merchant":"Org1MSP"}`,
	"ledgerapi.OpenTicketRequest":      `{"id":"t1","merchant":"Org1MSP","category":"delivery","priority":"normal","personal":{"salt":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","message":"where is it"}}`,
	"care.PostReviewArgs":              `{"id":"rv1","orderId":"o1","rating":4,"text":"good"}`,
	"ledgerapi.TicketStepRequest":      `{"id":"t1"}`,
	"care.ReplyToReviewArgs":           `{"id":"rv1","text":"thanks"}`,
	"ledgerapi.RespondTicketRequest":   `{"id":"t1","personal":{"salt":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","message":"on its way"}}`,
	"care.SLAPolicyArgs":               `{"urgent":{"firstResponse":"1h","resolution":"4h"},"high":{"firstResponse":"2h","resolution":"8h"},"normal":{"firstResponse":"4h","resolution":"24h"},"low":{"firstResponse":"8h","resolution":"72h"}}`,
	"care.SweepSLAArgs":                `{"merchant":"Org1MSP"}`,
	"care.PublishTicketKeysArgs":       `{"keys":[{"id":"k1","publicKey":"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="}]}`,
	"care.TicketKeysArgs":              `{"merchant":"Org1MSP"}`,
}
