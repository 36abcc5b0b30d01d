// console_browser.mjs: the web console in a real headless browser (Debian chromium,
// driven with puppeteer-core) against the 3-node sim network that console_browser.sh
// starts. Every wait is for a selector or condition with a deadline; nothing sleeps to
// assert. Environment (set by the .sh):
//   CONSOLE     the console's URL (node 1 through its tampering proxy)
//   P1, P3      the proxies' URLs (P3 is node 3's advertised URL)
//   SIMROOT     the sim root PEM (given to the page in #simroot=, base64url)
//   TOKEN       node 1's admin token;  FN  a deployed function's name
//   SHOTS       a folder for screenshots, or empty
import { createRequire } from 'node:module';
import { join } from 'node:path';

// puppeteer-core is installed in tests/js/node_modules (scripts/setup.sh)
const pptr = createRequire(new URL('./js/package.json', import.meta.url))('puppeteer-core');
const puppeteer = pptr.default ?? pptr;

const { CONSOLE, P1, P3, SIMROOT, TOKEN, FN, SHOTS } = process.env;
const DEADLINE = 90000;
let step = 'start';
const ok = (m) => console.log(`ok - ${m}`);
const cspErrors = [];

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const toggle = async (proxy, q) => {
  const r = await fetch(`${proxy}/__proxy?${q}`);
  if (!r.ok) throw new Error(`proxy ${proxy}: HTTP ${r.status}`);
};
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 800 });
  page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) cspErrors.push(m.text()); });
  page.on('pageerror', (e) => cspErrors.push(`page error: ${e.message}`));
  const shot = async (name, full = true) => {
    if (!SHOTS) return;
    await page.screenshot({ path: join(SHOTS, name), fullPage: full, captureBeyondViewport: full });
  };
  // verdicts: [{url, text}] of the member cards once all are drawn
  const verdicts = () => page.$$eval('article.member', (as) => as.map((a) => ({
    url: a.dataset.url, text: a.querySelector('.verdict').textContent })));

  step = 'members verified';
  const b64 = Buffer.from(SIMROOT).toString('base64url');
  await page.goto(`${CONSOLE}/#simroot=${b64}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelectorAll('article.member .verdict.ok').length === 3,
    { timeout: DEADLINE });
  if (page.url().includes('simroot')) throw new Error(`the #simroot fragment stayed in the address: ${page.url()}`);
  const pinned = await page.$eval('#root-fp', (e) => e.textContent);
  const v1 = await verdicts();
  if (v1.length !== 3 || v1.some((v) => v.text !== 'verified')) throw new Error(`verdicts: ${JSON.stringify(v1)}`);
  if (!v1.some((v) => v.url === P3)) throw new Error(`node 3 is not listed at its proxy ${P3}: ${JSON.stringify(v1)}`);
  const fp = await page.$eval('#key-fp', (e) => e.textContent);
  ok(`members page: 3 verified (network key ${fp}, sim root ${pinned} pinned from the fragment)`);
  await shot('network.png');

  step = 'a flipped quote byte';
  await toggle(P3, 'flip_quote=1');
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.waitForFunction((p3) => {
    const as = [...document.querySelectorAll('article.member')];
    return as.length === 3 && as.every((a) => a.querySelector('.verdict')) &&
      as.find((a) => a.dataset.url === p3)?.querySelector('.verdict.bad') &&
      as.filter((a) => a.querySelector('.verdict.ok')).length === 2;
  }, { timeout: DEADLINE }, P3);
  const v2 = await verdicts();
  const bad = v2.find((v) => v.url === P3);
  if (!/^not verified: quote: .+/.test(bad.text)) throw new Error(`node 3's verdict: ${bad.text}`);
  if (v2.filter((v) => v.text === 'verified').length !== 2) throw new Error(`verdicts: ${JSON.stringify(v2)}`);
  ok(`a flipped quote byte on node 3: "${bad.text}", the other two verified`);
  await toggle(P3, 'flip_quote=0');

  step = 'functions page';
  await page.goto(`${CONSOLE}/#/functions`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('input[type=password]', { timeout: DEADLINE });
  await page.type('input[type=password]', TOKEN);
  await page.click('form.row button[type=submit]');
  await page.waitForFunction((fn) => [...document.querySelectorAll('a.fn-link')].some((a) => a.textContent === fn),
    { timeout: DEADLINE }, FN);
  ok(`functions page lists ${FN} with the token`);
  await shot('functions.png');
  await page.goto(`${CONSOLE}/#/functions/${encodeURIComponent(FN)}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelector('#page .verdict') && document.querySelector('#inv-h'),
    { timeout: DEADLINE });
  const recVerdict = await page.$eval('#page .verdict', (e) => e.textContent);
  if (!/^verified: signed by its owner/.test(recVerdict)) throw new Error(`record verdict: ${recVerdict}`);
  ok(`function page: its record ${recVerdict}`);

  step = 'try it: verified';
  const steps = () => page.$$eval('li.step', (ls) => ls.map((l) => ({ step: l.dataset.step, cls: l.className, text: l.textContent })));
  const tryOnce = async () => {
    await page.click('#try-go');
    await page.waitForFunction(() => {
      const ls = [...document.querySelectorAll('li.step')];
      return !document.querySelector('#try-go').disabled && ls.length && !ls.some((l) => l.classList.contains('pending'));
    }, { timeout: DEADLINE });
    return steps();
  };
  await page.goto(`${CONSOLE}/#/try?name=${encodeURIComponent(FN)}`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#try-go', { timeout: DEADLINE });
  await page.type('#try-input', 'from the browser');
  const want = ['network key', 'record', 'owner', 'call', 'output hash', 'tree', 'input_hash', 'signature'];
  const s1 = await tryOnce();
  if (s1.map((x) => x.step).join() !== want.join() || s1.some((x) => x.cls !== 'step ok'))
    throw new Error(`steps: ${JSON.stringify(s1)}`);
  await page.waitForSelector('#try-result', { timeout: DEADLINE });
  ok(`try it: ${s1.length} steps ok (${s1.map((x) => x.step).join(', ')})`);
  await shot('try.png');

  step = 'try it: a flipped output byte';
  await toggle(P1, 'flip_output=1');
  const s2 = await tryOnce();
  await toggle(P1, 'flip_output=0');
  const failed = s2.find((x) => x.cls === 'step failed');
  if (!failed || failed.step !== 'output hash' || !/^output hash: failed: output hash mismatch: .+/.test(failed.text))
    throw new Error(`steps: ${JSON.stringify(s2)}`);
  if (s2.some((x) => x.step === 'signature' && x.cls === 'step ok')) throw new Error('later steps passed after a failure');
  if (await page.$('#try-result')) throw new Error('a tampered output was shown as verified output');
  ok(`try it with a flipped output byte: "${failed.text.slice(0, 90)}..."`);
  await shot('try-failed.png');

  step = 'load charts';
  for (let i = 0; i < 4; i++) await tryOnce();   // some invocations to draw
  step = 'recent invocations';
  await page.goto(`${CONSOLE}/#/functions/${encodeURIComponent(FN)}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.querySelectorAll('#inv-h ~ .scroll tbody tr').length >= 6, { timeout: DEADLINE });
  ok('function page: recent invocations listed (the six calls of try it)');
  step = 'load charts';
  await page.goto(`${CONSOLE}/#/load`, { waitUntil: 'domcontentloaded' });
  // every member's requests/s line has at least two points (three samples, 5 s apart);
  // for the screenshot, a few more
  const minPoints = SHOTS ? 12 : 2;
  await page.waitForFunction((n) => {
    const secs = [...document.querySelectorAll('section.node-load')];
    return secs.length === 3 && secs.every((s) => {
      const ps = [...s.querySelectorAll('svg.chart path.line')];
      return ps.length === 8 && (ps[0].getAttribute('d').match(/[ML]/g) || []).length >= n &&
        /L/.test(ps[0].getAttribute('d'));
    });
  }, { timeout: DEADLINE }, minPoints);
  const alt = await page.$eval('svg.chart desc', (d) => d.textContent);
  if (!/Requests per second over the last/.test(alt)) throw new Error(`chart text alternative: ${alt}`);
  ok(`load page: charts with non-empty SVG paths for 3 members ("${alt.slice(0, 70)}...")`);
  await shot('load.png');

  if (SHOTS) {
    step = 'phone and dark screenshots';
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    await shot('load-dark.png');
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
    await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 1, isMobile: true });
    await page.goto(`${CONSOLE}/#/network`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.querySelectorAll('article.member .verdict.ok').length === 3, { timeout: DEADLINE });
    await shot('network-phone.png', false);
    ok(`screenshots written to ${SHOTS}`);
  }
  if (cspErrors.length) throw new Error(`the console broke its CSP or threw: ${cspErrors.join(' | ')}`);
  ok('no CSP violation or page error');
} catch (e) {
  console.error(`FAIL (${step}): ${e.message}`);
  if (cspErrors.length) console.error(`console messages: ${cspErrors.join(' | ')}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
