package network

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	adminid "github.com/hyperledger/fabric-admin-sdk/pkg/identity"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// testSnapshot writes a snapshot of channel "cxledger" at block 41 the way a peer does
// (data files, the signable metadata listing their SHA-256, the additional metadata with
// the signable metadata's hash) into a new directory, with meta changed by edit, and
// returns the directory and the snapshot's hash.
func testSnapshot(t *testing.T, edit func(meta map[string]any)) (string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "41")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for name, data := range map[string]string{"public_state.data": "state\x00\x01", "public_state.metadata": "m", "txids.data": "tx"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o444); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(data))
		files[name] = hex.EncodeToString(sum[:])
	}
	meta := map[string]any{"channel_name": "cxledger", "last_block_number": 41, "last_block_hash": "ab",
		"previous_block_hash": "cd", "snapshot_files_raw_hashes": files, "state_db_type": "SimpleKeyValueDB"}
	if edit != nil {
		edit(meta)
	}
	signable, err := json.MarshalIndent(meta, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(signable)
	hash := hex.EncodeToString(sum[:])
	additional, _ := json.Marshal(map[string]string{"snapshot_hash": hash, "last_block_commit_hash": "ef"})
	if err := os.WriteFile(filepath.Join(dir, snapshotSignableFile), signable, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, snapshotAdditionalFile), additional, 0o444); err != nil {
		t.Fatal(err)
	}
	return dir, hash
}

func TestVerifySnapshot(t *testing.T) {
	dir, hash := testSnapshot(t, nil)
	if got, err := SnapshotHash(dir); err != nil || got != hash {
		t.Fatalf("SnapshotHash = %q, %v; want %q", got, err, hash)
	}
	snap, err := VerifySnapshot(dir, "cxledger", hash)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Block != 41 || snap.Channel != "cxledger" || snap.Hash != hash || snap.Dir != dir {
		t.Fatalf("verified %+v", snap)
	}
	if _, err := VerifySnapshot(dir, "cxledger", " "+strings.ToUpper(hash)+"\n"); err != nil {
		t.Fatalf("the hash in capitals with spaces: %v", err)
	}
}

func TestVerifySnapshotRefusesBadHashes(t *testing.T) {
	dir, hash := testSnapshot(t, nil)
	other := sha256.Sum256([]byte("another snapshot"))
	for _, c := range []struct {
		name, expected string
		code           cxlerr.Code
	}{
		{"empty", "", cxlerr.Invalid},
		{"too short", hash[:63], cxlerr.Invalid},
		{"too long", hash + "0", cxlerr.Invalid},
		{"not hex", strings.Repeat("g", 64), cxlerr.Invalid},
		{"invalid UTF-8", "\xff" + hash[1:], cxlerr.Invalid},
		{"another snapshot's", hex.EncodeToString(other[:]), cxlerr.Unauthenticated},
	} {
		if _, err := VerifySnapshot(dir, "cxledger", c.expected); cxlerr.CodeOf(err) != c.code {
			t.Errorf("%s hash: %v, want %s", c.name, err, c.code)
		}
	}
	if _, err := VerifySnapshot(filepath.Join(dir, "missing"), "cxledger", hash); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Errorf("no snapshot there: %v", err)
	}
}

func TestVerifySnapshotRefusesTamperedSnapshots(t *testing.T) {
	for _, c := range []struct {
		name   string
		edit   func(meta map[string]any)
		tamper func(t *testing.T, dir string)
		code   cxlerr.Code
		want   string
	}{
		{name: "a changed data file", code: cxlerr.Unauthenticated, want: "public_state.data has SHA-256",
			tamper: func(t *testing.T, dir string) { rewrite(t, filepath.Join(dir, "public_state.data"), "state\x00\x02") }},
		{name: "a missing data file", code: cxlerr.Unauthenticated, want: "txids.data",
			tamper: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "txids.data")) }},
		{name: "an extra file", code: cxlerr.Unauthenticated, want: "does not list",
			tamper: func(t *testing.T, dir string) { rewrite(t, filepath.Join(dir, "extra.data"), "x") }},
		{name: "a data file replaced by a link", code: cxlerr.Unauthenticated, want: "not a regular file",
			tamper: func(t *testing.T, dir string) {
				target := filepath.Join(t.TempDir(), "elsewhere")
				rewrite(t, target, "tx")
				os.Remove(filepath.Join(dir, "txids.data"))
				if err := os.Symlink(target, filepath.Join(dir, "txids.data")); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "rewritten metadata", code: cxlerr.Unauthenticated, want: "not the trusted peer's",
			tamper: func(t *testing.T, dir string) {
				rewrite(t, filepath.Join(dir, snapshotSignableFile), `{"channel_name":"cxledger"}`)
			}},
		{name: "other additional metadata", code: cxlerr.Unauthenticated, want: "additional metadata",
			tamper: func(t *testing.T, dir string) {
				rewrite(t, filepath.Join(dir, snapshotAdditionalFile), `{"snapshot_hash":"00"}`)
			}},
		{name: "a snapshot of another channel", code: cxlerr.Invalid, want: `of channel "other"`,
			edit: func(meta map[string]any) { meta["channel_name"] = "other" }},
		{name: "a file outside the directory", code: cxlerr.Invalid, want: `"../txids.data"`,
			edit: func(meta map[string]any) {
				files := meta["snapshot_files_raw_hashes"].(map[string]string)
				files["../txids.data"] = files["txids.data"]
			}},
		{name: "no file", code: cxlerr.Invalid, want: "lists no file",
			edit: func(meta map[string]any) { meta["snapshot_files_raw_hashes"] = map[string]string{} }},
		{name: "metadata of the wrong type", code: cxlerr.Invalid, want: "metadata",
			edit: func(meta map[string]any) { meta["last_block_number"] = "forty-one" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, hash := testSnapshot(t, c.edit)
			if c.tamper != nil {
				os.Chmod(dir, 0o755)
				c.tamper(t, dir)
			}
			_, err := VerifySnapshot(dir, "cxledger", hash)
			if cxlerr.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%v, want %s ... %q", err, c.code, c.want)
			}
		})
	}
}

