package product

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// maxItemsPerTx is how many serials one RegisterItems transaction takes.
const maxItemsPerTx = 500

// bulkLine is one line of a registration file.
type bulkLine struct {
	line       int
	kind       string // product, lot or item
	gtin       string
	name       string
	lot        string
	serial     string
	quantity   int64
	unit       string
	location   string
	inputs     []provenance.LotRef
	attributes map[string]string
	err        error
}

// LineResult is what became of one line of a registration file; --json prints one per
// line.
type LineResult struct {
	// Line is the line number in the file (1 is a CSV file's header).
	Line int `json:"line"`
	// Kind is product, lot or item.
	Kind   string `json:"kind,omitempty"`
	GTIN   string `json:"gtin,omitempty"`
	Lot    string `json:"lot,omitempty"`
	Serial string `json:"serial,omitempty"`
	// Status is "registered" or "failed".
	Status string `json:"status"`
	// TransactionID and BlockNumber are those of the line's transaction, once committed.
	TransactionID string `json:"transactionId,omitempty"`
	BlockNumber   uint64 `json:"blockNumber,omitempty"`
	// Error says why the line failed.
	Error *cxlerr.Error `json:"error,omitempty"`
}

// jsonLine is a JSON Lines record.
type jsonLine struct {
	GTIN       string              `json:"gtin"`
	Name       string              `json:"name"`
	Lot        string              `json:"lot"`
	Serial     string              `json:"serial"`
	Quantity   int64               `json:"quantity"`
	Unit       string              `json:"unit"`
	Location   string              `json:"location"`
	Inputs     []provenance.LotRef `json:"inputs"`
	Attributes map[string]string   `json:"attributes"`
}

func (j jsonLine) toLine(n int) bulkLine {
	return classify(bulkLine{line: n, gtin: j.GTIN, name: j.Name, lot: j.Lot, serial: j.Serial, quantity: j.Quantity,
		unit: j.Unit, location: j.Location, inputs: j.Inputs, attributes: j.Attributes})
}

// classify decides what a line registers; the request is validated when it is submitted.
func classify(l bulkLine) bulkLine {
	if l.err != nil {
		return l
	}
	switch {
	case l.serial != "":
		l.kind = "item"
		if l.lot == "" {
			l.err = cxlerr.Errorf(cxlerr.Invalid, "an item (serial %s) needs its lot", l.serial)
			return l
		}
	case l.lot != "":
		l.kind = "lot"
	default:
		l.kind = "product"
	}
	if g, err := provenance.NormalizeGTIN("gtin", l.gtin); err == nil {
		l.gtin = g
	}
	return l
}

func (l bulkLine) productRequest() ledgerapi.RegisterProductRequest {
	return ledgerapi.RegisterProductRequest{GTIN: l.gtin, Name: l.name, Attributes: l.attributes}
}

func (l bulkLine) lotRequest() ledgerapi.RegisterLotRequest {
	return ledgerapi.RegisterLotRequest{GTIN: l.gtin, Lot: l.lot, Quantity: l.quantity, Unit: l.unit,
		Attributes: l.attributes, Inputs: l.inputs, Location: l.location}
}

// csvColumns are the columns a CSV file may have, besides attr.KEY.
var csvColumns = []string{"gtin", "name", "lot", "serial", "quantity", "unit", "location", "inputs"}

