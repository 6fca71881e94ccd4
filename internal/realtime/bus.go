// Package realtime delivers events to live sockets: a per-node hub of subscriptions fed by
// a bus (in-process, or NATS between nodes). The database stays the source of truth: every
// socket tracks the last seq it delivered per conversation and fills any gap from it, so a
// lost or reordered bus message never becomes a lost or duplicated frame (R1, R2, R5).
package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/baton-chat/baton"
	"github.com/nats-io/nats.go"
)

// Envelope is what travels on the bus: a durable event, or an ephemeral signal.
type Envelope struct {
	Event     *baton.Event `json:"event,omitempty"`
	Ephemeral *Ephemeral   `json:"ephemeral,omitempty"`

	once    sync.Once
	team    []byte
	visitor []byte
}

// Ephemeral is a signal that is not stored: typing, read receipts, presence.
type Ephemeral struct {
	AccountID      string `json:"account_id"`
	ConversationID string `json:"conversation_id,omitempty"`
	// Audience is "team" (agent sockets), "visitor" (the conversation's visitor socket) or
	// "user" (the sockets of UserID).
	Audience string          `json:"audience"`
	UserID   string          `json:"user_id,omitempty"`
	Type     string          `json:"type"`
	Data     json.RawMessage `json:"data"`
	// Origin is the socket that sent it, so it is not echoed back.
	Origin string `json:"origin,omitempty"`
}

// Bus carries envelopes to every node's hub, including the sender's own.
type Bus interface {
	Publish(ctx context.Context, envs []*Envelope) error
	// Subscribe calls fn for every envelope published by any node. fn must not block.
	Subscribe(fn func(*Envelope)) error
	Ping(ctx context.Context) error
	Close() error
}

// LocalBus is the in-process bus of a single node.
type LocalBus struct {
	mu  sync.RWMutex
	fns []func(*Envelope)
}

// NewLocalBus returns an in-process bus.
func NewLocalBus() *LocalBus { return &LocalBus{} }

// Publish hands the envelopes to the subscribers synchronously.
func (b *LocalBus) Publish(_ context.Context, envs []*Envelope) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, e := range envs {
		for _, fn := range b.fns {
			fn(e)
		}
	}
	return nil
}

// Subscribe adds a subscriber.
func (b *LocalBus) Subscribe(fn func(*Envelope)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fns = append(b.fns, fn)
	return nil
}

// Ping always succeeds.
func (b *LocalBus) Ping(context.Context) error { return nil }

// Close does nothing.
func (b *LocalBus) Close() error { return nil }

// NATSSubject is where nodes exchange envelopes (plain NATS: the database fills gaps, so
// at-most-once delivery is enough).
const NATSSubject = "baton.events"

// NATSBus shares envelopes between nodes through NATS.
type NATSBus struct {
	nc     *nats.Conn
	logger *slog.Logger
}

// NewNATSBus connects to NATS; it reconnects forever on its own.
func NewNATSBus(url string, logger *slog.Logger) (*NATSBus, error) {
	nc, err := nats.Connect(url, nats.Name("baton"), nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { logger.Warn("nats disconnected", "err", err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { logger.Info("nats reconnected", "url", c.ConnectedUrl()) }))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	return &NATSBus{nc: nc, logger: logger}, nil
}

// Publish sends each envelope as one NATS message.
func (b *NATSBus) Publish(_ context.Context, envs []*Envelope) error {
	for _, e := range envs {
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("marshal envelope: %w", err)
		}
		if err := b.nc.Publish(NATSSubject, data); err != nil {
			return fmt.Errorf("nats publish: %w", err)
		}
	}
	return nil
}

// Subscribe receives every node's envelopes.
func (b *NATSBus) Subscribe(fn func(*Envelope)) error {
	_, err := b.nc.Subscribe(NATSSubject, func(m *nats.Msg) {
		var e Envelope
		if err := json.Unmarshal(m.Data, &e); err != nil {
			b.logger.Warn("bad bus message", "err", err)
			return
		}
		fn(&e)
	})
	if err != nil {
		return fmt.Errorf("nats subscribe: %w", err)
	}
	return b.nc.Flush()
}

// Ping checks the connection with a round trip.
func (b *NATSBus) Ping(ctx context.Context) error {
	if !b.nc.IsConnected() {
		return fmt.Errorf("nats: not connected")
	}
	return b.nc.FlushWithContext(ctx)
}

// Close drains the connection.
func (b *NATSBus) Close() error { return b.nc.Drain() }
