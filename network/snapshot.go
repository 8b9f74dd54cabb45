package network

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-admin-sdk/pkg/channel"
	adminid "github.com/hyperledger/fabric-admin-sdk/pkg/identity"
	"github.com/hyperledger/fabric-admin-sdk/pkg/snapshot"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// A peer writes a ledger snapshot of a channel as a directory of data files and two
// metadata files. The signable one lists every data file with its SHA-256 and names the
// channel and the last block; its own SHA-256 is the snapshot's hash (Fabric's
// snapshot_hash, also written in the additional metadata file). A peer that joins from a
// snapshot checks the files against the metadata in the same directory, which whoever
// hands the directory over can rewrite: the joiner must be given the hash by a peer it
// trusts, computed on that peer's host, and compare it before it joins.
const (
	snapshotSignableFile   = "_snapshot_signable_metadata.json"
	snapshotAdditionalFile = "_snapshot_additional_metadata.json"
	// snapshotMetadataLimit bounds how much of a metadata file is read.
	snapshotMetadataLimit = 1 << 20
)

// Snapshot is a ledger snapshot of a channel: where its directory is and its hash.
type Snapshot struct {
	// Channel is the channel whose ledger it holds.
	Channel string `json:"channel"`
	// Block is the number of the last block it includes: a peer joined from it goes on
	// from block Block+1.
	Block uint64 `json:"block"`
	// Dir is its directory.
	Dir string `json:"dir"`
	// Hash is the hex SHA-256 of its signable metadata file.
	Hash string `json:"hash"`
}

// snapshotMetadata is what a snapshot's signable metadata file says.
type snapshotMetadata struct {
	ChannelName     string            `json:"channel_name"`
	LastBlockNumber uint64            `json:"last_block_number"`
	Files           map[string]string `json:"snapshot_files_raw_hashes"`
}

// SnapshotDir is where peer n of the network in home writes its completed snapshots of
// channel at block (natively: CORE_LEDGER_SNAPSHOTS_ROOTDIR under the peer's data).
func (h Home) SnapshotDir(n Node, channel string, block uint64) string {
	return h.Path("data", n.Name, "snapshots", "completed", channel, strconv.FormatUint(block, 10))
}

// RequestSnapshot asks peer n of org, as org's Admin through fabric-admin-sdk's snapshot
// service, for a snapshot of t's channel at its last committed block, waits up to within
// until the peer has written it, and returns it with its hash, computed here from the
// peer's own files: what the peer's organisation hands a joiner that trusts it. Natively
// only: under Docker the snapshot is in the peer's volume.
func RequestSnapshot(ctx context.Context, home Home, t Topology, org Org, n Node, within time.Duration) (Snapshot, error) {
	if t.Runtime == Docker {
		return Snapshot{}, fmt.Errorf("a snapshot is read from the peer's directory on this host: native networks only")
	}
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	a, err := dialPeerAdmin(home, org, n)
	if err != nil {
		return Snapshot{}, err
	}
	defer a.Close()
	sp := snapshot.NewPeer(a.conn, a.id)
	// A block committed between reading the height and the request makes the peer refuse
	// a block behind its last one: read the height again and ask again.
	var block uint64
	for {
		height, err := PeerHeight(ctx, home, t, org, n)
		if err != nil {
			return Snapshot{}, err
		}
		block = height - 1
		if _, err := os.Stat(home.SnapshotDir(n, t.Channel, block)); err == nil {
			break
		}
		err = sp.SubmitRequest(ctx, t.Channel, block)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "cannot be less than the last committed block") || ctx.Err() != nil {
			return Snapshot{}, fmt.Errorf("request a snapshot of %s at block %d from %s: %w", t.Channel, block, n.Name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	dir := home.SnapshotDir(n, t.Channel, block)
	for {
		pending, err := sp.QueryPending(ctx, t.Channel)
		if err != nil {
			return Snapshot{}, fmt.Errorf("pending snapshots of %s: %w", n.Name, err)
		}
		_, statErr := os.Stat(filepath.Join(dir, snapshotAdditionalFile))
		if statErr == nil && !containsBlock(pending.GetBlockNumbers(), block) {
			break
		}
		select {
		case <-ctx.Done():
			return Snapshot{}, fmt.Errorf("snapshot of %s at block %d by %s not written within %s", t.Channel, block, n.Name, within)
		case <-time.After(100 * time.Millisecond):
		}
	}
	hash, err := SnapshotHash(dir)
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Channel: t.Channel, Block: block, Dir: dir, Hash: hash}, nil
}

func containsBlock(blocks []uint64, b uint64) bool {
	for _, x := range blocks {
		if x == b {
			return true
		}
	}
	return false
}

// SnapshotHash is the hash of the snapshot in dir: the hex SHA-256 of its signable metadata
// file, which lists every other file with its own SHA-256.
func SnapshotHash(dir string) (string, error) {
	data, err := readSnapshotFile(dir, snapshotSignableFile)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// readSnapshotFile reads a metadata file of the snapshot in dir, a regular file of at most
// snapshotMetadataLimit bytes.
func readSnapshotFile(dir, name string) ([]byte, error) {
	file := filepath.Join(dir, name)
	info, err := os.Lstat(file)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "%s is no ledger snapshot: %v", dir, err)
	}
	if !info.Mode().IsRegular() {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "%s of the snapshot in %s is no regular file", name, dir)
	}
	if info.Size() > snapshotMetadataLimit {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "%s of the snapshot in %s is larger than %d bytes", name, dir, snapshotMetadataLimit)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return data, nil
}

