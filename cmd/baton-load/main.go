// Command baton-load is Baton's load generator: it opens N visitor sockets and M agent
// sockets against a running server, drives visitor messages at a fixed rate, and reports
// the durable acknowledgement latency (POST → 201), the visitor → agent delivery latency
// (POST sent → message_created on an agent socket), the throughput, and the server's
// memory per idle socket (from its /metrics).
//
//	baton-load -url http://127.0.0.1:8080 -email admin@baton.local -password … \
//	    -visitors 1000 -agents 5 -rate 500 -duration 30s
//
// Start the server with BATON_RATE_LIMITS=off (scripts/bench-messages.sh and
// scripts/cluster.sh do): from one address, these visitors would otherwise meet the
// widget's budgets (docs/security.md).
//
// The visitors' sessions are all created before any visitor socket opens, and the server's
// memory is read at both points, so that the figure per socket is the socket's own cost and
// not that of the contact, conversation and job each session creates.
//
// With -mode list it measures the conversation list instead: page 1 and 2 of a mix of
// filters and searches, as the signed-in user sees them (see docs/benchmarks.md). With
// -mode handoff it measures the handoff alert: -agents console sockets are open and one
// visitor after another (-iterations) asks for a person.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

type config struct {
	url, chatbot, email, password string
	visitors, agents              int
	rate                          float64
	duration, settle              time.Duration
	connectConcurrency            int
	mode                          string
	iterations                    int
	sourceIPs                     string
	handled                       string
}

func main() {
	var c config
	flag.StringVar(&c.url, "url", "http://127.0.0.1:8080", "server base URL")
	flag.StringVar(&c.chatbot, "chatbot", "demo", "chatbot slug for the visitors")
	flag.StringVar(&c.email, "email", "admin@baton.local", "agent email (for the agent sockets)")
	flag.StringVar(&c.password, "password", os.Getenv("BATON_ADMIN_PASSWORD"), "agent password")
	flag.IntVar(&c.visitors, "visitors", 100, "visitor sockets to open")
	flag.IntVar(&c.agents, "agents", 2, "agent sockets to open")
	flag.Float64Var(&c.rate, "rate", 100, "visitor messages per second (0: only open sockets and measure memory)")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "how long to send")
	flag.DurationVar(&c.settle, "settle", 3*time.Second, "wait after opening sockets before measuring memory")
	flag.IntVar(&c.connectConcurrency, "connect-concurrency", 64, "parallel session creations and dials")
	flag.StringVar(&c.mode, "mode", "sockets", "sockets (message load), list (list/filter/search latency) or handoff (handoff alert latency: -agents sockets, -iterations handoffs)")
	flag.IntVar(&c.iterations, "iterations", 20, "list mode: runs of each query")
	flag.StringVar(&c.handled, "handled-by", "bot", "who has the conversations while messages flow: bot (the chatbot answers every message) or agent (each visitor first asks for a person and the signed-in agent accepts, so the bot is silent and every message goes visitor → agent only)")
	flag.StringVar(&c.sourceIPs, "source-ips", "", "comma-separated loopback addresses to dial from (e.g. 127.0.0.2,127.0.0.3), to get past one address's ephemeral ports")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "baton-load:", err)
		os.Exit(1)
	}
}

var httpc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 0}}

func post(ctx context.Context, url, token string, body any, out any) (int, error) {
	return call(ctx, "POST", url, token, body, out)
}

// call sends a JSON request (no body when body is nil) and decodes a successful answer into
// out.
func call(ctx context.Context, method, url, token string, body any, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctx, method, url, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		json.Unmarshal(data, out)
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	return resp.StatusCode, nil
}

// serverStats is what the server's Prometheus endpoint says about its memory.
type serverStats struct {
	at                                              time.Time
	rss, heapInuse, stackInuse, goroutines, openFDs float64
	cpu                                             float64 // seconds used since the server started
	goSys, goReleased                               float64 // memory the Go runtime holds, and has handed back
}

// outsideGo is the resident memory the Go runtime does not account for: the binary's pages,
// and what SQLite keeps, its page cache above all (modernc.org/sqlite allocates it outside
// the Go heap).
func (s serverStats) outsideGo() float64 { return s.rss - (s.goSys - s.goReleased) }

