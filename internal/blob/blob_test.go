package blob

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestDirStoresOpensAndDeletes(t *testing.T) {
	ctx := context.Background()
	d := Dir{Root: t.TempDir()}
	key, n, err := d.Put(ctx, strings.NewReader("hello blob"))
	if err != nil || n != 10 {
		t.Fatalf("Put = %q, %d, %v", key, n, err)
	}
	f, err := d.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "hello blob" {
		t.Fatalf("read %q", b)
	}
	if err := d.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open after Delete = %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"../etc/passwd", "", "ABCDEF0123456789abcdef0123456789"} {
		if _, err := d.Open(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", bad, err)
		}
	}
}
