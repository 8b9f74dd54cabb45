// Package review holds `cxl review`: reviews that only the buyer of a delivered order can
// post, shown under a pseudonym per merchant, with versions and the merchant's reply. It is
// the care contract's reviews through ledgerapi.Care.
package review

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// NewCmdReview returns `cxl review` with its subcommands.
func NewCmdReview(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "review <command>",
		Short: "Post, edit, reply to, show and list verified-buyer reviews",
		Long: `Only the buyer of an order that was delivered (or is being returned, or was returned) can
review it, once; the review shows the reviewer as a pseudonym of their own at that merchant,
never their account or the order. The author edits it (every version is kept) and the
merchant replies. Reviews are public.`,
		Example: `  cxl review post o-1001 --rating 4 --text "Lovely beans, slow delivery"
  cxl review reply <review-id> --text "Thank you! We are faster now."
  cxl review list Org2MSP`,
	})
	cmd.AddCommand(NewCmdPost(f, nil), NewCmdEdit(f, nil), NewCmdReply(f, nil), NewCmdShow(f, nil), NewCmdList(f, nil))
	return cmd
}

func printReview(io *cmdutil.IOStreams, r *care.Review) error {
	replied := ""
	if !r.Replied.IsZero() {
		replied = io.Time(r.Replied)
	}
	return cmdutil.PrintFields(io, cmdutil.Field{Label: "ID", Value: r.ID}, cmdutil.Field{Label: "Merchant", Value: r.Merchant},
		cmdutil.Field{Label: "Reviewer", Value: r.Reviewer}, cmdutil.Field{Label: "Purchase", Value: r.Purchase},
		cmdutil.Field{Label: "Rating", Value: stars(r.Rating)}, cmdutil.Field{Label: "Text", Value: r.Text},
		cmdutil.Field{Label: "Version", Value: strconv.Itoa(r.Version)}, cmdutil.Field{Label: "Reply", Value: r.Reply},
		cmdutil.Field{Label: "Replied", Value: replied}, cmdutil.Field{Label: "Updated", Value: io.Time(r.Updated)})
}

func stars(n int) string {
	if n < 1 || n > 5 {
		return strconv.Itoa(n)
	}
	return fmt.Sprintf("%d/5", n)
}

// submitReview runs op, a mutation that returns a review, and prints it.
func submitReview[Req any](ctx context.Context, io *cmdutil.IOStreams, open func(context.Context) (cmdutil.Client, error), m *cmdutil.MutationOptions,
	asJSON bool, op *ledgerapi.Op[Req, care.Review], req Req, done string) error {
	return cmdutil.Mutate(ctx, io, open, m, asJSON, op, req,
		func(r *care.Review) string { return done + " review " + r.ID },
		func(r *care.Review) error { return printReview(io, r) })
}

// writeCommand completes post or edit, which differ only in their positional argument and
// what they submit: it takes the argument named arg into *target, requires --rating and
// --text (into *rating and *text), adds the mutation flags and --json, and then calls run.
func writeCommand(cmd *cobra.Command, arg string, target *string, rating *int, text *string,
	m *cmdutil.MutationOptions, asJSON *bool, run func(context.Context) error) *cobra.Command {
	cmd.Args = cmdutil.ExactArgs(arg)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		*target = args[0]
		if err := cmdutil.RequireFlags(cmd, "rating", "text"); err != nil {
			return err
		}
		return run(cmd.Context())
	}
	cmd.Flags().IntVar(rating, "rating", 0, "1 to 5")
	cmd.Flags().StringVar(text, "text", "", "the review (public: no personal data)")
	cmdutil.AddMutationFlags(cmd, m)
	cmdutil.AddJSONFlag(cmd, asJSON, ledgerapi.Committed[care.Review]{})
	return cmd
}

// PostOptions are the inputs of `cxl review post`.
type PostOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool
	Args     care.PostReviewArgs
}

// NewCmdPost returns `cxl review post`; runF replaces the run function in tests.
func NewCmdPost(f *cmdutil.Factory, runF func(*PostOptions) error) *cobra.Command {
	opts := &PostOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "post ORDER --rating 1-5 --text TEXT",
		Short: "Review an order you bought and received",
	}
	return writeCommand(cmd, "ORDER", &opts.Args.OrderID, &opts.Args.Rating, &opts.Args.Text, &opts.Mutation, &opts.JSON, func(ctx context.Context) error {
		if runF != nil {
			return runF(opts)
		}
		req := opts.Args
		return submitReview(ctx, opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.CarePostReview, req, "posted")
	})
}

