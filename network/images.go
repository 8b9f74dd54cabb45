package network

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// CAImage is the image of each organisation's Fabric CA, built FROM scratch from the static
// fabric-ca-server Build makes.
const CAImage = "cxledger/ca:" + FabricCAVersion + "-" + ImageRevision

// Image is one image BuildImages builds FROM scratch: a Dockerfile under docker/ in the
// repository, and the files its build context holds.
type Image struct {
	// Tag is the image's pinned name and tag.
	Tag string
	// Dockerfile is the file under docker/ that builds it.
	Dockerfile string
	// Files maps a name in the build context to the file it is copied from.
	Files map[string]string
}

// contextLabel carries a digest of an image's build context, so an image whose Dockerfile
// and files did not change is not built again.
const contextLabel = "io.cxledger.context"

// Images lists the images of the Docker network, built from the binaries in home's bin
// directory (Build makes them) and the Fabric configuration copied beside them.
func Images(home Home) []Image {
	bin := func(name string) string { return filepath.Join(home.Bin(), name) }
	return []Image{
		{Tag: OrdererImage, Dockerfile: "orderer.Dockerfile", Files: map[string]string{
			"orderer": bin("orderer"), "cxl-healthcheck": bin("cxl-healthcheck"),
			"orderer.yaml": filepath.Join(home.FabricConfig(), "orderer.yaml"),
		}},
		{Tag: PeerImage, Dockerfile: "peer.Dockerfile", Files: map[string]string{
			"peer": bin("peer"), "ccaas-builder": bin("ccaas-builder"), "cxl-healthcheck": bin("cxl-healthcheck"),
			"core.yaml": filepath.Join(home.FabricConfig(), "core.yaml"),
		}},
		{Tag: ChaincodeImage, Dockerfile: "chaincode.Dockerfile", Files: map[string]string{
			"cxl-chaincode": bin("cxl-chaincode"), "cxl-healthcheck": bin("cxl-healthcheck"),
		}},
		{Tag: GatewayImage, Dockerfile: "gateway.Dockerfile", Files: map[string]string{
			"cxl-gateway": bin("cxl-gateway"), "cxl-healthcheck": bin("cxl-healthcheck"),
		}},
		{Tag: CAImage, Dockerfile: "ca.Dockerfile", Files: map[string]string{
			"fabric-ca-server": bin("fabric-ca-server"), "cxl-healthcheck": bin("cxl-healthcheck"),
		}},
	}
}

// BuildImages builds every image of the Docker network with the local Docker engine. It
// needs no registry and no network access: each image is FROM scratch, and its build
// context is streamed to `docker build` as a tar holding only its Dockerfile and files.
// An image whose context did not change since it was last built is skipped.
func BuildImages(ctx context.Context, repo string, home Home, progress io.Writer) error {
	if _, err := exec.LookPath("docker"); err != nil {
		return fmt.Errorf("build images: the docker CLI is not installed: %w", err)
	}
	for _, img := range Images(home) {
		if err := buildImage(ctx, repo, img, progress); err != nil {
			return err
		}
	}
	return nil
}

func buildImage(ctx context.Context, repo string, img Image, progress io.Writer) error {
	dockerfile, err := os.ReadFile(filepath.Join(repo, "docker", img.Dockerfile))
	if err != nil {
		return fmt.Errorf("read Dockerfile of %s: %w", img.Tag, err)
	}
	digest, err := contextDigest(dockerfile, img.Files)
	if err != nil {
		return err
	}
	if current, err := imageLabel(ctx, img.Tag, contextLabel); err == nil && current == digest {
		fmt.Fprintf(progress, "image %s is up to date\n", img.Tag)
		return nil
	}
	previous, _ := imageID(ctx, img.Tag)
	fmt.Fprintf(progress, "building image %s\n", img.Tag)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeContext(pw, dockerfile, img.Files)) }()
	cmd := exec.CommandContext(ctx, "docker", "build", "--tag", img.Tag, "--label", contextLabel+"="+digest,
		"--file", "Dockerfile", "-")
	cmd.Stdin = pr
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// The legacy builder needs no plug-in; BuildKit, where installed, builds the same file.
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	err = cmd.Run()
	pr.Close()
	if err != nil {
		return fmt.Errorf("docker build %s: %w\n%s", img.Tag, err, out.String())
	}
	return removeReplaced(ctx, img.Tag, previous, progress)
}

