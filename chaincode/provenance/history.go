package provenance

// ProvenanceHistoryArgs is the argument of History.
type ProvenanceHistoryArgs struct {
	SubjectArgs
	PageSize int    `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// Validate checks the subject and normalises the GTIN; the kit checks the
// page size and bookmark.
func (a *ProvenanceHistoryArgs) Validate() error {
	return a.validate("", KindProduct, KindLot, KindItem, KindLotCustody, KindItemCustody)
}
