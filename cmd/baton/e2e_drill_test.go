package main

// Failure drills (issue 8): real server processes under a steady message load, with one
// thing broken mid-way; each drill counts what was acknowledged against what the agent's
// client saw after reconnecting — zero lost, zero duplicated. The short forms run in
// `make test`; `make drill` runs them longer (DRILL_SECONDS).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/coder/websocket"
)

func drillSeconds() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("DRILL_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 3 * time.Second
}

// drillNode is a server process that a drill may kill and start again.
type drillNode struct {
	t    *testing.T
	env  []string
	addr string
	mu   sync.Mutex // guards cmd (restarted by a drill while others read it)
	cmd  *exec.Cmd
	url  string // fixed: the address does not change across restarts
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startDrillNode(t *testing.T, env ...string) *drillNode {
	n := &drillNode{t: t, env: env, addr: freeAddr(t)}
	n.start()
	t.Cleanup(func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.cmd != nil && n.cmd.ProcessState == nil {
			n.cmd.Process.Kill()
			n.cmd.Wait()
		}
	})
	return n
}

func (n *drillNode) start() {
	t := n.t
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"BATON_E2E_CHILD=1", "BATON_ADDR=" + n.addr,
		"BATON_ADMIN_EMAIL=admin@example.com", "BATON_ADMIN_PASSWORD=correct-horse-1", "BATON_LOG_LEVEL=error",
		"BATON_RATE_LIMITS=off"}, n.env...)...) // the drills open sessions faster than visitors do
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
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
		if n.url == "" {
			n.url = u // set once, before any other goroutine reads it
		}
	case <-time.After(90 * time.Second):
		t.Errorf("node did not start: %s", stderr.String())
		return
	}
	n.mu.Lock()
	n.cmd = cmd
	n.mu.Unlock()
}

// kill ends the node with SIGKILL: no graceful shutdown, no flush.
func (n *drillNode) kill() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cmd.Process.Signal(syscall.SIGKILL)
	n.cmd.Wait()
}

// drillAgent is an agent's client: it keeps the last seq per conversation and counts the
// visitor messages it sees in the conversations it follows, by id; on a lost socket it
// reconnects (to any node of urls) and resumes each conversation with subscribe.
type drillAgent struct {
	t     *testing.T
	token string
	mu    sync.Mutex
	got   map[string]map[int64]bool // seqs seen per conversation
	seen  map[string]int            // visitor message id → times shown (once per distinct seq)
	// resent counts frames whose seq the client had already: the client keeps events by
	// seq, so they never show twice; a resume cut short by a dying node causes them.
	resent int
	reconn atomic.Int32
	// seenAt, when set, keeps when each visitor message was first shown.
	seenAt map[string]time.Time
	// updates, when set, keeps the message_updated frames of each message, in order.
	updates map[string][]drillUpdate
}

// drillUpdate is a message's delivery status as a message_updated frame showed it.
type drillUpdate struct {
	Status, Error string
	At            time.Time
}

