package realtime

import (
	"bufio"
	"bytes"
	"errors"
	"testing"

	"github.com/gobwas/ws"
)

func TestAppendFrameIsReadBackAsWritten(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
		p := bytes.Repeat([]byte("a"), n)
		b := appendFrame(nil, ws.OpText, p)
		r := bytes.NewReader(b)
		h, err := ws.ReadHeader(r)
		if err != nil {
			t.Fatalf("appendFrame(%d bytes): ReadHeader: %v", n, err)
		}
		if !h.Fin || h.OpCode != ws.OpText || h.Masked || h.Length != int64(n) || r.Len() != n {
			t.Fatalf("appendFrame(%d bytes) = header %+v with %d bytes after it", n, h, r.Len())
		}
	}
}

// masked builds client frames.
func masked(frames ...ws.Frame) *bufio.Reader {
	var b bytes.Buffer
	for _, f := range frames {
		f.Payload = bytes.Clone(f.Payload)
		ws.WriteFrame(&b, ws.MaskFrameInPlace(f))
	}
	return bufio.NewReader(&b)
}

func TestReadMessage(t *testing.T) {
	var controls []string
	control := func(op ws.OpCode, p []byte) error {
		controls = append(controls, string(rune(op))+":"+string(p))
		return nil
	}
	t.Run("a lone control frame returns no message, without waiting for more", func(t *testing.T) {
		controls = nil
		m, err := readMessage(masked(ws.NewPingFrame([]byte("x"))), control)
		if err != nil || m.op != 0 || len(controls) != 1 {
			t.Fatalf("readMessage(ping) = %v, %v with controls %v; want no message and one control", m, err, controls)
		}
	})
	t.Run("fragments are joined, control frames between them handled", func(t *testing.T) {
		controls = nil
		m, err := readMessage(masked(ws.NewFrame(ws.OpText, false, []byte("ab")), ws.NewPongFrame([]byte("p")),
			ws.NewFrame(ws.OpContinuation, true, []byte("cd"))), control)
		if err != nil || m.op != ws.OpText || string(m.payload) != "abcd" || len(controls) != 1 {
			t.Fatalf("readMessage = %v %q, %v with controls %v", m.op, m.payload, err, controls)
		}
	})
	t.Run("a continuation without a start is a protocol error", func(t *testing.T) {
		_, err := readMessage(masked(ws.NewFrame(ws.OpContinuation, true, []byte("x"))), control)
		var ce closeError
		if !errors.As(err, &ce) || ce.code != closeProtocol {
			t.Fatalf("readMessage = %v, want a 1002 close", err)
		}
	})
	t.Run("a message over the limit is a bad frame", func(t *testing.T) {
		_, err := readMessage(masked(ws.NewTextFrame(make([]byte, maxFrameBytes+1))), control)
		var ce closeError
		if !errors.As(err, &ce) || ce.code != CloseBadFrame {
			t.Fatalf("readMessage = %v, want a 4002 close", err)
		}
	})
}

// FuzzReadMessage feeds arbitrary bytes to the frame reader: it returns a message, an
// error or a close error, never panics, and never returns more than maxFrameBytes.
func FuzzReadMessage(f *testing.F) {
	var b bytes.Buffer
	ws.WriteFrame(&b, ws.MaskFrameInPlace(ws.NewTextFrame([]byte(`{"type":"ping"}`))))
	f.Add(b.Bytes())
	b.Reset()
	ws.WriteFrame(&b, ws.MaskFrameInPlace(ws.NewFrame(ws.OpText, false, []byte("ab"))))
	ws.WriteFrame(&b, ws.MaskFrameInPlace(ws.NewPingFrame([]byte("x"))))
	ws.WriteFrame(&b, ws.MaskFrameInPlace(ws.NewFrame(ws.OpContinuation, true, []byte("cd"))))
	f.Add(b.Bytes())
	f.Add([]byte{0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReader(bytes.NewReader(in))
		for i := 0; i < 100; i++ {
			m, err := readMessage(br, func(ws.OpCode, []byte) error { return nil })
			if len(m.payload) > maxFrameBytes {
				t.Fatalf("a message of %d bytes was read", len(m.payload))
			}
			if err != nil {
				return
			}
		}
	})
}
