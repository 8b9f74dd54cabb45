package network

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// FabricVersion is the Hyperledger Fabric release the network runs.
const FabricVersion = "3.1.1"

// fabricModule is the module path whose commands are built from the nested tools module.
const fabricModule = "github.com/hyperledger/fabric"

// FabricTools are the Fabric commands built from the nested tools module.
var FabricTools = []string{"peer", "orderer", "configtxgen", "cryptogen", "osnadmin"}

// FabricCAVersion is the Hyperledger Fabric CA release each organisation's CA runs.
const FabricCAVersion = "1.5.15"

// fabricCAModule is the module path whose commands are built from the nested tools module
// network/fabricca.
const fabricCAModule = "github.com/hyperledger/fabric-ca"

// FabricCATools are the Fabric CA commands built from network/fabricca.
var FabricCATools = []string{"fabric-ca-server", "fabric-ca-client"}

// fabricCABuildTags make the Fabric CA binaries fully static: Go's resolvers for names and
// users, and SQLite (the CA's store, which needs cgo) without loadable extensions, whose
// dlopen a static binary cannot honour.
const fabricCABuildTags = "netgo,osusergo,sqlite_omit_load_extension"

// OwnTools are cxledger's own commands the network runs, and the gateway service in front of
// it.
var OwnTools = []string{"cxl-chaincode", "ccaas-builder", "cxl-healthcheck", "cxl-gateway"}

// Build builds the Fabric commands (static, CGO off, version stamped), the Fabric CA
// commands (static, CGO on for SQLite, version stamped) and cxledger's own commands into
// home's bin directory. Fabric and Fabric CA commands are rebuilt only when their pinned
// module versions or the Go toolchain change, so a second run with nothing changed takes
// seconds.
func Build(ctx context.Context, repo string, home Home, progress io.Writer) error {
	if err := os.MkdirAll(home.Bin(), 0o755); err != nil {
		return fmt.Errorf("create bin dir: %w", err)
	}
	if err := buildFabric(ctx, repo, home, progress); err != nil {
		return err
	}
	if err := buildFabricCA(ctx, repo, home, progress); err != nil {
		return err
	}
	pkgs := make([]string, len(OwnTools))
	for i, t := range OwnTools {
		pkgs[i] = "./cmd/" + t
	}
	args := append([]string{"build", "-trimpath", "-o", home.Bin() + string(filepath.Separator)}, pkgs...)
	if err := goCommand(ctx, repo, nil, args...); err != nil {
		return fmt.Errorf("build cxledger binaries: %w", err)
	}
	return nil
}

// buildFabric builds the Fabric commands from network/fabric unless they are up to date.
func buildFabric(ctx context.Context, repo string, home Home, progress io.Writer) error {
	toolsDir := filepath.Join(repo, "network", "fabric")
	stamp, err := toolsStamp(toolsDir)
	if err != nil {
		return err
	}
	stampFile := filepath.Join(home.Bin(), ".fabric-stamp")
	if old, _ := os.ReadFile(stampFile); string(old) != stamp || !allExist(home.Bin(), FabricTools) {
		fmt.Fprintf(progress, "building Fabric %s binaries (about 2 minutes the first time)\n", FabricVersion)
		pkgs := make([]string, len(FabricTools))
		for i, t := range FabricTools {
			pkgs[i] = fabricModule + "/cmd/" + t
		}
		ldflags := "-X " + fabricModule + "/common/metadata.Version=" + FabricVersion
		args := append([]string{"build", "-trimpath", "-ldflags", ldflags, "-o", home.Bin() + string(filepath.Separator)}, pkgs...)
		if err := goCommand(ctx, toolsDir, nil, args...); err != nil {
			return fmt.Errorf("build Fabric binaries: %w", err)
		}
		if err := copyFabricConfig(ctx, toolsDir, home); err != nil {
			return err
		}
		if err := os.WriteFile(stampFile, []byte(stamp), 0o644); err != nil {
			return fmt.Errorf("write build stamp: %w", err)
		}
	}
	return nil
}

