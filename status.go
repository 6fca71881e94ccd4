package baton

import "fmt"

// Status is the lifecycle state of a conversation (SPEC §1).
type Status string

const (
	StatusBot       Status = "bot"       // the AI is handling it
	StatusWaiting   Status = "waiting"   // a human was requested; in a queue
	StatusHuman     Status = "human"     // an agent (or an external desk) answers
	StatusOffline   Status = "offline"   // a human was requested but nobody is available
	StatusResolved  Status = "resolved"  // an agent marked it done
	StatusClosed    Status = "closed"    // ended for good
	StatusAbandoned Status = "abandoned" // the visitor left while waiting
)

// Statuses lists every status in display order.
var Statuses = []Status{StatusBot, StatusWaiting, StatusHuman, StatusOffline, StatusResolved, StatusClosed, StatusAbandoned}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
}

// Open reports whether the conversation is still live (a visitor message continues it
// rather than starting a new linked conversation).
func (s Status) Open() bool {
	switch s {
	case StatusResolved, StatusClosed, StatusAbandoned:
		return false
	}
	return true
}

// BotActive reports whether the AI may answer in this status (H5).
func (s Status) BotActive() bool { return s == StatusBot || s == StatusOffline }

// Action is something that may change a conversation's status.
type Action string

const (
	ActionJoin     Action = "join"     // agent asks to take over a bot conversation
	ActionAccept   Action = "accept"   // agent takes a waiting conversation
	ActionRelease  Action = "release"  // Return to AI
	ActionResolve  Action = "resolve"  // agent marks it done (optional note)
	ActionClose    Action = "close"    // ended for good
	ActionReopen   Action = "reopen"   // a closed/resolved conversation returns to the AI
	ActionTransfer Action = "transfer" // to another agent: the conversation stays where it is

	// Actions taken by the system rather than by an agent's button.
	ActionHandoff        Action = "handoff"         // a human was requested and agents are available
	ActionHandoffNone    Action = "handoff_none"    // a human was requested and nobody is available
	ActionTakeover       Action = "takeover"        // an external desk takes over (X2): listen mode
	ActionAbandon        Action = "abandon"         // the visitor left while waiting
	ActionVisitorMessage Action = "visitor_message" // a visitor wrote; after resolve it starts a new conversation
	ActionTransferQueue  Action = "transfer_queue"  // to a queue: back to waiting, routed again
	ActionAutoResolve    Action = "auto_resolve"    // a timer or the visitor's "thanks" resolved it
)

// AgentActions are the actions the agent API accepts at /actions/{action}.
var AgentActions = []Action{ActionJoin, ActionAccept, ActionRelease, ActionResolve, ActionClose, ActionReopen, ActionTransfer}

// Actions lists every action, for exhaustive tests.
var Actions = []Action{ActionJoin, ActionAccept, ActionRelease, ActionResolve, ActionClose, ActionReopen, ActionTransfer,
	ActionHandoff, ActionHandoffNone, ActionTakeover, ActionAbandon, ActionVisitorMessage, ActionTransferQueue, ActionAutoResolve}

// Effect is something the service must do when it applies a transition, besides setting
// the new status.
type Effect string

const (
	EffectAssignActor     Effect = "assign_actor"     // the acting agent becomes the assignee
	EffectUnassign        Effect = "unassign"         // clear assignee
	EffectHandoffStarted  Effect = "handoff_started"  // tell the visitor and the team (R3, R4)
	EffectHandoffEnded    Effect = "handoff_ended"    // tell the visitor (R3)
	EffectRoute           Effect = "route"            // offer to agents of the queue
	EffectAnalyse         Effect = "analyse"          // post-chat analysis (P1)
	EffectNewConversation Effect = "new_conversation" // start a linked conversation (H7)
	EffectReassign        Effect = "reassign"         // transfer to the agent named in the request
)

// Transition is one row of the status table.
type Transition struct {
	To      Status
	Effects []Effect
	// System is the system message written to the thread. It may contain %s, replaced by
	// the actor's display name.
	System string
}

type key struct {
	from   Status
	action Action
}

