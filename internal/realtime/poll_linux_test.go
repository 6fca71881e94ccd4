//go:build linux

package realtime

import (
	"errors"
	"net"
	"testing"
	"time"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func TestPollerReportsEachSocketOnceUntilRearmed(t *testing.T) {
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	server, client := tcpPair(t)
	fired := make(chan struct{}, 10)
	e, err := p.watch(server, func() { fired <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	expect := func(what string, want bool) {
		t.Helper()
		select {
		case <-fired:
			if !want {
				t.Fatalf("%s: the poller fired", what)
			}
		case <-time.After(200 * time.Millisecond):
			if want {
				t.Fatalf("%s: the poller did not fire", what)
			}
		}
	}
	expect("an idle socket", false)
	client.Write([]byte("ab"))
	expect("bytes arrived", true)
	client.Write([]byte("cd"))
	expect("more bytes before rearm", false)
	buf := make([]byte, 1)
	server.Read(buf)
	if err := p.rearm(e); err != nil {
		t.Fatal(err)
	}
	expect("rearmed with bytes still unread", true)
	server.SetReadDeadline(time.Now().Add(time.Second))
	server.Read(make([]byte, 10))
	if err := p.rearm(e); err != nil {
		t.Fatal(err)
	}
	expect("rearmed with nothing to read", false)
	client.Close()
	expect("the client left", true)
	if n := p.len(); n != 1 {
		t.Fatalf("len = %d, want 1", n)
	}
	p.forget(e)
	if n := p.len(); n != 0 {
		t.Fatalf("len after forget = %d, want 0", n)
	}
}

func TestPollerRefusesWhatItCannotWatch(t *testing.T) {
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if _, err := p.watch(a, func() {}); !errors.Is(err, errNoPoller) {
		t.Fatalf("watch(pipe) = %v, want errNoPoller", err)
	}
	server, _ := tcpPair(t)
	e, err := p.watch(server, func() {})
	if err != nil {
		t.Fatal(err)
	}
	p.close()
	p.close() // twice is fine
	if err := p.rearm(e); err == nil {
		t.Fatal("rearm after close: no error")
	}
	if _, err := p.watch(server, func() {}); !errors.Is(err, errNoPoller) {
		t.Fatalf("watch after close = %v, want errNoPoller", err)
	}
}
