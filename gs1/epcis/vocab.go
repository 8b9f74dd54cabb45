package epcis

import (
	"slices"
	"strings"
)

// The CBV 2.0 web URI namespaces of the standard vocabularies.
const (
	cbvBase        = "https://ref.gs1.org/cbv/"
	gs1VocBase     = "https://gs1.org/voc/"
	bizStepPrefix  = cbvBase + "BizStep-"
	dispPrefix     = cbvBase + "Disp-"
	bttPrefix      = cbvBase + "BTT-"
	sdtPrefix      = cbvBase + "SDT-"
	errorPrefix    = cbvBase + "ER-"
	epcisContext   = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
	epcisCtxPrefix = "https://ref.gs1.org/standards/epcis/"
)

// vocabulary is one CBV standard vocabulary: its words, its web URI prefix and the URN
// prefix of CBV 1.x.
type vocabulary struct {
	name  string
	web   string
	urn   string
	words []string
}

// The CBV 2.0 standard vocabularies EPCIS fields take.
var (
	bizSteps = vocabulary{"bizStep", bizStepPrefix, "urn:epcglobal:cbv:bizstep:", []string{
		"accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
		"creating_class_instance", "cycle_counting", "decommissioning", "departing", "destroying",
		"disassembling", "dispensing", "encoding", "entering_exiting", "holding", "inspecting",
		"installing", "killing", "loading", "other", "packing", "picking", "receiving", "removing",
		"repackaging", "repairing", "replacing", "reserving", "retail_selling", "sampling",
		"sensor_reporting", "shipping", "staging_outbound", "stock_taking", "stocking", "storing",
		"transporting", "unloading", "unpacking", "void_shipping",
	}}
	dispositions = vocabulary{"disposition", dispPrefix, "urn:epcglobal:cbv:disp:", []string{
		"active", "available", "completeness_inferred", "completeness_verified", "conformant",
		"container_closed", "container_open", "damaged", "destroyed", "dispensed", "disposed",
		"encoded", "expired", "in_progress", "in_transit", "inactive", "mismatch_class",
		"mismatch_instance", "mismatch_quantity", "needs_replacement", "no_pedigree_match",
		"non_conformant", "non_sellable_other", "partially_dispensed", "recalled", "reserved",
		"retail_sold", "returned", "sellable_accessible", "sellable_not_accessible", "stolen",
		"unavailable", "unknown",
	}}
	bizTransactionTypes = vocabulary{"bizTransaction type", bttPrefix, "urn:epcglobal:cbv:btt:", []string{
		"bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma",
		"testprd", "testres", "upevt",
	}}
	sourceDestTypes = vocabulary{"source/destination type", sdtPrefix, "urn:epcglobal:cbv:sdt:", []string{
		"location", "owning_party", "possessing_party",
	}}
	errorReasons = vocabulary{"errorDeclaration reason", errorPrefix, "urn:epcglobal:cbv:er:", []string{
		"did_not_occur", "incorrect_data",
	}}
)

// canonical reads v as a value of the vocabulary: a bare word ("shipping"), its CBV web URI
// (https://ref.gs1.org/cbv/BizStep-shipping), its CBV 1.x URN
// (urn:epcglobal:cbv:bizstep:shipping) or its CURIE (cbv:BizStep-shipping), all of which
// must name a word of the standard; or any other absolute URI, a user vocabulary the standard
// allows. It returns the value as the CBV web URI (or the user URI as it is) and its short
// form (the bare word, or the URI), and false for anything else.
func (voc vocabulary) canonical(v string) (full, short string, ok bool) {
	word, std := "", false
	switch {
	case strings.HasPrefix(v, voc.web):
		word, std = v[len(voc.web):], true
	case strings.HasPrefix(v, voc.urn):
		word, std = v[len(voc.urn):], true
	case strings.HasPrefix(v, "cbv:") && strings.HasPrefix(cbvBase+v[len("cbv:"):], voc.web):
		word, std = (cbvBase + v[len("cbv:"):])[len(voc.web):], true
	case strings.HasPrefix(v, cbvBase), strings.HasPrefix(v, "urn:epcglobal:cbv:"), strings.HasPrefix(v, "cbv:"):
		// Another vocabulary of the standard: not a value of this one.
		return "", "", false
	case !strings.Contains(v, ":"):
		word, std = v, true
	}
	if std {
		if !slices.Contains(voc.words, word) {
			return "", "", false
		}
		return voc.web + word, word, true
	}
	if !isURI(v) {
		return "", "", false
	}
	return v, v, true
}