// EditOptions are the inputs of `cxl review edit`.
type EditOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool
	Args     care.EditReviewArgs
}

// NewCmdEdit returns `cxl review edit`; runF replaces the run function in tests.
func NewCmdEdit(f *cmdutil.Factory, runF func(*EditOptions) error) *cobra.Command {
	opts := &EditOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "edit ID --rating 1-5 --text TEXT",
		Short: "Post a new version of your review (the old ones are kept)",
	}
	return writeCommand(cmd, "ID", &opts.Args.ID, &opts.Args.Rating, &opts.Args.Text, &opts.Mutation, &opts.JSON, func(ctx context.Context) error {
		if runF != nil {
			return runF(opts)
		}
		req := opts.Args
		return submitReview(ctx, opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.CareEditReview, req, "edited")
	})
}

// ReplyOptions are the inputs of `cxl review reply`.
type ReplyOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool
	Args     care.ReplyToReviewArgs
}

// NewCmdReply returns `cxl review reply`; runF replaces the run function in tests.
func NewCmdReply(f *cmdutil.Factory, runF func(*ReplyOptions) error) *cobra.Command {
	opts := &ReplyOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "reply ID --text TEXT",
		Short: "Reply to a review of your organisation (the merchant)",
		Args:  cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Args.ID = args[0]
			if err := cmdutil.RequireFlags(cmd, "text"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			req := opts.Args
			return submitReview(cmd.Context(), opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.CareReplyToReview, req, "replied to")
		},
	}
	cmd.Flags().StringVar(&opts.Args.Text, "text", "", "the reply (public)")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[care.Review]{})
	return cmd
}

// ShowOptions are the inputs of `cxl review show`.
type ShowOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration
	ID      string
}

// NewCmdShow returns `cxl review show`; runF replaces the run function in tests.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a review with every version and reply",
		Args:  cmdutil.ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.Query(cmd.Context(), opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
				func(ctx context.Context, c cmdutil.Client) (*care.ReviewDetail, error) {
					return ledgerapi.Over(c).Care().GetReview(ctx, ledgerapi.ReviewRequest{ID: opts.ID})
				}, func(d *care.ReviewDetail) error {
					io := opts.IO
					if err := printReview(io, &d.Review); err != nil {
						return err
					}
					if io.OutTTY {
						fmt.Fprintln(io.Out)
					}
					t := cmdutil.NewTable(io, "SEQ", "TIME", "KIND", "BY", "RATING", "TEXT")
					for _, e := range d.Entries {
						rating := ""
						if e.Rating > 0 {
							rating = stars(e.Rating)
						}
						t.Row(strconv.Itoa(e.Seq), io.Time(e.Time), e.Kind, e.By, rating, e.Text)
					}
					return t.Render()
				})
		},
	}
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, care.ReviewDetail{})
	return cmd
}

// ListOptions are the inputs of `cxl review list`.
type ListOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	JSON     bool
	Timeout  time.Duration
	Merchant string
	Limit    int
}

// NewCmdList returns `cxl review list`; runF replaces the run function in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "list MERCHANT",
		Short: "List a merchant's reviews, oldest first",
		Args:  cmdutil.ExactArgs("MERCHANT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Merchant = args[0]
			if runF != nil {
				return runF(opts)
			}
			return cmdutil.Query(cmd.Context(), opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
				func(ctx context.Context, c cmdutil.Client) (all care.ReviewPage, err error) {
					all.Reviews, all.Next, err = cmdutil.Paginate(opts.Limit, "", func(size int, bookmark string) ([]care.Review, string, error) {
						page, err := ledgerapi.Over(c).Care().ListReviews(ctx, ledgerapi.ListReviewsRequest{Merchant: opts.Merchant, PageSize: size, Bookmark: bookmark})
						if err != nil {
							return nil, "", err
						}
						return page.Reviews, page.Next, nil
					})
					return all, err
				}, func(all care.ReviewPage) error {
					io := opts.IO
					t := cmdutil.NewTable(io, "ID", "RATING", "REVIEWER", "VERSION", "REPLIED", "TEXT")
					for _, r := range all.Reviews {
						t.Row(r.ID, stars(r.Rating), r.Reviewer, strconv.Itoa(r.Version), strconv.FormatBool(r.Reply != ""), r.Text)
					}
					return t.Render()
				})
		},
	}
	cmdutil.AddLimitFlag(cmd, &opts.Limit, 50, "reviews")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, care.ReviewPage{})
	return cmd
}