// stats reads the server's resident memory, Go heap and stacks, goroutines and open files
// from its /metrics.
func stats(ctx context.Context, base string) (serverStats, error) {
	st := serverStats{at: time.Now()}
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	resp, err := httpc.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fields := map[string]*float64{
		"process_resident_memory_bytes": &st.rss, "go_memstats_heap_inuse_bytes": &st.heapInuse,
		"go_memstats_stack_inuse_bytes": &st.stackInuse, "go_goroutines": &st.goroutines, "process_open_fds": &st.openFDs,
		"process_cpu_seconds_total": &st.cpu, "go_memstats_sys_bytes": &st.goSys, "go_memstats_heap_released_bytes": &st.goReleased,
	}
	found := false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if p := fields[f[0]]; p != nil {
			if *p, err = strconv.ParseFloat(f[1], 64); err != nil {
				return st, fmt.Errorf("/metrics %s: %w", f[0], err)
			}
			found = found || f[0] == "process_resident_memory_bytes"
		}
	}
	if !found {
		return st, errors.New("no process_resident_memory_bytes in /metrics")
	}
	return st, nil
}

func (s serverStats) String() string {
	return fmt.Sprintf("RSS %.1f MB, Go heap in use %.1f MB, stacks %.1f MB, %.0f goroutines, %.0f open files",
		s.rss/1e6, s.heapInuse/1e6, s.stackInuse/1e6, s.goroutines, s.openFDs)
}

// cpuShare is the share of one core the server used between two readings.
func cpuShare(a, b serverStats) string {
	return fmt.Sprintf("%.1f %% of a core", 100*(b.cpu-a.cpu)/b.at.Sub(a.at).Seconds())
}

// perSocket prints what n sockets added between two readings.
func perSocket(before, after serverStats, n int) string {
	k := func(a, b float64) float64 { return (b - a) / 1e3 / float64(n) }
	return fmt.Sprintf("%.2f KB RSS per socket: %.2f KB held by Go (heap in use %.2f KB, stacks %.2f KB), %.2f KB outside Go; %.2f goroutines",
		k(before.rss, after.rss), k(before.goSys-before.goReleased, after.goSys-after.goReleased), k(before.heapInuse, after.heapInuse),
		k(before.stackInuse, after.stackInuse), k(before.outsideGo(), after.outsideGo()), (after.goroutines-before.goroutines)/float64(n))
}

type visitor struct {
	token string
	conv  string // the conversation the session opened
	conn  *websocket.Conn
}

func wsURL(base, path string) string { return "ws" + strings.TrimPrefix(base, "http") + path }

// parallel runs fn(i) for i in [0, n) with limited concurrency; it returns the first error.
func parallel(n, conc int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		first atomic.Value
		next  atomic.Int64
	)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || first.Load() != nil {
					return
				}
				if err := fn(i); err != nil {
					first.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := first.Load().(error); err != nil {
		return err
	}
	return nil
}