func TestVerifySnapshotRefusesHugeMetadata(t *testing.T) {
	dir, _ := testSnapshot(t, nil)
	big := make([]byte, snapshotMetadataLimit+1)
	os.Chmod(filepath.Join(dir, snapshotSignableFile), 0o644)
	rewrite(t, filepath.Join(dir, snapshotSignableFile), string(big))
	sum := sha256.Sum256(big)
	if _, err := VerifySnapshot(dir, "cxledger", hex.EncodeToString(sum[:])); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("metadata of %d bytes: %v", len(big), err)
	}
}

func rewrite(t *testing.T, file, data string) {
	t.Helper()
	os.Remove(file)
	if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCopySnapshot(t *testing.T) {
	src, hash := testSnapshot(t, nil)
	dst := filepath.Join(t.TempDir(), "copy")
	if err := CopySnapshot(src, dst); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifySnapshot(dst, "cxledger", hash); err != nil {
		t.Fatalf("the copy: %v", err)
	}
	if err := CopySnapshot(src, dst); cxlerr.CodeOf(err) != cxlerr.Conflict {
		t.Fatalf("copying onto an existing directory: %v", err)
	}
	os.Chmod(src, 0o755)
	os.Mkdir(filepath.Join(src, "sub"), 0o755)
	if err := CopySnapshot(src, filepath.Join(t.TempDir(), "copy")); err == nil {
		t.Fatal("a snapshot holding a directory was copied")
	}
}

func TestSnapshotDir(t *testing.T) {
	n := Topology{}.WithDefaults().PeerOrgs()[0].PeerNodes[0]
	got := Home("/h").SnapshotDir(n, "cxledger", 7)
	if got != "/h/data/peer0.org1.example.com/snapshots/completed/cxledger/7" {
		t.Fatalf("SnapshotDir = %s", got)
	}
}

func TestCSCCProposal(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Admin@org3.example.com"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	id, err := adminid.NewPrivateKeySigningIdentity("Org3MSP", cert, key)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := csccProposal(id, "JoinChainBySnapshot", []byte("/snap/41"))
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(signed.GetProposalBytes())
	if !ecdsa.VerifyASN1(&key.PublicKey, digest[:], signed.GetSignature()) {
		t.Fatal("the signature does not verify over the proposal")
	}
	var prop peer.Proposal
	var hdr cb.Header
	var chdr cb.ChannelHeader
	var shdr cb.SignatureHeader
	var creator msp.SerializedIdentity
	var payload peer.ChaincodeProposalPayload
	var spec peer.ChaincodeInvocationSpec
	for _, step := range []struct {
		data func() []byte
		into proto.Message
	}{
		{signed.GetProposalBytes, &prop}, {prop.GetHeader, &hdr}, {hdr.GetChannelHeader, &chdr},
		{hdr.GetSignatureHeader, &shdr}, {shdr.GetCreator, &creator}, {prop.GetPayload, &payload}, {payload.GetInput, &spec},
	} {
		if err := proto.Unmarshal(step.data(), step.into); err != nil {
			t.Fatal(err)
		}
	}
	txID := sha256.Sum256(append(append([]byte{}, shdr.GetNonce()...), shdr.GetCreator()...))
	if chdr.GetTxId() != hex.EncodeToString(txID[:]) || chdr.GetChannelId() != "" || creator.GetMspid() != "Org3MSP" {
		t.Fatalf("header %+v, creator %s", &chdr, creator.GetMspid())
	}
	args := spec.GetChaincodeSpec().GetInput().GetArgs()
	if spec.GetChaincodeSpec().GetChaincodeId().GetName() != "cscc" || len(args) != 2 || string(args[0]) != "JoinChainBySnapshot" || string(args[1]) != "/snap/41" {
		t.Fatalf("invocation %+v", &spec)
	}
}

func TestRequestSnapshotRefusesDocker(t *testing.T) {
	d := dockerTopology(1000)
	org := d.PeerOrgs()[0]
	if _, err := RequestSnapshot(context.Background(), Home(t.TempDir()), d, org, org.PeerNodes[0], time.Second); err == nil || !strings.Contains(err.Error(), "native networks only") {
		t.Fatalf("a snapshot of a Docker network's peer: %v", err)
	}
}
