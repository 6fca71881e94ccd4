package realtime_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/realtime"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/coder/websocket"
	"github.com/gobwas/ws"
)

// readModes are the two ways a hub reads its sockets: the poller (one goroutine for all
// idle sockets, Linux) and a goroutine per socket (elsewhere, and for TLS).
var readModes = []struct {
	name           string
	goroutineReads bool
}{{"poller", false}, {"goroutine per socket", true}}

// setupWire starts a hub whose keepalive ticks every tick.
func setupWire(t *testing.T, tick time.Duration, goroutineReads bool) *env {
	t.Helper()
	return setupHub(t, storetest.Open(t, store.SQLite), realtime.NewLocalBus(),
		func(bus realtime.Bus, src realtime.Source, logger *slog.Logger) (*realtime.Hub, error) {
			return realtime.NewHubForTest(bus, src, logger, tick, goroutineReads)
		})
}

func (e *env) visitorToken() string {
	e.t.Helper()
	slug, _ := listBots(e)
	var sess baton.VisitorSession
	e.do("POST", "/widget/v1/sessions", "", map[string]string{"chatbot": slug}, 201, &sess)
	return sess.Token
}

// rawSock is a WebSocket client that does nothing by itself (no goroutine, no automatic
// pong): the test writes and reads every frame.
type rawSock struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

func (e *env) rawDial(t *testing.T, path string) *rawSock {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, br, _, err := ws.Dialer{}.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+path)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	return &rawSock{t: t, conn: conn, br: br}
}

// send writes one masked frame, as a client must.
func (s *rawSock) send(op ws.OpCode, fin bool, p []byte) {
	s.t.Helper()
	f := ws.NewFrame(op, fin, bytes.Clone(p))
	if err := ws.WriteFrame(s.conn, ws.MaskFrameInPlace(f)); err != nil {
		s.t.Fatalf("write %v frame: %v", op, err)
	}
}

// frame reads the next frame within d.
func (s *rawSock) frame(d time.Duration) (ws.OpCode, []byte, error) {
	s.conn.SetReadDeadline(time.Now().Add(d))
	h, err := ws.ReadHeader(s.br)
	if err != nil {
		return 0, nil, err
	}
	if h.Masked {
		return 0, nil, errors.New("the server masked a frame")
	}
	p := make([]byte, h.Length)
	_, err = io.ReadFull(s.br, p)
	return h.OpCode, p, err
}

// expect reads frames (answering pings) until one of type op arrives.
func (s *rawSock) expect(op ws.OpCode) []byte {
	s.t.Helper()
	for {
		got, p, err := s.frame(5 * time.Second)
		if err != nil {
			s.t.Fatalf("waiting for %v: %v", op, err)
		}
		if got == op {
			return p
		}
		if got == ws.OpPing {
			s.send(ws.OpPong, true, p)
			continue
		}
		s.t.Fatalf("got a %v frame (%q), want %v", got, p, op)
	}
}

// expectClose reads until the server's close frame and returns its code.
func (s *rawSock) expectClose() ws.StatusCode {
	s.t.Helper()
	code, _ := ws.ParseCloseFrameData(s.expect(ws.OpClose))
	return code
}

func (s *rawSock) ping() {
	s.t.Helper()
	s.send(ws.OpText, true, []byte(`{"type":"ping"}`))
	if p := s.expect(ws.OpText); string(p) != `{"type":"pong","seq":0,"data":{}}` {
		s.t.Fatalf("answer to ping = %s", p)
	}
}

