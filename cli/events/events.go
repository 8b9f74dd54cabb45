// Package events holds `cxl events`: the chaincode events of committed transactions, as a
// stream that resumes where it stopped.
package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// NewCmdEvents returns `cxl events` with its subcommands.
func NewCmdEvents(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "events <command>",
		Short: "Stream the ledger's events",
	})
	cmd.AddCommand(NewCmdTail(f, nil))
	return cmd
}

// TailOptions are the inputs of `cxl events tail`.
type TailOptions struct {
	IO     *cmdutil.IOStreams
	Ledger func(context.Context) (cmdutil.Client, error)
	JSON   bool

	Contract string
	Types    []string
	// Checkpoint is the file holding the position of the last event printed.
	Checkpoint string
	// After is where to start when there is no checkpoint yet: nil for the next block.
	After *ledgerapi.Position
	// Max stops after this many events (0: no limit).
	Max int
	// Idle stops when no event came for this long (0: never).
	Idle time.Duration
}

// NewCmdTail returns `cxl events tail`; runF replaces the run function in tests.
func NewCmdTail(f *cmdutil.Factory, runF func(*TailOptions) error) *cobra.Command {
	opts := &TailOptions{IO: f.IO, Ledger: f.Ledger}
	var after string
	var fromStart bool
	cmd := &cobra.Command{
		Use:   "tail [--contract NAME] [--type TYPE]... [--checkpoint FILE]",
		Short: "Print the chaincode events of committed transactions as they happen",
		Long: `Print the chaincode events of committed VALID transactions in ledger order, one per line
(with --json one JSON object per line: NDJSON), until interrupted, --max events or --idle.

Every event has an ID, its ledger position "<block>:<txIndex>", which is unique and ordered.
With --checkpoint FILE the ID of each event is written to FILE after the event is printed,
and a later tail with the same FILE starts right after it: nothing is skipped and, when the
tail was stopped (Ctrl-C, --max, --idle), nothing is printed twice. Only if the process is
killed between printing an event and writing the file is that one event printed again;
consumers deduplicate on the ID. Without a checkpoint, or before it exists, the stream
starts at the next block, after --after ID, or at the first block with --from-start.`,
		Example: `  cxl events tail --contract provenance --type LotRecalled
  cxl events tail --json --checkpoint recalls.pos --from-start | jq .payload`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.FlagsExclusive(cmd, "after", "from-start"); err != nil {
				return err
			}
			if after != "" {
				p, err := ledgerapi.ParsePosition(after)
				if err != nil {
					return cmdutil.UsageErrorf("--after %q: want an event ID <block>:<txIndex>", after)
				}
				opts.After = &p
			}
			if fromStart {
				opts.After = &ledgerapi.Position{}
			}
			if opts.Max < 0 || opts.Idle < 0 {
				return cmdutil.UsageErrorf("--max and --idle: must not be negative")
			}
			for _, t := range opts.Types {
				if strings.Contains(t, ".") {
					return cmdutil.UsageErrorf("--type %q: give the type alone (LotRecalled) and the contract with --contract", t)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return tailRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Contract, "contract", "", "only events of this contract (provenance, orders, loyalty, care, ...)")
	cmd.Flags().StringArrayVar(&opts.Types, "type", nil, "only events of this `type` (repeatable): LotRecalled, OrderRefunded, ...")
	cmd.Flags().StringVar(&opts.Checkpoint, "checkpoint", "", "resume after the event recorded in `FILE`, and record each event printed")
	cmd.Flags().StringVar(&after, "after", "", "start after the event with this `ID` (no checkpoint yet)")
	cmd.Flags().BoolVar(&fromStart, "from-start", false, "start at the first block of the channel (no checkpoint yet)")
	cmd.Flags().IntVar(&opts.Max, "max", 0, "stop after `N` events")
	cmd.Flags().DurationVar(&opts.Idle, "idle", 0, "stop when no event came for `duration`")
	_ = cmd.MarkFlagFilename("checkpoint")
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Event{})
	return cmd
}

// readCheckpoint returns the position in a checkpoint file, nil when the file does not
// exist yet.
func readCheckpoint(path string) (*ledgerapi.Position, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, cmdutil.UsageErrorf("--checkpoint: %v", errors.Unwrap(err))
	}
	p, err := ledgerapi.ParsePosition(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, cmdutil.UsageErrorf("--checkpoint %s: holds %q, not an event ID <block>:<txIndex>", path, strings.TrimSpace(string(data)))
	}
	return &p, nil
}

// writeCheckpoint replaces the checkpoint file with the position, durably: a crash leaves
// the old position or the new one, never a torn file.
func writeCheckpoint(path string, p ledgerapi.Position) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	_, err = fmt.Fprintln(tmp, p.String())
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write checkpoint %s: %w", path, err)
	}
	return nil
}

func tailRun(ctx context.Context, opts *TailOptions) error {
	after := opts.After
	if opts.Checkpoint != "" {
		p, err := readCheckpoint(opts.Checkpoint)
		if err != nil {
			return err
		}
		if p != nil {
			after = p
		}
	}
	c, err := opts.Ledger(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := c.Events().Subscribe(sctx, ledgerapi.EventQuery{Contract: opts.Contract, Types: opts.Types, After: after})
	if err != nil {
		return err
	}
	var idle <-chan time.Time
	var timer *time.Timer
	if opts.Idle > 0 {
		timer = time.NewTimer(opts.Idle)
		defer timer.Stop()
		idle = timer.C
	}
	n := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-idle:
			return nil
		case ev, ok := <-ch:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return cxlerr.Errorf(cxlerr.Unavailable, "the event stream from %s ended", c.Target())
			}
			if after != nil && !after.Before(ev.Position) {
				continue
			}
			if err := printEvent(opts, ev); err != nil {
				return err
			}
			p := ev.Position
			after = &p
			if opts.Checkpoint != "" {
				if err := writeCheckpoint(opts.Checkpoint, p); err != nil {
					return err
				}
			}
			n++
			if opts.Max > 0 && n >= opts.Max {
				return nil
			}
			if timer != nil {
				timer.Reset(opts.Idle)
			}
		}
	}
}

func printEvent(opts *TailOptions, ev ledgerapi.Event) error {
	if opts.JSON {
		return cmdutil.PrintNDJSON(opts.IO.Out, ev)
	}
	var payload bytes.Buffer
	if json.Compact(&payload, ev.Payload) != nil {
		payload.Reset()
		payload.Write(ev.Payload)
	}
	_, err := fmt.Fprintf(opts.IO.Out, "%-10s %-32s %s %s\n", ev.ID, ev.Contract+"."+ev.Type, ev.TransactionID, payload.String())
	return err
}
