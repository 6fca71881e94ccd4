package analysis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/analysis"
	"github.com/baton-chat/baton/internal/secret"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/baton-chat/baton/internal/webhooks"
	"github.com/baton-chat/baton/internal/wstest"
	"github.com/coder/websocket"
)

type frame struct {
	Type           string          `json:"type"`
	Seq            int64           `json:"seq"`
	ConversationID string          `json:"conversation_id"`
	Data           json.RawMessage `json:"data"`
	raw            string
}

// sock is a WebSocket of the test server, its frames read into a channel.
type sock struct {
	t      *testing.T
	conn   *websocket.Conn
	frames <-chan frame
}

func (e *env) dial(t *testing.T, path string) *sock {
	t.Helper()
	conn, frames := wstest.Dial(t, e.url, path, func(b []byte) frame {
		var f frame
		json.Unmarshal(b, &f)
		f.raw = string(b)
		return f
	})
	return &sock{t: t, conn: conn, frames: frames}
}

func (s *sock) send(v any) {
	s.t.Helper()
	b, _ := json.Marshal(v)
	if err := s.conn.Write(context.Background(), websocket.MessageText, b); err != nil {
		s.t.Fatal(err)
	}
}

// sync makes sure the server registered the socket (a ping answered), returning what
// came before the pong.
func (s *sock) sync() []frame {
	s.t.Helper()
	s.send(map[string]string{"type": "ping"})
	var before []frame
	for {
		f := s.next(5 * time.Second)
		if f.Type == "pong" {
			return before
		}
		before = append(before, f)
	}
}

func (s *sock) next(d time.Duration) frame {
	s.t.Helper()
	select {
	case f, ok := <-s.frames:
		if !ok {
			s.t.Fatal("the socket closed")
		}
		return f
	case <-time.After(d):
		s.t.Fatalf("no frame within %s", d)
	}
	return frame{}
}

// await reads frames until one of type typ (the others are returned too, in order).
func (s *sock) await(typ string, d time.Duration) (frame, []frame) {
	s.t.Helper()
	var skipped []frame
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			s.t.Fatalf("no %s frame within %s (got %d others)", typ, d, len(skipped))
		}
		f := s.next(left)
		if f.Type == typ {
			return f, skipped
		}
		skipped = append(skipped, f)
	}
}

// drain returns the frames that arrive within d.
func (s *sock) drain(d time.Duration) []frame {
	var out []frame
	timeout := time.After(d)
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				return out
			}
			out = append(out, f)
		case <-timeout:
			return out
		}
	}
}

func analysisOf(t *testing.T, f frame) baton.Analysis {
	t.Helper()
	var an baton.Analysis
	if err := json.Unmarshal(f.Data, &an); err != nil {
		t.Fatalf("%s data: %v", f.Type, err)
	}
	return an
}