// readCSV reads a CSV file with a header row. A file that cannot be read as a whole (no
// header, an unknown column) is a usage error; a bad line is that line's error.
func readCSV(r io.Reader, file string) ([]bulkLine, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, cmdutil.UsageErrorf("%s: empty file (want a header row: gtin,name,lot,serial,...)", file)
	}
	if err != nil {
		return nil, cmdutil.UsageErrorf("%s: header row: %v", file, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		known := strings.HasPrefix(h, "attr.") && len(h) > len("attr.")
		for _, c := range csvColumns {
			known = known || h == c
		}
		if !known {
			return nil, cmdutil.UsageErrorf("%s: unknown column %q (columns: %s, attr.KEY)", file, header[i], strings.Join(csvColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, cmdutil.UsageErrorf("%s: column %q appears twice", file, header[i])
		}
		col[h] = i
	}
	if _, ok := col["gtin"]; !ok {
		return nil, cmdutil.UsageErrorf("%s: no gtin column", file)
	}
	var lines []bulkLine
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return lines, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			lines = append(lines, bulkLine{line: pe.StartLine, err: cxlerr.Errorf(cxlerr.Invalid, "%v", pe.Err)})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		n, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		lines = append(lines, csvLine(n, header, col, rec))
	}
}

func csvLine(n int, header []string, col map[string]int, rec []string) bulkLine {
	l := bulkLine{line: n}
	if len(rec) != len(header) {
		l.err = cxlerr.Errorf(cxlerr.Invalid, "%d fields, the header has %d", len(rec), len(header))
		return l
	}
	get := func(c string) string {
		if i, ok := col[c]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	l.gtin, l.name, l.lot, l.serial, l.unit, l.location = get("gtin"), get("name"), get("lot"), get("serial"), get("unit"), get("location")
	if q := get("quantity"); q != "" {
		v, err := strconv.ParseInt(q, 10, 64)
		if err != nil {
			l.err = cxlerr.Errorf(cxlerr.Invalid, "quantity %q: not a whole number", q)
			return l
		}
		l.quantity = v
	}
	for _, in := range strings.FieldsFunc(get("inputs"), func(r rune) bool { return r == ';' || r == ' ' }) {
		ref, err := parseLotRef(in)
		if err != nil {
			l.err = cxlerr.Errorf(cxlerr.Invalid, "inputs: %q: want GTIN/LOT", in)
			return l
		}
		l.inputs = append(l.inputs, ref)
	}
	for h, i := range col {
		if k, ok := strings.CutPrefix(h, "attr."); ok && strings.TrimSpace(rec[i]) != "" {
			if l.attributes == nil {
				l.attributes = map[string]string{}
			}
			l.attributes[k] = strings.TrimSpace(rec[i])
		}
	}
	return classify(l)
}

// readJSONL reads one JSON object per line; blank lines are skipped.
func readJSONL(r io.Reader, file string) ([]bulkLine, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var lines []bulkLine
	for n := 1; sc.Scan(); n++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		var j jsonLine
		if err := dec.Decode(&j); err != nil {
			lines = append(lines, bulkLine{line: n, err: cxlerr.Errorf(cxlerr.Invalid, "%v", err)})
			continue
		}
		lines = append(lines, j.toLine(n))
	}
	if err := sc.Err(); err != nil {
		return nil, cmdutil.UsageErrorf("%s: %v", file, err)
	}
	return lines, nil
}

// readBulk opens and parses the file of opts.
func readBulk(opts *RegisterOptions) ([]bulkLine, error) {
	format := opts.Format
	if format == "" {
		switch strings.ToLower(filepath.Ext(opts.File)) {
		case ".csv":
			format = "csv"
		case ".jsonl", ".ndjson":
			format = "jsonl"
		default:
			return nil, cmdutil.UsageErrorf("%s: cannot tell the format from the name; use a .csv or .jsonl file or --format", opts.File)
		}
	}
	var r io.Reader = opts.IO.In
	if opts.File != "-" {
		fh, err := os.Open(opts.File)
		if err != nil {
			return nil, cmdutil.UsageErrorf("--file: %v", errors.Unwrap(err))
		}
		defer fh.Close()
		r = fh
	}
	if format == "csv" {
		return readCSV(r, opts.File)
	}
	return readJSONL(r, opts.File)
}

// lineKey is the idempotency key of a line (or a batch of lines) under base.
func lineKey(base, suffix string) string {
	if len(base)+1+len(suffix) > 128 {
		sum := sha256.Sum256([]byte(base))
		base = hex.EncodeToString(sum[:16])
	}
	return base + "#" + suffix
}

// bulk is one run of a registration file.
type bulk struct {
	opts *RegisterOptions
	c    cmdutil.Client
	key  string

	mu       sync.Mutex
	results  map[int]*LineResult
	done     int
	failed   int
	total    int
	progress *cmdutil.Progress
}

func (b *bulk) record(l bulkLine, res *cmdutil.RawCommitted, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := &LineResult{Line: l.line, Kind: l.kind, GTIN: l.gtin, Lot: l.lot, Serial: l.serial, Status: "registered"}
	if err != nil {
		r.Status, r.Error = "failed", cxlerr.From(err)
		b.failed++
	} else {
		r.TransactionID, r.BlockNumber = res.TransactionID, res.BlockNumber
	}
	b.results[l.line] = r
	b.done++
	b.progress.Update(b.label())
}

func (b *bulk) label() string {
	s := cmdutil.Bar("registering", b.done, b.total, 30)
	if b.failed > 0 {
		s += fmt.Sprintf(", %d failed", b.failed)
	}
	return s
}

// submit runs one registration, op with req, under its line key and reports it as a raw
// commit.
func submit[Req, Res any](ctx context.Context, b *bulk, key string, op *ledgerapi.Op[Req, Res], req Req) (*cmdutil.RawCommitted, error) {
	res, err := cmdutil.SubmitKey(ctx, b.c, key, b.opts.Mutation.Wait, op, req, nil)
	if err != nil {
		return nil, err
	}
	return &cmdutil.RawCommitted{TransactionID: res.TransactionID, BlockNumber: res.BlockNumber}, nil
}

// parallel runs fn over tasks with at most n at once.
func parallel[T any](ctx context.Context, n int, tasks []T, fn func(context.Context, T)) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, t := range tasks {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(ctx, t)
		}()
	}
	wg.Wait()
}

