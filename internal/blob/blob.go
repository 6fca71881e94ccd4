// Package blob stores attachment bytes: a local directory by default (a shared directory
// serves several nodes); the Store interface lets an S3-compatible bucket replace it.
package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// ErrNotFound is returned for a key with no blob.
var ErrNotFound = errors.New("blob: not found")

// Store keeps blobs by key.
type Store interface {
	// Put stores r under a new key and returns the key and the size written.
	Put(ctx context.Context, r io.Reader) (key string, size int64, err error)
	// Open returns the blob's bytes; ErrNotFound if there is none.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, error)
	Delete(ctx context.Context, key string) error
}

// Dir stores blobs as files under a directory, two levels of fan-out deep.
type Dir struct{ Root string }

var keyRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

func (d Dir) path(key string) (string, error) {
	if !keyRe.MatchString(key) {
		return "", fmt.Errorf("blob: bad key %q", key)
	}
	return filepath.Join(d.Root, key[:2], key[2:4], key), nil
}

// Put writes r to a temporary file and renames it into place, so a blob is whole or absent.
func (d Dir) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	b := make([]byte, 16)
	rand.Read(b)
	key := hex.EncodeToString(b)
	p, _ := d.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	defer os.Remove(f.Name())
	n, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("blob: write: %w", err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return "", 0, fmt.Errorf("blob: %w", err)
	}
	return key, n, nil
}

// Open opens a blob.
func (d Dir) Open(_ context.Context, key string) (io.ReadSeekCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, ErrNotFound
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

// Delete removes a blob; a missing one is not an error.
func (d Dir) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}
