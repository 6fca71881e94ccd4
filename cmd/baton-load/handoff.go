package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// runHandoff measures the handoff alert (R4): -agents console sockets are open (signed in
// as the same teammate, who is then online), and one new visitor after another asks for a
// person. For each, the time from sending the visitor's message to each socket's `handoff`
// frame for that conversation; "every socket" is the slowest socket of each handoff.
func runHandoff(ctx context.Context, base string, c config) error {
	token, err := signIn(ctx, base, c)
	if err != nil {
		return err
	}
	var (
		mu      sync.Mutex
		arrived = map[string][]time.Time{} // conversation → when each socket saw its alert
		wake    = make(chan struct{}, 1)
	)
	for i := 0; i < c.agents; i++ {
		conn, _, err := websocket.Dial(ctx, wsURL(base, "/api/v1/ws?token="+token), nil)
		if err != nil {
			return fmt.Errorf("agent socket %d: %w", i, err)
		}
		defer conn.Close(websocket.StatusNormalClosure, "")
		conn.SetReadLimit(1 << 20)
		go func() {
			for {
				_, b, err := conn.Read(context.Background())
				if err != nil {
					return
				}
				now := time.Now()
				var f struct {
					Type string `json:"type"`
					Data struct {
						ConversationID string `json:"conversation_id"`
					} `json:"data"`
				}
				if json.Unmarshal(b, &f) != nil || f.Type != "handoff" {
					continue
				}
				mu.Lock()
				arrived[f.Data.ConversationID] = append(arrived[f.Data.ConversationID], now)
				mu.Unlock()
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond) // the sockets' presence is recorded

	var each, every []time.Duration
	missed := 0
	run := time.Now().UnixNano()
	for i := 0; i < c.iterations; i++ {
		var s struct {
			Token          string `json:"token"`
			ConversationID string `json:"conversation_id"`
		}
		if _, err := post(ctx, base+"/widget/v1/sessions", "", map[string]string{"chatbot": c.chatbot,
			"user_id": fmt.Sprintf("handoff-%d-%d", run, i), "name": fmt.Sprintf("Visitor %d", i)}, &s); err != nil {
			return fmt.Errorf("visitor session: %w", err)
		}
		t0 := time.Now()
		if _, err := post(ctx, base+"/widget/v1/messages", s.Token, map[string]string{"content": "I want to talk to a human, please"}, nil); err != nil {
			return fmt.Errorf("visitor message: %w", err)
		}
		deadline := time.After(5 * time.Second)
	wait:
		for {
			mu.Lock()
			got := len(arrived[s.ConversationID])
			mu.Unlock()
			if got >= c.agents {
				break
			}
			select {
			case <-wake:
			case <-deadline:
				missed++
				break wait
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		mu.Lock()
		var slowest time.Duration
		for _, at := range arrived[s.ConversationID] {
			d := at.Sub(t0)
			each = append(each, d)
			slowest = max(slowest, d)
		}
		mu.Unlock()
		if slowest > 0 {
			every = append(every, slowest)
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Printf("%d handoffs, %d agent sockets (%d alerts missing after 5 s)\n", c.iterations, c.agents, missed)
	fmt.Printf("visitor asks → a socket's handoff alert:   %s\n", summary(each))
	fmt.Printf("visitor asks → every socket's alert:       %s\n", summary(every))
	return nil
}
