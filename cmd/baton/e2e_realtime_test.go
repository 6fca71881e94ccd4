package main

// End-to-end test of the real-time flow against real `baton serve` processes: the test
// binary re-executes itself as the server (BATON_E2E_CHILD=1), so no separate build is
// needed and each node is a real process.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/wstest"
	"github.com/coder/websocket"
)

func init() {
	if os.Getenv("BATON_E2E_CHILD") == "1" {
		ctx, stop := signalContext()
		defer stop()
		if err := Run(ctx, []string{"serve"}, os.Stdout, os.Stderr); err != nil {
			os.Stderr.WriteString("baton: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
}

var rtURLLine = regexp.MustCompile(`Console: (http://[^/]+)/app/`)

// rtNode starts `baton serve` as a child process and returns its base URL.
func rtNode(t *testing.T, env ...string) string {
	t.Helper()
	base, _ := rtNodeStoppable(t, env...)
	return base
}

// rtNodeStoppable is rtNode with a function that stops the node before the test ends
// (to start another on the same data).
func rtNodeStoppable(t *testing.T, env ...string) (string, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"BATON_E2E_CHILD=1", "BATON_ADDR=127.0.0.1:0",
		"BATON_ADMIN_EMAIL=admin@example.com", "BATON_ADMIN_PASSWORD=correct-horse-1", "BATON_LOG_LEVEL=warn",
		"BATON_RATE_LIMITS=off"}, env...)...) // the tests open sessions faster than visitors do
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Errorf("the server did not stop within 20 s of SIGINT")
			}
			if t.Failed() {
				t.Logf("server stderr:\n%s", stderr.String())
			}
		})
	}
	t.Cleanup(stop)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := rtURLLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		return u, stop
	case <-time.After(60 * time.Second):
		t.Fatalf("the server did not start: %s", stderr.String())
	}
	return "", stop
}

type rtClient struct {
	t     *testing.T
	base  string
	token string
}

func (c *rtClient) call(method, path string, body any, want int, out any) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		json.Unmarshal(b, out)
	}
}

type rtFrame struct {
	Type           string         `json:"type"`
	Seq            int64          `json:"seq"`
	ConversationID string         `json:"conversation_id"`
	Data           map[string]any `json:"data"`
}

type rtSocket struct {
	t      *testing.T
	conn   *websocket.Conn
	frames <-chan rtFrame
}