func (a *drillAgent) run(ctx context.Context, urls func() []string, convs []string) {
	follows := map[string]bool{}
	for _, c := range convs {
		follows[c] = true
	}
	for ctx.Err() == nil {
		for _, u := range urls() {
			if ctx.Err() != nil {
				return
			}
			conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(u, "http")+"/api/v1/ws?token="+a.token, nil)
			if err != nil {
				continue
			}
			conn.SetReadLimit(1 << 20)
			a.mu.Lock()
			for _, c := range convs {
				// Resume after the last seq of the gapless prefix seen (replayed events may
				// arrive after newer live ones: see docs/protocol.md).
				since := int64(0)
				for a.got[c][since+1] {
					since++
				}
				b, _ := json.Marshal(map[string]any{"type": "subscribe", "conversation_id": c, "since": since})
				conn.Write(ctx, websocket.MessageText, b)
			}
			a.mu.Unlock()
			for {
				_, b, err := conn.Read(ctx)
				if err != nil {
					break
				}
				var f struct {
					Type           string `json:"type"`
					Seq            int64  `json:"seq"`
					ConversationID string `json:"conversation_id"`
					Data           struct {
						ID             string `json:"id"`
						Kind           string `json:"kind"`
						DeliveryStatus string `json:"delivery_status"`
						DeliveryError  string `json:"delivery_error"`
					} `json:"data"`
				}
				if json.Unmarshal(b, &f) != nil || f.Seq == 0 {
					continue
				}
				now := time.Now()
				a.mu.Lock()
				if a.got[f.ConversationID] == nil {
					a.got[f.ConversationID] = map[int64]bool{}
				}
				if a.got[f.ConversationID][f.Seq] {
					a.resent++
				} else {
					a.got[f.ConversationID][f.Seq] = true
					switch {
					case f.Type == "message_created" && f.Data.Kind == "visitor" && follows[f.ConversationID]:
						a.seen[f.Data.ID]++
						if a.seenAt != nil && a.seen[f.Data.ID] == 1 {
							a.seenAt[f.Data.ID] = now
						}
					case f.Type == "message_updated" && a.updates != nil:
						a.updates[f.Data.ID] = append(a.updates[f.Data.ID], drillUpdate{Status: f.Data.DeliveryStatus,
							Error: f.Data.DeliveryError, At: now})
					}
				}
				a.mu.Unlock()
			}
			conn.CloseNow()
			a.reconn.Add(1)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func drillLogin(t *testing.T, base string) string {
	c := &rtClient{t: t, base: base}
	var login struct{ Token string }
	c.call("POST", "/api/v1/session", map[string]string{"email": "admin@example.com", "password": "correct-horse-1"}, 200, &login)
	return login.Token
}

// drillLoad has visitors post to whichever node answers until done is closed and then for
// `after` more (at most 2 minutes in all); it returns the ids of the acknowledged (201)
// messages, and counts them in acks as it goes.
func drillLoad(ctx context.Context, t *testing.T, urls func() []string, tokens []string, done <-chan struct{}, after time.Duration, acks *atomic.Int64) map[string]bool {
	return drillLoadTimed(ctx, t, urls, tokens, done, after, acks, nil)
}

// drillLoadTimed is drillLoad that also tells onAck (when set) when each acknowledged
// message was sent and acknowledged.
func drillLoadTimed(ctx context.Context, t *testing.T, urls func() []string, tokens []string, done <-chan struct{}, after time.Duration,
	acks *atomic.Int64, onAck func(id string, sent, acked time.Time)) map[string]bool {
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		select {
		case <-done:
			time.Sleep(after)
		case <-time.After(2 * time.Minute):
		case <-ctx.Done():
		}
		close(stop)
	}()
	client := &http.Client{Timeout: 5 * time.Second}
	for i, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				us := urls()
				u := us[(i+n)%len(us)]
				body := fmt.Sprintf(`{"content":"drill %d-%d"}`, i, n)
				req, _ := http.NewRequestWithContext(ctx, "POST", u+"/widget/v1/messages", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				sent := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					time.Sleep(50 * time.Millisecond)
					continue // not acknowledged: the visitor's widget would retry
				}
				answered := time.Now()
				var m struct{ ID string }
				json.NewDecoder(resp.Body).Decode(&m)
				resp.Body.Close()
				if resp.StatusCode == 201 {
					if onAck != nil {
						onAck(m.ID, sent, answered)
					}
					mu.Lock()
					acked[m.ID] = true
					mu.Unlock()
					if acks != nil {
						acks.Add(1)
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	return acked
}

// disrupt waits until at least 10 messages were acknowledged (or 30 s), runs breakIt, and
// closes the returned channel when done.
func disrupt(acks *atomic.Int64, breakIt func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 600 && acks.Load() < 10; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		breakIt()
	}()
	return done
}

// drillVisitors opens n visitor sessions (their conversations exist before the load).
func drillVisitors(t *testing.T, base string, n int) (tokens, convs []string) {
	for i := 0; i < n; i++ {
		v := &rtClient{t: t, base: base}
		var s struct{ Token, ConversationID string }
		v.call("POST", "/widget/v1/sessions", map[string]string{"chatbot": "demo", "name": "Drill " + strconv.Itoa(i)}, 201, &struct {
			Token          *string `json:"token"`
			ConversationID *string `json:"conversation_id"`
		}{&s.Token, &s.ConversationID})
		tokens, convs = append(tokens, s.Token), append(convs, s.ConversationID)
	}
	return
}

// verify waits until the agent saw every acknowledged message, then checks that none was
// lost and none shown twice (the same message under two seqs). Messages stored but not
// acknowledged (the node died before answering) may show too; they are counted apart.
func (a *drillAgent) verify(t *testing.T, acked map[string]bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		a.mu.Lock()
		missing := 0
		for id := range acked {
			if a.seen[id] == 0 {
				missing++
			}
		}
		dups, resent := 0, a.resent
		extra := 0
		for id, n := range a.seen {
			if n > 1 {
				dups += n - 1
			}
			if !acked[id] {
				extra++
			}
		}
		a.mu.Unlock()
		if missing == 0 || time.Now().After(deadline) {
			t.Logf("acknowledged %d, seen by the agent %d (%d stored but unacknowledged when the node died), lost %d, duplicated %d, resent frames %d, reconnects %d",
				len(acked), len(a.seen), extra, missing, dups, resent, a.reconn.Load())
			if missing > 0 || dups > 0 {
				t.Fatalf("lost %d acknowledged messages and duplicated %d in the agent's view", missing, dups)
			}
			if len(acked) == 0 {
				t.Fatal("no message was acknowledged: the drill measured nothing")
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDrillKillANode: two nodes on PostgreSQL + NATS; the agent is on node A; visitors
// write to both; node A is killed with SIGKILL mid-load. The agent's client moves to node B
// and resumes: every acknowledged message arrives, none twice.
func TestDrillKillANode(t *testing.T) {
	nats := os.Getenv("BATON_TEST_NATS_URL")
	if nats == "" || os.Getenv("BATON_TEST_DATABASE_URL") == "" {
		t.Skip("BATON_TEST_DATABASE_URL and BATON_TEST_NATS_URL are needed")
	}
	cfg := storetest.Config(t, store.Postgres)
	common := []string{"BATON_DATABASE_URL=" + cfg.URL, "BATON_NATS_URL=" + nats, "BATON_SECRET_KEY=" + strings.Repeat("ab", 32)}
	a := startDrillNode(t, append(common, "BATON_DATA_DIR="+t.TempDir())...)
	b := startDrillNode(t, append(common, "BATON_DATA_DIR="+t.TempDir())...)
	tokens, convs := drillVisitors(t, b.url, 8)
	var aDown atomic.Bool
	urls := func() []string {
		if aDown.Load() {
			return []string{b.url}
		}
		return []string{a.url, b.url}
	}
	agent := &drillAgent{t: t, token: drillLogin(t, a.url), got: map[string]map[int64]bool{}, seen: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go agent.run(ctx, urls, convs)
	var acks atomic.Int64
	done := disrupt(&acks, func() {
		a.kill()
		aDown.Store(true)
	})
	acked := drillLoad(ctx, t, urls, tokens, done, drillSeconds(), &acks)
	<-done
	agent.verify(t, acked)
}

// TestDrillRestartSQLiteNode: one node on SQLite, killed with SIGKILL mid-load and started
// again on the same data directory: every acknowledged message is there and reaches the
// agent's client once it reconnects.
func TestDrillRestartSQLiteNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	n := startDrillNode(t, "BATON_DATA_DIR="+t.TempDir())
	tokens, convs := drillVisitors(t, n.url, 8)
	agent := &drillAgent{t: t, token: drillLogin(t, n.url), got: map[string]map[int64]bool{}, seen: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := func() []string { return []string{n.url} }
	go agent.run(ctx, urls, convs)
	var acks atomic.Int64
	done := disrupt(&acks, func() {
		n.kill()
		n.start() // same address, same data dir
	})
	acked := drillLoad(ctx, t, urls, tokens, done, drillSeconds(), &acks)
	<-done
	agent.verify(t, acked)
}

// TestDrillRestartNATS: two nodes share a NATS server of the drill's own, which is
// restarted mid-load; delivery resumes and the gaps are filled from the database.
func TestDrillRestartNATS(t *testing.T) {
	bin, err := exec.LookPath("nats-server")
	if err != nil || os.Getenv("BATON_TEST_DATABASE_URL") == "" {
		t.Skip("nats-server and BATON_TEST_DATABASE_URL are needed")
	}
	natsAddr := freeAddr(t)
	host, port, _ := net.SplitHostPort(natsAddr)
	var natsCmd *exec.Cmd
	// startNATS may run in the drill's goroutine: it reports with Error, not Fatal.
	startNATS := func() bool {
		natsCmd = exec.Command(bin, "-a", host, "-p", port)
		if err := natsCmd.Start(); err != nil {
			t.Error(err)
			return false
		}
		for i := 0; i < 200; i++ {
			if c, err := net.Dial("tcp", natsAddr); err == nil {
				c.Close()
				return true
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Error("nats-server did not start")
		return false
	}
	if !startNATS() {
		t.FailNow()
	}
	t.Cleanup(func() { natsCmd.Process.Kill(); natsCmd.Wait() })
	cfg := storetest.Config(t, store.Postgres)
	common := []string{"BATON_DATABASE_URL=" + cfg.URL, "BATON_NATS_URL=nats://" + natsAddr}
	a := startDrillNode(t, append(common, "BATON_DATA_DIR="+t.TempDir())...)
	b := startDrillNode(t, append(common, "BATON_DATA_DIR="+t.TempDir())...)
	tokens, convs := drillVisitors(t, b.url, 8)
	agent := &drillAgent{t: t, token: drillLogin(t, a.url), got: map[string]map[int64]bool{}, seen: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go agent.run(ctx, func() []string { return []string{a.url} }, convs)
	var acks atomic.Int64
	done := disrupt(&acks, func() {
		natsCmd.Process.Kill()
		natsCmd.Wait()
		time.Sleep(drillSeconds() / 2)
		startNATS()
	})
	// Visitors write to node B; the agent listens on node A: everything crosses NATS.
	// Messages published while NATS was down reach the agent when the next event of the
	// same conversation arrives and shows the gap: the load goes on after the restart.
	acked := drillLoad(ctx, t, func() []string { return []string{b.url} }, tokens, done, drillSeconds(), &acks)
	<-done
	agent.verify(t, acked)
}
