package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// The visitor-message benchmarks measure the service layer's write path: one
// PostVisitorMessage is one transaction that locks the conversation, inserts the message and
// its event and saves the conversation row. Results are in docs/benchmarks.md.

// benchVisitors opens a database of dialect d with n visitors, each in its own conversation.
func benchVisitors(b *testing.B, d store.Dialect, n int) (*store.DB, []*baton.Visitor) {
	b.Helper()
	db := storetest.Open(b, d)
	ctx := context.Background()
	if _, _, err := db.CreateAccount(ctx, "Bench", "bench", "Bench Bot"); err != nil {
		b.Fatalf("CreateAccount = %v", err)
	}
	vs := make([]*baton.Visitor, n)
	for i := range vs {
		s, err := db.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: "bench", UserID: fmt.Sprintf("visitor-%d", i)})
		if err != nil {
			b.Fatalf("OpenSession = %v", err)
		}
		if vs[i], err = db.AuthenticateVisitor(ctx, s.Token); err != nil {
			b.Fatalf("AuthenticateVisitor = %v", err)
		}
	}
	return db, vs
}

func reportMessagesPerSecond(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "msgs/s")
	}
}

// BenchmarkPostVisitorMessage stores visitor messages one after another in one conversation.
func BenchmarkPostVisitorMessage(b *testing.B) {
	for _, d := range storetest.Dialects() {
		db, vs := benchVisitors(b, d, 1)
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				if _, err := db.PostVisitorMessage(ctx, vs[0], "Hello, where is my order?"); err != nil {
					b.Fatal(err)
				}
			}
			reportMessagesPerSecond(b)
		})
	}
}

// BenchmarkPostVisitorMessageParallel stores visitor messages from many visitors at once,
// each writing to their own conversation (4 goroutines per GOMAXPROCS).
func BenchmarkPostVisitorMessageParallel(b *testing.B) {
	const parallelism = 4
	for _, d := range storetest.Dialects() {
		// Enough visitors that no two goroutines share a conversation.
		db, vs := benchVisitors(b, d, 64)
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			var next atomic.Int64
			b.SetParallelism(parallelism)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				v := vs[int(next.Add(1)-1)%len(vs)]
				for pb.Next() {
					if _, err := db.PostVisitorMessage(ctx, v, "Hello, where is my order?"); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportMessagesPerSecond(b)
		})
	}
}
