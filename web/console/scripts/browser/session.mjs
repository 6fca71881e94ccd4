// The session's end and the list at scale: an expired session returns to sign-in, 10,000
// conversations render and scroll (virtual list), sign out, and no unexpected console errors.
import { ADMIN, assert, log, step } from './harness.mjs';

export async function sessionAndScale(t) {
  const { page, context, consoleErrors } = t;
  // The steps below start from the settings page.
  await page.goto('/app/settings/profile').catch(() => {});
  await page.getByRole('heading', { name: 'Profile' }).waitFor().catch(() => {});

  await step('an expired session returns to sign-in with a notice', async () => {
    await context.clearCookies();
    await page.getByRole('link', { name: 'Team' }).click();
    await page.getByText('Your session has expired. Sign in again.').waitFor({ timeout: 5000 });
  });

  await step('10,000 conversations render and scroll smoothly (virtual list)', async () => {
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Team', exact: true }).waitFor(); // back where the session expired
    const now = Date.now();
    const big = {
      conversations: Array.from({ length: 10000 }, (_, i) => ({
        id: 'big-' + i, number: 10000 - i, channel: ['web', 'telegram', 'whatsapp', 'messenger', 'email'][i % 5],
        status: ['bot', 'waiting', 'human', 'resolved', 'closed'][i % 5], pending: false, priority: i % 7 === 0 ? 'urgent' : '',
        reason: '', turns: i % 15, last_seq: 3, last_message: `Message number ${i} about an order that is late`,
        last_activity_at: new Date(now - i * 60000).toISOString(), contact: { id: 'k' + i, session_id: 'web:' + i, name: 'Customer ' + i, email: '', phone: '', attributes: null },
        assignee: null, tags: [], labels: [],
      })),
      next_cursor: '',
    };
    const body = JSON.stringify(big);
    await page.route('**/api/v1/conversations?*', (route) => route.fulfill({ status: 200, contentType: 'application/json', body }));
    const t0 = Date.now();
    await page.goto('/app/');
    await page.locator('[data-conversation-id="big-0"]').waitFor();
    const firstRender = Date.now() - t0;
    const m = await page.evaluate(async () => {
      const el = document.querySelector('[data-testid="virtual-list"]');
      const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
      // The browser's own frame cadence here, for comparison.
      let idle0 = await frame();
      for (let i = 0; i < 30; i++) await frame();
      const idle = (performance.now() - idle0) / 30;
      // Wheel-like scrolling: 120 px per frame for 300 frames.
      const wheel = [];
      let w0 = await frame();
      for (let i = 1; i <= 300; i++) {
        el.scrollTop = i * 120;
        const t = await frame();
        wheel.push(t - w0);
        w0 = t;
      }
      wheel.sort((a, b) => a - b);
      el.scrollTop = 0;
      await frame();
      const total = el.scrollHeight - el.clientHeight;
      const steps = 300;
      const times = [];
      let prev = await frame();
      const start = prev;
      for (let i = 1; i <= steps; i++) {
        el.scrollTop = (total * i) / steps;
        const t = await frame();
        times.push(t - prev);
        prev = t;
      }
      const elapsed = performance.now() - start;
      const jump0 = performance.now();
      el.scrollTop = 0;
      await frame();
      const jumpTop = performance.now() - jump0;
      times.sort((a, b) => a - b);
      return {
        rows: document.querySelectorAll('[data-conversation-id]').length,
        scrollHeight: el.scrollHeight,
        frames: steps,
        avg: elapsed / steps,
        p95: times[Math.floor(steps * 0.95)],
        max: times[steps - 1],
        jumpTop,
        idle,
        wheelAvg: wheel.reduce((a, b) => a + b, 0) / wheel.length,
        wheelP95: wheel[Math.floor(wheel.length * 0.95)],
      };
    });
    await page.unroute('**/api/v1/conversations?*');
    log(`10,000 rows: first paint ${firstRender} ms after navigation (incl. sign-in check and a 2.6 MB JSON); ${m.rows} row elements in the DOM; ` +
      `idle frame ${m.idle.toFixed(1)} ms; wheel-like scroll (120 px/frame): avg ${m.wheelAvg.toFixed(1)} ms/frame, p95 ${m.wheelP95.toFixed(1)} ms; ` +
      `end-to-end sweep of ${m.scrollHeight}px in ${m.frames} jumps (all rows replaced each frame): avg ${m.avg.toFixed(1)} ms, p95 ${m.p95.toFixed(1)} ms, max ${m.max.toFixed(1)} ms; jump to top ${m.jumpTop.toFixed(1)} ms`);
    assert(m.rows < 60, 'only the visible rows are in the DOM: ' + m.rows);
  });

  await step('sign out returns to the sign-in page', async () => {
    await page.goto('/app/');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the agent console' }).waitFor();
  });

  await step('no unexpected console errors', async () => {
    assert(consoleErrors.length === 0, consoleErrors.join('\n'));
  });
}
