package store

import "time"

// EncodeCursor makes the opaque cursor of a list ordered by (time, id) descending, for
// lists kept outside the store's own (the audit log); DecodeCursor reads it back, and
// answers EINVALID for a cursor it did not make.
func EncodeCursor(t time.Time, id string) string { return encodeCursor(t, id) }

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(s string) (time.Time, string, error) { return decodeCursor(s) }
