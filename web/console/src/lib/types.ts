// JSON shapes of the agent API (see the Go root package: conversation.go, message.go,
// user.go, chatbot.go) and of the agent socket (docs/protocol.md).

export type Status = 'bot' | 'waiting' | 'human' | 'offline' | 'resolved' | 'closed' | 'abandoned';
export type Priority = '' | 'low' | 'medium' | 'high' | 'urgent';
export type Channel = 'web' | 'telegram' | 'whatsapp' | 'messenger' | 'email';
export type Role = 'owner' | 'admin' | 'agent';
export type Availability = 'online' | 'busy' | 'away' | 'offline';
export type MessageKind = 'visitor' | 'bot' | 'agent' | 'system' | 'note';
export type DeliveryStatus = '' | 'queued' | 'sent' | 'delivered' | 'read' | 'failed';
export type Action = 'join' | 'accept' | 'release' | 'resolve' | 'close' | 'reopen' | 'transfer';
export type Scope = 'read' | 'write' | 'handover';

export interface UserRef {
  id: string;
  name: string;
  email: string;
}

export interface Contact {
  id: string;
  session_id: string;
  name: string;
  email: string;
  phone: string;
  attributes: Record<string, string> | null;
}

export interface ChatbotRef {
  id: string;
  slug: string;
  name: string;
}

export interface Conversation {
  id: string;
  account_id?: string;
  number: number;
  channel: string;
  status: Status;
  pending: boolean;
  priority: Priority;
  reason: string;
  brief?: string;
  subject?: string;
  chatbot?: ChatbotRef;
  contact?: Contact | null;
  assignee?: UserRef | null;
  /** Only in socket summaries; the REST shape carries `assignee`. */
  assignee_id?: string;
  queue_id?: string;
  tags?: string[];
  labels?: string[];
  collaborators?: UserRef[];
  previous_conversation_id?: string;
  resolution_note?: string;
  turns: number;
  last_seq: number;
  last_visitor_seq?: number;
  last_message: string;
  created_at?: string;
  updated_at?: string;
  last_activity_at: string;
  handoff_at?: string | null;
  resolved_at?: string | null;
  closed_at?: string | null;
}

export interface ConversationPage {
  conversations: Conversation[];
  next_cursor: string;
}

export interface Attachment {
  id: string;
  name: string;
  content_type: string;
  size: number;
  url: string;
}

export interface Message {
  id: string;
  conversation_id: string;
  seq: number;
  kind: MessageKind;
  sender_id?: string;
  sender_name: string;
  content: string;
  attachments: Attachment[] | null;
  delivery_status?: DeliveryStatus;
  delivery_error?: string;
  created_at: string;
}

export interface MessagePage {
  messages: Message[];
  next_before: number;
}

export interface NotificationSettings {
  desktop: boolean;
  sound: boolean;
}

export interface User {
  id: string;
  account_id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: Role;
  availability: Availability;
  capacity: number;
  notification_settings: NotificationSettings;
  created_at: string;
  /** Set while the user is deactivated (they cannot sign in). */
  deactivated_at?: string | null;
}

export interface Session {
  token: string;
  user: User;
  expires_at: string;
}

export interface Label {
  id: string;
  name: string;
  color: string;
}

export type Responder = 'faq' | 'openai' | 'webhook';

/** A chatbot's responder settings; secrets are write-only (the *_set flags say if one is stored). */
export interface AISettings {
  responder: Responder | string;
  base_url: string;
  model: string;
  system_prompt: string;
  api_key_set: boolean;
  webhook_url: string;
  webhook_secret_set: boolean;
  max_unanswered: number;
  handoff_on_negative: boolean;
}

export interface TimerSettings {
  auto_resolve_hours: number;
  abandon_minutes: number;
  resolve_on_thanks: boolean;
}

export interface Chatbot {
  id: string;
  account_id: string;
  slug: string;
  name: string;
  greeting: string;
  handover_webhook_url: string;
  message_webhook_url: string;
  identity_verification: boolean;
  ai?: AISettings;
  timers?: TimerSettings;
  /** Not in the API's chatbot shape yet; read when present. */
  default_queue_id?: string | null;
  created_at: string;
}

export interface KnowledgeEntry {
  id: string;
  question: string;
  answer: string;
  keywords: string[] | null;
  created_at: string;
  updated_at: string;
}