// imageID is the ID of a local image; it fails when the image does not exist.
func imageID(ctx context.Context, tag string) (string, error) {
	out, err := exec.CommandContext(ctx, "docker", "image", "inspect", "--format", "{{.Id}}", tag).Output()
	if err != nil {
		return "", fmt.Errorf("inspect image %s: %w", tag, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// removeReplaced removes the image a rebuild took the tag from, so rebuilds leave no
// untagged images behind. An image a container still uses is kept, and said so.
func removeReplaced(ctx context.Context, tag, previous string, progress io.Writer) error {
	if previous == "" {
		return nil
	}
	current, err := imageID(ctx, tag)
	if err != nil {
		return err
	}
	if current == previous {
		return nil
	}
	if out, err := exec.CommandContext(ctx, "docker", "image", "rm", previous).CombinedOutput(); err != nil {
		fmt.Fprintf(progress, "kept the previous %s (%s): %s\n", tag, previous, strings.TrimSpace(string(out)))
	}
	return nil
}

// contextDigest hashes a build context: the Dockerfile and every file, in name order.
func contextDigest(dockerfile []byte, files map[string]string) (string, error) {
	h := sha256.New()
	h.Write(dockerfile)
	for _, name := range sortedKeys(files) {
		f, err := os.Open(files[name])
		if err != nil {
			return "", fmt.Errorf("read %s for the image: %w", name, err)
		}
		fmt.Fprintf(h, "\x00%s\x00", name)
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("read %s for the image: %w", name, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// writeContext writes a build context tar: the Dockerfile, every file (executables keep
// their mode) and an empty directory "empty" the Dockerfiles copy to create directories
// owned by the node user.
func writeContext(w io.Writer, dockerfile []byte, files map[string]string) error {
	tw := tar.NewWriter(w)
	epoch := time.Unix(0, 0)
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile)), ModTime: epoch}); err != nil {
		return err
	}
	if _, err := tw.Write(dockerfile); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "empty/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch}); err != nil {
		return err
	}
	for _, name := range sortedKeys(files) {
		if err := addFile(tw, name, files[name], epoch); err != nil {
			return err
		}
	}
	return tw.Close()
}

func addFile(tw *tar.Writer, name, path string, modTime time.Time) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	mode := int64(0o644)
	if info.Mode()&0o111 != 0 {
		mode = 0o755
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: info.Size(), ModTime: modTime}); err != nil {
		return fmt.Errorf("tar %s: %w", name, err)
	}
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("tar %s: %w", name, err)
	}
	return nil
}

// imageLabel reads a label of a local image; it fails when the image does not exist.
func imageLabel(ctx context.Context, tag, label string) (string, error) {
	out, err := exec.CommandContext(ctx, "docker", "image", "inspect", "--format",
		fmt.Sprintf(`{{index .Config.Labels %q}}`, label), tag).Output()
	if err != nil {
		return "", fmt.Errorf("inspect image %s: %w", tag, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// MissingImages lists the images of the Docker network the local engine does not have.
func MissingImages(ctx context.Context) ([]string, error) {
	if _, err := exec.LookPath("docker"); err != nil {
		return nil, errors.New("the Docker runtime needs the docker CLI, which is not installed")
	}
	var missing []string
	for _, img := range Images("") {
		if _, err := imageID(ctx, img.Tag); err != nil {
			missing = append(missing, img.Tag)
		}
	}
	return missing, nil
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