func run(ctx context.Context, c config) error {
	base := strings.TrimRight(c.url, "/")
	if c.mode == "list" {
		token, err := signIn(ctx, base, c)
		if err != nil {
			return err
		}
		return runList(ctx, base, token, c.iterations)
	}
	if c.mode == "handoff" {
		return runHandoff(ctx, base, c)
	}
	if c.handled != "bot" && c.handled != "agent" {
		return fmt.Errorf("-handled-by: %q is neither bot nor agent", c.handled)
	}
	dialers, err := socketClients(c.sourceIPs)
	if err != nil {
		return err
	}
	before, err := stats(ctx, base)
	if err != nil {
		return err
	}
	fmt.Printf("server before:                   %s\n", before)

	token, err := signIn(ctx, base, c)
	if err != nil {
		return err
	}

	// Agent sockets: each records when it first sees a message it is waiting for.
	var (
		mu        sync.Mutex
		sentAt    = map[string]time.Time{}
		latencies []time.Duration
		delivered atomic.Int64
		closing   atomic.Bool
	)
	// Visitor sessions first, then their sockets, with the server's memory read between.
	vs := make([]visitor, c.visitors)
	start := time.Now()
	err = parallel(c.visitors, c.connectConcurrency, func(i int) error {
		var s struct {
			Token          string `json:"token"`
			ConversationID string `json:"conversation_id"`
		}
		if _, err := post(ctx, base+"/widget/v1/sessions", "", map[string]string{"chatbot": c.chatbot, "user_id": fmt.Sprintf("load-%d-%d", start.UnixNano(), i)}, &s); err != nil {
			return err
		}
		vs[i].token, vs[i].conv = s.Token, s.ConversationID
		if c.handled == "agent" {
			return handToAgent(ctx, base, token, s.Token, s.ConversationID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("created %d visitor sessions in %s", c.visitors, time.Since(start).Round(time.Millisecond))
	if c.handled == "agent" {
		fmt.Printf(", each handed to the agent")
	}
	fmt.Println()
	// The agent sockets open once the sessions exist (and, with -handled-by agent, have
	// been handed over), so the burst of handoffs does not count against what they read.
	// Where each conversation's stream stands before the sockets open: a socket told to
	// resume asks for what came after the last seq it holds without a gap.
	convs := make([]string, len(vs))
	seqs := make([]int64, len(vs))
	for i, v := range vs {
		convs[i] = v.conv
	}
	if err := parallel(len(vs), c.connectConcurrency, func(i int) error {
		var conv struct {
			LastSeq int64 `json:"last_seq"`
		}
		_, err := call(ctx, "GET", base+"/api/v1/conversations/"+convs[i], token, nil, &conv)
		seqs[i] = conv.LastSeq
		return err
	}); err != nil {
		return err
	}
	from := make(map[string]int64, len(vs))
	for i, c := range convs {
		from[c] = seqs[i]
	}
	feeds := make([]*agentFeed, c.agents)
	for i := range feeds {
		f, err := newAgentFeed(ctx, wsURL(base, "/api/v1/ws?token="+token), from, &closing, func(content string, at time.Time) {
			mu.Lock()
			if t, ok := sentAt[content]; ok {
				latencies = append(latencies, at.Sub(t))
			}
			mu.Unlock()
			delivered.Add(1)
		})
		if err != nil {
			return err
		}
		feeds[i] = f
	}

	// The keep-alive connections of the session requests would count as server memory too.
	httpc.CloseIdleConnections()
	time.Sleep(c.settle)
	sessions, err := stats(ctx, base)
	if err != nil {
		return err
	}
	fmt.Printf("server with sessions, no socket: %s\n", sessions)

	start = time.Now()
	err = parallel(c.visitors, c.connectConcurrency, func(i int) error {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		conn, _, err := websocket.Dial(dctx, wsURL(base, "/widget/v1/ws?token="+vs[i].token), &websocket.DialOptions{HTTPClient: dialers[i%len(dialers)]})
		if err != nil {
			return fmt.Errorf("visitor socket %d: %w", i, err)
		}
		vs[i].conn = conn
		go func() {
			for {
				if _, _, err := conn.Read(context.Background()); err != nil {
					return
				}
			}
		}()
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("opened %d visitor sockets in %s (and %d agent sockets before)\n", c.visitors, time.Since(start).Round(time.Millisecond), c.agents)
	httpc.CloseIdleConnections()
	opened, err := stats(ctx, base)
	if err != nil {
		return err
	}
	time.Sleep(c.settle)
	after, err := stats(ctx, base)
	if err != nil {
		return err
	}
	fmt.Printf("server with sockets open:        %s\n", after)
	fmt.Printf("server CPU while the sockets idled %s: %s\n", after.at.Sub(opened.at).Round(time.Second), cpuShare(opened, after))
	fmt.Printf("visitor sockets alone:  %s\n", perSocket(sessions, after, c.visitors))
	fmt.Printf("sessions and sockets:   %s\n", perSocket(before, after, c.visitors))

	if c.rate > 0 {
		interval := time.Duration(float64(time.Second) / c.rate)
		var (
			sent, acked, failed atomic.Int64
			ackMu               sync.Mutex
			acks                []time.Duration
			wg                  sync.WaitGroup
		)
		sem := make(chan struct{}, 512)
		busyFrom, err := stats(ctx, base)
		if err != nil {
			return err
		}
		selfFrom := selfCPU()
		t0 := time.Now()
		send := func(n int) {
			v := vs[rand.IntN(len(vs))]
			content := fmt.Sprintf("load-%d-%d", t0.UnixNano(), n)
			select {
			case sem <- struct{}{}:
			default:
				failed.Add(1) // the server is not keeping up: more than 512 requests in flight
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				now := time.Now()
				mu.Lock()
				sentAt[content] = now
				mu.Unlock()
				sent.Add(1)
				if _, err := post(ctx, base+"/widget/v1/messages", v.token, map[string]string{"content": content}, nil); err != nil {
					failed.Add(1)
					return
				}
				ackMu.Lock()
				acks = append(acks, time.Since(now))
				ackMu.Unlock()
				acked.Add(1)
			}()
		}
		// Paced by the clock, not one message per tick: a ticker drops the ticks a busy
		// machine cannot take in time, which would send fewer than asked.
		tick := time.NewTicker(min(interval, time.Millisecond))
		deadline := time.After(c.duration)
		n := 0
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case <-deadline:
				break loop
			case <-tick.C:
			}
			for due := int(time.Since(t0).Seconds() * c.rate); n < due; n++ {
				send(n)
			}
		}
		tick.Stop()
		wg.Wait()
		elapsed := time.Since(t0)
		// Let deliveries drain: 2 s, and while sockets that were told to resume still catch
		// up (then until every message is in, or nothing came for 5 s).
		time.Sleep(2 * time.Second)
		want := acked.Load() * int64(c.agents)
		for last, quiet := delivered.Load(), time.Now(); delivered.Load() < want && time.Since(quiet) < 5*time.Second; {
			if feedTotals(feeds).resumes == 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
			if n := delivered.Load(); n > last {
				last, quiet = n, time.Now()
			}
		}
		drained := time.Since(t0) - elapsed
		busyTo, err := stats(ctx, base)
		if err != nil {
			return err
		}
		selfUsed := selfCPU() - selfFrom
		mu.Lock()
		lat := slices.Clone(latencies)
		mu.Unlock()
		fmt.Printf("sent %d messages in %s (%.0f/s target %.0f/s), acknowledged %d, failed or shed %d\n",
			sent.Load(), elapsed.Round(time.Millisecond), float64(acked.Load())/elapsed.Seconds(), c.rate, acked.Load(), failed.Load())
		fmt.Printf("ack latency (POST → 201, durable):      %s\n", summary(acks))
		fmt.Printf("delivery latency (POST → agent socket): %s over %d deliveries (%d agent sockets)\n", summary(lat), len(lat), c.agents)
		// The server's own CPU per message: unlike the latencies, it holds on a machine
		// busy with other work (the load generator's share included).
		if n := acked.Load(); n > 0 {
			fmt.Printf("server CPU: %.0f µs per message (%s over the run and drain); this load generator's: %.0f µs per message\n",
				(busyTo.cpu-busyFrom.cpu)/float64(n)*1e6, cpuShare(busyFrom, busyTo), selfUsed.Seconds()/float64(n)*1e6)
		}
		ft := feedTotals(feeds)
		if ft.resumes > 0 || ft.resent > 0 {
			fmt.Printf("agent sockets told to reconnect and resume: %d times; frames sent again and dropped by seq: %d; deliveries drained %s after the last acknowledgement\n",
				ft.resumes, ft.resent, drained.Round(time.Millisecond))
		}
		if delivered.Load() < want {
			fmt.Printf("WARNING: %d deliveries missing of %d\n", want-delivered.Load(), want)
		}
		if ft.dups > 0 {
			fmt.Printf("WARNING: %d messages delivered twice under different seqs (stored twice)\n", ft.dups)
		}
	}
	closing.Store(true)
	for _, v := range vs {
		v.conn.Close(websocket.StatusNormalClosure, "")
	}
	for _, f := range feeds {
		f.close()
	}
	return nil
}

// handToAgent has the visitor ask for a person (an immediate handoff: the conversation
// waits for an agent) and the signed-in agent accept it, so that the bot stays silent.
func handToAgent(ctx context.Context, base, agentToken, visitorToken, convID string) error {
	if _, err := post(ctx, base+"/widget/v1/messages", visitorToken, map[string]string{"content": "I want to talk to a human, please"}, nil); err != nil {
		return err
	}
	if _, err := post(ctx, base+"/api/v1/conversations/"+convID+"/actions/accept", agentToken, nil, nil); err != nil {
		return fmt.Errorf("accept %s: %w", convID, err)
	}
	return nil
}

// signIn opens the agent's session and returns its token.
func signIn(ctx context.Context, base string, c config) (string, error) {
	var login struct{ Token string }
	if _, err := post(ctx, base+"/api/v1/session", "", map[string]string{"email": c.email, "password": c.password}, &login); err != nil {
		return "", fmt.Errorf("agent sign-in: %w", err)
	}
	return login.Token, nil
}

// socketClients returns the HTTP clients the visitor sockets dial with: one per source
// address, or the default one.
func socketClients(list string) ([]*http.Client, error) {
	if list == "" {
		return []*http.Client{http.DefaultClient}, nil
	}
	var out []*http.Client
	for _, a := range strings.Split(list, ",") {
		ip := net.ParseIP(strings.TrimSpace(a))
		if ip == nil {
			return nil, fmt.Errorf("-source-ips: %q is not an IP address", a)
		}
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 30 * time.Second}
		out = append(out, &http.Client{Transport: &http.Transport{DialContext: d.DialContext}})
	}
	return out, nil
}

// selfCPU is the CPU time this process has used (user and system).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func summary(d []time.Duration) string {
	if len(d) == 0 {
		return "no samples"
	}
	slices.Sort(d)
	q := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s", q(.5).Round(10*time.Microsecond), q(.9).Round(10*time.Microsecond),
		q(.99).Round(10*time.Microsecond), d[len(d)-1].Round(10*time.Microsecond))
}
