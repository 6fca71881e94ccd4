package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
)

// Page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// conversationColumns are selected by every hand-built conversation query; scanConversation
// reads them in this order.
const conversationColumns = `c.id, c.account_id, c.chatbot_id, c.contact_id, c.number, c.channel, c.status, c.pending,
 c.priority, c.reason, c.brief, c.subject, c.assignee_id, c.queue_id, c.previous_id, c.resolution_note, c.turns,
 c.last_seq, c.last_visitor_seq, c.last_message, c.created_at, c.updated_at, c.last_activity_at, c.last_visitor_at,
 c.handoff_at, c.resolved_at, c.closed_at,
 ct.session_id, ct.name, ct.email, ct.phone, ct.attributes, cb.slug, cb.name, u.first_name, u.email`

const conversationFrom = ` FROM conversations c
 JOIN contacts ct ON ct.id = c.contact_id
 JOIN chatbots cb ON cb.id = c.chatbot_id
 LEFT JOIN users u ON u.id = c.assignee_id`

type scanner interface{ Scan(dest ...any) error }

func scanConversation(s scanner) (*baton.Conversation, error) {
	var (
		c                   db.Conversation
		sess, cname, cemail string
		cphone, cattrs      string
		slug, botName       string
		afirst, aemail      *string
	)
	err := s.Scan(&c.ID, &c.AccountID, &c.ChatbotID, &c.ContactID, &c.Number, &c.Channel, &c.Status, &c.Pending,
		&c.Priority, &c.Reason, &c.Brief, &c.Subject, &c.AssigneeID, &c.QueueID, &c.PreviousID, &c.ResolutionNote, &c.Turns,
		&c.LastSeq, &c.LastVisitorSeq, &c.LastMessage, &c.CreatedAt, &c.UpdatedAt, &c.LastActivityAt, &c.LastVisitorAt,
		&c.HandoffAt, &c.ResolvedAt, &c.ClosedAt,
		&sess, &cname, &cemail, &cphone, &cattrs, &slug, &botName, &afirst, &aemail)
	if err != nil {
		return nil, err
	}
	out := &baton.Conversation{ID: c.ID, AccountID: c.AccountID, Number: c.Number, Channel: c.Channel,
		Status: baton.Status(c.Status), Pending: c.Pending, Priority: baton.Priority(c.Priority), Reason: c.Reason,
		Brief: c.Brief, Subject: c.Subject, QueueID: deref(c.QueueID), PreviousID: deref(c.PreviousID),
		ResolutionNote: c.ResolutionNote, Turns: int(c.Turns), LastSeq: c.LastSeq, LastVisitorSeq: c.LastVisitorSeq,
		LastMessage: c.LastMessage, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, LastActivityAt: c.LastActivityAt,
		HandoffAt: c.HandoffAt, ResolvedAt: c.ResolvedAt, ClosedAt: c.ClosedAt,
		Chatbot: baton.ChatbotRef{ID: c.ChatbotID, Slug: slug, Name: botName},
		Contact: &baton.Contact{ID: c.ContactID, SessionID: sess, Name: cname, Email: cemail, Phone: cphone, Attributes: map[string]string{}},
		Tags:    []string{}, Labels: []string{}, Collaborators: []baton.UserRef{}}
	_ = json.Unmarshal([]byte(cattrs), &out.Contact.Attributes)
	if c.AssigneeID != nil && aemail != nil {
		name := deref(afirst)
		if name == "" {
			name = *aemail
		}
		out.Assignee = &baton.UserRef{ID: *c.AssigneeID, Name: name, Email: *aemail}
	}
	return out, nil
}

// FindConversation returns one conversation of the actor's account with its details.
func (d *DB) FindConversation(ctx context.Context, id string) (*baton.Conversation, error) {
	a := baton.ActorFromContext(ctx)
	return d.findConversation(ctx, a.AccountID, id)
}

func (d *DB) findConversation(ctx context.Context, accountID, id string) (*baton.Conversation, error) {
	row := d.raw().QueryRow(ctx, "SELECT "+conversationColumns+conversationFrom+" WHERE c.id = $1 AND c.account_id = $2", id, accountID)
	c, err := scanConversation(row)
	if isNoRows(err) {
		return nil, baton.NotFound("Conversation")
	} else if err != nil {
		return nil, fmt.Errorf("find conversation: %w", err)
	}
	q := d.read()
	if c.Tags, err = q.ConversationTags(ctx, id); err != nil {
		return nil, fmt.Errorf("conversation tags: %w", err)
	}
	if c.Labels, err = q.ConversationLabels(ctx, id); err != nil {
		return nil, fmt.Errorf("conversation labels: %w", err)
	}
	collabs, err := q.ConversationCollaborators(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("conversation collaborators: %w", err)
	}
	for _, u := range collabs {
		name := u.FirstName
		if name == "" {
			name = u.Email
		}
		c.Collaborators = append(c.Collaborators, baton.UserRef{ID: u.ID, Name: name, Email: u.Email})
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	if c.Labels == nil {
		c.Labels = []string{}
	}
	return c, nil
}

type sqlArgs struct{ args []any }

func (s *sqlArgs) add(v any) string {
	s.args = append(s.args, v)
	return "$" + strconv.Itoa(len(s.args))
}

func encodeCursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixMicro(), 10) + "|" + id))
}

