package cmdutil

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// JSONFieldsAnnotation is the command annotation listing the top-level fields of what the
// command prints with --json; `cxl <command> --help` shows them and a test pins them.
const JSONFieldsAnnotation = "cxl/json-fields"

// AddJSONFlag adds --json to cmd, printing v's type as JSON: its top-level fields are
// recorded on the command and listed in its help.
func AddJSONFlag(cmd *cobra.Command, target *bool, v any) {
	cmd.Flags().BoolVar(target, "json", false, "print JSON instead of text (its fields are listed above)")
	fields := JSONFields(reflect.TypeOf(v))
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[JSONFieldsAnnotation] = strings.Join(fields, ",")
	if cmd.Long == "" {
		cmd.Long = cmd.Short + "."
	}
	cmd.Long += "\n\nJSON fields: " + strings.Join(fields, ", ")
}

// JSONFields lists the JSON names of t's top-level fields (through pointers, slices and
// embedded structs), sorted; nil for a type that is not a struct.
func JSONFields(t reflect.Type) []string {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	out := []string{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			out = append(out, JSONFields(f.Type)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// PrintJSON writes v as indented JSON.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// PrintNDJSON writes v as one line of JSON, for streams.
func PrintNDJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Table prints rows: aligned under a header on a terminal, tab-separated without a header
// otherwise (for cut and awk).
type Table struct {
	io     *IOStreams
	header []string
	rows   [][]string
}

// NewTable returns a table with the given column headers.
func NewTable(io *IOStreams, header ...string) *Table {
	return &Table{io: io, header: header}
}

// Row adds a row; a missing cell prints as "-" on a terminal.
func (t *Table) Row(cells ...string) { t.rows = append(t.rows, cells) }

// Len is the number of rows.
func (t *Table) Len() int { return len(t.rows) }

// Render writes the table to Out.
func (t *Table) Render() error {
	if !t.io.OutTTY {
		for _, r := range t.rows {
			if _, err := fmt.Fprintln(t.io.Out, strings.Join(r, "\t")); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(t.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.header, "\t"))
	for _, r := range t.rows {
		cells := make([]string, len(r))
		for i, c := range r {
			if c == "" {
				c = "-"
			}
			cells[i] = c
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// Field is one labelled value of a record shown by itself.
type Field struct {
	Label, Value string
}

// PrintFields writes a record: "Label  value" aligned on a terminal, "label:<tab>value"
// otherwise. Empty values are left out.
func PrintFields(io *IOStreams, fields ...Field) error {
	if !io.OutTTY {
		for _, f := range fields {
			if f.Value == "" {
				continue
			}
			if _, err := fmt.Fprintf(io.Out, "%s:\t%s\n", strings.ToLower(f.Label), f.Value); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	for _, f := range fields {
		if f.Value == "" {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\n", f.Label, f.Value)
	}
	return tw.Flush()
}

// Time formats t for the output: local time to the second on a terminal, RFC 3339 with
// the zone otherwise; "" for the zero time.
func (s *IOStreams) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if s.OutTTY {
		return t.Local().Format("2006-01-02 15:04:05")
	}
	return t.Format(time.RFC3339Nano)
}

// Success tells the person at the terminal what was done: "✓ message" on ErrOut (a plain
// line when ErrOut is not a terminal).
func (s *IOStreams) Success(format string, args ...any) {
	mark := "✓ "
	if !s.ErrTTY {
		mark = ""
	}
	fmt.Fprintf(s.ErrOut, mark+format+"\n", args...)
}

// Warn writes a warning line to ErrOut.
func (s *IOStreams) Warn(format string, args ...any) {
	fmt.Fprintf(s.ErrOut, "! "+format+"\n", args...)
}
