package epcis

import "testing"

func TestLotNumber(t *testing.T) {
	base := `{"type":"ObjectEvent","eventTime":"2026-03-01T08:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:9506000.013435.1"],"action":"ADD"`
	for _, c := range []struct {
		name, ilmd string
		ns         Namespaces
		want       string
	}{
		{"cbvmda prefix", `,"ilmd":{"cbvmda:lotNumber":"L1"}`, nil, "L1"},
		{"own prefix for the mda namespace", `,"ilmd":{"m:lotNumber":"L2"}`, Namespaces{"m": "urn:epcglobal:cbv:mda:"}, "L2"},
		{"no ilmd", ``, nil, ""},
		{"other attribute", `,"ilmd":{"cbvmda:bestBeforeDate":"2027-01-01"}`, nil, ""},
		{"not a string", `,"ilmd":{"cbvmda:lotNumber":7}`, nil, ""},
		{"same name in another namespace", `,"ilmd":{"ex:lotNumber":"L3"}`, Namespaces{"ex": "https://example.com/"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := ParseEvent([]byte(base+c.ilmd+`}`), c.ns, "event")
			if err != nil {
				t.Fatal(err)
			}
			if got := e.LotNumber(c.ns); got != c.want {
				t.Errorf("LotNumber = %q, want %q", got, c.want)
			}
		})
	}
	if got := (&Event{}).LotNumber(nil); got != "" {
		t.Errorf("LotNumber of an event without JSON = %q", got)
	}
}
