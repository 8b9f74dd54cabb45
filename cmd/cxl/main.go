// Command cxl drives cxledger: the Fabric network, and the business operations on it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cli/root"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := cmdutil.NewFactory()
	err := root.NewCmdRoot(f).ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(f.IO.ErrOut, "cxl:", err)
	}
	os.Exit(int(cmdutil.CodeOf(err)))
}
