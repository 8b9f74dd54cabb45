package ledger

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/cxledger/cxledger/cxlerr"
)

// GetJSON reads the committed value at key into v. found is false, and v
// untouched, when the key does not exist. Remember that Fabric returns the
// committed value even after a PutJSON to the same key in this transaction.
// A ledger failure or a value that does not decode is INTERNAL.
func GetJSON(tx *Tx, key string, v any) (found bool, err error) {
	raw, err := tx.stub.GetState(key)
	if err != nil {
		return false, cxlerr.Errorf(cxlerr.Internal, "read %s: %w", DescribeKey(key), err)
	}
	if len(raw) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", DescribeKey(key), err)
	}
	return true, nil
}

// MustGetJSON is GetJSON for a record that must exist: a missing key is
// NOT_FOUND with a message naming the record, such as
// "provenance.lot 09506000134352/L42 not found".
func MustGetJSON(tx *Tx, key string, v any) error {
	found, err := GetJSON(tx, key, v)
	if err != nil {
		return err
	}
	if !found {
		return cxlerr.Errorf(cxlerr.NotFound, "%s not found", DescribeKey(key))
	}
	return nil
}

// PutJSON writes v, encoded with encoding/json, at key. The encoding is
// deterministic: struct fields in declaration order, map keys sorted. The
// write becomes visible to reads only after the transaction commits.
func PutJSON(tx *Tx, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "encode %s: %w", DescribeKey(key), err)
	}
	if err := tx.stub.PutState(key, raw); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "write %s: %w", DescribeKey(key), err)
	}
	return nil
}

// Delete removes key. Deleting a missing key is not an error.
func Delete(tx *Tx, key string) error {
	if err := tx.stub.DelState(key); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "delete %s: %w", DescribeKey(key), err)
	}
	return nil
}

// DescribeKey renders a key for messages: a composite key as its object type
// and its parts joined by "/", any other key quoted.
func DescribeKey(key string) string {
	if !strings.HasPrefix(key, "\x00") || !strings.HasSuffix(key, "\x00") {
		return strconv.Quote(key)
	}
	fields := strings.Split(key[1:len(key)-1], "\x00")
	if len(fields) == 1 {
		return fields[0]
	}
	return fields[0] + " " + strings.Join(fields[1:], "/")
}
