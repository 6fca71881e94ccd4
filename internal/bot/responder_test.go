package bot

import (
	"slices"
	"testing"

	"github.com/baton-chat/baton"
)

func TestTurnsFromMessages(t *testing.T) {
	msgs := []*baton.Message{
		{Kind: baton.KindVisitor, Content: "Hi"},
		{Kind: baton.KindBot, Content: "Hello!"},
		{Kind: baton.KindSystem, Content: "A human agent was requested."},
		{Kind: baton.KindNote, Content: "internal: VIP customer, offer 20%"},
		{Kind: baton.KindAgent, Content: "Sam here."},
		{Kind: baton.KindVisitor, Content: "  "}, // an attachment without text
		nil,
		{Kind: baton.KindVisitor, Content: "Thanks"},
	}
	want := []Turn{{RoleVisitor, "Hi"}, {RoleBot, "Hello!"}, {RoleAgent, "Sam here."}, {RoleVisitor, "Thanks"}}
	if got := TurnsFromMessages(msgs); !slices.Equal(got, want) {
		t.Errorf("TurnsFromMessages() = %+v, want %+v (no notes, no system messages, no empty messages)", got, want)
	}
}