func rtDial(t *testing.T, base, path string) *rtSocket {
	t.Helper()
	s := rtDialNoSync(t, base, path)
	// A ping round trip proves the server registered the socket.
	s.conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"ping"}`))
	s.await("pong")
	return s
}

// rtDialNoSync dials without the ping round trip (which would skip replayed frames).
func rtDialNoSync(t *testing.T, base, path string) *rtSocket {
	t.Helper()
	conn, frames := wstest.Dial(t, base, path, func(b []byte) rtFrame {
		var f rtFrame
		json.Unmarshal(b, &f)
		return f
	})
	return &rtSocket{t: t, conn: conn, frames: frames}
}

// await returns the next frame of type typ, skipping the others.
func (s *rtSocket) await(typ string) rtFrame {
	s.t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				s.t.Fatalf("socket closed while waiting for %s", typ)
			}
			if f.Type == typ {
				return f
			}
		case <-timeout:
			s.t.Fatalf("no %s frame within 15 s", typ)
		}
	}
}

// collect returns the frames of type typ received within d.
func (s *rtSocket) collect(typ string, d time.Duration) []rtFrame {
	var out []rtFrame
	timeout := time.After(d)
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				return out
			}
			if f.Type == typ {
				out = append(out, f)
			}
		case <-timeout:
			return out
		}
	}
}

// rtFlow plays SPEC §3/§6's real-time scenario: the agent works on node agentURL, the
// visitor on node visitorURL (the same node when there is one).
func rtFlow(t *testing.T, agentURL, visitorURL string) {
	admin := &rtClient{t: t, base: agentURL}
	var login struct{ Token string }
	admin.call("POST", "/api/v1/session", map[string]string{"email": "admin@example.com", "password": "correct-horse-1"}, 200, &login)
	admin.token = login.Token
	agent := rtDial(t, agentURL, "/api/v1/ws?token="+admin.token) // an open console: the admin is online

	visitor := &rtClient{t: t, base: visitorURL}
	var sess struct {
		Token          string `json:"token"`
		ConversationID string `json:"conversation_id"`
	}
	visitor.call("POST", "/widget/v1/sessions", map[string]string{"chatbot": "demo", "name": "Vera"}, 201, &sess)
	visitor.token = sess.Token
	conv := sess.ConversationID
	vs := rtDial(t, visitorURL, "/widget/v1/ws?token="+sess.Token)

	// The bot answers a FAQ question.
	visitor.call("POST", "/widget/v1/messages", map[string]string{"content": "What is Baton?"}, 201, nil)
	if f := vs.await("bot_message"); !strings.Contains(f.Data["content"].(string), "Baton") {
		t.Fatalf("bot answer = %q", f.Data["content"])
	}

	// Asking for a human alerts every online agent, with the reason.
	visitor.call("POST", "/widget/v1/messages", map[string]string{"content": "I want to talk to a human"}, 201, nil)
	alert := agent.await("handoff")
	if alert.Data["conversation_id"] != conv || alert.Data["visitor_name"] != "Vera" || !strings.Contains(alert.Data["reason"].(string), "talk to a human") {
		t.Fatalf("handoff alert = %+v", alert.Data)
	}
	if f := vs.await("status"); f.Data["status"] != "waiting" {
		t.Fatalf("visitor status = %v, want waiting", f.Data["status"])
	}

	// The agent accepts and replies: the visitor gets agent_message with the agent's name.
	admin.call("POST", "/api/v1/conversations/"+conv+"/actions/accept", nil, 200, nil)
	admin.call("POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": "Hi Vera, this is Admin."}, 201, nil)
	f := vs.await("agent_message")
	if f.Data["content"] != "Hi Vera, this is Admin." || f.Data["agent_name"] != "Admin" {
		t.Fatalf("agent_message = %+v", f.Data)
	}

	// The visitor's socket drops; three replies are sent; resuming gets exactly those three.
	vs.conn.CloseNow()
	last := f.Seq
	replies := []string{"First.", "Second.", "Third."}
	for _, r := range replies {
		// Only the assignee replies, one reply per 3 s (M3).
		time.Sleep(store.ReplyInterval + 100*time.Millisecond)
		admin.call("POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": r}, 201, nil)
	}
	admin.call("POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": "internal: VIP", "private": true}, 201, nil)
	vs = rtDialNoSync(t, visitorURL, "/widget/v1/ws?token="+sess.Token+"&since="+jsonInt(last)+"&conversation_id="+conv)
	got := vs.collect("agent_message", 2*time.Second)
	if len(got) != 3 {
		t.Fatalf("after resuming got %d agent messages, want exactly 3: %+v", len(got), got)
	}
	for i, g := range got {
		if g.Data["content"] != replies[i] || g.Seq != last+int64(i)+1 {
			t.Fatalf("resumed message %d = %q at seq %d, want %q at seq %d", i, g.Data["content"], g.Seq, replies[i], last+int64(i)+1)
		}
	}

	// Return to AI: the visitor hears handoff_ended and the bot answers again.
	admin.call("PUT", "/api/v1/conversations/"+conv+"/status", map[string]string{"status": "active"}, 200, nil)
	vs.await("handoff_ended")
	visitor.call("POST", "/widget/v1/messages", map[string]string{"content": "Which channels do you support?"}, 201, nil)
	if f := vs.await("bot_message"); f.Data["content"] == "" {
		t.Fatal("the bot did not answer after the handoff ended")
	}

	// The note never reached the visitor, by socket or by REST.
	var hist struct {
		Events []rtFrame `json:"events"`
	}
	visitor.call("GET", "/widget/v1/messages?after_seq=0", nil, 200, &hist)
	for _, e := range hist.Events {
		if c, _ := e.Data["content"].(string); strings.Contains(c, "VIP") {
			t.Fatalf("the visitor can read the internal note: %+v", e)
		}
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestRealtimeFlowOnOneSQLiteNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	u := rtNode(t, "BATON_DATA_DIR="+t.TempDir())
	rtFlow(t, u, u)
}

func TestRealtimeFlowAcrossTwoNodes(t *testing.T) {
	nats := os.Getenv("BATON_TEST_NATS_URL")
	if nats == "" || os.Getenv("BATON_TEST_DATABASE_URL") == "" {
		t.Skip("BATON_TEST_DATABASE_URL and BATON_TEST_NATS_URL are needed")
	}
	cfg := storetest.Config(t, store.Postgres)
	common := []string{"BATON_DATABASE_URL=" + cfg.URL, "BATON_NATS_URL=" + nats}
	a := rtNode(t, append(common, "BATON_DATA_DIR="+t.TempDir())...)
	b := rtNode(t, append(common, "BATON_DATA_DIR="+t.TempDir())...)
	rtFlow(t, a, b)
}
