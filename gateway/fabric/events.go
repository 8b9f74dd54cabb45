package fabric

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/cxledger/cxledger/ledgerapi"
)

type eventService struct{ s *Session }

// reconnectDelay is how long an event stream waits before it reconnects after a failure.
const reconnectDelay = 500 * time.Millisecond

// Subscribe reads whole blocks from a gateway peer, so that every event has its exact
// position (block, transaction index), and keeps the chaincode events of VALID
// transactions that the query selects. When the stream breaks it reconnects to the next
// peer and resumes at the block of the last position it handled, skipping what it already
// delivered.
func (e eventService) Subscribe(ctx context.Context, q ledgerapi.EventQuery) (<-chan ledgerapi.Event, error) {
	out := make(chan ledgerapi.Event)
	go func() {
		defer close(out)
		e.s.c.stream(ctx, e.s.s, q, out)
	}()
	return out, nil
}

// closed is a channel of blocks with nothing in it, for a stream that could not be opened.
var closed = func() chan *common.Block { ch := make(chan *common.Block); close(ch); return ch }()

// stream delivers events until ctx ends.
func (c *Client) stream(ctx context.Context, s *signer, q ledgerapi.EventQuery, out chan<- ledgerapi.Event) {
	after := q.After
	peerIdx := int(c.preferred.Load())
	for ctx.Err() == nil {
		var opts []client.BlockEventsOption
		if after != nil {
			opts = append(opts, client.WithStartBlock(after.Block))
		}
		sctx, cancel := context.WithCancel(ctx)
		blocks, err := s.gws[peerIdx].GetNetwork(c.channel).BlockEvents(sctx, opts...)
		if err != nil {
			c.log.Warn("open event stream", "peer", c.peers[peerIdx].Address, "error", err)
			blocks = closed
		}
		for block := range blocks {
			num := block.GetHeader().GetNumber()
			if after == nil {
				after = &ledgerapi.Position{Block: num, TxIndex: -1}
			}
			events, err := chaincodeEvents(block, c.chaincode)
			if err != nil {
				c.log.Error("skipping unreadable block", "block", num, "error", err)
			}
			for _, ev := range events {
				if !after.Before(ev.Position) {
					continue
				}
				if q.Matches(ev) {
					select {
					case out <- ev:
					case <-ctx.Done():
						cancel()
						return
					}
				}
				p := ev.Position
				after = &p
			}
			// The whole block is handled: resume at its end.
			after = &ledgerapi.Position{Block: num, TxIndex: math.MaxInt32}
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		peerIdx = (peerIdx + 1) % len(c.peers)
		c.log.Warn("event stream ended, reconnecting", "peer", c.peers[peerIdx].Address, "after", after)
		select {
		case <-ctx.Done():
		case <-time.After(reconnectDelay):
		}
	}
}

// chaincodeEvents returns the events of chaincode that VALID transactions of block set, in
// block order, each with its position.
func chaincodeEvents(block *common.Block, chaincode string) ([]ledgerapi.Event, error) {
	num := block.GetHeader().GetNumber()
	var flags []byte
	if md := block.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		flags = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	var events []ledgerapi.Event
	for i, data := range block.GetData().GetData() {
		if i >= len(flags) || peer.TxValidationCode(flags[i]) != peer.TxValidationCode_VALID {
			continue
		}
		ev, err := eventOf(data)
		if err != nil {
			return events, fmt.Errorf("block %d transaction %d: %w", num, i, err)
		}
		if ev == nil || ev.GetChaincodeId() != chaincode {
			continue
		}
		pos := ledgerapi.Position{Block: num, TxIndex: i}
		contract, typ, ok := strings.Cut(ev.GetEventName(), ".")
		if !ok {
			contract, typ = "", ev.GetEventName()
		}
		events = append(events, ledgerapi.Event{
			ID: pos.String(), Position: pos, TransactionID: ev.GetTxId(),
			Contract: contract, Type: typ, Payload: ev.GetPayload(),
		})
	}
	return events, nil
}

// eventOf returns the chaincode event an endorser transaction set, or nil for other
// transactions (configuration) and transactions without an event.
func eventOf(envelopeBytes []byte) (*peer.ChaincodeEvent, error) {
	env := &common.Envelope{}
	if err := proto.Unmarshal(envelopeBytes, env); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	payload := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), payload); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), chdr); err != nil {
		return nil, fmt.Errorf("channel header: %w", err)
	}
	if common.HeaderType(chdr.GetType()) != common.HeaderType_ENDORSER_TRANSACTION {
		return nil, nil
	}
	tx := &peer.Transaction{}
	if err := proto.Unmarshal(payload.GetData(), tx); err != nil {
		return nil, fmt.Errorf("transaction: %w", err)
	}
	for _, action := range tx.GetActions() {
		actionPayload := &peer.ChaincodeActionPayload{}
		if err := proto.Unmarshal(action.GetPayload(), actionPayload); err != nil {
			return nil, fmt.Errorf("action payload: %w", err)
		}
		prp := &peer.ProposalResponsePayload{}
		if err := proto.Unmarshal(actionPayload.GetAction().GetProposalResponsePayload(), prp); err != nil {
			return nil, fmt.Errorf("proposal response payload: %w", err)
		}
		ca := &peer.ChaincodeAction{}
		if err := proto.Unmarshal(prp.GetExtension(), ca); err != nil {
			return nil, fmt.Errorf("chaincode action: %w", err)
		}
		if len(ca.GetEvents()) == 0 {
			continue
		}
		ev := &peer.ChaincodeEvent{}
		if err := proto.Unmarshal(ca.GetEvents(), ev); err != nil {
			return nil, fmt.Errorf("chaincode event: %w", err)
		}
		if ev.GetEventName() != "" {
			return ev, nil
		}
	}
	return nil, nil
}
