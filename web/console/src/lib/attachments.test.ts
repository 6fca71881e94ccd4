import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, setUnauthorizedHandler } from './api';
import { acceptFor, checkAttachment, ruleFor, setUploader, uploadAttachment, uploadErrorText, type UploadRequest } from './attachments';

const MB = 1024 * 1024;

afterEach(() => {
  setUploader(null);
  setUnauthorizedHandler(null);
});

describe('attachment checks (M2)', () => {
  it('accepts images up to 5 MB and documents up to 10 MB', () => {
    expect(checkAttachment({ name: 'a.png', type: 'image/png', size: 5 * MB }, 'web')).toBe('');
    expect(checkAttachment({ name: 'a.jpg', type: 'image/jpeg', size: 5 * MB + 1 }, 'web')).toMatch(/Images may be 5 MB at most/);
    expect(checkAttachment({ name: 'r.pdf', type: 'application/pdf', size: 10 * MB }, 'email')).toBe('');
    expect(checkAttachment({ name: 'r.xlsx', type: '', size: 11 * MB }, 'email')).toMatch(/Documents may be 10 MB at most/);
    expect(checkAttachment({ name: 'r.doc', type: 'application/octet-stream', size: 100 }, 'web')).toBe('');
  });

  it('takes MP4 only on WhatsApp, up to 16 MB', () => {
    expect(checkAttachment({ name: 'v.mp4', type: 'video/mp4', size: MB }, 'web')).toBe('MP4 videos can only be sent in WhatsApp conversations.');
    expect(checkAttachment({ name: 'v.mp4', type: 'video/mp4', size: 16 * MB }, 'whatsapp')).toBe('');
    expect(checkAttachment({ name: 'v.mp4', type: 'video/mp4', size: 17 * MB }, 'whatsapp')).toMatch(/16 MB at most/);
  });

  it('refuses other types and empty files', () => {
    expect(checkAttachment({ name: 'x.exe', type: 'application/x-msdownload', size: 10 }, 'web')).toMatch(/cannot be attached/);
    expect(checkAttachment({ name: 'x.png', type: 'text/html', size: 10 }, 'web')).toMatch(/cannot be attached/); // the type wins over the name
    expect(checkAttachment({ name: 'a.gif', type: 'image/gif', size: 0 }, 'web')).toMatch(/is empty/);
    expect(ruleFor({ name: 'A.JPEG', type: '' })?.kind).toBe('image');
  });

  it('offers the right types in the file picker', () => {
    expect(acceptFor('web')).toContain('image/png');
    expect(acceptFor('web')).toContain('.xlsx');
    expect(acceptFor('web')).not.toContain('video/mp4');
    expect(acceptFor('whatsapp')).toContain('video/mp4');
  });
});

describe('uploadAttachment', () => {
  it('posts multipart form data with the caption and the note flag, reporting progress', async () => {
    let seen: UploadRequest | null = null;
    setUploader(async (req) => {
      seen = req;
      req.onProgress(0.5);
      req.onProgress(1);
      return { status: 201, text: JSON.stringify({ id: 'm1', conversation_id: 'c1', seq: 4, kind: 'note', attachments: [{ id: 'a1', name: 'p.png', content_type: 'image/png', size: 3, url: '/api/v1/attachments/a1' }] }), retryAfter: null };
    });
    const progress: number[] = [];
    const file = new File([new Uint8Array([1, 2, 3])], 'p.png', { type: 'image/png' });
    const m = await uploadAttachment('c 1', file, { caption: ' look ', private: true, onProgress: (p) => progress.push(p) });
    expect(m.attachments?.[0]?.url).toBe('/api/v1/attachments/a1');
    expect(seen!.url).toBe('/api/v1/conversations/c%201/attachments');
    expect((seen!.form.get('file') as File).name).toBe('p.png');
    expect(seen!.form.get('content')).toBe('look');
    expect(seen!.form.get('private')).toBe('true');
    expect(progress).toEqual([0.5, 1]);
  });

  it('leaves out an empty caption and the flag of a reply', async () => {
    let form: FormData | null = null;
    setUploader(async (req) => {
      form = req.form;
      return { status: 201, text: '{"id":"m"}', retryAfter: null };
    });
    await uploadAttachment('c1', new File(['x'], 'a.pdf', { type: 'application/pdf' }), { caption: '  ' });
    expect(form!.has('content')).toBe(false);
    expect(form!.has('private')).toBe(false);
  });

  it("shows the server's 413 and 415 messages", async () => {
    setUploader(async () => ({ status: 413, text: JSON.stringify({ error: { code: 'too_large', message: 'The file is 6.0 MB; image/png files may be 5 MB at most.' } }), retryAfter: null }));
    const err = await uploadAttachment('c1', new File(['x'], 'a.png')).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(uploadErrorText(err)).toBe('The file is 6.0 MB; image/png files may be 5 MB at most.');
    setUploader(async () => ({ status: 415, text: 'not json', retryAfter: null }));
    expect(uploadErrorText(await uploadAttachment('c1', new File(['x'], 'a.png')).catch((e) => e))).toBe('This type of file cannot be attached.');
  });

  it('a 401 signs the agent out', async () => {
    const h = vi.fn();
    setUnauthorizedHandler(h);
    setUploader(async () => ({ status: 401, text: '', retryAfter: null }));
    await uploadAttachment('c1', new File(['x'], 'a.png')).catch(() => {});
    expect(h).toHaveBeenCalledOnce();
  });
});
