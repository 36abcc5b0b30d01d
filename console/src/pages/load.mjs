// load.mjs: the Load page: for each live member, charts of requests/s, invocation
// latency (p50/p90/p99), queue depth, fuel/s and cache hit ratio, from the member's own
// GET /metrics/history (public; 5 s samples over 10 minutes), then polled every 5 s and
// merged, while the page is open. The numbers are what each node says of itself: load
// is shown, not verified.
import { h, put, short } from '../dom.mjs';
import { members, get, at } from '../api.mjs';
import { lineChart } from '../chart.mjs';
import { rate, quantile, gauge, hitRatio, merge } from '../metrics.mjs';

export async function loadPage(root, _params, signal) {
  const status = h('p', { class: 'status', role: 'status' }, 'Loading the members…');
  const box = h('div', { class: 'load' });
  put(root, h('h1', {}, 'Load'),
    h('p', { class: 'lead' }, 'What each member reports of itself over the last minutes (samples every 5 s). ',
      'Load is shown as the nodes say it, not verified.'),
    status, box);
  let list;
  try { list = (await members()).filter((m) => m.state === 'up' && m.url); } catch (e) { status.textContent = e.message; return; }
  const hist = new Map(list.map((m) => [m.url, []]));
  const errors = new Map();
  const sections = new Map(list.map((m) => [m.url, h('section', { class: 'node-load', 'data-url': m.url,
    'aria-label': `load of member ${m.id || m.url}` })]));
  put(box, [...sections.values()]);

  async function poll() {
    await Promise.all(list.map(async (m) => {
      const r = await get(at(m.url, 'metrics/history'));
      if (!r.ok || !Array.isArray(r.json?.samples)) { errors.set(m.url, r.error || 'not a history document'); return; }
      errors.delete(m.url);
      hist.set(m.url, merge(hist.get(m.url), r.json.samples));
    }));
    if (signal.aborted) return;
    status.textContent = `${list.length} live member${list.length === 1 ? '' : 's'}; updated ${new Date().toLocaleTimeString()}.`;
    for (const m of list) draw(m);
  }
  function draw(m) {
    const sm = hist.get(m.url);
    const sec = sections.get(m.url);
    const head = h('h2', {}, m.self ? 'this node · ' : '', h('span', { class: 'mono' }, short(m.id, 12) || m.url),
      h('span', { class: 'sub mono' }, ` ${m.url}`));
    if (errors.has(m.url) && !sm.length) { put(sec, head, h('p', { class: 'verdict bad' }, `GET /metrics/history: ${errors.get(m.url)}`)); return; }
    if (sm.length < 2) { put(sec, head, h('p', { class: 'status' }, 'Waiting for a second sample (every 5 s)…')); return; }
    put(sec, head, h('div', { class: 'charts' },
      lineChart([{ name: 'requests/s', points: rate(sm, 'requests') }, { name: 'invocations/s', points: rate(sm, 'invocations') }],
        { title: 'Requests per second', unit: '/s' }),
      lineChart([{ name: 'p50', points: quantile(sm, 0.5) }, { name: 'p90', points: quantile(sm, 0.9) },
        { name: 'p99', points: quantile(sm, 0.99) }], { title: 'Invocation latency (queue + run)', unit: ' ms' }),
      lineChart([{ name: 'queue', points: gauge(sm, 'queue') }], { title: 'Queue depth (waiting invocations)' }),
      lineChart([{ name: 'fuel/s', points: rate(sm, 'fuel') }], { title: 'Fuel used per second', unit: '/s' }),
      lineChart([{ name: 'hit ratio', points: hitRatio(sm).map((p) => ({ t: p.t, v: p.v === null ? null : p.v * 100 })) }],
        { title: 'Module cache hit ratio', unit: '%', max: 100 })));
  }
  await poll();
  const timer = setInterval(() => { if (!document.hidden) poll(); }, 5000);
  signal.addEventListener('abort', () => clearInterval(timer));
}
