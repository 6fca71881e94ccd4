package realtime_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A visitor's socket that floods typing frames gets one error frame and keeps its
// connection; only the budget's worth reaches the team (issue 18, item 6).
func TestVisitorFrameFloodIsDroppedNotDisconnected(t *testing.T) {
	e := setupWire(t, time.Second, false)
	agent := e.dial("/api/v1/ws?token=" + e.token)
	agent.sync()
	visitor := e.dial("/widget/v1/ws?token=" + e.visitorToken())
	visitor.sync()

	for range 500 {
		if err := visitor.conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"typing","data":{"typing":true}}`)); err != nil {
			t.Fatalf("write typing: %v", err)
		}
	}
	f := visitor.next("error")
	if f.Seq != 0 || f.Data["code"] != "rate_limited" || f.Data["retry_after"] == nil {
		t.Errorf("error frame = %+v, want seq 0, code rate_limited and retry_after", f)
	}
	visitor.sync() // still open; and no second error frame before the pong

	typing := 0
	for {
		b, err := agent.read(300 * time.Millisecond)
		if err != nil {
			break
		}
		var f frame
		if json.Unmarshal(b, &f) == nil && f.Type == "typing" {
			typing++
		}
	}
	if typing < 1 || typing > 25 {
		t.Errorf("the team got %d typing frames of 500, want the budget (about 20)", typing)
	}
}
