package epcis

// mdaLotNumber is the IRI of the CBV master data attribute lotNumber.
const mdaLotNumber = "urn:epcglobal:cbv:mda:lotNumber"

// LotNumber is the lot number the event's instance/lot master data (ilmd) give under
// cbvmda:lotNumber (or any prefix ns declares for urn:epcglobal:cbv:mda:); empty when the
// event has none or it is not a string. The event is one ParseEvent returned, read with ns.
func (e *Event) LotNumber(ns Namespaces) string {
	if len(e.JSON) == 0 {
		return ""
	}
	obj, err := decodeObject(e.JSON)
	if err != nil {
		return ""
	}
	ilmd, _ := obj["ilmd"].(map[string]any)
	for _, k := range sortedKeys(ilmd) {
		if iri, ok := ns.expand(k); ok && iri == mdaLotNumber {
			if v, ok := ilmd[k].(string); ok {
				return v
			}
		}
	}
	return ""
}
