// /docs (Swagger UI) and /redoc (ReDoc) render in headless Chromium from the server's own
// assets, with no internet: the rendered DOM lists the VM routes, and a screenshot of each page
// is written to the build directory (docs-swagger-ui.png, docs-redoc.png).
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { artifacts, tool, startServer } = require('./common.js');

const chromium = tool('chromium', 'chromium');

function browse(url, mode, output) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mockcloud-chromium-'));
  try {
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--no-first-run',
                  '--disable-dev-shm-usage', '--hide-scrollbars', `--user-data-dir=${profile}`,
                  '--virtual-time-budget=15000', '--window-size=1280,1600'];
    if (mode === 'dom') args.push('--dump-dom');
    else args.push(`--screenshot=${output}`);
    args.push(url);
    const r = spawnSync(chromium, args, { encoding: 'utf8', timeout: 90000,
                                           maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, `chromium failed: ${r.error || ''} ${r.stderr.slice(-2000)}`);
    return r.stdout;
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

test('the docs pages render offline', async (t) => {
  const s = await startServer(['--clock', 'virtual', '--log-level', 'off']);
  t.after(() => s.stop());

  await t.test('/docs (Swagger UI) lists the VM routes', () => {
    const dom = browse(`${s.url}/docs`, 'dom');
    assert.match(dom, /class="swagger-ui/, 'Swagger UI did not mount');
    for (const route of ['/api/v1/vms', '/api/v1/vms/{id}', 'Create a VM'])
      assert.ok(dom.includes(route), `${route} is not in the rendered /docs`);
    assert.ok(dom.includes('test control'), 'the test control tag is not shown');
    const png = path.join(artifacts, 'docs-swagger-ui.png');
    browse(`${s.url}/docs`, 'png', png);
    assert.ok(fs.statSync(png).size > 10000, `${png} is too small to show a page`);
  });

  await t.test('/redoc (ReDoc) lists the VM routes', () => {
    const dom = browse(`${s.url}/redoc`, 'dom');
    assert.ok(!dom.includes('Something went wrong'), 'ReDoc reported an error');
    for (const route of ['/api/v1/vms', '/api/v1/vms/{id}', 'Create a VM'])
      assert.ok(dom.includes(route), `${route} is not in the rendered /redoc`);
    const png = path.join(artifacts, 'docs-redoc.png');
    browse(`${s.url}/redoc`, 'png', png);
    assert.ok(fs.statSync(png).size > 10000, `${png} is too small to show a page`);
  });
});
