// Wire types of the visitor API and socket (docs/protocol.md).

/** One frame from the visitor socket, or one event of GET /widget/v1/messages. */
export interface Frame {
  type: string;
  seq: number;
  conversation_id?: string;
  data?: Record<string, unknown>;
}

/** POST /widget/v1/sessions → 201. */
export interface Session {
  session_id: string;
  token: string;
  conversation_id: string;
}

/** GET /widget/v1/config. */
export interface ChatbotConfig {
  name: string;
  greeting: string;
  identity_verification: boolean;
}

/** POST /widget/v1/messages → 201. */
export interface StoredMessage {
  id: string;
  conversation_id: string;
  kind: string;
  content: string;
  created_at: string;
}

/** GET /widget/v1/messages. */
export interface EventPage {
  conversation_id: string;
  events: Frame[];
}

/** Conversation statuses the visitor can see (SPEC §1). */
export type Status = 'bot' | 'waiting' | 'human' | 'offline' | 'resolved' | 'closed' | 'abandoned';

/** What the embedding page tells the widget through the script tag's data- attributes. */
export interface EmbedOptions {
  chatbot: string;
  baseURL: string;
  userId?: string;
  userHash?: string;
  name?: string;
  email?: string;
}

/** The longest message the server accepts. */
export const MAX_MESSAGE_LENGTH = 10000;
