import { describe, expect, it } from 'vitest';
import { channelBody, channelState, checkChannel, errorField, initialValues, sortChannels } from './channels';
import type { ChannelField, ChannelView } from './types';

const telegram: ChannelField[] = [
  { name: 'bot_token', type: 'string', secret: true, required: true },
  { name: 'webhook_secret', type: 'string', secret: true, required: false, generated: true },
];
const email: ChannelField[] = [
  { name: 'from_address', type: 'string', secret: false, required: true },
  { name: 'smtp_port', type: 'int', secret: false, required: true },
  { name: 'smtp_tls', type: 'bool', secret: false, required: false },
  { name: 'smtp_password', type: 'string', secret: true, required: false },
];

function view(p: Partial<ChannelView>): ChannelView {
  return { kind: 'telegram', status: 'not_configured', error: '', webhook_url: 'http://x/hooks/telegram/demo', settings: {}, secrets_set: [], fields: telegram, updated_at: null, ...p };
}

describe('channel settings', () => {
  it('orders the kinds and names their state', () => {
    expect(sortChannels([view({ kind: 'email' }), view({ kind: 'messenger' }), view({ kind: 'telegram' }), view({ kind: 'whatsapp' })]).map((v) => v.kind)).toEqual(['telegram', 'whatsapp', 'messenger', 'email']);
    expect(channelState({ status: 'connected', error: '' })).toBe('connected');
    expect(channelState({ status: 'connected', error: 'IMAP login failed' })).toBe('error');
    expect(channelState({ status: 'not_configured', error: '' })).toBe('not_configured');
  });

  it('starts from the stored settings, never a secret', () => {
    const v = view({ kind: 'email', fields: email, settings: { from_address: 'a@b.c', smtp_port: 587, smtp_tls: true }, secrets_set: ['smtp_password'] });
    expect(initialValues(v)).toEqual({ from_address: 'a@b.c', smtp_port: '587', smtp_tls: true, smtp_password: '' });
  });

  it('sends only the typed secrets, ints as numbers', () => {
    expect(channelBody(email, { from_address: ' a@b.c ', smtp_port: '587', smtp_tls: false, smtp_password: '' })).toEqual({ from_address: 'a@b.c', smtp_port: 587, smtp_tls: false });
    expect(channelBody(telegram, { bot_token: '1:AA', webhook_secret: '' })).toEqual({ bot_token: '1:AA' });
  });

  it('asks for required fields unless a secret is stored', () => {
    expect(checkChannel(telegram, { bot_token: '', webhook_secret: '' }, { secrets_set: [] })).toEqual([{ field: 'bot_token', message: 'Bot token is required.' }]);
    expect(checkChannel(telegram, { bot_token: '', webhook_secret: '' }, { secrets_set: ['bot_token'] })).toEqual([]);
    expect(checkChannel(telegram, { bot_token: 'x', webhook_secret: 'bad secret!' }, { secrets_set: [] })[0]?.field).toBe('webhook_secret');
    expect(checkChannel(email, { from_address: 'a@b.c', smtp_port: '99999', smtp_tls: false, smtp_password: '' }, { secrets_set: [] })[0]?.field).toBe('smtp_port');
  });

  it('finds the field an API error names', () => {
    const names = ['bot_token', 'webhook_secret'];
    expect(errorField('bot_token is required for a telegram channel.', names)).toBe('bot_token');
    expect(errorField('webhook_secret may hold only letters, digits, _ and - (256 at most).', names)).toBe('webhook_secret');
    expect(errorField('Telegram refused the bot token: Unauthorized', names)).toBe('');
    expect(errorField('Unknown field "x" for a telegram channel.', names)).toBe('');
  });
});
