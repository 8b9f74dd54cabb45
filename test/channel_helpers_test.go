//go:build integration

package test

import (
	"encoding/json"
	"strings"
	"testing"
)

// channelSummary is the channel's configuration sequence and members, as Org2's admin
// reads them with `cxl channel config`.
func channelSummary(t *testing.T) (uint64, []string) {
	t.Helper()
	out, err := h.cli("channel", "config", "--msp", "Org2MSP", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Sequence uint64   `json:"sequence"`
		Members  []string `json:"members"`
	}
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("config %s: %v", out, err)
	}
	return s.Sequence, s.Members
}

// signUpdate signs the configuration update in the file update with `cxl channel sign` as
// an admin of msp (its Admin in CXL_HOME, or --cert and --key in files), into out.
func signUpdate(t *testing.T, update, out, msp string, files ...string) string {
	t.Helper()
	if _, err := h.cli(append([]string{"channel", "sign", update, "--msp", msp, "-o", out}, files...)...); err != nil {
		t.Fatal(err)
	}
	return out
}

// channelUpdate submits the configuration update in the file update with `cxl channel
// update` as msp's Admin, with the signature files sigs.
func channelUpdate(update, msp string, sigs ...string) error {
	args := []string{"channel", "update", update, "--msp", msp}
	for _, s := range sigs {
		args = append(args, "--signature", s)
	}
	_, err := h.cli(args...)
	return err
}

// updateRefusal is a submission of a configuration update that must be refused.
type updateRefusal struct {
	name string
	sigs []string // the signature files submitted
	want string   // in the error
}

// expectRefusedUpdates submits update as msp's Admin with each case's signatures, expects
// each refused with its message, and the configuration sequence still seq0 after.
func expectRefusedUpdates(t *testing.T, update, msp string, seq0 uint64, cases []updateRefusal) {
	t.Helper()
	for _, c := range cases {
		if err := channelUpdate(update, msp, c.sigs...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if seq, _ := channelSummary(t); seq != seq0 {
		t.Fatalf("a refused update changed the configuration: sequence %d -> %d", seq0, seq)
	}
}
