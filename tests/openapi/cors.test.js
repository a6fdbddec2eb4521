// CORS from a real browser: a page served from another origin (a node http server on
// localhost:<another port>, the API being on 127.0.0.1) POSTs JSON to the API with fetch, which
// makes headless Chromium send a preflight first, and writes the outcome into its DOM. With the
// default --cors-origins the environment is created and the page can read the exposed
// X-Request-Id; with --cors-origins none the browser blocks the fetch.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { tool, startServer, request } = require('./common.js');

const chromium = tool('chromium', 'chromium');

/// Chromium's DOM of `url` after the page's script ran. Asynchronous: this process serves the
/// page meanwhile.
async function dumpDom(url) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mockcloud-chromium-'));
  try {
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--no-first-run',
                  '--disable-dev-shm-usage', `--user-data-dir=${profile}`,
                  '--virtual-time-budget=15000', '--dump-dom', url];
    const proc = spawn(chromium, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 90000);
    const [code, signal] = await new Promise((resolve) => proc.on('close', (c, s) => resolve([c, s])));
    clearTimeout(timer);
    assert.equal(code, 0, `chromium failed (${signal || code}): ${stderr.slice(-2000)}`);
    return stdout;
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

function page(api) {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>cors</title></head><body>
<pre id="result">pending</pre>
<script>
const out = document.getElementById('result');
fetch(${JSON.stringify(api)} + '/api/v1/environments', {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'browser-1' },
  body: JSON.stringify({ name: 'from-browser', cidr: '10.1.0.0/16' }),
}).then(async (r) => {
  const body = await r.json();
  out.textContent = 'status=' + r.status + ' name=' + body.name +
                    ' request-id=' + r.headers.get('X-Request-Id');
}).catch((e) => { out.textContent = 'fetch failed: ' + e; });
</script>
</body></html>`;
}

/// Serves the page on localhost (another origin than the API's 127.0.0.1) on a free port.
async function servePage(api) {
  const html = page(api);
  const server = http.createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${server.address().port}/`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

function resultOf(dom) {
  const m = /<pre id="result">([^<]*)<\/pre>/.exec(dom);
  assert.ok(m, `no result element in the DOM:\n${dom.slice(0, 2000)}`);
  return m[1];
}

async function environments(api) {
  const r = await request(api, 'GET', '/api/v1/environments');
  assert.equal(r.status, 200);
  return r.json.map((e) => e.name);
}

test('a page on another origin creates an environment with fetch (default: every origin)',
     async (t) => {
  const s = await startServer(['--clock', 'virtual', '--log-level', 'info']);
  t.after(() => s.stop());
  const p = await servePage(s.url);
  t.after(() => p.close());

  const result = resultOf(await dumpDom(p.url));
  assert.match(result, /^status=201 name=from-browser request-id=[0-9a-f-]{36}$/,
               `the page says: ${result}`);
  assert.deepEqual(await environments(s.url), ['from-browser']);
  assert.ok(s.lines.some((l) => l.includes('OPTIONS') && l.includes('/api/v1/environments') &&
                                l.includes('200')),
            `the browser sent no preflight:\n${s.lines.join('\n')}`);
});

test('with --cors-origins none the browser blocks the same fetch', async (t) => {
  const s = await startServer(['--clock', 'virtual', '--log-level', 'info',
                               '--cors-origins', 'none']);
  t.after(() => s.stop());
  const p = await servePage(s.url);
  t.after(() => p.close());

  const result = resultOf(await dumpDom(p.url));
  assert.match(result, /^fetch failed: TypeError/, `the page says: ${result}`);
  assert.deepEqual(await environments(s.url), [], 'the POST went through');
});
