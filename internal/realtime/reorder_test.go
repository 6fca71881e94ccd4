package realtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/gobwas/ws"
)

// captureConn is a net.Conn that keeps what is written to it.
type captureConn struct {
	net.Conn
	buf bytes.Buffer
}

func (c *captureConn) Write(p []byte) (int, error)      { return c.buf.Write(p) }
func (c *captureConn) SetWriteDeadline(time.Time) error { return nil }

// seqsWritten reads back the frames written to c and returns each one's seq.
func seqsWritten(t *testing.T, c *captureConn) []int64 {
	t.Helper()
	br := bufio.NewReader(&c.buf)
	var out []int64
	for {
		h, err := ws.ReadHeader(br)
		if err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(br, p); err != nil {
			t.Fatal(err)
		}
		var f Frame
		json.Unmarshal(p, &f)
		out = append(out, f.Seq)
	}
}

// A gap whose events wait further down the same batch is closed from the batch, in order,
// without reading the database (the hub here has no source: a read would panic).
func TestAGapIsClosedFromTheQueueWhenItCan(t *testing.T) {
	for _, visitor := range []bool{false, true} {
		conn := &captureConn{}
		c := newClient(&Hub{}, conn)
		c.visitor = visitor
		c.conv.Store("c1")
		c.setLast("c1", 1)
		ev := func(seq int64) item {
			return item{env: &Envelope{Event: &baton.Event{ConversationID: "c1", Seq: seq, Type: "message_created",
				Payload: json.RawMessage(`{}`), VisitorSeq: seq, VisitorType: "visitor_message", VisitorPayload: json.RawMessage(`{}`)}}}
		}
		other := item{env: &Envelope{Event: &baton.Event{ConversationID: "c2", Seq: 2, Type: "message_created", Payload: json.RawMessage(`{}`)}}}
		batch := []item{ev(4), other, ev(2), ev(3), ev(5)}
		w := newFrameWriter(conn)
		for i, it := range batch {
			c.ahead = batch[i+1:]
			if err := c.write(context.Background(), w, it); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.flush(time.Second); err != nil {
			t.Fatal(err)
		}
		want := []int64{2, 3, 4, 2, 5} // the agent also follows c2 from its first event (2)
		if visitor {
			want = []int64{2, 3, 4, 5}
		}
		if got := seqsWritten(t, conn); !slices.Equal(got, want) {
			t.Errorf("visitor %v: seqs written %v, want %v", visitor, got, want)
		}
	}
}