// otherAccount makes Globex with its owner signed in, and returns the owner's token.
func otherAccount(t *testing.T, d *store.DB) string {
	t.Helper()
	ctx := context.Background()
	globex, _, err := d.CreateAccount(ctx, "Globex", "globex", "Globex Bot")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateUser(ctx, baton.UserCreate{AccountID: globex.ID, Email: "owner@globex.test", Password: "correct horse battery",
		FirstName: "Gus", Role: baton.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	sess, err := d.Login(ctx, "owner@globex.test", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	return sess.Token
}

// TestTheTeamIsToldWhenTheAnalysisIsDone: the analysis job's result reaches the agent
// socket as analysis_updated, in the conversation's team stream (seq'd, replayed by
// subscribe); the visitor's socket never carries it, live or replayed, nor does the
// socket of another account's agent.
func TestTheTeamIsToldWhenTheAnalysisIsDone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		e := newEnv(t, d, 3)
		c := loadCases(t)["damaged_order"]
		if _, err := d.SetAnalysisFields(e.ctx, "demo", c.Fields); err != nil {
			t.Fatal(err)
		}
		globex := e.dial(t, "/api/v1/ws?token="+otherAccount(t, d))
		agent := e.dial(t, "/api/v1/ws?token="+e.token)
		s, err := d.OpenSession(context.Background(), baton.VisitorSessionCreate{Chatbot: "demo", Name: c.Contact.Name})
		if err != nil {
			t.Fatal(err)
		}
		visitor := e.dial(t, "/widget/v1/ws?token="+s.Token)
		globex.sync()
		agent.sync()
		visitor.sync()
		v, err := d.AuthenticateVisitor(context.Background(), s.Token)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range c.Messages {
			if m.Kind == baton.KindVisitor {
				if _, err := d.PostVisitorMessage(context.Background(), v, m.Content); err != nil {
					t.Fatal(err)
				}
			}
		}
		id := s.ConversationID
		e.call(t, "POST", "/api/v1/conversations/"+id+"/actions/close", nil, http.StatusOK, nil)

		f, before := agent.await(baton.EventAnalysisUpdated, 20*time.Second)
		an := analysisOf(t, f)
		if f.ConversationID != id || an.ConversationID != id || an.Status != baton.AnalysisDone || an.Reason != baton.AnalysisOnClose ||
			an.Summary == "" || an.Sentiment.Label != "negative" || len(an.Fields) != 3 || an.Fields[0].Value != "A-48213" || an.CompletedAt == nil {
			t.Fatalf("analysis_updated = %s, want the done analysis of %s", f.raw, id)
		}
		var last int64
		for _, b := range before {
			if b.ConversationID == id && b.Seq > last {
				last = b.Seq
			}
		}
		if f.Seq != last+1 {
			t.Errorf("analysis_updated seq = %d, want %d (right after the conversation's last frame)", f.Seq, last+1)
		}
		var viaAPI baton.Analysis
		e.call(t, "GET", "/api/v1/conversations/"+id+"/analysis", nil, http.StatusOK, &viaAPI)
		if viaAPI.Summary != an.Summary || viaAPI.Status != an.Status || !viaAPI.RequestedAt.Equal(an.RequestedAt) {
			t.Errorf("GET analysis = %+v, want what the frame carried: %+v", viaAPI, an)
		}
		var conv struct {
			LastSeq int64 `json:"last_seq"`
		}
		e.call(t, "GET", "/api/v1/conversations/"+id, nil, http.StatusOK, &conv)
		if conv.LastSeq != f.Seq {
			t.Errorf("the conversation's last_seq = %d, want %d (the analysis_updated event)", conv.LastSeq, f.Seq)
		}
		for _, g := range agent.drain(300 * time.Millisecond) {
			if g.Type == baton.EventAnalysisUpdated {
				t.Errorf("a second analysis_updated: %s", g.raw)
			}
		}

		// A console that reconnects gets it again with subscribe, exactly once.
		again := e.dial(t, "/api/v1/ws?token="+e.token)
		again.send(map[string]any{"type": "subscribe", "conversation_id": id, "since": f.Seq - 1})
		r, skipped := again.await(baton.EventAnalysisUpdated, 5*time.Second)
		if r.Seq != f.Seq || analysisOf(t, r).Summary != an.Summary {
			t.Errorf("replayed = %s, want analysis_updated at seq %d", r.raw, f.Seq)
		}
		for _, g := range append(skipped, again.drain(300*time.Millisecond)...) {
			if g.ConversationID == id {
				t.Errorf("replayed more than the missed event: %s", g.raw)
			}
		}

		// Never the visitor: neither live nor in the replay of a reconnecting widget.
		replayed := e.dial(t, "/widget/v1/ws?token="+s.Token+"&since=0&conversation_id="+id)
		frames := append(visitor.drain(300*time.Millisecond), replayed.drain(500*time.Millisecond)...)
		if len(frames) == 0 {
			t.Fatal("the visitor's sockets got nothing: the check below would prove nothing")
		}
		for _, g := range frames {
			if g.Type == baton.EventAnalysisUpdated || strings.Contains(g.raw, `"summary"`) || strings.Contains(g.raw, `"sentiment"`) {
				t.Errorf("the visitor got %s", g.raw)
			}
		}
		// Never another account.
		for _, g := range globex.drain(200 * time.Millisecond) {
			if g.ConversationID == id || strings.Contains(g.raw, id) {
				t.Errorf("another account's agent got %s", g.raw)
			}
		}
	})
}

