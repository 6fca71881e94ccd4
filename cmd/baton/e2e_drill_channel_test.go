package main

// The channel provider outage drill (issue 8): a Telegram Bot API that answers 500 and
// hangs for most of the drill while an agent replies into Telegram conversations and
// visitors keep writing on the widget. Every reply ends sent once or failed with a reason
// the console sees; the widget's messages all arrive once; the latencies before and during
// the outage are logged (never asserted: speed goals live in docs/benchmarks.md).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// How the fake Bot API answers sendMessage.
const (
	botHealthy int32 = iota // every call is taken
	bot500                  // every call is answered HTTP 500
	botHang                 // every call is held until the caller gives up
	// botOutage mixes both: the n-th call for one (chat_id, text) is answered 500 when n
	// is odd and held when n is even, so that every message that fails meets both.
	botOutage
)

// botKey is one outbound message as the provider sees it.
type botKey struct{ chat, text string }

// botCall is one sendMessage the fake received and how it answered: "ok", "500" or
// "hang".
type botCall struct {
	outcome string
	at      time.Time
}

// fakeBotAPI is the Telegram Bot API as documented (core.telegram.org/bots/api): POST
// /bot<token>/<method> with the parameters as multipart/form-data (what go-telegram/bot
// sends), answered {"ok":true,"result":…} or {"ok":false,"error_code":…,"description":…}
// with the same HTTP status. getMe and setWebhook always answer; sendMessage answers as
// the mode says, and every call is kept per (chat_id, text).
type fakeBotAPI struct {
	URL     string
	token   string
	mode    atomic.Int32
	release chan struct{} // closed at the end: held calls return
	mu      sync.Mutex
	calls   map[botKey][]botCall
	webhook map[string]string // the fields of the last setWebhook
	nextID  int
}

func newFakeBotAPI(t *testing.T, token string) *fakeBotAPI {
	f := &fakeBotAPI{token: token, release: make(chan struct{}), calls: map[botKey][]botCall{}, nextID: 5000}
	srv := httptest.NewServer(f)
	t.Cleanup(func() {
		close(f.release)
		srv.Close()
	})
	f.URL = srv.URL
	return f
}

func botAnswer(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func botError(w http.ResponseWriter, code int, description string) {
	botAnswer(w, code, map[string]any{"ok": false, "error_code": code, "description": description})
}

func (f *fakeBotAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, _ := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, _ := strings.Cut(rest, "/")
	if r.Method != http.MethodPost || token != f.token {
		botError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	// The whole body is read first: a held call is then one the server could have taken.
	// getMe has no parameters (its body is empty).
	if err := r.ParseMultipartForm(1 << 20); err != nil && method != "getMe" {
		botError(w, http.StatusBadRequest, "Bad Request: the parameters are not multipart/form-data")
		return
	}
	switch method {
	case "getMe":
		botAnswer(w, http.StatusOK, map[string]any{"ok": true, "result": map[string]any{"id": 7000000002, "is_bot": true,
			"first_name": "Drill Support", "username": "drill_support_bot", "can_join_groups": true,
			"can_read_all_group_messages": false, "supports_inline_queries": false}})
	case "setWebhook":
		f.mu.Lock()
		f.webhook = map[string]string{"url": r.FormValue("url"), "secret_token": r.FormValue("secret_token"),
			"allowed_updates": r.FormValue("allowed_updates")}
		f.mu.Unlock()
		botAnswer(w, http.StatusOK, map[string]any{"ok": true, "result": true, "description": "Webhook was set"})
	case "sendMessage":
		f.sendMessage(w, r)
	default:
		botError(w, http.StatusNotFound, "Not Found")
	}
}

func (f *fakeBotAPI) sendMessage(w http.ResponseWriter, r *http.Request) {
	key := botKey{r.FormValue("chat_id"), r.FormValue("text")}
	chatID, err := strconv.ParseInt(key.chat, 10, 64)
	if err != nil || key.text == "" {
		botError(w, http.StatusBadRequest, "Bad Request: chat_id and text are required")
		return
	}
	f.mu.Lock()
	n := len(f.calls[key]) + 1
	outcome := "ok"
	switch f.mode.Load() {
	case bot500:
		outcome = "500"
	case botHang:
		outcome = "hang"
	case botOutage:
		outcome = map[bool]string{true: "500", false: "hang"}[n%2 == 1]
	}
	f.calls[key] = append(f.calls[key], botCall{outcome: outcome, at: time.Now()})
	f.nextID++
	id := f.nextID
	f.mu.Unlock()
	switch outcome {
	case "500":
		botError(w, http.StatusInternalServerError, "Internal Server Error")
	case "hang":
		// Held past the caller's timeout; nothing is taken and nothing answered.
		select {
		case <-r.Context().Done():
		case <-f.release:
		}
	default:
		botAnswer(w, http.StatusOK, map[string]any{"ok": true, "result": map[string]any{
			"message_id": id,
			"from":       map[string]any{"id": 7000000002, "is_bot": true, "first_name": "Drill Support", "username": "drill_support_bot"},
			"chat":       map[string]any{"id": chatID, "type": "private"},
			"date":       time.Now().Unix(),
			"text":       key.text,
		}})
	}
}

func (c botCall) String() string { return c.outcome + "@" + c.at.Format("15:04:05.000") }

// sent returns the calls for one message.
func (f *fakeBotAPI) sent(chat, text string) []botCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls[botKey{chat, text}])
}