func (b *bulk) product(ctx context.Context, l bulkLine) {
	req := l.productRequest()
	res, err := submit(ctx, b, lineKey(b.key, "L"+strconv.Itoa(l.line)), ledgerapi.ProvenanceRegisterProduct, req)
	b.record(l, res, err)
}

func (b *bulk) lot(ctx context.Context, l bulkLine) {
	req := l.lotRequest()
	res, err := submit(ctx, b, lineKey(b.key, "L"+strconv.Itoa(l.line)), ledgerapi.ProvenanceRegisterLot, req)
	b.record(l, res, err)
}

// items registers a batch of item lines of one lot in one transaction. When the
// transaction is refused for a reason of its own (a serial already registered, say), each
// line is registered alone, so the report names the lines at fault.
func (b *bulk) items(ctx context.Context, batch []bulkLine) {
	req := ledgerapi.RegisterItemsRequest{GTIN: batch[0].gtin, Lot: batch[0].lot}
	for _, l := range batch {
		req.Serials = append(req.Serials, l.serial)
	}
	suffix := "L" + strconv.Itoa(batch[0].line)
	if len(batch) > 1 {
		suffix += "-L" + strconv.Itoa(batch[len(batch)-1].line)
	}
	res, err := submit(ctx, b, lineKey(b.key, suffix), ledgerapi.ProvenanceRegisterItems, req)
	e := cxlerr.From(err)
	if err == nil || len(batch) == 1 || e.Retryable || e.Code == cxlerr.Pending || ctx.Err() != nil {
		for _, l := range batch {
			b.record(l, res, err)
		}
		return
	}
	// One at a time, in file order: a serial given twice fails on its second line.
	parallel(ctx, 1, batch, func(ctx context.Context, l bulkLine) {
		one := ledgerapi.RegisterItemsRequest{GTIN: l.gtin, Lot: l.lot, Serials: []string{l.serial}}
		res, err := submit(ctx, b, lineKey(b.key, "L"+strconv.Itoa(l.line)), ledgerapi.ProvenanceRegisterItems, one)
		b.record(l, res, err)
	})
}

