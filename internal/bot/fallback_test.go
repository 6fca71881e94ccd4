package bot

import (
	"context"
	"errors"
	"testing"
)

func TestFallback(t *testing.T) {
	en := locales["en"]
	failing := ResponderFunc(func(context.Context, Request) (Reply, error) {
		return Reply{}, ErrUnavailable
	})
	tests := []struct {
		name        string
		inner       Responder
		max         int
		transcript  []Turn
		want        Reply
		wantErrored bool // OnError was called
	}{
		{
			name:       "passes a good answer through",
			inner:      ResponderFunc(func(context.Context, Request) (Reply, error) { return Reply{Content: "42", Confidence: 1}, nil }),
			transcript: visitorSays("question"),
			want:       Reply{Content: "42", Confidence: 1},
		},
		{
			name:        "apologises for a first failure",
			inner:       failing,
			transcript:  visitorSays("question"),
			want:        Reply{Content: "Sorry, I'm having trouble answering right now. Please try again in a moment."},
			wantErrored: true,
		},
		{
			name:        "apologises for a second failure in a row",
			inner:       failing,
			transcript:  visitorSays("q1", en.apology, "q2"),
			want:        Reply{Content: en.apology},
			wantErrored: true,
		},
		{
			name:        "hands off at the third failure in a row",
			inner:       failing,
			transcript:  visitorSays("q1", en.apology, "q2", en.apology, "q3"),
			want:        Reply{Content: en.unavailable, Handoff: true, HandoffReason: "The assistant is unavailable"},
			wantErrored: true,
		},
		{
			name:        "hands off at the configured number of failures",
			inner:       failing,
			max:         2,
			transcript:  visitorSays("q1", en.apology, "q2"),
			want:        Reply{Content: en.unavailable, Handoff: true, HandoffReason: ReasonUnavailable},
			wantErrored: true,
		},
		{
			name:        "restarts the count after a good answer",
			inner:       failing,
			transcript:  visitorSays("q1", en.apology, "q2", "a good answer", "q3", en.apology, "q4"),
			want:        Reply{Content: en.apology},
			wantErrored: true,
		},
		{
			name:        "restarts the count after an agent took part",
			inner:       failing,
			transcript:  []Turn{{RoleVisitor, "q1"}, {RoleBot, en.apology}, {RoleAgent, "Sam here"}, {RoleVisitor, "q2"}, {RoleBot, en.apology}, {RoleVisitor, "q3"}},
			want:        Reply{Content: en.apology},
			wantErrored: true,
		},
		{
			name:        "counts apologies in any language and answers in the chatbot's",
			inner:       failing,
			transcript:  visitorSays("q1", locales["es"].apology, "q2", en.apology, "q3"),
			want:        Reply{Content: en.unavailable, Handoff: true, HandoffReason: ReasonUnavailable},
			wantErrored: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reported error
			f := &Fallback{Responder: tt.inner, MaxFailures: tt.max, OnError: func(err error) { reported = err }}
			got, err := f.Respond(context.Background(), Request{Transcript: tt.transcript})
			if err != nil {
				t.Fatalf("Respond error = %v, want none", err)
			}
			if got != tt.want {
				t.Errorf("Respond = %+v, want %+v", got, tt.want)
			}
			if (reported != nil) != tt.wantErrored {
				t.Errorf("OnError got %v; want called = %v", reported, tt.wantErrored)
			}
		})
	}
}

func TestFallbackApologisesInTheChatbotsLanguage(t *testing.T) {
	f := &Fallback{Responder: ResponderFunc(func(context.Context, Request) (Reply, error) { return Reply{}, ErrTimeout })}
	got, err := f.Respond(context.Background(), Request{Language: "de", Transcript: visitorSays("Hallo?")})
	if err != nil || got.Content != locales["de"].apology {
		t.Errorf("Respond = %+v, %v; want the German apology", got, err)
	}
}

func TestFallbackReturnsTheCallersOwnErrors(t *testing.T) {
	t.Run("returns the error when the caller's context is cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		f := &Fallback{Responder: ResponderFunc(func(ctx context.Context, _ Request) (Reply, error) { return Reply{}, ctx.Err() })}
		if _, err := f.Respond(ctx, Request{Transcript: visitorSays("q")}); !errors.Is(err, context.Canceled) {
			t.Errorf("Respond error = %v, want context.Canceled", err)
		}
	})
	t.Run("returns ErrNoMessage", func(t *testing.T) {
		f := &Fallback{Responder: &FAQ{}}
		if _, err := f.Respond(context.Background(), Request{}); !errors.Is(err, ErrNoMessage) {
			t.Errorf("Respond error = %v, want ErrNoMessage", err)
		}
	})
}