// buildFabricCA builds fabric-ca-server and fabric-ca-client from network/fabricca unless
// they are up to date. Their default store is SQLite (mattn/go-sqlite3, C), so they are
// built with cgo and linked fully statically (external linker, -static): the binaries run
// in a FROM-scratch image like every other node.
func buildFabricCA(ctx context.Context, repo string, home Home, progress io.Writer) error {
	toolsDir := filepath.Join(repo, "network", "fabricca")
	stamp, err := toolsStamp(toolsDir)
	if err != nil {
		return err
	}
	stampFile := filepath.Join(home.Bin(), ".fabric-ca-stamp")
	if old, _ := os.ReadFile(stampFile); string(old) == stamp && allExist(home.Bin(), FabricCATools) {
		return nil
	}
	fmt.Fprintf(progress, "building Fabric CA %s binaries (about a minute the first time)\n", FabricCAVersion)
	pkgs := make([]string, len(FabricCATools))
	for i, t := range FabricCATools {
		pkgs[i] = fabricCAModule + "/cmd/" + t
	}
	ldflags := "-X " + fabricCAModule + "/lib/metadata.Version=" + FabricCAVersion +
		" -linkmode external -extldflags -static"
	args := append([]string{"build", "-trimpath", "-tags", fabricCABuildTags, "-ldflags", ldflags,
		"-o", home.Bin() + string(filepath.Separator)}, pkgs...)
	if err := goCommand(ctx, toolsDir, []string{"CGO_ENABLED=1"}, args...); err != nil {
		return fmt.Errorf("build Fabric CA binaries (cgo: needs gcc and the static C library): %w", err)
	}
	if err := os.WriteFile(stampFile, []byte(stamp), 0o644); err != nil {
		return fmt.Errorf("write build stamp: %w", err)
	}
	return nil
}

// toolsStamp identifies what the binaries of a nested tools module were built from.
func toolsStamp(toolsDir string) (string, error) {
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum", "tools.go"} {
		data, err := os.ReadFile(filepath.Join(toolsDir, f))
		if err != nil {
			return "", fmt.Errorf("read tools module: %w", err)
		}
		h.Write(data)
	}
	h.Write([]byte(runtime.Version()))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func allExist(dir string, names []string) bool {
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return false
		}
	}
	return true
}

// copyFabricConfig copies core.yaml and orderer.yaml from the pinned Fabric module's
// sampleconfig into the state directory; every node reads them through FABRIC_CFG_PATH and
// gets the rest of its settings from CORE_* / ORDERER_* environment variables.
func copyFabricConfig(ctx context.Context, toolsDir string, home Home) error {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", fabricModule)
	cmd.Dir = toolsDir
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("locate the Fabric module: %w", err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "sampleconfig")
	dst := home.FabricConfig()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("create fabric config dir: %w", err)
	}
	for _, f := range []string{"core.yaml", "orderer.yaml"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return fmt.Errorf("read Fabric sample config: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), data, 0o644); err != nil {
			return fmt.Errorf("write Fabric config: %w", err)
		}
	}
	return nil
}

// FabricConfig is the FABRIC_CFG_PATH of every node and admin command.
func (h Home) FabricConfig() string { return h.Path("bin", "fabric-config") }

// goCommand runs the go command in dir with CGO off unless env says otherwise.
func goCommand(ctx context.Context, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0"), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args[:1], " "), err, out.String())
	}
	return nil
}

// runTool runs one of the built binaries and returns its combined output in the error when
// it fails.
func runTool(ctx context.Context, home Home, tool string, env []string, args ...string) error {
	_, err := toolOutput(ctx, home, tool, env, args...)
	return err
}

func toolOutput(ctx context.Context, home Home, tool string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(home.Bin(), tool), args...)
	cmd.Env = append(append(os.Environ(), "FABRIC_CFG_PATH="+home.FabricConfig(), "FABRIC_LOGGING_SPEC=warning"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", tool, strings.Join(args[:min(len(args), 3)], " "), err,
			strings.TrimSpace(stderr.String()+" "+stdout.String()))
	}
	return stdout.Bytes(), nil
}
