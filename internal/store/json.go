package store

import (
	"encoding/json"
	"fmt"
)

// GetJSON reads the object (kind, id) and decodes its body into v. It
// returns ErrNotFound if there is no such object. For dialects that keep
// their records as JSON bodies.
func GetJSON(tx Tx, kind, id string, v any) (*Object, error) {
	o, err := tx.GetObject(kind, id)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(o.Body, v); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", kind, id, err)
	}
	return o, nil
}

// ReadJSON is GetJSON through ReadObject: no lock on the row.
func ReadJSON(tx Tx, kind, id string, v any) (*Object, error) {
	o, err := tx.ReadObject(kind, id)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(o.Body, v); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", kind, id, err)
	}
	return o, nil
}

// PutJSON encodes v as o's body and stores o with PutObject.
func PutJSON(tx Tx, o *Object, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", o.Kind, o.ID, err)
	}
	o.Body = body
	return tx.PutObject(o)
}

// EncodeVisibilityTags and DecodeVisibilityTags are how a store keeps a
// Visibility entry's tags in one column for reading them back (JSON, ""
// for none); a store matches tags in rows of their own.
func EncodeVisibilityTags(tags []string) (string, error) {
	if len(tags) == 0 {
		return "", nil
	}
	b, err := json.Marshal(tags)
	return string(b), err
}

// DecodeVisibilityTags reverses EncodeVisibilityTags.
func DecodeVisibilityTags(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var tags []string
	err := json.Unmarshal([]byte(s), &tags)
	return tags, err
}