// VerifySnapshot checks the snapshot in dir against expected, the hash a trusted peer's
// organisation computed of its own copy (SnapshotHash), before anything joins from it: its
// signable metadata must have that hash and name channel; every file it lists must be there
// with the listed SHA-256, and no other file; the additional metadata must carry the same
// hash. A malformed expected hash, or a snapshot of another channel, is INVALID; any
// difference from the trusted snapshot is UNAUTHENTICATED. It returns the snapshot.
func VerifySnapshot(dir, channel, expected string) (Snapshot, error) {
	expected = strings.ToLower(strings.TrimSpace(expected))
	if len(expected) != sha256.Size*2 {
		return Snapshot{}, cxlerr.Errorf(cxlerr.Invalid, "snapshot hash %q: want the %d hex digits of a SHA-256", expected, sha256.Size*2)
	}
	if _, err := hex.DecodeString(expected); err != nil {
		return Snapshot{}, cxlerr.Errorf(cxlerr.Invalid, "snapshot hash %q: want the %d hex digits of a SHA-256", expected, sha256.Size*2)
	}
	signable, err := readSnapshotFile(dir, snapshotSignableFile)
	if err != nil {
		return Snapshot{}, err
	}
	sum := sha256.Sum256(signable)
	if got := hex.EncodeToString(sum[:]); got != expected {
		return Snapshot{}, cxlerr.Errorf(cxlerr.Unauthenticated,
			"the snapshot in %s has hash %s, not the trusted peer's %s: refused, nothing joined", dir, got, expected)
	}
	var meta snapshotMetadata
	if err := json.Unmarshal(signable, &meta); err != nil {
		return Snapshot{}, cxlerr.Errorf(cxlerr.Invalid, "the snapshot's metadata in %s: %v", dir, err)
	}
	if meta.ChannelName != channel {
		return Snapshot{}, cxlerr.Errorf(cxlerr.Invalid, "the snapshot in %s is of channel %q, not %q", dir, meta.ChannelName, channel)
	}
	if len(meta.Files) == 0 {
		return Snapshot{}, cxlerr.Errorf(cxlerr.Invalid, "the snapshot's metadata in %s lists no file", dir)
	}
	additional, err := readSnapshotFile(dir, snapshotAdditionalFile)
	if err != nil {
		return Snapshot{}, err
	}
	var add struct {
		Hash string `json:"snapshot_hash"`
	}
	if err := json.Unmarshal(additional, &add); err != nil || add.Hash != expected {
		return Snapshot{}, cxlerr.Errorf(cxlerr.Unauthenticated,
			"the snapshot in %s: its additional metadata does not carry the trusted hash %s: refused, nothing joined", dir, expected)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Snapshot{}, fmt.Errorf("list %s: %w", dir, err)
	}
	for _, e := range entries {
		if name := e.Name(); name != snapshotSignableFile && name != snapshotAdditionalFile {
			if _, listed := meta.Files[name]; !listed {
				return Snapshot{}, cxlerr.Errorf(cxlerr.Unauthenticated,
					"the snapshot in %s holds %s, which the trusted metadata does not list: refused, nothing joined", dir, name)
			}
		}
	}
	for name, want := range meta.Files {
		if name != filepath.Base(name) || name == "." || name == ".." || strings.HasPrefix(name, "_snapshot_") {
			return Snapshot{}, cxlerr.Errorf(cxlerr.Invalid, "the snapshot's metadata in %s lists the file %q", dir, name)
		}
		got, err := fileSHA256(filepath.Join(dir, name))
		if err != nil {
			return Snapshot{}, cxlerr.Errorf(cxlerr.Unauthenticated, "the snapshot in %s: %s: %v: refused, nothing joined", dir, name, err)
		}
		if got != strings.ToLower(want) {
			return Snapshot{}, cxlerr.Errorf(cxlerr.Unauthenticated,
				"the snapshot in %s: %s has SHA-256 %s, not the trusted %s: refused, nothing joined", dir, name, got, want)
		}
	}
	return Snapshot{Channel: channel, Block: meta.LastBlockNumber, Dir: dir, Hash: expected}, nil
}

