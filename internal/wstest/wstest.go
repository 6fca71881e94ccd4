// Package wstest opens a test server's WebSocket and reads it in the background:
// cancelling a coder/websocket read closes the connection, so tests wait on a channel of
// frames instead.
package wstest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Dial opens the socket at path of the http(s) server base, and sends every message read
// from it, decoded by decode, on the returned channel (1,000 buffered), which closes when
// the socket does. The socket is closed when the test ends.
func Dial[T any](t testing.TB, base, path string, decode func([]byte) T) (*websocket.Conn, <-chan T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+path, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	conn.SetReadLimit(1 << 20)
	frames := make(chan T, 1000)
	go func() {
		defer close(frames)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			frames <- decode(b)
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	return conn, frames
}