// lastUpdate is the latest message_updated frame of a message (zero when none came).
func (a *drillAgent) lastUpdate(id string) drillUpdate {
	a.mu.Lock()
	defer a.mu.Unlock()
	if u := a.updates[id]; len(u) > 0 {
		return u[len(u)-1]
	}
	return drillUpdate{}
}

// drillReply is an agent reply into a Telegram conversation, as the API acknowledged it.
type drillReply struct {
	id, conv, chat, text string
	sent, acked          time.Time
}

// drillPhases splits the drill's timeline: before the outage, during it, after it.
type drillPhases struct{ outage, recovered time.Time }

func (p drillPhases) of(t time.Time) int {
	switch {
	case t.Before(p.outage):
		return 0
	case t.Before(p.recovered):
		return 1
	}
	return 2
}

// drillSamples are latencies, each with when it started.
type drillSamples struct {
	mu sync.Mutex
	at []time.Time
	d  []time.Duration
}

func (s *drillSamples) add(at time.Time, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at, s.d = append(s.at, at), append(s.d, d)
}

// by gives p50 and p99 of the samples of each phase.
func (s *drillSamples) by(p drillPhases) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var phase [3][]time.Duration
	for i, at := range s.at {
		phase[p.of(at)] = append(phase[p.of(at)], s.d[i])
	}
	return fmt.Sprintf("before %s; during %s; after %s", drillQuantiles(phase[0]), drillQuantiles(phase[1]), drillQuantiles(phase[2]))
}

func drillQuantiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "(no samples)"
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	q := func(p float64) time.Duration {
		return ds[max(0, int(math.Ceil(p*float64(len(ds))))-1)].Round(100 * time.Microsecond)
	}
	return fmt.Sprintf("p50 %v p99 %v (n %d)", q(.5), q(.99), len(ds))
}

// drillPost posts JSON with a bearer token; it returns the status, the Retry-After
// seconds and the answer's id.
func drillPost(ctx context.Context, client *http.Client, url, token string, body any) (int, int, string, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(b))
	if err != nil {
		return 0, 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, "", err
	}
	defer resp.Body.Close()
	var m struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&m)
	retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	return resp.StatusCode, retry, m.ID, nil
}

// sleepUntil waits d unless stop closes first; it reports whether d went by.
func sleepUntil(stop <-chan struct{}, d time.Duration) bool {
	select {
	case <-stop:
		return false
	case <-time.After(d):
		return true
	}
}

