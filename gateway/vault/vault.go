// Package vault is a merchant organisation's vault of ticket keys: the private halves of
// the one-time X25519 keys whose public halves the organisation publishes on the ledger
// (care:PublishTicketKeys), to which customers seal their personal data (package
// carecrypt). The vault is the only place the private halves ever are: one file per key,
// readable by its owner only, in a directory per organisation. Destroying a key (when its
// ticket's personal data is erased) turns every copy of that data anywhere (peers'
// transient stores, LevelDB remnants, the collection's history) into ciphertext nobody can
// open.
//
// The Keeper keeps each organisation's pool of unused published keys topped up and
// destroys the keys of erased tickets, following the ledger; Transport opens the sealed
// answer of care:GetTicketPersonalData with the vault.
//
// Limits: a key is overwritten with zeros, synced and removed, and its directory synced;
// what the file system or the device keeps below that (journals, copy-on-write blocks,
// wear levelling) is out of reach of a process. A vault is meant to be held by one
// gateway service per organisation.
package vault

import (
	"crypto/ecdh"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/cxledger/cxledger/cxlerr"
)

// keySuffix ends the name of a key file.
const keySuffix = ".key"

// name is what an organisation or a key ID may be to name a file: no separators, no dots
// at the start.
var name = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// Vault holds private ticket keys in a directory: <dir>/<MSP>/<key ID>.key, each the 32
// bytes of an X25519 private key, mode 0600, directories 0700.
type Vault struct {
	dir string
	mu  sync.Mutex
}

// Open opens (creating it) the vault in dir.
func Open(dir string) (*Vault, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the vault %s: %w", dir, err)
	}
	return &Vault{dir: dir}, nil
}

// Dir is the vault's directory.
func (v *Vault) Dir() string { return v.dir }

// path is the file of a key; hostile names (from the ledger) are refused.
func (v *Vault) path(msp, id string) (string, error) {
	if !name.MatchString(msp) || strings.Contains(msp, "..") {
		return "", cxlerr.Errorf(cxlerr.Invalid, "vault: organisation %q cannot name a directory", msp)
	}
	if !name.MatchString(id) || strings.Contains(id, "..") {
		return "", cxlerr.Errorf(cxlerr.Invalid, "vault: key ID %q cannot name a file", id)
	}
	return filepath.Join(v.dir, msp, id+keySuffix), nil
}

// Put stores a private key durably: the file is written and synced, then renamed into
// place and the directory synced, so that once Put returns the key survives a crash. A
// key already stored is a CONFLICT.
func (v *Vault) Put(msp, id string, k *ecdh.PrivateKey) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	p, err := v.path(msp, id)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("vault: create %s: %w", dir, err)
	}
	if _, err := os.Stat(p); err == nil {
		return cxlerr.Errorf(cxlerr.Conflict, "vault: key %s of %s already stored", id, msp)
	}
	tmp := p + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("vault: write key %s of %s: %w", id, msp, err)
	}
	_, err = f.Write(k.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		_ = shred(tmp)
		return fmt.Errorf("vault: write key %s of %s: %w", id, msp, err)
	}
	return nil
}

// Key returns a stored private key; NOT_FOUND when the vault holds none (never stored, or
// destroyed).
func (v *Vault) Key(msp, id string) (*ecdh.PrivateKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	p, err := v.path(msp, id)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "the vault holds no ticket key %s of %s (never made here, or destroyed when its ticket's data was erased)", id, msp)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: read key %s of %s: %w", id, msp, err)
	}
	k, err := ecdh.X25519().NewPrivateKey(raw)
	clear(raw)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "vault: key %s of %s: %v", id, msp, err)
	}
	return k, nil
}

// Destroy destroys a key: its file is overwritten with zeros and synced, removed, and the
// directory synced. A key the vault does not hold is no error (destroyed already).
func (v *Vault) Destroy(msp, id string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	p, err := v.path(msp, id)
	if err != nil {
		return err
	}
	if err := shred(p); err != nil {
		return fmt.Errorf("vault: destroy key %s of %s: %w", id, msp, err)
	}
	return nil
}

// List returns the IDs of an organisation's stored keys, sorted.
func (v *Vault) List(msp string) ([]string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	p, err := v.path(msp, "x")
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Dir(p))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("vault: list the keys of %s: %w", msp, err)
	}
	var ids []string
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), keySuffix); ok && e.Type().IsRegular() {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// shred overwrites a file with zeros, syncs it, removes it and syncs its directory; a
// missing file is no error.
func shred(p string) error {
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err == nil {
		_, err = f.WriteAt(make([]byte, info.Size()), 0)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return err
	}
	return syncDir(filepath.Dir(p))
}

// syncDir makes a directory's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