export interface ApiToken {
  id: string;
  name: string;
  scopes: Scope[];
  token?: string;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CannedResponse {
  id: string;
  shortcut: string;
  title: string;
  content: string;
  category: string;
  created_at?: string;
  updated_at?: string;
}

export type TicketStatus = 'open' | 'pending' | 'solved';

export interface Ticket {
  id: string;
  number: number;
  subject: string;
  description: string;
  priority: Priority;
  status: TicketStatus;
  assignee: UserRef | null;
  contact_id?: string;
  source: 'agent' | 'offline_form' | string;
  conversation_ids: string[] | null;
  created_at: string;
  updated_at: string;
}

export interface TicketPage {
  tickets: Ticket[];
  next_cursor: string;
}

export interface Queue {
  id: string;
  name: string;
  ring_timeout_seconds: number;
  member_ids: string[] | null;
  created_at: string;
}

/** A teammate with their load (GET /api/v1/agents). */
export interface Agent extends User {
  load: number;
  online: boolean;
}

/** A stored notification (mention, assignment, …) of the signed-in user. */
export interface ServerNotification {
  id: string;
  kind: 'mention' | 'assigned' | 'following' | string;
  conversation_id?: string;
  message_id?: string;
  actor_name: string;
  body: string;
  created_at: string;
  read_at: string | null;
}

/** A frame from the agent socket. */
export interface Frame<T = unknown> {
  type: string;
  seq?: number;
  conversation_id?: string;
  data?: T;
}

export interface HandoffData {
  conversation_id: string;
  chatbot_name: string;
  visitor_name: string;
  reason: string;
  /** The user who joined; empty when the visitor or the bot asked. */
  by?: string;
}

// Post-chat analysis (SPEC P1; GET /api/v1/conversations/{id}/analysis).
export type SentimentLabel = '' | 'positive' | 'neutral' | 'negative';

export interface ExtractedField {
  name: string;
  type: string;
  /** The value found, of the field's type; null when the conversation does not say. */
  value: string | number | boolean | null;
}

export interface Analysis {
  conversation_id: string;
  /** pending until its job has run, then done; failed when the job gave up (error says so). */
  status: 'pending' | 'done' | 'failed';
  reason: 'close' | 'manual' | string;
  /** llm (the chatbot's model) or builtin (offline); empty until the first run. */
  engine: '' | 'llm' | 'builtin' | string;
  model: string;
  summary: string;
  sentiment: { label: SentimentLabel; score: number };
  fields: ExtractedField[] | null;
  entities: { emails: string[] | null; phones: string[] | null; order_ids: string[] | null } | null;
  /** What went wrong on the last failed attempt (e.g. the model failed and the built-in analyser stood in). */
  error: string;
  attempts: number;
  requested_at: string;
  completed_at: string | null;
}

/** A data field a chatbot's analysis extracts. */
export interface AnalysisField {
  name: string;
  type: string;
  description: string;
  pattern: string;
}

export interface AnalysisFieldList {
  fields: AnalysisField[] | null;
  types: string[] | null;
}

// External channels (SPEC §4; docs/channels.md).
export type ChannelKind = 'telegram' | 'whatsapp' | 'messenger' | 'email';

export interface ChannelField {
  name: string;
  type: 'string' | 'int' | 'bool';
  secret: boolean;
  required: boolean;
  /** Baton makes one up when it is left empty. */
  generated?: boolean;
}

export interface ChannelView {
  kind: ChannelKind | string;
  status: 'not_configured' | 'connected' | 'disconnected' | string;
  /** The last problem met with the provider; empty when none. */
  error: string;
  webhook_url: string;
  settings: Record<string, string | number | boolean> | null;
  secrets_set: string[] | null;
  fields: ChannelField[] | null;
  updated_at: string | null;
  /** Email only, in the answer to the PUT that generated it (shown once). */
  inbound_secret?: string;
}

export interface ChannelTemplate {
  id: string;
  name: string;
  language: string;
  parameters: string[] | null;
  body: string;
  created_at: string;
}

/** What an agent may send now (GET /api/v1/conversations/{id}/window). */
export interface ChannelWindow {
  channel: string;
  open: boolean;
  closes_at: string | null;
  tag?: string;
  template_required: boolean;
}

// Outgoing webhooks and the external handover's settings (SPEC §9 X5).
export interface Webhook {
  id: string;
  url: string;
  description: string;
  events: string[] | null;
  active: boolean;
  /** Only in the answers to creation and rotation. */
  secret?: string;
  created_at: string;
  updated_at: string;
}

export interface WebhookAttempt {
  attempt: number;
  status_code: number;
  duration_ms: number;
  error: string;
  at: string;
}

export interface WebhookDelivery {
  id: string;
  webhook_id?: string;
  kind: 'event' | 'handover' | 'message' | string;
  event: string;
  url: string;
  status: 'pending' | 'retrying' | 'succeeded' | 'failed' | string;
  attempts: number;
  max_attempts: number;
  last_status_code: number;
  last_error: string;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  log: WebhookAttempt[] | null;
}

export interface DeliveryPage {
  deliveries: WebhookDelivery[] | null;
  next_cursor: string;
}

export interface IntegrationSettings {
  message_webhook_url: string;
  signing_secret_set: boolean;
  /** Only in the answer of POST /api/v1/integrations/signing-secret. */
  signing_secret?: string;
}
