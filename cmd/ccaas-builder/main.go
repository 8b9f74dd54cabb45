// Command ccaas-builder is cxledger's external chaincode builder for chaincode run as a
// service. The peer runs it as bin/detect, bin/build and bin/release (links to this one
// binary); it picks the step from the name it was run as, or from its first argument.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cxledger/cxledger/network/ccaas"
)

func main() {
	if err := run(filepath.Base(os.Args[0]), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ccaas-builder:", err)
		os.Exit(1)
	}
}

func run(step string, args []string) error {
	if step == "ccaas-builder" {
		if len(args) == 0 {
			return errors.New("usage: ccaas-builder detect|build|release DIR...")
		}
		step, args = args[0], args[1:]
	}
	want := map[string]int{"detect": 2, "build": 3, "release": 2}
	n, ok := want[step]
	if !ok {
		return fmt.Errorf("unknown step %q (want detect, build or release)", step)
	}
	if len(args) != n {
		return fmt.Errorf("%s takes %d directories, got %d", step, n, len(args))
	}
	switch step {
	case "detect":
		return ccaas.Detect(args[1])
	case "build":
		return ccaas.Build(args[0], args[1], args[2])
	default:
		return ccaas.Release(args[0], args[1])
	}
}
