// console_proxy.mjs: a pass-through HTTP proxy with tampering toggles, for the browser
// test of the web console (tests/console_browser.sh): it stands between the browser
// (or the other nodes) and one node, relays every request and answer unchanged, except:
//   flip_quote=1    GET /attestation: one byte of the quote is flipped (hex digit 2*200)
//   flip_output=1   a 200 answer to POST /functions/NAME or /services/3: the last byte of
//                   the output (after the header line) is flipped
// Toggles are set with GET /__proxy?flip_quote=1&flip_output=0 (answered by the proxy
// itself, never relayed) and are off at start.
//   node tests/console_proxy.mjs LISTEN_PORT TARGET_URL
// prints "ready" on stdout once listening.
import http from 'node:http';

const [port, target] = [Number(process.argv[2]), new URL(process.argv[3])];
const toggles = { flip_quote: false, flip_output: false };
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

function tamper(req, status, body) {
  const path = req.url.split('?')[0];
  if (toggles.flip_quote && req.method === 'GET' && path === '/attestation' && status === 200) {
    const text = body.toString('latin1');
    const m = /"quote"\s*:\s*"([0-9a-f]+)"/.exec(text);
    if (m && m[1].length > 402) {
      const at = m.index + m[0].indexOf('"', m[0].indexOf(':')) + 1 + 400;
      const c = text[at];
      return Buffer.from(text.slice(0, at) + (c === '0' ? '1' : '0') + text.slice(at + 1), 'latin1');
    }
  }
  if (toggles.flip_output && req.method === 'POST' && status === 200 &&
      (path === '/services/3' || /^\/functions\/[^/]+$/.test(path))) {
    const nl = body.indexOf('\r\n');
    if (nl >= 0 && body.length > nl + 2) {
      const out = Buffer.from(body);
      out[out.length - 1] ^= 0x01;
      return out;
    }
  }
  return body;
}

http.createServer((req, res) => {
  if (req.url.startsWith('/__proxy')) {
    const q = new URL(req.url, 'http://x').searchParams;
    for (const k of Object.keys(toggles)) if (q.has(k)) toggles[k] = q.get(k) === '1';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(toggles));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
    headers.host = target.host;
    const body = Buffer.concat(chunks);
    if (body.length || req.headers['content-length'] !== undefined) headers['content-length'] = body.length;
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (ur) => {
      const parts = [];
      ur.on('data', (c) => parts.push(c));
      ur.on('end', () => {
        const out = tamper(req, ur.statusCode, Buffer.concat(parts));
        const h = {};
        for (const [k, v] of Object.entries(ur.headers)) if (!HOP.has(k)) h[k] = v;
        h['content-length'] = out.length;
        res.writeHead(ur.statusCode, h);
        res.end(out);
      });
    });
    up.on('error', (e) => { res.writeHead(502, { 'content-type': 'text/plain' }); res.end(`proxy: ${e.message}`); });
    up.end(body);
  });
}).listen(port, '127.0.0.1', () => console.log('ready'));
