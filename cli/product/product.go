// Package product holds `cxl product`: register products, lots and items (one at a time or
// from a file), hand them over, certify and recall them, and ask where they came from and
// whether they are genuine. It is the provenance contract through ledgerapi.Provenance.
package product

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// NewCmdProduct returns `cxl product` with its subcommands.
func NewCmdProduct(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "product <command>",
		Short: "Register, hand over, certify, recall, trace and verify products",
		Long: `Products are identified the GS1 way: a GTIN (8, 12, 13 or 14 digits, shown as GTIN-14), a
lot number (--lot) and an item's serial number (--serial). A command about a product takes
the GTIN; about a lot, the GTIN and --lot; about an item, the GTIN and --serial.`,
		Example: `  cxl product register 09506000134352 --name "Arabica green beans"
  cxl product register 09506000134352 --lot L1 --quantity 120 --unit kg
  cxl product register 09506000134352 --lot L1 --serial S1 --serial S2
  cxl product register --file items.csv
  cxl product handover 09506000134352 --lot L1 --to Org2MSP --location "Port of Hamburg"
  cxl product verify 09506000134352 --serial S1`,
	})
	cmd.AddCommand(NewCmdRegister(f, nil), NewCmdShow(f, nil), NewCmdHistory(f, nil),
		NewCmdHandover(f, nil), NewCmdAccept(f, nil), NewCmdReject(f, nil), NewCmdWithdraw(f, nil),
		NewCmdCertify(f, nil), NewCmdRevokeCertificate(f, nil), NewCmdRecall(f, nil),
		NewCmdTrace(f, nil), NewCmdVerify(f, nil), NewCmdQR(f, nil))
	return cmd
}

// SubjectFlags are --lot and --serial, which narrow a GTIN to a lot or an item.
type SubjectFlags struct {
	Lot, Serial string
}

func (s *SubjectFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.Lot, "lot", "", "the lot `number`")
	cmd.Flags().StringVar(&s.Serial, "serial", "", "the item's serial `number`")
}

// subject is the product, lot or item named by gtin and the flags; kinds limits what the
// command accepts.
func (s SubjectFlags) subject(gtin string, kinds ...string) (ledgerapi.Subject, error) {
	sub := ledgerapi.Subject{Kind: provenance.KindProduct, GTIN: gtin}
	switch {
	case s.Lot != "" && s.Serial != "":
		return sub, cmdutil.UsageErrorf("--lot and --serial: choose one (a serial number names an item whatever its lot)")
	case s.Lot != "":
		sub.Kind, sub.Lot = provenance.KindLot, s.Lot
	case s.Serial != "":
		sub.Kind, sub.Serial = provenance.KindItem, s.Serial
	}
	for _, k := range kinds {
		if k == sub.Kind {
			return sub, nil
		}
	}
	return sub, cmdutil.UsageErrorf("this command is about a %s: %s", strings.Join(kinds, " or "), needs(kinds))
}

func needs(kinds []string) string {
	var flags []string
	for _, k := range kinds {
		switch k {
		case provenance.KindProduct:
			flags = append(flags, "the GTIN alone")
		case provenance.KindLot:
			flags = append(flags, "--lot")
		case provenance.KindItem:
			flags = append(flags, "--serial")
		}
	}
	return "give " + strings.Join(flags, " or ")
}

// name renders a subject for messages: "product 0…", "lot 0…/L1", "item 0…/S1".
func name(s ledgerapi.Subject) string {
	switch s.Kind {
	case provenance.KindLot:
		return fmt.Sprintf("lot %s/%s", s.GTIN, s.Lot)
	case provenance.KindItem:
		return fmt.Sprintf("item %s/%s", s.GTIN, s.Serial)
	}
	return "product " + s.GTIN
}

// attrs renders attributes as "k=v, k=v", sorted.
func attrs(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ", ")
}

// parseAttrs parses --attr k=v flags.
func parseAttrs(list []string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, a := range list {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, cmdutil.UsageErrorf("--attr %q: want key=value", a)
		}
		m[k] = v
	}
	return m, nil
}

// parseLotRef parses "GTIN/LOT".
func parseLotRef(s string) (provenance.LotRef, error) {
	g, l, ok := strings.Cut(s, "/")
	if !ok || g == "" || l == "" {
		return provenance.LotRef{}, cmdutil.UsageErrorf("input lot %q: want GTIN/LOT", s)
	}
	return provenance.LotRef{GTIN: g, Lot: l}, nil
}

func lotRefs(refs []provenance.LotRef) string {
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = r.GTIN + "/" + r.Lot
	}
	return strings.Join(parts, ", ")
}

func recallText(io *cmdutil.IOStreams, r *provenance.LotRecall) string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf("RECALLED %s: %s", io.Time(r.At), r.Reason)
}

// printCustody shows who holds a lot or item and any handover under way.
func printCustody(io *cmdutil.IOStreams, c *provenance.Custody) error {
	fields := []cmdutil.Field{{Label: "Kind", Value: c.Kind}, {Label: "GTIN", Value: c.GTIN}, {Label: "Lot", Value: c.Lot},
		{Label: "Serial", Value: c.Serial}, {Label: "Holder", Value: c.Holder}, {Label: "Location", Value: c.Location},
		{Label: "Since", Value: io.Time(c.Since)}, {Label: "Since tx", Value: c.SinceTx}}
	if c.Offer != nil {
		fields = append(fields, cmdutil.Field{Label: "Offered to", Value: c.Offer.To},
			cmdutil.Field{Label: "Offer location", Value: c.Offer.Location}, cmdutil.Field{Label: "Offered", Value: io.Time(c.Offer.At)})
	}
	return cmdutil.PrintFields(io, fields...)
}
