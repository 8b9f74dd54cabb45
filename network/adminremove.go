package network

import (
	"fmt"
	"slices"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-config/configtx"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// RemoveOrgUpdate computes the configuration update (a marshalled ConfigUpdate) of
// channelID that removes the organisation mspID from config's application organisations.
// It changes the application group itself, so the channel's application Admins policy
// decides (MAJORITY of the members' admins, the one removed counted among the members).
// An organisation that is no member is NOT_FOUND; the last member cannot be removed
// (FORBIDDEN): a channel without application organisations has no admin left to change it.
func RemoveOrgUpdate(config *cb.Config, channelID, mspID string) ([]byte, error) {
	members := Members(config)
	if !slices.Contains(members, mspID) {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "%q is not a member of channel %s (members: %v)", mspID, channelID, members)
	}
	if len(members) == 1 {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "%s is the last member of channel %s: removing it would leave no admin to change the channel", mspID, channelID)
	}
	c := configtx.New(config)
	c.Application().RemoveOrganization(mspID)
	update, err := c.ComputeMarshaledUpdate(channelID)
	if err != nil {
		return nil, fmt.Errorf("compute the configuration update: %w", err)
	}
	return update, nil
}

// orgOnlyUpdate says whether update changes nothing but values of one application
// organisation whose mod_policy is that organisation's own Admins (its MSP, say), and
// names it: such an update needs only that organisation's admin, as Fabric evaluates the
// value's relative mod_policy in the organisation's group. Anything else ("" and false)
// needs the channel's application Admins.
func orgOnlyUpdate(config *cb.Config, u *cb.ConfigUpdate) (string, bool) {
	app := config.GetChannelGroup().GetGroups()[configtx.ApplicationGroupKey]
	channelWrite := u.GetWriteSet()
	if channelWrite.GetVersion() != config.GetChannelGroup().GetVersion() || len(channelWrite.GetValues()) != 0 || len(channelWrite.GetPolicies()) != 0 {
		return "", false
	}
	if len(channelWrite.GetGroups()) != 1 {
		return "", false
	}
	write := channelWrite.GetGroups()[configtx.ApplicationGroupKey]
	if write == nil || write.GetVersion() != app.GetVersion() || len(write.GetValues()) != 0 || len(write.GetPolicies()) != 0 {
		return "", false
	}
	var changed string
	for name, g := range write.GetGroups() {
		current, ok := app.GetGroups()[name]
		if !ok || g.GetVersion() != current.GetVersion() || len(g.GetGroups()) != 0 || len(g.GetPolicies()) != 0 {
			return "", false
		}
		for key, v := range g.GetValues() {
			cur, ok := current.GetValues()[key]
			if !ok || cur.GetModPolicy() != configtx.AdminsPolicyKey || v.GetModPolicy() != configtx.AdminsPolicyKey {
				return "", false
			}
			if v.GetVersion() == cur.GetVersion() {
				continue
			}
			if changed != "" && changed != name {
				return "", false
			}
			changed = name
		}
	}
	return changed, changed != ""
}

// submitterStays refuses (INVALID) to submit an update as a member it removes: the
// submitter's peer is where the new configuration is awaited, and it would no longer have it.
func submitterStays(config *cb.Config, update []byte, mspID string) error {
	u, err := parseUpdate(update)
	if err != nil {
		return err
	}
	if slices.Contains(removedOrgs(config, u), mspID) {
		return cxlerr.Errorf(cxlerr.Invalid, "the update removes %s: submit it as a member that stays (its peer shows the result)", mspID)
	}
	return nil
}

// removedOrgs lists the members an update removes from the application group.
func removedOrgs(config *cb.Config, u *cb.ConfigUpdate) []string {
	app := config.GetChannelGroup().GetGroups()[configtx.ApplicationGroupKey]
	write := u.GetWriteSet().GetGroups()[configtx.ApplicationGroupKey]
	if write == nil || write.GetVersion() <= app.GetVersion() {
		return nil
	}
	var gone []string
	for _, name := range Members(config) {
		if _, ok := write.GetGroups()[name]; !ok {
			gone = append(gone, name)
		}
	}
	return gone
}

// staleItem names the first element of an update that does not apply to the current
// configuration group cur, as the orderer would find it: an element read at a version it no
// longer has, or one written at other than its current version plus one (version 0 when
// new). "" when the update applies.
func staleItem(cur, read, write *cb.ConfigGroup, path string) string {
	if read != nil && (cur == nil || read.GetVersion() != cur.GetVersion()) {
		return path
	}
	if write == nil {
		return ""
	}
	if read == nil || read.GetVersion() != write.GetVersion() {
		if !nextVersion(cur != nil, cur.GetVersion(), write.GetVersion()) {
			return path
		}
	}
	for name, w := range write.GetGroups() {
		if p := staleItem(cur.GetGroups()[name], read.GetGroups()[name], w, path+"/"+name); p != "" {
			return p
		}
	}
	for name, r := range read.GetGroups() {
		if _, written := write.GetGroups()[name]; !written {
			if p := staleItem(cur.GetGroups()[name], r, nil, path+"/"+name); p != "" {
				return p
			}
		}
	}
	for name, w := range write.GetValues() {
		c, ok := cur.GetValues()[name]
		if r, read := read.GetValues()[name]; read && r.GetVersion() == w.GetVersion() {
			if !ok || c.GetVersion() != r.GetVersion() {
				return path + "/" + name
			}
		} else if !nextVersion(ok, c.GetVersion(), w.GetVersion()) {
			return path + "/" + name
		}
	}
	for name, w := range write.GetPolicies() {
		c, ok := cur.GetPolicies()[name]
		if r, read := read.GetPolicies()[name]; read && r.GetVersion() == w.GetVersion() {
			if !ok || c.GetVersion() != r.GetVersion() {
				return path + "/" + name
			}
		} else if !nextVersion(ok, c.GetVersion(), w.GetVersion()) {
			return path + "/" + name
		}
	}
	return ""
}

// nextVersion says whether written is the version that follows an element's current one
// (0 for an element that does not exist yet).
func nextVersion(exists bool, current, written uint64) bool {
	if !exists {
		return written == 0
	}
	return written == current+1
}
