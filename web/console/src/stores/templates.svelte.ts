// A chatbot's approved WhatsApp templates in Settings → Channels (C3): the list, and the
// one form that adds a template or edits one (PATCH with only the fields changed).
import { api, errorText } from '../lib/api';
import { parseParameterNames, placeholderCount } from '../lib/templates';
import type { ChannelTemplate } from '../lib/types';

/** The limits of the API (internal/store/channels.go). */
export const TEMPLATE_LIMITS = { name: 512, language: 15, body: 1024, parameters: 20, parameter: 100 } as const;

/** What the form holds: the parameter names as one comma-separated text. */
export interface TemplateDraft {
  name: string;
  language: string;
  body: string;
  paramText: string;
}

export interface TemplateBody {
  name: string;
  language: string;
  parameters: string[];
  body: string;
}

export function emptyDraft(): TemplateDraft {
  return { name: '', language: 'en_US', body: '', paramText: '' };
}

export function draftOf(t: ChannelTemplate): TemplateDraft {
  return { name: t.name, language: t.language, body: t.body, paramText: (t.parameters ?? []).join(', ') };
}

export function bodyOf(d: TemplateDraft): TemplateBody {
  return { name: d.name.trim(), language: d.language.trim(), parameters: parseParameterNames(d.paramText), body: d.body };
}

/** What is wrong with a draft, as the API would say it; '' when it can be sent. */
export function draftProblem(d: TemplateDraft): string {
  const b = bodyOf(d);
  if (!b.name || /\s/.test(b.name) || b.name.length > TEMPLATE_LIMITS.name) return 'A template needs its approved name (no spaces, 512 characters at most).';
  if (!b.language || /\s/.test(b.language) || b.language.length > TEMPLATE_LIMITS.language) return 'A template needs its language code, such as en_US.';
  if (b.parameters.length > TEMPLATE_LIMITS.parameters) return `A template has ${TEMPLATE_LIMITS.parameters} parameters at most.`;
  if (b.parameters.some((p) => [...p].length > TEMPLATE_LIMITS.parameter)) return 'Each template parameter needs a name of 1 to 100 characters.';
  if ([...b.body].length > TEMPLATE_LIMITS.body) return `The template body is ${TEMPLATE_LIMITS.body} characters at most.`;
  return '';
}

/** The body uses a different number of parameters than the names given (a warning only). */
export function parameterMismatch(d: TemplateDraft): { expected: number; given: number } | null {
  if (!d.body.trim()) return null;
  const expected = placeholderCount(d.body);
  const given = parseParameterNames(d.paramText).length;
  return expected === given ? null : { expected, given };
}

/** The fields of next that differ from t: the PATCH body of an edit. */
export function changesOf(t: ChannelTemplate, next: TemplateBody): Partial<TemplateBody> {
  const out: Partial<TemplateBody> = {};
  if (next.name !== t.name) out.name = next.name;
  if (next.language !== t.language) out.language = next.language;
  const cur = t.parameters ?? [];
  if (next.parameters.length !== cur.length || next.parameters.some((p, i) => p !== cur[i])) out.parameters = next.parameters;
  if (next.body !== t.body) out.body = next.body;
  return out;
}

/** The server's order: by name, then language. */
function sorted(list: ChannelTemplate[]): ChannelTemplate[] {
  return [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.language < b.language ? -1 : a.language > b.language ? 1 : 0));
}

export interface TemplateDeps {
  get: <T>(path: string) => Promise<T>;
  post: <T>(path: string, body: unknown) => Promise<T>;
  patch: <T>(path: string, body: unknown) => Promise<T>;
  del: <T>(path: string) => Promise<T>;
}

export type FormMode = 'closed' | 'new' | 'edit';

export class TemplateStore {
  templates = $state.raw<ChannelTemplate[]>([]);
  status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  loadError = $state('');
  mode = $state<FormMode>('closed');
  /** The template being edited (mode edit). */
  editing = $state<ChannelTemplate | null>(null);
  draft = $state<TemplateDraft>(emptyDraft());
  saving = $state(false);
  error = $state('');

  private deps: TemplateDeps;
  private botId = '';
  private generation = 0;

  constructor(deps: Partial<TemplateDeps> = {}) {
    this.deps = {
      get: (p) => api.get(p),
      post: (p, b) => api.post(p, b),
      patch: (p, b) => api.patch(p, b),
      del: (p) => api.del(p),
      ...deps,
    };
  }

  private get base(): string {
    return `/api/v1/chatbots/${encodeURIComponent(this.botId)}/templates`;
  }

  /** Loads a chatbot's templates (closing any form). */
  async load(botId: string): Promise<void> {
    const gen = ++this.generation;
    this.botId = botId;
    this.cancel();
    this.status = 'loading';
    this.loadError = '';
    try {
      const r = await this.deps.get<{ templates: ChannelTemplate[] | null }>(this.base);
      if (gen !== this.generation) return;
      this.templates = sorted(r.templates ?? []);
      this.status = 'ready';
    } catch (err) {
      if (gen !== this.generation) return;
      this.loadError = errorText(err, 'Could not load the templates.');
      this.status = 'error';
    }
  }

  openNew(): void {
    this.mode = 'new';
    this.editing = null;
    this.draft = emptyDraft();
    this.error = '';
  }

  openEdit(t: ChannelTemplate): void {
    this.mode = 'edit';
    this.editing = t;
    this.draft = draftOf(t);
    this.error = '';
  }

  cancel(): void {
    this.mode = 'closed';
    this.editing = null;
    this.error = '';
    this.saving = false;
  }

  /** Adds or edits; the saved template, or null (error says why). */
  async save(): Promise<ChannelTemplate | null> {
    if (this.saving || this.mode === 'closed') return null;
    const problem = draftProblem(this.draft);
    if (problem) {
      this.error = problem;
      return null;
    }
    const gen = this.generation;
    const editing = this.mode === 'edit' ? this.editing : null;
    const body = bodyOf(this.draft);
    this.saving = true;
    this.error = '';
    try {
      let t: ChannelTemplate;
      if (editing) {
        const changes = changesOf(editing, body);
        t = Object.keys(changes).length === 0 ? editing : await this.deps.patch<ChannelTemplate>(`${this.base}/${encodeURIComponent(editing.id)}`, changes);
      } else {
        t = await this.deps.post<ChannelTemplate>(this.base, body);
      }
      if (gen !== this.generation) return null;
      this.templates = sorted([...this.templates.filter((x) => x.id !== t.id), t]);
      this.cancel();
      return t;
    } catch (err) {
      if (gen === this.generation) this.error = errorText(err, editing ? 'Could not save the template.' : 'Could not add the template.');
      return null;
    } finally {
      if (gen === this.generation) this.saving = false;
    }
  }

  /** Deletes a template; throws the API's error. */
  async remove(t: ChannelTemplate): Promise<void> {
    await this.deps.del(`${this.base}/${encodeURIComponent(t.id)}`);
    this.templates = this.templates.filter((x) => x.id !== t.id);
    if (this.editing?.id === t.id) this.cancel();
  }
}
