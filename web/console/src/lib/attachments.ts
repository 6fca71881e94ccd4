// Attachments (M2): which files the composer accepts, checked before upload with the
// server's limits (images JPG/PNG/GIF ≤ 5 MB; documents PDF/DOC/XLS(X) ≤ 10 MB; MP4 ≤ 16 MB
// on WhatsApp only), and the multipart upload to
// POST /api/v1/conversations/{id}/attachments with progress. The server checks the type
// again by content; its 413/415 messages are shown as they are.
import { ApiError, errorFromResponse, NETWORK_ERROR, reportUnauthorized } from './api';
import type { Message } from './types';

const MB = 1024 * 1024;

export interface AttachmentRule {
  kind: 'image' | 'document' | 'video';
  types: string[];
  extensions: string[];
  max: number;
  whatsappOnly?: boolean;
}

export const ATTACHMENT_RULES: AttachmentRule[] = [
  { kind: 'image', types: ['image/jpeg', 'image/png', 'image/gif'], extensions: ['jpg', 'jpeg', 'png', 'gif'], max: 5 * MB },
  {
    kind: 'document',
    types: [
      'application/pdf',
      'application/msword',
      'application/vnd.ms-excel',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ],
    extensions: ['pdf', 'doc', 'docx', 'xls', 'xlsx'],
    max: 10 * MB,
  },
  { kind: 'video', types: ['video/mp4'], extensions: ['mp4'], max: 16 * MB, whatsappOnly: true },
];

export interface FileLike {
  name: string;
  type: string;
  size: number;
}

function extension(name: string): string {
  const i = name.lastIndexOf('.');
  return i < 0 ? '' : name.slice(i + 1).toLowerCase();
}

/** The rule a file falls under, by its MIME type, else by its extension. */
export function ruleFor(f: Pick<FileLike, 'name' | 'type'>): AttachmentRule | null {
  const type = f.type.toLowerCase();
  if (type) {
    const byType = ATTACHMENT_RULES.find((r) => r.types.includes(type));
    if (byType) return byType;
  }
  const ext = extension(f.name);
  // A browser that does not know the type sends "" or a generic one: trust the extension.
  if (!type || type === 'application/octet-stream') return ATTACHMENT_RULES.find((r) => r.extensions.includes(ext)) ?? null;
  return null;
}

function mb(n: number): string {
  const v = n / MB;
  return (v >= 10 ? v.toFixed(0) : v.toFixed(1)).replace(/\.0$/, '') + ' MB';
}

export function allowedText(channel: string): string {
  return channel === 'whatsapp'
    ? 'JPG, PNG or GIF images (5 MB), PDF, DOC or XLS documents (10 MB), or MP4 videos (16 MB)'
    : 'JPG, PNG or GIF images (5 MB), or PDF, DOC or XLS documents (10 MB)';
}

/** Why a file cannot be attached in a conversation of this channel, or '' when it can. */
export function checkAttachment(f: FileLike, channel: string): string {
  const rule = ruleFor(f);
  if (!rule) return `“${f.name}” cannot be attached. Send ${allowedText(channel)}.`;
  if (rule.whatsappOnly && channel !== 'whatsapp') return 'MP4 videos can only be sent in WhatsApp conversations.';
  if (f.size <= 0) return `“${f.name}” is empty.`;
  if (f.size > rule.max) {
    const what = rule.kind === 'image' ? 'Images' : rule.kind === 'video' ? 'Videos' : 'Documents';
    return `“${f.name}” is ${mb(f.size)}; ${what} may be ${mb(rule.max)} at most.`;
  }
  return '';
}

/** The file picker's accept attribute for a channel. */
export function acceptFor(channel: string): string {
  return ATTACHMENT_RULES.filter((r) => !r.whatsappOnly || channel === 'whatsapp')
    .flatMap((r) => [...r.types, ...r.extensions.map((e) => '.' + e)])
    .join(',');
}

/** The composer's error text for a failed upload. */
export function uploadErrorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 413 && err.code === 'http_413') return 'The file is too large to upload.';
    if (err.status === 415 && err.code === 'http_415') return 'This type of file cannot be attached.';
    if (err.status === 404 && err.code === 'http_404') return 'Attachments are not available on this server yet.';
    return err.message;
  }
  return 'The file was not uploaded.';
}

export interface UploadRequest {
  url: string;
  form: FormData;
  onProgress: (fraction: number) => void;
  signal?: AbortSignal;
}

export interface UploadResponse {
  status: number;
  text: string;
  retryAfter: string | null;
}

export type Uploader = (req: UploadRequest) => Promise<UploadResponse>;

/** XMLHttpRequest, because fetch does not report upload progress. */
const xhrUploader: Uploader = (req) =>
  new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', req.url);
    x.withCredentials = true;
    x.setRequestHeader('Accept', 'application/json');
    x.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) req.onProgress(e.loaded / e.total);
    };
    x.onload = () => resolve({ status: x.status, text: x.responseText, retryAfter: x.getResponseHeader('Retry-After') });
    x.onerror = () => reject(new ApiError(0, 'network', NETWORK_ERROR));
    x.onabort = () => reject(new DOMException('Upload cancelled.', 'AbortError'));
    req.signal?.addEventListener('abort', () => x.abort());
    x.send(req.form);
  });

let uploader: Uploader = xhrUploader;

/** Replaces the transport (tests). */
export function setUploader(u: Uploader | null): void {
  uploader = u ?? xhrUploader;
}

/** Uploads one file as a message (with an optional caption, or as an internal note). */
export async function uploadAttachment(
  conversationId: string,
  file: Blob & { name?: string },
  opts: { caption?: string; private?: boolean; onProgress?: (fraction: number) => void; signal?: AbortSignal } = {},
): Promise<Message> {
  const form = new FormData();
  form.append('file', file, file.name ?? 'file');
  const caption = opts.caption?.trim();
  if (caption) form.append('content', caption);
  if (opts.private) form.append('private', 'true');
  const res = await uploader({
    url: `/api/v1/conversations/${encodeURIComponent(conversationId)}/attachments`,
    form,
    onProgress: opts.onProgress ?? (() => {}),
    signal: opts.signal,
  });
  if (res.status < 200 || res.status >= 300) {
    const err = errorFromResponse(res.status, res.text, res.retryAfter);
    if (res.status === 401) reportUnauthorized();
    throw err;
  }
  return JSON.parse(res.text) as Message;
}