// TestDrillChannelOutage: one SQLite node with a Telegram channel on a fake Bot API. An
// agent replies into twelve Telegram conversations while visitors write on the widget;
// after a healthy start the provider answers 500 or hangs for DRILL_SECONDS (at least
// 6 s), then recovers. Every reply ends sent (taken by the provider exactly once) or
// failed with a reason, shown on the console's socket, never left queued, after at most 3
// attempts; every acknowledged widget message reaches the agent once.
func TestDrillChannelOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	// The outage lasts DRILL_SECONDS (at least 6 s), with a quarter of that (at least 2 s)
	// healthy on each side; the widget load stops after 2 minutes at most. The server runs
	// with a provider timeout and retry waits scaled to it (BATON_CHANNEL_TIMEOUT,
	// BATON_CHANNEL_RETRY_BACKOFF): a failing reply uses up its three attempts (500, held
	// until the timeout, 500) in about a third of the outage (60 % of the short form's),
	// so the replies of its start end failed and those of its end reach the recovered
	// provider.
	d := drillSeconds()
	outage := max(d, 6*time.Second)
	healthy := max(d/4, 2*time.Second)                       // before the outage, and after it
	timeout := min(max(d/12, 2*time.Second), 10*time.Second) // far above a healthy call, even under -race
	backoff := []time.Duration{max(d/12, 500*time.Millisecond), max(d/6, time.Second)}

	const token, secret = "7000000002:AAFdrillTokenForTheOutageDrill", "drill-hook_secret"
	fake := newFakeBotAPI(t, token)
	n := startDrillNode(t, "BATON_DATA_DIR="+t.TempDir(), "BATON_TELEGRAM_API_URL="+fake.URL,
		"BATON_CHANNEL_TIMEOUT="+timeout.String(), "BATON_CHANNEL_RETRY_BACKOFF="+backoff[0].String()+","+backoff[1].String())
	if n.url == "" {
		t.FailNow()
	}
	admin := &rtClient{t: t, base: n.url, token: drillLogin(t, n.url)}

	// The Telegram channel, connected as an admin would.
	var ch struct {
		Status     string `json:"status"`
		WebhookURL string `json:"webhook_url"`
	}
	admin.call("PUT", "/api/v1/chatbots/demo/channels/telegram", map[string]string{"bot_token": token, "webhook_secret": secret}, 200, &ch)
	fake.mu.Lock()
	hook := fake.webhook
	fake.mu.Unlock()
	if ch.Status != "connected" || hook["url"] != n.url+"/hooks/telegram/demo" || hook["secret_token"] != secret {
		t.Fatalf("the channel is %q (webhook %q); setWebhook got %v", ch.Status, ch.WebhookURL, hook)
	}

	// Twelve visitors write on Telegram; the agent takes each conversation over (join,
	// accept), so that its replies leave through the delivery job.
	const chats = 12
	tgConvs, chatOf := []string{}, map[string]string{}
	for i := 0; i < chats; i++ {
		chat := 7100000 + i
		update, _ := json.Marshal(map[string]any{"update_id": 815400000 + i, "message": map[string]any{
			"message_id": 100 + i, "date": time.Now().Unix(), "text": "Hello, where is my order?",
			"from": map[string]any{"id": chat, "is_bot": false, "first_name": "Tele", "last_name": strconv.Itoa(i), "language_code": "en"},
			"chat": map[string]any{"id": chat, "first_name": "Tele", "last_name": strconv.Itoa(i), "type": "private"}}})
		req, _ := http.NewRequest("POST", n.url+"/hooks/telegram/demo", bytes.NewReader(update))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("POST /hooks/telegram/demo = %d", res.StatusCode)
		}
	}
	var list struct {
		Conversations []struct {
			ID      string `json:"id"`
			Contact struct {
				SessionID string `json:"session_id"`
			} `json:"contact"`
		} `json:"conversations"`
	}
	admin.call("GET", "/api/v1/conversations?channel=telegram&limit=200", nil, 200, &list)
	for _, c := range list.Conversations {
		tgConvs = append(tgConvs, c.ID)
		chatOf[c.ID] = strings.TrimPrefix(c.Contact.SessionID, "tg:")
	}
	if len(tgConvs) != chats {
		t.Fatalf("%d Telegram conversations, want %d", len(tgConvs), chats)
	}
	for _, c := range tgConvs {
		// The bot may hand off by itself meanwhile: take the conversation from where it is.
		for status := ""; status != "human"; {
			var conv struct{ Status string }
			admin.call("GET", "/api/v1/conversations/"+c, nil, 200, &conv)
			switch status = conv.Status; status {
			case "bot":
				admin.call("POST", "/api/v1/conversations/"+c+"/actions/join", nil, 200, nil)
			case "waiting", "offline":
				admin.call("POST", "/api/v1/conversations/"+c+"/actions/accept", nil, 200, nil)
			case "human":
			default:
				t.Fatalf("Telegram conversation %s is %s, want it taken over", c, status)
			}
		}
	}

	// The widget: visitors writing to the agent's socket, and a probe asking the bot.
	tokens, convs := drillVisitors(t, n.url, 8)
	probeTokens, _ := drillVisitors(t, n.url, 1)
	agentToken := drillLogin(t, n.url)
	agent := &drillAgent{t: t, token: agentToken, got: map[string]map[int64]bool{}, seen: map[string]int{}, seenAt: map[string]time.Time{}}
	console := &drillAgent{t: t, token: agentToken, got: map[string]map[int64]bool{}, seen: map[string]int{}, updates: map[string][]drillUpdate{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := func() []string { return []string{n.url} }
	go agent.run(ctx, urls, convs)
	go console.run(ctx, urls, tgConvs)

	// The timeline: healthy, the outage, healthy again; then the load stops.
	var phases drillPhases
	stop := make(chan struct{})
	start := time.Now()
	go func() {
		time.Sleep(healthy)
		phases.outage = time.Now()
		fake.mode.Store(botOutage)
		time.Sleep(outage)
		phases.recovered = time.Now()
		fake.mode.Store(botHealthy)
		time.Sleep(healthy)
		close(stop) // phases is read only after stop
	}()

	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	var repliesMu sync.Mutex
	var replies []drillReply
	var limited atomic.Int32
	for i, c := range tgConvs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One reply per conversation every 3.2 s (M3 allows one per 3 s), spread evenly.
			if !sleepUntil(stop, time.Duration(i)*3200*time.Millisecond/chats) {
				return
			}
			for k := 0; ; k++ {
				text := fmt.Sprintf("Drill reply %d to chat %s", k, chatOf[c])
				sent := time.Now()
				status, retry, id, err := drillPost(ctx, client, n.url+"/api/v1/conversations/"+c+"/messages", agentToken,
					map[string]any{"content": text})
				acked := time.Now()
				wait := 3200 * time.Millisecond
				switch {
				case err != nil:
					t.Errorf("reply to %s: %v", c, err)
					return
				case status == http.StatusCreated:
					repliesMu.Lock()
					replies = append(replies, drillReply{id: id, conv: c, chat: chatOf[c], text: text, sent: sent, acked: acked})
					repliesMu.Unlock()
				case status == http.StatusTooManyRequests:
					limited.Add(1)
					wait = time.Duration(max(retry, 1)) * time.Second
				default:
					t.Errorf("reply to %s = %d", c, status)
					return
				}
				if !sleepUntil(stop, wait) {
					return
				}
			}
		}()
	}
	var probe, replyAck drillSamples
	var probeLost atomic.Int32
	wg.Add(1)
	go func() {
		defer wg.Done()
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.url, "http")+"/widget/v1/ws?token="+probeTokens[0], nil)
		if err != nil {
			t.Errorf("probe socket: %v", err)
			return
		}
		defer conn.CloseNow()
		answers := make(chan time.Time, 16)
		go func() {
			for {
				_, b, err := conn.Read(ctx)
				if err != nil {
					return
				}
				var f struct{ Type string }
				if json.Unmarshal(b, &f) == nil && f.Type == "bot_message" {
					select {
					case answers <- time.Now():
					case <-ctx.Done():
						return
					}
				}
			}
		}()
		for {
			// One question at a time: the bot answers only a conversation's latest message.
			sent := time.Now()
			status, _, _, err := drillPost(ctx, client, n.url+"/widget/v1/messages", probeTokens[0], map[string]string{"content": "What is Baton?"})
			if err != nil || status != http.StatusCreated {
				t.Errorf("probe message = %d, %v", status, err)
				return
			}
			select {
			case at := <-answers:
				probe.add(sent, at.Sub(sent))
			case <-time.After(30 * time.Second):
				probeLost.Add(1)
			case <-stop:
				return
			}
			if !sleepUntil(stop, 200*time.Millisecond) {
				return
			}
		}
	}()

	var ackLat drillSamples
	var sentAt sync.Map // widget message id → when it was posted
	var acks atomic.Int64
	acked := drillLoadTimed(ctx, t, urls, tokens, stop, 0, &acks, func(id string, sent, at time.Time) {
		sentAt.Store(id, sent)
		ackLat.add(sent, at.Sub(sent))
	})
	wg.Wait()
	loadStopped := time.Now()

	// Every acknowledged widget message reached the agent once.
	agent.verify(t, acked)
	var delivered drillSamples
	agent.mu.Lock()
	for id, at := range agent.seenAt {
		if sent, ok := sentAt.Load(id); ok {
			delivered.add(sent.(time.Time), at.Sub(sent.(time.Time)))
		}
	}
	agent.mu.Unlock()
	for _, r := range replies {
		replyAck.add(r.sent, r.acked.Sub(r.sent))
	}

	// Every reply settles: sent or failed, as the API shows it.
	type apiMessage struct {
		ID             string `json:"id"`
		Kind           string `json:"kind"`
		DeliveryStatus string `json:"delivery_status"`
		DeliveryError  string `json:"delivery_error"`
	}
	outbound := func() map[string]apiMessage {
		out := map[string]apiMessage{}
		for _, c := range tgConvs {
			for before := int64(0); ; {
				var page struct {
					Messages   []apiMessage `json:"messages"`
					NextBefore int64        `json:"next_before"`
				}
				admin.call("GET", fmt.Sprintf("/api/v1/conversations/%s/messages?limit=200&before=%d", c, before), nil, 200, &page)
				for _, m := range page.Messages {
					if m.Kind == "agent" || m.Kind == "bot" {
						out[m.ID] = m
					}
				}
				if before = page.NextBefore; before == 0 {
					break
				}
			}
		}
		return out
	}
	var final map[string]apiMessage
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		final = outbound()
		queued := 0
		for _, m := range final {
			if m.DeliveryStatus == "queued" {
				queued++
			}
		}
		if queued == 0 || time.Now().After(deadline) {
			break
		}
	}
	settled := time.Now()
	// The console's socket learns each outcome from a message_updated event, published
	// just after the commit the API already shows.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if !slices.ContainsFunc(replies, func(r drillReply) bool { return console.lastUpdate(r.id).Status != final[r.id].DeliveryStatus }) {
			break
		}
	}

	// What the provider saw of each reply, against what Baton says of it.
	var firstTry, afterRetry, failed, calls int
	attempts := map[int]int{}
	outcomes := map[string]int{}
	lastSettled := phases.recovered
	for _, r := range replies {
		m, ok := final[r.id]
		seen := fake.sent(r.chat, r.text)
		calls += len(seen)
		attempts[len(seen)]++
		taken := 0
		for _, c := range seen {
			outcomes[c.outcome]++
			if c.outcome == "ok" {
				taken++
			}
		}
		if !ok {
			t.Errorf("reply %q (%s) is not in its conversation", r.text, r.id)
			continue
		}
		if len(seen) > 3 {
			t.Errorf("reply %q was tried %d times (%v), want at most 3", r.text, len(seen), seen)
		}
		last := console.lastUpdate(r.id)
		if last.Status != m.DeliveryStatus {
			t.Errorf("reply %q is %s, but the console's socket last showed %q", r.text, m.DeliveryStatus, last.Status)
		}
		if r.sent.Before(phases.recovered) && last.At.After(lastSettled) {
			lastSettled = last.At
		}
		switch m.DeliveryStatus {
		case "sent":
			if taken != 1 || seen[len(seen)-1].outcome != "ok" {
				t.Errorf("reply %q is sent, and the provider took it %d times (calls %v), want once, at the last call", r.text, taken, seen)
			}
			if len(seen) == 1 {
				firstTry++
			} else {
				afterRetry++
			}
		case "failed":
			failed++
			if taken != 0 || len(seen) != 3 {
				t.Errorf("reply %q is failed after calls %v, want 3 calls, none taken", r.text, seen)
			}
			if m.DeliveryError == "" || last.Error == "" {
				t.Errorf("reply %q is failed without a reason (API %q, socket %q)", r.text, m.DeliveryError, last.Error)
			}
		default:
			t.Errorf("reply %q is %q after the provider recovered, want sent or failed (calls %v)", r.text, m.DeliveryStatus, seen)
		}
	}
	for id, m := range final {
		if m.DeliveryStatus != "sent" && m.DeliveryStatus != "failed" {
			t.Errorf("outbound %s message %s is %q, want sent or failed", m.Kind, id, m.DeliveryStatus)
		}
	}

	t.Logf("timeline: healthy %v, provider failing (500 / held past the %v timeout) %v, healthy %v; retry waits %v; load stopped %v after start",
		healthy, timeout, phases.recovered.Sub(phases.outage).Round(time.Millisecond), loadStopped.Sub(phases.recovered).Round(time.Millisecond),
		backoff, loadStopped.Sub(start).Round(time.Millisecond))
	t.Logf("widget: %d acknowledged; ack latency %s", len(acked), ackLat.by(phases))
	t.Logf("widget: visitor → agent socket latency %s", delivered.by(phases))
	t.Logf("bot answers on the widget (job queue): %s; unanswered after 30 s: %d", probe.by(phases), probeLost.Load())
	t.Logf("agent replies to Telegram: %d acknowledged, ack latency %s; rate-limited posts: %d", len(replies), replyAck.by(phases), limited.Load())
	t.Logf("outbound replies: %d sent at the first attempt, %d sent after a retry, %d failed; sendMessage calls %d (taken %d, 500 %d, held %d); replies by attempts %v",
		firstTry, afterRetry, failed, calls, outcomes["ok"], outcomes["500"], outcomes["hang"], attempts)
	t.Logf("drain: the last reply sent before the recovery settled %v after it (all settled %v after the load stopped)",
		lastSettled.Sub(phases.recovered).Round(time.Millisecond), settled.Sub(loadStopped).Round(time.Millisecond))

	// The drill measured what it claims only if each way out happened.
	if firstTry == 0 || afterRetry == 0 || failed == 0 {
		t.Errorf("replies sent at once %d, sent after a retry %d, failed %d: the outage did not exercise every path", firstTry, afterRetry, failed)
	}
}
