package fabric

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/cxledger/cxledger/ledgerapi"
)

func eventTx(t *testing.T, txID, chaincode, name string) *common.Envelope {
	return envelope(t, txID, nil, &peer.ChaincodeEvent{ChaincodeId: chaincode, TxId: txID, EventName: name, Payload: []byte(`{"tx":"` + txID + `"}`)})
}

// testBlocks are blocks 5 to 7: block 5 holds a VALID event, an event of an invalid
// transaction, an event of another chaincode and a transaction without an event.
func testBlocks(t *testing.T) []*common.Block {
	valid, invalid := peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT
	return []*common.Block{
		block(t, 5, []*common.Envelope{
			eventTx(t, "a", "cc", "health.Pinged"), eventTx(t, "b", "cc", "health.Pinged"),
			eventTx(t, "c", "other", "health.Pinged"), envelope(t, "d", nil, nil),
		}, []peer.TxValidationCode{valid, invalid, valid, valid}),
		block(t, 6, []*common.Envelope{eventTx(t, "e", "cc", "consortium.RoleProposed")}, []peer.TxValidationCode{valid}),
		block(t, 7, []*common.Envelope{envelope(t, "f", nil, nil), eventTx(t, "g", "cc", "health.Pinged")}, []peer.TxValidationCode{valid, valid}),
	}
}

func TestChaincodeEventsOfBlock(t *testing.T) {
	events, err := chaincodeEvents(testBlocks(t)[0], "cc")
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Fatalf("events %+v: want only the VALID transaction's event of chaincode cc", events)
	}
	e := events[0]
	if e.ID != "5:0" || e.TransactionID != "a" || e.Contract != "health" || e.Type != "Pinged" || string(e.Payload) != `{"tx":"a"}` {
		t.Fatalf("event %+v", e)
	}
}

// collect reads n events, or fails after a while.
func collect(t *testing.T, ch <-chan ledgerapi.Event, n int) []string {
	t.Helper()
	var ids []string
	timeout := time.After(10 * time.Second)
	for len(ids) < n {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("stream closed after %v", ids)
			}
			ids = append(ids, e.ID+" "+e.TransactionID)
		case <-timeout:
			t.Fatalf("got %v, want %d events", ids, n)
		}
	}
	return ids
}

// TestSubscribeResumesOnAnotherPeer breaks the stream of the first peer after block 6 and
// checks that the stream continues from the second peer with nothing missed and nothing
// repeated, and that filters and a resume position apply.
func TestSubscribeResumesOnAnotherPeer(t *testing.T) {
	pki := newTestPKI(t)
	first, p1 := startFakePeer(t, pki, `{}`)
	second, p2 := startFakePeer(t, pki, `{}`)
	blocks := testBlocks(t)
	first.blocks, first.failAfter = blocks[:2], true
	second.blocks = blocks
	c := newTestClient(t, p1, p2)
	events := session(t, c, nil).Events()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := events.Subscribe(ctx, ledgerapi.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got := collect(t, ch, 3); !slices.Equal(got, []string{"5:0 a", "6:0 e", "7:1 g"}) {
		t.Fatalf("events %v", got)
	}
	if log := second.log(); len(log) == 0 || log[0] != "deliver from 6" {
		t.Fatalf("second peer: %v, want to resume at block 6", log)
	}
	cancel()
	for range ch {
	}

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	ch, err = events.Subscribe(ctx, ledgerapi.EventQuery{After: &ledgerapi.Position{Block: 6}, Types: []string{"Pinged"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := collect(t, ch, 1); !slices.Equal(got, []string{"7:1 g"}) {
		t.Fatalf("events after 6:0 of type Pinged: %v", got)
	}
}
