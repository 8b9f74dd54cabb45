// Command cxl-gateway is the gateway service: a typed REST API over the cxledger chaincode
// (see gateway/httpapi), configured by a YAML file (-config, or CXL_GATEWAY_CONFIG)
// overridden by CXL_GATEWAY_* environment variables. It refuses to start on an invalid
// configuration, naming every problem. `cxl gateway up` writes a configuration for the
// local network and starts it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"

	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/gateway/service"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cxl-gateway:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("cxl-gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", os.Getenv("CXL_GATEWAY_CONFIG"), "configuration file (YAML)")
	check := fs.Bool("check", false, "validate the configuration and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: cxl-gateway -config FILE [-check]\n\nEnvironment overrides:")
		names := make([]string, 0, len(config.Env))
		for name := range config.Env {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			fmt.Fprintf(stderr, "  %-28s %s\n", name, config.Env[name])
		}
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		fs.Usage()
		return fmt.Errorf("no configuration: pass -config or set CXL_GATEWAY_CONFIG")
	}
	cfg, err := config.Load(*path, os.Getenv)
	if err != nil {
		return err
	}
	if *check {
		fmt.Fprintln(stderr, "configuration is valid")
		return nil
	}
	// The service allocates little that lives long; collecting less often costs a few MB
	// and saves a tenth of its CPU under load. GOGC still decides when set.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	log := newLogger(cfg.Log, stderr)
	svc, err := service.New(cfg, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runErr := svc.Run(ctx)
	if err := svc.Close(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(c.Level)))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