func bulkRun(ctx context.Context, opts *RegisterOptions) error {
	lines, err := readBulk(opts)
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return cmdutil.UsageErrorf("%s: no lines to register", opts.File)
	}
	return cmdutil.WithClient(ctx, opts.Ledger, opts.Mutation.Timeout, func(ctx context.Context, c cmdutil.Client) error {
		b := &bulk{opts: opts, c: c, key: opts.Mutation.Key(opts.IO), results: map[int]*LineResult{}, total: len(lines)}
		b.progress = opts.IO.StartProgress(b.label())
		var products, lots []bulkLine
		var groups [][]bulkLine
		group := map[string]int{}
		sequentialLots := false
		for _, l := range lines {
			switch {
			case l.err != nil:
				b.record(l, nil, l.err)
			case l.kind == "product":
				products = append(products, l)
			case l.kind == "lot":
				lots = append(lots, l)
				sequentialLots = sequentialLots || len(l.inputs) > 0
			default:
				k := l.gtin + "/" + l.lot
				i, ok := group[k]
				if !ok || len(groups[i]) == maxItemsPerTx {
					i = len(groups)
					groups = append(groups, nil)
					group[k] = i
				}
				groups[i] = append(groups[i], l)
			}
		}
		parallel(ctx, opts.Parallel, products, b.product)
		lotWorkers := opts.Parallel
		if sequentialLots {
			lotWorkers = 1
		}
		parallel(ctx, lotWorkers, lots, b.lot)
		parallel(ctx, opts.Parallel, groups, b.items)
		b.progress.Stop()
		if ctx.Err() != nil {
			for _, l := range lines {
				if _, ok := b.results[l.line]; !ok {
					b.record(l, nil, cxlerr.Errorf(cxlerr.Timeout, "not registered: the command ended first (%v); run it again with the same --idempotency-key", ctx.Err()))
				}
			}
		}
		return b.report()
	})
}

// report prints every line's outcome (the data) and the failures with their line numbers
// (the error report), and decides the exit code: 0 when every line was registered, the
// failures' own code when they share one, 1 otherwise.
func (b *bulk) report() error {
	io := b.opts.IO
	lines := make([]int, 0, len(b.results))
	for n := range b.results {
		lines = append(lines, n)
	}
	sort.Ints(lines)
	t := cmdutil.NewTable(io, "LINE", "STATUS", "KIND", "GTIN", "LOT", "SERIAL", "TRANSACTION")
	codes := map[cmdutil.ExitCode]bool{}
	var firstErr *cxlerr.Error
	for _, n := range lines {
		r := b.results[n]
		if b.opts.JSON {
			if err := cmdutil.PrintNDJSON(io.Out, r); err != nil {
				return err
			}
		} else {
			t.Row(strconv.Itoa(r.Line), r.Status, r.Kind, r.GTIN, r.Lot, r.Serial, r.TransactionID)
		}
		if r.Error != nil {
			fmt.Fprintf(io.ErrOut, "%s:%d: %s\n", b.opts.File, r.Line, strings.Join(strings.Fields(r.Error.Error()), " "))
			codes[cmdutil.ExitCodeFor(r.Error)] = true
			if firstErr == nil {
				firstErr = r.Error
			}
		}
	}
	if !b.opts.JSON {
		if err := t.Render(); err != nil {
			return err
		}
	}
	if b.failed == 0 {
		io.Success("registered all %d lines of %s", len(lines), b.opts.File)
		return nil
	}
	msg := fmt.Sprintf("%d of %d lines of %s failed (listed above); %d registered; run the file again with --idempotency-key %s to retry only those",
		b.failed, len(lines), b.opts.File, len(lines)-b.failed, b.key)
	code := cmdutil.ExitFailure
	if len(codes) == 1 {
		code = cmdutil.ExitCodeFor(firstErr)
	}
	return &cmdutil.ExitError{Code: code, Err: errors.New(msg)}
}