func TestSocketWire(t *testing.T) {
	for _, mode := range readModes {
		t.Run(mode.name, func(t *testing.T) {
			e := setupWire(t, time.Second, mode.goroutineReads)
			token := e.visitorToken()
			path := "/widget/v1/ws?token=" + token

			t.Run("a message of 16 KB is read, one byte more closes with 4002", func(t *testing.T) {
				s := e.rawDial(t, path)
				msg := []byte(`{"type":"ping"}` + strings.Repeat(" ", realtime.MaxFrameBytes-15))
				s.send(ws.OpText, true, msg)
				if p := s.expect(ws.OpText); !bytes.Contains(p, []byte(`"pong"`)) {
					t.Fatalf("answer = %s, want a pong", p)
				}
				s.send(ws.OpText, true, append(msg, ' '))
				if code := s.expectClose(); code != realtime.CloseBadFrame {
					t.Fatalf("close code = %d, want %d", code, realtime.CloseBadFrame)
				}
			})

			t.Run("a message in fragments, with a ping between them, is read whole", func(t *testing.T) {
				s := e.rawDial(t, path)
				s.send(ws.OpText, false, []byte(`{"type":`))
				s.send(ws.OpPing, true, []byte("hi"))
				s.send(ws.OpContinuation, false, []byte(`"pi`))
				s.send(ws.OpContinuation, true, []byte(`ng"}`))
				if p := s.expect(ws.OpPong); string(p) != "hi" {
					t.Fatalf("pong payload = %q, want the ping's", p)
				}
				if p := s.expect(ws.OpText); !bytes.Contains(p, []byte(`"pong"`)) {
					t.Fatalf("answer = %s, want a pong", p)
				}
			})

			t.Run("fragments adding up to more than 16 KB close with 4002", func(t *testing.T) {
				s := e.rawDial(t, path)
				s.send(ws.OpText, false, bytes.Repeat([]byte(" "), realtime.MaxFrameBytes-10))
				s.send(ws.OpContinuation, true, bytes.Repeat([]byte(" "), 11))
				if code := s.expectClose(); code != realtime.CloseBadFrame {
					t.Fatalf("close code = %d, want %d", code, realtime.CloseBadFrame)
				}
			})

			t.Run("a binary message closes with 4002", func(t *testing.T) {
				s := e.rawDial(t, path)
				s.send(ws.OpBinary, true, []byte(`{"type":"ping"}`))
				if code := s.expectClose(); code != realtime.CloseBadFrame {
					t.Fatalf("close code = %d, want %d", code, realtime.CloseBadFrame)
				}
			})

			t.Run("an unmasked frame closes with 1002", func(t *testing.T) {
				s := e.rawDial(t, path)
				if err := ws.WriteFrame(s.conn, ws.NewTextFrame([]byte(`{"type":"ping"}`))); err != nil {
					t.Fatal(err)
				}
				if code := s.expectClose(); code != ws.StatusProtocolError {
					t.Fatalf("close code = %d, want %d", code, ws.StatusProtocolError)
				}
			})

			t.Run("the client's close is answered with its code, then the connection ends", func(t *testing.T) {
				s := e.rawDial(t, path)
				s.ping()
				s.send(ws.OpClose, true, ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye"))
				if code := s.expectClose(); code != ws.StatusNormalClosure {
					t.Fatalf("close code = %d, want %d", code, ws.StatusNormalClosure)
				}
				if _, _, err := s.frame(5 * time.Second); !errors.Is(err, io.EOF) {
					t.Fatalf("after the close handshake: %v, want the end of the connection", err)
				}
			})

			t.Run("frames sent right behind the handshake are read", func(t *testing.T) {
				conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				var req bytes.Buffer
				req.WriteString("GET " + path + " HTTP/1.1\r\nHost: " + strings.TrimPrefix(e.srv.URL, "http://") +
					"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
				ws.WriteFrame(&req, ws.MaskFrameInPlace(ws.NewTextFrame([]byte(`{"type":"ping"}`))))
				if _, err := conn.Write(req.Bytes()); err != nil {
					t.Fatal(err)
				}
				s := &rawSock{t: t, conn: conn, br: bufio.NewReader(conn)}
				resp, err := http.ReadResponse(s.br, nil)
				if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
					t.Fatalf("handshake: %v %v", resp, err)
				}
				if p := s.expect(ws.OpText); !bytes.Contains(p, []byte(`"pong"`)) {
					t.Fatalf("answer = %s, want a pong", p)
				}
			})
		})
	}
}

// TestKeepalive runs the keepalive 50 times faster than in production: a ping every 25
// ticks of 20 ms, and a socket that leaves one unanswered for 35 ticks is closed.
func TestKeepalive(t *testing.T) {
	const tick = 20 * time.Millisecond
	period := realtime.PingTicks * tick
	for _, mode := range readModes {
		t.Run(mode.name, func(t *testing.T) {
			e := setupWire(t, tick, mode.goroutineReads)
			path := "/widget/v1/ws?token=" + e.visitorToken()

			t.Run("a client that answers pings stays connected", func(t *testing.T) {
				s := e.rawDial(t, path)
				pings := 0
				end := time.Now().Add(4 * period)
				for time.Now().Before(end) {
					op, p, err := s.frame(time.Until(end))
					if isTimeout(err) {
						break
					}
					if err != nil {
						t.Fatalf("after %d pings: %v", pings, err)
					}
					if op != ws.OpPing {
						t.Fatalf("got a %v frame (%q), want pings only", op, p)
					}
					pings++
					s.send(ws.OpPong, true, p)
				}
				if pings < 3 {
					t.Fatalf("%d pings in %s, want one every %s", pings, 4*period, period)
				}
				s.ping() // still served
			})

			t.Run("a client that stops answering is closed with 4000", func(t *testing.T) {
				s := e.rawDial(t, path)
				start := time.Now()
				pings := 0
				for {
					op, p, err := s.frame(10 * period)
					if err != nil {
						t.Fatalf("after %d unanswered pings: %v, want a close frame", pings, err)
					}
					if op == ws.OpPing {
						pings++
						continue
					}
					if op != ws.OpClose {
						t.Fatalf("got a %v frame (%q)", op, p)
					}
					if code, _ := ws.ParseCloseFrameData(p); code != realtime.CloseReconnect {
						t.Fatalf("close code = %d, want %d", code, realtime.CloseReconnect)
					}
					break
				}
				// Silent since it connected: closed 35 ticks after its first ping.
				if d := time.Since(start); d < (realtime.AnswerTicks+realtime.PingTicks-2)*tick || pings < 1 {
					t.Fatalf("closed after %s and %d pings, want %s and one ping", d, pings, (realtime.AnswerTicks+realtime.PingTicks)*tick)
				}
			})

			t.Run("a client that sends frames but never pongs is not silent", func(t *testing.T) {
				s := e.rawDial(t, path)
				end := time.Now().Add(4 * period)
				for time.Now().Before(end) {
					s.send(ws.OpText, true, []byte(`{"type":"ping"}`))
					for {
						op, _, err := s.frame(5 * time.Second)
						if err != nil {
							t.Fatal(err)
						}
						if op == ws.OpText {
							break
						}
						if op != ws.OpPing {
							t.Fatalf("got a %v frame, want pongs and pings", op)
						}
					}
					time.Sleep(period / 3)
				}
			})
		})
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// settledGoroutines waits until the number of goroutines stops changing.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for i := 0; i < 100; i++ {
		time.Sleep(50 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			return n
		}
		n = m
	}
	return n
}

// TestAnIdleSocketHoldsNoGoroutine: with the poller, an open socket that has nothing to
// read or write costs no goroutine (the client here is goroutine-free too), and each one
// still answers when spoken to.
func TestAnIdleSocketHoldsNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the poller is epoll")
	}
	e := setupWire(t, time.Second, false)
	path := "/widget/v1/ws?token=" + e.visitorToken()
	e.rawDial(t, path).ping()
	before := settledGoroutines()
	const n = 200
	socks := make([]*rawSock, n)
	for i := range socks {
		socks[i] = e.rawDial(t, path)
	}
	after := settledGoroutines()
	if after-before > n/20 {
		t.Fatalf("%d idle sockets hold %d goroutines, want none", n, after-before)
	}
	if polled, pinged := e.hub.Watched(); polled != n+1 || pinged != n+1 {
		t.Fatalf("poller watches %d sockets and keepalive pings %d, want %d", polled, pinged, n+1)
	}
	// Spoken to, each answers; then it is idle again, with no reader left waiting.
	for _, s := range socks {
		s.ping()
		s.send(ws.OpPing, true, []byte("are you there"))
		if p := s.expect(ws.OpPong); string(p) != "are you there" {
			t.Fatalf("pong = %q", p)
		}
	}
	if after := settledGoroutines(); after-before > n/20 {
		t.Fatalf("after a ping each, %d idle sockets hold %d goroutines, want none", n, after-before)
	}
	for _, s := range socks {
		s.conn.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		polled, pinged := e.hub.Watched()
		if polled == 1 && pinged == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the clients left, the poller watches %d sockets and the keepalive pings %d, want 1", polled, pinged)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestShutdownClosesSocketsWith1001(t *testing.T) {
	for _, mode := range readModes {
		t.Run(mode.name, func(t *testing.T) {
			e := setupWire(t, time.Second, mode.goroutineReads)
			visitor := e.dial("/widget/v1/ws?token=" + e.visitorToken())
			agent := e.dial("/api/v1/ws?token=" + e.token)
			visitor.sync()
			agent.sync()
			done := make(chan struct{})
			go func() { e.hub.Close(); close(done) }()
			for _, s := range []*sock{visitor, agent} {
				_, err := s.read(5 * time.Second)
				if code := websocket.CloseStatus(err); code != websocket.StatusGoingAway {
					t.Fatalf("socket ended with %v (close %d), want 1001", err, code)
				}
			}
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Hub.Close did not return")
			}
			// A socket opened after the hub closed is told to go away at once.
			late := e.dial("/widget/v1/ws?token=" + e.visitorToken())
			if _, err := late.read(5 * time.Second); websocket.CloseStatus(err) != websocket.StatusGoingAway {
				t.Fatalf("a socket after Close ended with %v, want 1001", err)
			}
		})
	}
}