// TestTheTeamIsToldWhenTheAnalysisFailsForGood: when every attempt fails (here the
// chatbot's model key cannot be opened: it was stored with another secret key), the
// analysis becomes failed with a message that says nothing of the cause, the agent socket
// gets analysis_updated with it, and conversation.closed goes out with it.
func TestTheTeamIsToldWhenTheAnalysisFailsForGood(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			cfg := storetest.Config(t, dialect)
			d := open(t, cfg, "a")
			e := newEnv(t, d, 2)
			// Another node, with another BATON_SECRET_KEY, stored the model's key.
			other := open(t, cfg, "b")
			if _, err := other.UpdateChatbot(e.ctx, "demo", baton.ChatbotUpdate{AI: &baton.AIUpdate{Responder: ptr(baton.ResponderOpenAI),
				BaseURL: ptr("http://127.0.0.1:1/v1"), Model: ptr("gpt-4o-mini"), APIKey: ptr("sk-test")}}); err != nil {
				t.Fatal(err)
			}
			got := closedWebhook(t, e, d, 4)

			agent := e.dial(t, "/api/v1/ws?token="+e.token)
			agent.sync()
			id := e.conversation(t, loadCases(t)["damaged_order"])
			e.call(t, "POST", "/api/v1/conversations/"+id+"/actions/close", nil, http.StatusOK, nil)
			f, _ := agent.await(baton.EventAnalysisUpdated, 20*time.Second)
			an := analysisOf(t, f)
			want := fmt.Sprintf(analysis.GaveUp, 2)
			if f.ConversationID != id || f.Seq == 0 || an.Status != baton.AnalysisFailed || an.Error != want || an.Attempts != 2 || an.Summary != "" {
				t.Fatalf("analysis_updated = %s, want failed after 2 attempts with %q", f.raw, want)
			}
			var viaAPI baton.Analysis
			e.call(t, "GET", "/api/v1/conversations/"+id+"/analysis", nil, http.StatusOK, &viaAPI)
			if viaAPI.Status != baton.AnalysisFailed || viaAPI.Error != want {
				t.Errorf("GET analysis = %+v, want it failed", viaAPI)
			}
			select {
			case b := <-got:
				var env webhooks.Envelope
				json.Unmarshal(b, &env)
				var data struct {
					Analysis baton.Analysis `json:"analysis"`
				}
				json.Unmarshal(env.Data, &data)
				if env.Event != baton.WebhookConversationClosed || data.Analysis.Status != baton.AnalysisFailed {
					t.Errorf("conversation.closed = %s, want it with the failed analysis", b)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("no conversation.closed webhook within 15 s of the analysis failing")
			}

			// Asked for again (the key fixed meanwhile would make it work), it is pending:
			// a failure is not for ever.
			var again baton.Analysis
			e.call(t, "POST", "/api/v1/conversations/"+id+"/analysis", nil, http.StatusAccepted, &again)
			if again.Status != baton.AnalysisPending || again.Error != "" {
				t.Errorf("POST analysis after a failure = %+v, want pending", again)
			}
		})
	}
}

// open opens the test database with its own secret key (named by seed).
func open(t *testing.T, cfg store.Config, seed string) *store.DB {
	t.Helper()
	d, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	box, err := secret.New([]byte(strings.Repeat(seed, 32)))
	if err != nil {
		t.Fatal(err)
	}
	d.Secrets = box
	return d
}
