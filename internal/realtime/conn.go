package realtime

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gobwas/ws"
)

// This file is the WebSocket wire (RFC 6455, through github.com/gobwas/ws): the upgrade,
// reading client frames and writing server frames. It holds no buffer per socket: a read
// borrows a buffered reader from a pool for as long as bytes are waiting, and a writer
// borrows a buffer for as long as it has frames to send.

// Close codes (docs/protocol.md). They are untyped so that any WebSocket library's status
// type compares with them.
const (
	closeGoingAway    = 1001 // server going away: reconnect with since
	closeProtocol     = 1002 // not WebSocket as RFC 6455 has it
	CloseReconnect    = 4000 // reconnect and resume (slow consumer, idle timeout)
	CloseUnauthorized = 4001 // do not retry with this token
	CloseBadFrame     = 4002 // not JSON, too large, unknown type
)

// closeError ends a socket with a close frame carrying code.
type closeError struct {
	code ws.StatusCode
	why  string
}

func (e closeError) Error() string { return e.why }

func badFrame(why string) error { return closeError{code: CloseBadFrame, why: why} }

// errStopReading means the socket is closing and its reader has nothing more to do.
var errStopReading = errors.New("socket closing")

var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// verifyUpgrade checks an upgrade request before the connection is taken over, so that a
// request that is not a WebSocket handshake gets an ordinary HTTP error.
func verifyUpgrade(w http.ResponseWriter, r *http.Request) (int, error) {
	if !r.ProtoAtLeast(1, 1) {
		return http.StatusUpgradeRequired, fmt.Errorf("WebSocket needs HTTP/1.1, not %s", r.Proto)
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket") {
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "websocket")
		return http.StatusUpgradeRequired, errors.New("this endpoint speaks WebSocket only")
	}
	if r.Method != http.MethodGet {
		return http.StatusMethodNotAllowed, errors.New("a WebSocket handshake is a GET")
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		return http.StatusBadRequest, errors.New("only WebSocket version 13 is supported")
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return http.StatusBadRequest, errors.New("one Sec-WebSocket-Key is required")
	}
	if k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0])); err != nil || len(k) != 16 {
		return http.StatusBadRequest, errors.New("Sec-WebSocket-Key must be 16 bytes in base64")
	}
	return 0, nil
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// checkOrigin accepts a request without Origin (not a browser) or from the page's own host.
func checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil {
		return fmt.Errorf("the Origin header %q is not a URL", origin)
	}
	if !strings.EqualFold(u.Host, r.Host) {
		return fmt.Errorf("request Origin %q is not authorized for Host %q", u.Host, r.Host)
	}
	return nil
}

// upgrade answers the handshake and takes the connection over from net/http. It returns
// the bytes the client sent after its handshake, if any arrived with it. On failure the
// client has had its answer and ok is false.
func upgrade(w http.ResponseWriter, r *http.Request, anyOrigin bool) (conn net.Conn, early []byte, ok bool) {
	if code, err := verifyUpgrade(w, r); err != nil {
		http.Error(w, err.Error(), code)
		return nil, nil, false
	}
	if !anyOrigin {
		if err := checkOrigin(r); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return nil, nil, false
		}
	}
	// No extension is negotiated: frames are not compressed (as before: compression off).
	conn, rw, _, err := ws.HTTPUpgrader{Timeout: writeTimeout}.Upgrade(r, w)
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		return nil, nil, false
	}
	if n := rw.Reader.Buffered(); n > 0 {
		b, _ := rw.Reader.Peek(n)
		early = bytes.Clone(b)
	}
	return conn, early, true
}

// closeAtOnce ends a socket that never served: it sends the close frame, waits (a few
// seconds at most) for the client's, and closes.
func closeAtOnce(conn net.Conn, early []byte, code ws.StatusCode, why string) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(closeTimeout))
	if _, err := conn.Write(appendFrame(nil, ws.OpClose, ws.NewCloseFrameBody(code, why))); err != nil {
		return
	}
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(early), conn), 512)
	for {
		h, err := ws.ReadHeader(br)
		if err != nil || h.Length > maxFrameBytes {
			return
		}
		if _, err := br.Discard(int(h.Length)); err != nil || h.OpCode == ws.OpClose {
			return
		}
	}
}

// appendFrame appends a server frame (final, unmasked) of type op carrying p.
func appendFrame(b []byte, op ws.OpCode, p []byte) []byte {
	b = append(b, 0x80|byte(op))
	switch n := len(p); {
	case n <= 125:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = append(b, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, p...)
}

// frameWriter gathers frames and writes them in as few system calls as it can.
type frameWriter struct {
	conn net.Conn
	buf  *[]byte
}

func newFrameWriter(conn net.Conn) *frameWriter {
	return &frameWriter{conn: conn, buf: writeBufs.Get().(*[]byte)}
}

func (w *frameWriter) text(p []byte) error { return w.frame(ws.OpText, p) }

func (w *frameWriter) frame(op ws.OpCode, p []byte) error {
	*w.buf = appendFrame(*w.buf, op, p)
	if len(*w.buf) >= flushBytes {
		return w.flush(writeTimeout)
	}
	return nil
}

// flush writes the gathered frames; a socket that cannot take them within timeout fails.
func (w *frameWriter) flush(timeout time.Duration) error {
	b := *w.buf
	if len(b) == 0 {
		return nil
	}
	*w.buf = b[:0]
	w.conn.SetWriteDeadline(time.Now().Add(timeout))
	_, err := w.conn.Write(b)
	return err
}

// release returns the buffer to the pool (a large one is left to the collector).
func (w *frameWriter) release() {
	if cap(*w.buf) <= 2*flushBytes {
		*w.buf = (*w.buf)[:0]
		writeBufs.Put(w.buf)
	}
	w.buf = nil
}

// message is a complete data message from a client.
type message struct {
	op      ws.OpCode
	payload []byte
}

// readMessage reads one data message, which may come in fragments; the control frames met
// on the way are handed to control. It returns no message (op 0) when it read a control
// frame and no other byte is buffered: it never waits for a frame that has not begun. A
// frame that breaks RFC 6455 ends the socket with 1002; a message over maxFrameBytes, with
// 4002.
func readMessage(br *bufio.Reader, control func(op ws.OpCode, payload []byte) error) (message, error) {
	var m message
	state := ws.StateServerSide
	for {
		h, err := ws.ReadHeader(br)
		if err != nil {
			return m, err
		}
		if err := ws.CheckHeader(h, state); err != nil {
			return m, closeError{code: closeProtocol, why: err.Error()}
		}
		if h.Length > maxFrameBytes-int64(len(m.payload)) {
			return m, badFrame("frames are limited to 16 KB")
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(br, p); err != nil {
			return m, err
		}
		ws.Cipher(p, h.Mask, 0)
		if h.OpCode.IsControl() {
			if err := control(h.OpCode, p); err != nil {
				return m, err
			}
			if !state.Fragmented() && br.Buffered() == 0 {
				return message{}, nil
			}
			continue
		}
		if h.OpCode == ws.OpContinuation {
			m.payload = append(m.payload, p...)
		} else {
			m.op, m.payload = h.OpCode, p
		}
		if h.Fin {
			return m, nil
		}
		state = state.Set(ws.StateFragmented)
	}
}