// fileSHA256 is the hex SHA-256 of a regular file.
func fileSHA256(file string) (string, error) {
	info, err := os.Lstat(file)
	if err != nil {
		return "", err
	}
	if !info.Mode().IsRegular() {
		return "", errors.New("not a regular file")
	}
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CopySnapshot copies the regular files of the snapshot directory src into dst, which must
// not exist: how a snapshot travels from the trusted peer's host to the joiner's (an
// operator's copy; nothing in it is trusted until VerifySnapshot).
func CopySnapshot(src, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return cxlerr.Errorf(cxlerr.Conflict, "%s exists", dst)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("list %s: %w", src, err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			return fmt.Errorf("%s in %s is no regular file", e.Name(), src)
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return fmt.Errorf("read %s: %w", e.Name(), err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", e.Name(), err)
		}
	}
	return nil
}

// JoinPeerBySnapshot joins the member's peer p to the channel from the snapshot in dir,
// after checking it against expected, the hash of the same snapshot a trusted peer's
// organisation computed on its own host (VerifySnapshot): a snapshot that does not match is
// refused and nothing is joined. The peer (on this host) reads dir itself; it is asked
// through its configuration system chaincode (cscc JoinChainBySnapshot, which
// fabric-admin-sdk v0.2.0 does not cover) as the member's Admin, builds its ledger from
// the snapshot in the background, and goes on from the snapshot's next block with the
// blocks the orderers deliver. It returns once the peer has the snapshot's height, with
// the snapshot. A peer that has the channel already is CONFLICT.
func (m Member) JoinPeerBySnapshot(ctx context.Context, p Node, dir, expected string, within time.Duration) (Snapshot, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Snapshot{}, err
	}
	snap, err := VerifySnapshot(abs, m.Topology.Channel, expected)
	if err != nil {
		return Snapshot{}, err
	}
	a, err := dialPeerAdmin(m.Home, m.Org, p)
	if err != nil {
		return Snapshot{}, err
	}
	defer a.Close()
	channels, err := channel.ListChannelOnPeer(ctx, a.conn, a.id)
	if err != nil {
		return Snapshot{}, fmt.Errorf("list channels of %s: %w", p.Name, err)
	}
	for _, c := range channels {
		if c.GetChannelId() == snap.Channel {
			return Snapshot{}, cxlerr.Errorf(cxlerr.Conflict, "%s has joined %s already", p.Name, snap.Channel)
		}
	}
	if err := invokeCSCC(ctx, a, "JoinChainBySnapshot", []byte(abs)); err != nil {
		return Snapshot{}, fmt.Errorf("join %s to %s from the snapshot at block %d: %w", p.Name, snap.Channel, snap.Block, err)
	}
	return snap, m.WaitPeerHeight(ctx, p, snap.Block+1, within)
}

// invokeCSCC sends a proposal for the peer's configuration system chaincode function fn
// with args, signed by a's identity, and fails unless the peer answers 200.
func invokeCSCC(ctx context.Context, a *peerAdmin, fn string, args ...[]byte) error {
	signed, err := csccProposal(a.id, fn, args...)
	if err != nil {
		return err
	}
	resp, err := peer.NewEndorserClient(a.conn).ProcessProposal(ctx, signed)
	if err != nil {
		return err
	}
	if r := resp.GetResponse(); r.GetStatus() != 200 {
		return fmt.Errorf("%s: status %d: %s", fn, r.GetStatus(), r.GetMessage())
	}
	return nil
}

// csccProposal is a signed proposal to the peer's cscc, outside any channel.
func csccProposal(id adminid.SigningIdentity, fn string, args ...[]byte) (*peer.SignedProposal, error) {
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: id.MspID(), IdBytes: id.Credentials()})
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	txID := sha256.Sum256(append(bytes.Clone(nonce), creator...))
	ccID := &peer.ChaincodeID{Name: "cscc"}
	ext, err := proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: ccID})
	if err != nil {
		return nil, err
	}
	chdr, err := proto.Marshal(&cb.ChannelHeader{Type: int32(cb.HeaderType_ENDORSER_TRANSACTION),
		Timestamp: timestamppb.Now(), TxId: hex.EncodeToString(txID[:]), Extension: ext})
	if err != nil {
		return nil, err
	}
	shdr, err := proto.Marshal(&cb.SignatureHeader{Creator: creator, Nonce: nonce})
	if err != nil {
		return nil, err
	}
	header, err := proto.Marshal(&cb.Header{ChannelHeader: chdr, SignatureHeader: shdr})
	if err != nil {
		return nil, err
	}
	input, err := proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		Type: peer.ChaincodeSpec_GOLANG, ChaincodeId: ccID,
		Input: &peer.ChaincodeInput{Args: append([][]byte{[]byte(fn)}, args...)},
	}})
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: input})
	if err != nil {
		return nil, err
	}
	prop, err := proto.Marshal(&peer.Proposal{Header: header, Payload: payload})
	if err != nil {
		return nil, err
	}
	sig, err := id.Sign(prop)
	if err != nil {
		return nil, fmt.Errorf("sign the %s proposal: %w", fn, err)
	}
	return &peer.SignedProposal{ProposalBytes: prop, Signature: sig}, nil
}