// transitions is the whole status machine (H1). Anything absent is refused.
var transitions = map[key]Transition{
	{StatusBot, ActionJoin}:     {StatusWaiting, []Effect{EffectHandoffStarted, EffectAssignActor}, "%s asked to take over the conversation."},
	{StatusOffline, ActionJoin}: {StatusWaiting, []Effect{EffectAssignActor}, "%s asked to take over the conversation."},

	{StatusWaiting, ActionAccept}: {StatusHuman, []Effect{EffectAssignActor}, "%s joined the conversation."},
	{StatusOffline, ActionAccept}: {StatusHuman, []Effect{EffectAssignActor}, "%s joined the conversation."},

	{StatusHuman, ActionRelease}:   {StatusBot, []Effect{EffectUnassign, EffectHandoffEnded}, "%s returned the conversation to the AI."},
	{StatusWaiting, ActionRelease}: {StatusBot, []Effect{EffectUnassign, EffectHandoffEnded}, "%s returned the conversation to the AI."},
	{StatusOffline, ActionRelease}: {StatusBot, []Effect{EffectUnassign, EffectHandoffEnded}, "%s returned the conversation to the AI."},

	{StatusBot, ActionResolve}:     {StatusResolved, nil, "%s resolved the conversation."},
	{StatusWaiting, ActionResolve}: {StatusResolved, nil, "%s resolved the conversation."},
	{StatusHuman, ActionResolve}:   {StatusResolved, nil, "%s resolved the conversation."},
	{StatusOffline, ActionResolve}: {StatusResolved, nil, "%s resolved the conversation."},

	{StatusBot, ActionClose}:       {StatusClosed, []Effect{EffectAnalyse}, "%s closed the conversation."},
	{StatusWaiting, ActionClose}:   {StatusClosed, []Effect{EffectAnalyse}, "%s closed the conversation."},
	{StatusHuman, ActionClose}:     {StatusClosed, []Effect{EffectAnalyse}, "%s closed the conversation."},
	{StatusOffline, ActionClose}:   {StatusClosed, []Effect{EffectAnalyse}, "%s closed the conversation."},
	{StatusResolved, ActionClose}:  {StatusClosed, []Effect{EffectAnalyse}, "%s closed the conversation."},
	{StatusAbandoned, ActionClose}: {StatusClosed, []Effect{EffectAnalyse}, "%s closed the conversation."},

	{StatusResolved, ActionReopen}:  {StatusBot, []Effect{EffectUnassign}, "%s reopened the conversation; the AI is answering again."},
	{StatusClosed, ActionReopen}:    {StatusBot, []Effect{EffectUnassign}, "%s reopened the conversation; the AI is answering again."},
	{StatusAbandoned, ActionReopen}: {StatusBot, []Effect{EffectUnassign}, "%s reopened the conversation; the AI is answering again."},

	// Transfer: to an agent keeps a human conversation human; to a queue puts it back in
	// waiting. The service picks the target; the table only says where it may happen.
	{StatusHuman, ActionTransfer}:   {StatusHuman, []Effect{EffectReassign}, "%s transferred the conversation."},
	{StatusWaiting, ActionTransfer}: {StatusWaiting, []Effect{EffectReassign}, "%s transferred the conversation."},

	{StatusHuman, ActionTransferQueue}:   {StatusWaiting, []Effect{EffectUnassign, EffectRoute}, "%s transferred the conversation to a queue."},
	{StatusWaiting, ActionTransferQueue}: {StatusWaiting, []Effect{EffectUnassign, EffectRoute}, "%s transferred the conversation to a queue."},

	{StatusBot, ActionAutoResolve}:   {StatusResolved, nil, "The conversation was resolved automatically: %s"},
	{StatusHuman, ActionAutoResolve}: {StatusResolved, nil, "The conversation was resolved automatically: %s"},

	{StatusBot, ActionHandoff}:              {StatusWaiting, []Effect{EffectHandoffStarted, EffectRoute}, "A human agent was requested: %s"},
	{StatusOffline, ActionHandoff}:          {StatusWaiting, []Effect{EffectRoute}, "A human agent was requested: %s"},
	{StatusBot, ActionHandoffNone}:          {StatusOffline, []Effect{EffectHandoffStarted}, "A human agent was requested but nobody is available: %s"},
	{StatusBot, ActionTakeover}:             {StatusHuman, []Effect{EffectHandoffStarted}, "An external desk took over the conversation."},
	{StatusWaiting, ActionTakeover}:         {StatusHuman, nil, "An external desk took over the conversation."},
	{StatusOffline, ActionTakeover}:         {StatusHuman, nil, "An external desk took over the conversation."},
	{StatusWaiting, ActionAbandon}:          {StatusAbandoned, []Effect{EffectUnassign}, "The visitor left while waiting."},
	{StatusOffline, ActionAbandon}:          {StatusAbandoned, []Effect{EffectUnassign}, "The visitor left while waiting."},
	{StatusResolved, ActionVisitorMessage}:  {StatusResolved, []Effect{EffectNewConversation}, ""},
	{StatusClosed, ActionVisitorMessage}:    {StatusClosed, []Effect{EffectNewConversation}, ""},
	{StatusAbandoned, ActionVisitorMessage}: {StatusAbandoned, []Effect{EffectNewConversation}, ""},
}

// Transit looks up what action does to a conversation in status from. It is pure: the
// caller applies the result. A refused pair returns an ECONFLICT *Error.
func Transit(from Status, action Action) (Transition, error) {
	if t, ok := transitions[key{from, action}]; ok {
		return t, nil
	}
	if action == ActionVisitorMessage && from.Open() {
		// A visitor message to a live conversation changes no status.
		return Transition{To: from}, nil
	}
	return Transition{}, &Error{Code: ECONFLICT, Message: refusal(from, action)}
}

// Has reports whether t carries effect e.
func (t Transition) Has(e Effect) bool {
	for _, x := range t.Effects {
		if x == e {
			return true
		}
	}
	return false
}

func refusal(from Status, action Action) string {
	switch action {
	case ActionJoin:
		return fmt.Sprintf("Only a conversation handled by the AI can be joined (this one is %s).", from)
	case ActionAccept:
		return fmt.Sprintf("Only a waiting conversation can be accepted (this one is %s).", from)
	case ActionRelease:
		return fmt.Sprintf("This conversation is not with a human agent (it is %s).", from)
	case ActionReopen:
		return fmt.Sprintf("Only a resolved or closed conversation can be reopened (this one is %s).", from)
	case ActionClose:
		return "This conversation is already closed."
	case ActionResolve:
		return fmt.Sprintf("This conversation cannot be resolved (it is %s).", from)
	case ActionTransfer, ActionTransferQueue:
		return fmt.Sprintf("Only a conversation with a human agent or waiting for one can be transferred (this one is %s).", from)
	}
	return fmt.Sprintf("Cannot %s a conversation that is %s.", action, from)
}