func decodeCursor(s string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", baton.Invalid("The cursor is not valid.")
	}
	ts, id, ok := strings.Cut(string(b), "|")
	us, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", baton.Invalid("The cursor is not valid.")
	}
	return time.UnixMicro(us).UTC(), id, nil
}

// ListConversations lists the actor's conversations, newest activity first (A2, A3).
func (d *DB) ListConversations(ctx context.Context, f baton.ConversationFilter) (*baton.ConversationPage, error) {
	a := baton.ActorFromContext(ctx)
	var args sqlArgs
	where := []string{"c.account_id = " + args.add(a.AccountID)}
	if len(f.Statuses) > 0 {
		var ph []string
		for _, s := range f.Statuses {
			ph = append(ph, args.add(string(s)))
		}
		where = append(where, "c.status IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Pending != nil {
		where = append(where, "c.pending = "+args.add(*f.Pending))
	}
	if f.Channel != "" {
		where = append(where, "c.channel = "+args.add(f.Channel))
	}
	switch f.AssigneeID {
	case "":
	case "none":
		where = append(where, "c.assignee_id IS NULL")
	default:
		where = append(where, "c.assignee_id = "+args.add(f.AssigneeID))
	}
	if f.Priority != "" {
		where = append(where, "c.priority = "+args.add(string(f.Priority)))
	}
	if f.QueueID != "" {
		where = append(where, "c.queue_id = "+args.add(f.QueueID))
	}
	if f.Tag != "" {
		where = append(where, "EXISTS (SELECT 1 FROM conversation_tags x JOIN tags t ON t.id = x.tag_id WHERE x.conversation_id = c.id AND t.name = "+args.add(f.Tag)+")")
	}
	if f.Label != "" {
		where = append(where, "EXISTS (SELECT 1 FROM conversation_labels x JOIN labels l ON l.id = x.label_id WHERE x.conversation_id = c.id AND l.name = "+args.add(f.Label)+")")
	}
	switch f.Activity {
	case baton.ActivityLow:
		where = append(where, "c.turns < 5")
	case baton.ActivityMedium:
		where = append(where, "c.turns BETWEEN 5 AND 10")
	case baton.ActivityHigh:
		if d.Dialect == SQLite {
			// Long conversations are few: tell SQLite's planner, so it reads them from the
			// turns index instead of walking the whole list.
			where = append(where, "likelihood(c.turns > 10, 0.05)")
		} else {
			where = append(where, "c.turns > 10")
		}
	}
	if f.From != nil {
		where = append(where, "c.last_activity_at >= "+args.add(*f.From))
	}
	if f.To != nil {
		where = append(where, "c.last_activity_at < "+args.add(*f.To))
	}
	if f.Cursor != "" {
		t, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		where = append(where, afterCursor(&args, t, id))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	if limit > MaxPageSize {
		limit = MaxPageSize
	}
	var (
		cs  []*baton.Conversation
		err error
	)
	if q := strings.TrimSpace(cleanSearch(f.Query)); q != "" {
		// Search plans its own queries (search.go).
		cs, err = d.searchConversations(ctx, a.AccountID, q, where, args, limit+1)
	} else {
		cs, err = d.listConversations(ctx, conversationFrom, where, args.args, limit+1)
	}
	if err != nil {
		return nil, err
	}
	page := &baton.ConversationPage{Conversations: cs}
	if len(cs) > limit {
		page.Conversations = cs[:limit]
		last := page.Conversations[limit-1]
		page.NextCursor = encodeCursor(last.LastActivityAt, last.ID)
	}
	if err := d.attachTagsAndLabels(ctx, page.Conversations); err != nil {
		return nil, err
	}
	return page, nil
}

// afterCursor is the condition for the rows after (t, id) in list order. The first part
// is a plain range any list index can seek (an OR alone, or a row value over columns an
// index lacks, would make SQLite scan from the top); the second breaks ties.
func afterCursor(args *sqlArgs, t time.Time, id string) string {
	pt, pi := args.add(t), args.add(id)
	return "c.last_activity_at <= " + pt + " AND (c.last_activity_at < " + pt + " OR c.id < " + pi + ")"
}

// listConversations runs one list query: the first n conversations of from (which names
// them c) that meet every condition of where, newest activity first.
func (d *DB) listConversations(ctx context.Context, from string, where []string, args []any, n int) ([]*baton.Conversation, error) {
	q := "SELECT " + conversationColumns + from + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY c.last_activity_at DESC, c.id DESC LIMIT " + strconv.Itoa(n)
	rows, err := d.raw().Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	defer rows.Close()
	cs := []*baton.Conversation{}
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("list conversations: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	return cs, nil
}

func (d *DB) attachTagsAndLabels(ctx context.Context, cs []*baton.Conversation) error {
	if len(cs) == 0 {
		return nil
	}
	byID := make(map[string]*baton.Conversation, len(cs))
	var args sqlArgs
	var ph []string
	for _, c := range cs {
		byID[c.ID] = c
		ph = append(ph, args.add(c.ID))
	}
	in := strings.Join(ph, ", ")
	for _, q := range []struct {
		sql  string
		into func(c *baton.Conversation, name string)
	}{
		{"SELECT x.conversation_id, t.name FROM conversation_tags x JOIN tags t ON t.id = x.tag_id WHERE x.conversation_id IN (" + in + ") ORDER BY t.name",
			func(c *baton.Conversation, n string) { c.Tags = append(c.Tags, n) }},
		{"SELECT x.conversation_id, l.name FROM conversation_labels x JOIN labels l ON l.id = x.label_id WHERE x.conversation_id IN (" + in + ") ORDER BY l.name",
			func(c *baton.Conversation, n string) { c.Labels = append(c.Labels, n) }},
	} {
		rows, err := d.raw().Query(ctx, q.sql, args.args...)
		if err != nil {
			return fmt.Errorf("list tags: %w", err)
		}
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return fmt.Errorf("list tags: %w", err)
			}
			if c := byID[id]; c != nil {
				q.into(c, name)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list tags: %w", err)
		}
	}
	return nil
}

// Limits on conversation details.
const (
	MaxTags      = 50
	MaxTagLength = 50
)

// UpdateConversation changes priority, tags, labels, collaborators, assignee or the
// contact's email and name (H9).
func (d *DB) UpdateConversation(ctx context.Context, id string, up baton.ConversationUpdate) (*baton.Conversation, error) {
	a := baton.ActorFromContext(ctx)
	err := d.Write(ctx, func(tx *Tx) error {
		ct, err := d.lockConversation(ctx, tx, a.AccountID, id)
		if err != nil {
			return err
		}
		var changes []string
		if up.Priority != nil {
			if !up.Priority.Valid() {
				return baton.Invalid("Priority must be low, medium, high or urgent.")
			}
			if string(*up.Priority) != ct.c.Priority {
				ct.c.Priority = string(*up.Priority)
				p := ct.c.Priority
				if p == "" {
					p = "none"
				}
				changes = append(changes, "set the priority to "+p)
			}
		}
		if up.Tags != nil {
			if len(*up.Tags) > MaxTags {
				return baton.Invalid("A conversation can have at most %d tags.", MaxTags)
			}
			if err := tx.ClearConversationTags(ctx, id); err != nil {
				return err
			}
			for _, name := range *up.Tags {
				name = strings.TrimSpace(name)
				if name == "" || utf8.RuneCountInString(name) > MaxTagLength || !utf8.ValidString(name) {
					return baton.Invalid("Tags must be 1 to %d characters long.", MaxTagLength)
				}
				tagID, err := tx.UpsertTag(ctx, db.UpsertTagParams{ID: d.NewID(), AccountID: a.AccountID, Name: name})
				if err != nil {
					return err
				}
				if err := tx.AddConversationTag(ctx, db.AddConversationTagParams{ConversationID: id, TagID: tagID}); err != nil {
					return err
				}
			}
		}
		if up.Labels != nil {
			if len(*up.Labels) > MaxTags {
				return baton.Invalid("A conversation can have at most %d labels.", MaxTags)
			}
			if err := tx.ClearConversationLabels(ctx, id); err != nil {
				return err
			}
			for _, name := range *up.Labels {
				l, err := tx.GetLabelByName(ctx, db.GetLabelByNameParams{AccountID: a.AccountID, Name: name})
				if isNoRows(err) {
					return baton.Invalid("There is no label %q: create it in settings first.", name)
				} else if err != nil {
					return err
				}
				if err := tx.AddConversationLabel(ctx, db.AddConversationLabelParams{ConversationID: id, LabelID: l.ID}); err != nil {
					return err
				}
			}
		}
		if up.Collaborators != nil {
			if len(*up.Collaborators) > 100 {
				return baton.Invalid("A conversation can have at most 100 collaborators.")
			}
			if err := tx.ClearCollaborators(ctx, id); err != nil {
				return err
			}
			for _, uid := range *up.Collaborators {
				if _, err := tx.GetUser(ctx, db.GetUserParams{ID: uid, AccountID: a.AccountID}); isNoRows(err) {
					return baton.Invalid("There is no teammate with id %q.", uid)
				} else if err != nil {
					return err
				}
				if err := tx.AddCollaborator(ctx, db.AddCollaboratorParams{ConversationID: id, UserID: uid}); err != nil {
					return err
				}
			}
		}
		if up.AssigneeID != nil {
			if *up.AssigneeID == "" {
				ct.c.AssigneeID = nil
				changes = append(changes, "unassigned the conversation")
			} else {
				u, err := tx.GetUser(ctx, db.GetUserParams{ID: *up.AssigneeID, AccountID: a.AccountID})
				if isNoRows(err) {
					return baton.Invalid("There is no teammate with id %q.", *up.AssigneeID)
				} else if err != nil {
					return err
				}
				ct.c.AssigneeID = &u.ID
				changes = append(changes, "assigned the conversation to "+userFromRow(u).DisplayName())
			}
		}
		if up.ContactEmail != nil || up.ContactName != nil {
			contact, err := tx.GetContact(ctx, db.GetContactParams{ID: ct.c.ContactID, AccountID: a.AccountID})
			if err != nil {
				return err
			}
			if up.ContactEmail != nil {
				e := strings.TrimSpace(*up.ContactEmail)
				if e != "" {
					if e, err = NormalizeEmail(e); err != nil {
						return err
					}
				}
				contact.Email = e
			}
			if up.ContactName != nil {
				if err := checkName("Name", *up.ContactName); err != nil {
					return err
				}
				contact.Name = strings.TrimSpace(*up.ContactName)
			}
			if err := tx.UpdateContact(ctx, db.UpdateContactParams{ID: contact.ID, AccountID: a.AccountID, Name: contact.Name,
				Email: contact.Email, Phone: contact.Phone, Attributes: contact.Attributes}); err != nil {
				return err
			}
		}
		if len(changes) > 0 {
			who := actorSender(a)
			if _, err := ct.addMessage(baton.KindSystem, sender{name: "Baton"}, who.name+" "+strings.Join(changes, " and ")+".", ""); err != nil {
				return err
			}
		}
		if err := ct.updated(false); err != nil {
			return err
		}
		if up.AssigneeID != nil {
			if err := ct.emit(baton.EventAssigned, map[string]any{"conversation_id": id, "assignee_id": deref(ct.c.AssigneeID), "by": a.UserID()}, "", nil); err != nil {
				return err
			}
		}
		return ct.save()
	})
	if err != nil {
		return nil, err
	}
	return d.FindConversation(ctx, id)
}

// MessageFromRow is the message of a row of the messages table.
func MessageFromRow(m db.Message) *baton.Message { return messageFromRow(m) }

func messageFromRow(m db.Message) *baton.Message {
	out := &baton.Message{ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, Kind: baton.MessageKind(m.Kind),
		SenderID: deref(m.SenderID), SenderName: m.SenderName, Content: m.Content, DeliveryStatus: m.DeliveryStatus,
		DeliveryError: m.DeliveryError, CreatedAt: m.CreatedAt, Attachments: []baton.Attachment{}}
	_ = json.Unmarshal([]byte(m.Attachments), &out.Attachments)
	return out
}

// ListMessages lists a conversation's messages newest first, before a seq cursor (M5).
func (d *DB) ListMessages(ctx context.Context, id string, before int64, limit int) (*baton.MessagePage, error) {
	a := baton.ActorFromContext(ctx)
	if _, err := d.read().GetConversation(ctx, db.GetConversationParams{ID: id, AccountID: a.AccountID}); isNoRows(err) {
		return nil, baton.NotFound("Conversation")
	} else if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	if before <= 0 {
		before = math.MaxInt64
	}
	if limit <= 0 {
		limit = DefaultPageSize
	}
	if limit > MaxPageSize {
		limit = MaxPageSize
	}
	rows, err := d.read().ListMessages(ctx, db.ListMessagesParams{ConversationID: id, Seq: before, Limit: int32(limit + 1)})
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	page := &baton.MessagePage{Messages: []*baton.Message{}}
	for i, r := range rows {
		if i == limit {
			page.NextBefore = page.Messages[limit-1].Seq
			break
		}
		page.Messages = append(page.Messages, messageFromRow(r))
	}
	return page, nil
}
