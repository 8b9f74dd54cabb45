//go:build integration

package test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/network"
)

// TestErasureLeavesNoPlainText opens a ticket with Org2MSP through the gateway service
// (Org1MSP's User1 the customer, so Org1's peers co-endorse), responds, reads the personal
// data back in clear through the service, then searches every file: before the erasure no
// file of any node holds the text (Org2's peers hold it sealed to a ticket key whose
// private half is only in the service's vault); after the erasure and the destruction of
// the key, no file under CXL_HOME (nodes' data and logs natively, the service's store,
// log and vault) and no file of any container's data under Docker holds the text or the
// key.
func TestErasureLeavesNoPlainText(t *testing.T) {
	g := gwStart(t)
	run := gwRun()
	ticket := "erasure-" + run
	p := ledgerapi.Personal{Salt: ledgerapi.NewSalt(), Message: "Erasure test " + run + ": the kettle leaks", Contact: "erasure-" + run + "@example.com, +49 30 " + run}
	reply := ledgerapi.Personal{Salt: ledgerapi.NewSalt(), Message: "Erasure reply " + run + ": a new kettle is on its way"}
	texts := [][]byte{[]byte(p.Message), []byte(p.Contact), []byte(reply.Message), p.Salt, reply.Salt}

	var tk care.Ticket
	gwDecode(t, g.post(t, "/v1/care/tickets", "org1-user1", map[string]any{"id": ticket, "merchant": "Org2MSP", "category": "product", "priority": "low", "personal": p}, 200).committed(t).Result, &tk)
	if tk.Key == "" || tk.PublicKey == "" {
		t.Fatalf("the ticket is sealed to no key: %+v", tk)
	}
	g.post(t, "/v1/care/ticket-responses", "org2-user1", map[string]any{"id": ticket, "personal": reply}, 200)
	eventually(t, 30*time.Second, "the personal data in clear through the service", func() error {
		r, err := g.call("GET", "/v1/care/tickets/"+ticket+"/personal-data", "org2-user1", "", nil)
		if err != nil || r.status != 200 {
			return fmt.Errorf("%v %d %s", err, r.status, r.body)
		}
		var pd care.TicketPersonalData
		gwDecode(t, r.body, &pd)
		want := []string{p.Contact, p.Message, reply.Message}
		if len(pd.Texts) != len(want) {
			return fmt.Errorf("%d texts", len(pd.Texts))
		}
		for i, text := range pd.Texts {
			if text.Value != want[i] || !text.Verified {
				t.Fatalf("text %d: %+v", i, text)
			}
		}
		return nil
	})
	// The merchant's own gateway service holds the vault of its ticket keys.
	keyFile := h.home.Path("gateway", "org2", "vault", "Org2MSP", tk.Key+".key")
	priv, err := os.ReadFile(keyFile)
	if err != nil || len(priv) != 32 {
		t.Fatalf("the ticket key in the vault: %v (%d bytes)", err, len(priv))
	}

	// Before the erasure, with every peer at the same height: the nodes hold the ticket,
	// none the text.
	ccSync(t)
	nodes := erasureNodeData(t)
	for _, n := range nodes {
		if !bytes.Contains(n.data, []byte(ticket)) && n.peer {
			t.Fatalf("%s: the scan of %d bytes does not even find the ticket ID", n.name, len(n.data))
		}
		if s := erasureFind(n.data, texts); s != "" {
			t.Fatalf("%s (%s) holds personal data in clear: %q", n.name, n.org, s)
		}
	}
	if host := erasureHostFiles(t); !bytes.Contains(host.data, priv) {
		t.Fatalf("the scan of %d host files does not find the ticket key in the vault", host.files)
	}
	t.Logf("before the erasure: no personal data in clear in %s", erasureSummary(nodes))

	g.post(t, "/v1/care/ticket-erasures", "org1-user1", map[string]string{"id": ticket}, 200)
	eventually(t, 60*time.Second, "the destruction of the ticket key", func() error {
		if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %v", keyFile, err)
		}
		return nil
	})
	ccSync(t)

	secrets := append(texts, priv)
	host := erasureHostFiles(t)
	if s := erasureFind(host.data, secrets); s != "" {
		t.Fatalf("after the erasure a file under %s holds %q", h.home, s)
	}
	nodes = erasureNodeData(t)
	for _, n := range nodes {
		if s := erasureFind(n.data, secrets); s != "" {
			t.Fatalf("after the erasure %s holds %q", n.name, s)
		}
	}
	t.Logf("after the erasure: neither the personal data nor the ticket key in %d files (%d bytes) under %s, nor in %s",
		host.files, len(host.data), h.home, erasureSummary(nodes))
}

