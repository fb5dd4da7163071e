package asl

import (
	"encoding/json"
	"errors"
)

// rawList is a list of JSON values kept as text: a Map's items and its
// iterations' results. It is encoded as one JSON array and decoded by
// slicing that array's text, so that an execution record holding a large
// Map costs two allocations to read back, not two per item. A nil element
// is written as null, and null is read back as nil.
type rawList []json.RawMessage

// MarshalJSON writes the list as a JSON array.
func (l rawList) MarshalJSON() ([]byte, error) { return l.join(), nil }

// join returns the list as a JSON array, nil elements as null.
func (l rawList) join() []byte {
	n := 2
	for _, v := range l {
		n += len(v) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, v := range l {
		if i > 0 {
			b = append(b, ',')
		}
		if v == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, v...)
		}
	}
	return append(b, ']')
}

// UnmarshalJSON reads a JSON array (encoding/json has checked it is valid
// JSON) into slices of one copy of its text.
func (l *rawList) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*l = nil
		return nil
	}
	text := append([]byte(nil), data...)
	i := skipSpace(text, 0)
	if i >= len(text) || text[i] != '[' {
		return errors.New("asl: a raw list must be a JSON array")
	}
	var out rawList
	i = skipSpace(text, i+1)
	if i < len(text) && text[i] == ']' {
		*l = rawList{}
		return nil
	}
	for i < len(text) {
		end, err := valueEnd(text, i)
		if err != nil {
			return err
		}
		v := json.RawMessage(text[i:end:end])
		if string(v) == "null" {
			v = nil
		}
		out = append(out, v)
		i = skipSpace(text, end)
		if i >= len(text) {
			break
		}
		switch text[i] {
		case ',':
			i = skipSpace(text, i+1)
		case ']':
			*l = out
			return nil
		default:
			return errors.New("asl: a raw list has a malformed element separator")
		}
	}
	return errors.New("asl: a raw list is not closed")
}

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just after the JSON value starting at i of
// valid JSON text b.
func valueEnd(b []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch c := b[j]; c {
		case '"':
			j++
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			if depth == 0 {
				return j + 1, nil
			}
		case '[', '{':
			depth++
		case ']', '}':
			if depth == 0 {
				return j, nil // the end of a scalar just before the list's ']'
			}
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		case ',':
			if depth == 0 {
				return j, nil
			}
		case ' ', '\t', '\n', '\r':
			if depth == 0 && j > i {
				return j, nil
			}
		}
	}
	return 0, errors.New("asl: a raw list element is not closed")
}