func TestUpgrade(t *testing.T) {
	e := setupWire(t, time.Second, false)
	token := e.visitorToken()
	ctx := context.Background()
	dial := func(path, origin string) (*http.Response, error) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+path, &websocket.DialOptions{HTTPHeader: h})
		if err == nil {
			c.CloseNow()
		}
		return resp, err
	}
	t.Run("the console's socket refuses another site's page", func(t *testing.T) {
		resp, err := dial("/api/v1/ws?token="+e.token, "https://evil.example")
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("dial from another origin: %v, %v; want 403", resp, err)
		}
		if _, err := dial("/api/v1/ws?token="+e.token, e.srv.URL); err != nil {
			t.Fatalf("dial from the console's own origin: %v", err)
		}
	})
	t.Run("the widget's socket takes any site", func(t *testing.T) {
		if _, err := dial("/widget/v1/ws?token="+token, "https://shop.example"); err != nil {
			t.Fatalf("dial from a customer's site: %v", err)
		}
	})
	t.Run("compression is not negotiated", func(t *testing.T) {
		c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/widget/v1/ws?token="+token,
			&websocket.DialOptions{CompressionMode: websocket.CompressionContextTakeover})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
			t.Fatalf("the server accepted extensions %q, want none", ext)
		}
	})
	t.Run("a plain GET gets 426", func(t *testing.T) {
		resp, err := http.Get(e.srv.URL + "/widget/v1/ws?token=" + token)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUpgradeRequired {
			t.Fatalf("GET = %d, want 426", resp.StatusCode)
		}
	})
	t.Run("a bad token is refused with 4001 after the upgrade", func(t *testing.T) {
		s := e.dial("/widget/v1/ws?token=btv_nope")
		if _, err := s.read(5 * time.Second); websocket.CloseStatus(err) != realtime.CloseUnauthorized {
			t.Fatalf("socket ended with %v, want 4001", err)
		}
	})
}

// TestFramesOfEachLengthForm: frames whose length takes 7 bits (a pong) and 16 bits
// (messages) are read whole by another WebSocket implementation. (Messages are too short for
// the 64-bit form; TestAppendFrameIsReadBackAsWritten covers it.)
func TestFramesOfEachLengthForm(t *testing.T) {
	e := setupWire(t, time.Second, false)
	s := e.dial("/api/v1/ws?token=" + e.token)
	s.conn.SetReadLimit(1 << 20)
	s.sync()
	slug, _ := listBots(e)
	var sess baton.VisitorSession
	e.do("POST", "/widget/v1/sessions", "", map[string]string{"chatbot": slug}, 201, &sess)
	s.next("conversation_created")
	v, err := e.db.AuthenticateVisitor(context.Background(), sess.Token)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 200, 10000} {
		content := strings.Repeat("x", n)
		if _, err := e.db.PostVisitorMessage(context.Background(), v, content); err != nil {
			t.Fatal(err)
		}
		f := s.next("message_created", "conversation_updated")
		if f.Data["content"] != content {
			t.Fatalf("content of %d bytes came back as %d bytes", n, len(f.Data["content"].(string)))
		}
	}
}