// erasureFind reports the first secret data holds, raw, base64 or hex, or "".
func erasureFind(data []byte, secrets [][]byte) string {
	for _, s := range secrets {
		for _, form := range [][]byte{s, []byte(base64.StdEncoding.EncodeToString(s)), []byte(hex.EncodeToString(s))} {
			if bytes.Contains(data, form) {
				return string(form)
			}
		}
	}
	return ""
}

// erasureScan is what a scan read.
type erasureScan struct {
	name, org string
	peer      bool
	files     int
	data      []byte
}

func erasureSummary(nodes []erasureScan) string {
	var parts []string
	for _, n := range nodes {
		parts = append(parts, fmt.Sprintf("%s (%d files, %d bytes)", n.name, n.files, len(n.data)))
	}
	return strings.Join(parts, ", ")
}

// erasureHostFiles reads every file under CXL_HOME but the binaries: natively the nodes'
// data and logs, and in any runtime the service's configuration, store, log and vault.
func erasureHostFiles(t *testing.T) erasureScan {
	t.Helper()
	s := erasureScan{name: string(h.home)}
	skip := map[string]bool{h.home.Bin(): true, h.home.BuilderDir(): true}
	err := filepath.WalkDir(string(h.home), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && skip[p] {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed while we walked (a rotated file, a compacted table)
		}
		if err != nil {
			return err
		}
		s.files++
		s.data = append(s.data, b...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if h.runtime == network.Docker {
		// Natively the log is a file under CXL_HOME, read above.
		s.data = append(s.data, gwServiceLog(t)...)
	}
	return s
}

// erasureNodeData reads every node's data: natively its data directory under CXL_HOME;
// under Docker its container's /var/hyperledger/production as a tar stream, and its log.
func erasureNodeData(t *testing.T) []erasureScan {
	t.Helper()
	var out []erasureScan
	for _, n := range h.topo.Nodes() {
		s := erasureScan{name: n.Name, org: n.MSPID, peer: n.Kind == "peer"}
		if h.runtime == network.Docker {
			erasureContainer(t, n.Name, &s)
		} else {
			dir := h.home.Path("data", n.Name)
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || !d.Type().IsRegular() {
					return err
				}
				b, err := os.ReadFile(p)
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				s.files++
				s.data = append(s.data, b...)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if s.files == 0 {
			t.Fatalf("%s: no data files found", n.Name)
		}
		out = append(out, s)
	}
	return out
}

// erasureContainer reads a node container's data directory with `docker cp CONTAINER:/path -`
// and its log.
func erasureContainer(t *testing.T, service string, s *erasureScan) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env, err := os.ReadFile(h.home.Path("compose.env"))
	if err != nil {
		t.Fatal(err)
	}
	var project string
	for _, line := range strings.Split(string(env), "\n") {
		if v, ok := strings.CutPrefix(line, "COMPOSE_PROJECT_NAME="); ok {
			project = strings.TrimSpace(v)
		}
	}
	ids, err := exec.CommandContext(ctx, "docker", "ps", "--all", "--quiet", "--filter", "label=com.docker.compose.project="+project,
		"--filter", "label=com.docker.compose.service="+service).Output()
	id := strings.TrimSpace(string(ids))
	if err != nil || id == "" || strings.Contains(id, "\n") {
		t.Fatalf("the container of %s in project %s: %q %v", service, project, id, err)
	}
	cmd := exec.CommandContext(ctx, "docker", "cp", id+":/var/hyperledger/production", "-")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(stdout)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: read the tar stream: %v", service, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		s.files++
		s.data = append(s.data, b...)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("docker cp %s: %v: %s", service, err, stderr.String())
	}
	logs, err := exec.CommandContext(ctx, "docker", "logs", id).CombinedOutput()
	if err != nil {
		t.Fatalf("docker logs %s: %v", service, err)
	}
	s.data = append(s.data, logs...)
}
