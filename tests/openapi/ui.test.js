// The /ui dashboard in headless Chromium (driven by playwright-core): it loads from the server's
// own assets without a console error, a page error or a failed request, follows the event stream,
// and its controls work. A VM created through the API appears as creating; "advance 60 s" turns it
// running with its IP; a vm.create fault added from the page makes the next VM end in error with
// the reason shown; a volume created for the first VM ends in-use on it; uPlot plots the
// creations, completions and failures; "clear faults" and "reset" empty the page. With the system
// clock and --control-token, the page asks for the token, then disables "advance 60 s" and says
// why. Screenshots go
// to the build directory (ui-creating.png, ui-running.png, ui-error.png); with
// MOCKCLOUD_UPDATE_DOCS_SCREENSHOT=1 the last one also replaces docs/ui.png.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { artifacts, npmModule, tool, startServer, request } = require('./common.js');

const chromiumPath = tool('chromium', 'chromium');
const { chromium } = npmModule('playwright-core');

const WAIT_MS = 15000;

/// A browser with one 1280x800 page, closed after `t`, and the list of what the page complained
/// about (console errors, page errors, failed requests, 4xx/5xx answers but those `allowed`).
async function openPage(t, allowed = () => false) {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(WAIT_MS);
  const problems = [];
  const problem = (text) => {
    problems.push(text);
    console.log(`page problem: ${text}`);
  };
  page.on('console', (m) => {
    if (m.type() === 'error' && !allowed(m.text())) problem(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problem(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problem(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    const what = `${r.request().method()} ${r.url()}: ${r.status()}`;
    if (r.status() >= 400 && !allowed(what)) problem(what);
  });
  return { page, problems };
}

test('the /ui dashboard shows the cloud live and drives it', async (t) => {
  // No random failure: the first VM runs, the second fails by an injected fault.
  const s = await startServer(['--clock', 'virtual', '--log-level', 'off',
                               '--worker-failure-rate', '0']);
  t.after(() => s.stop());
  const { page, problems } = await openPage(t);

  const api = async (method, target, body, expect) => {
    const r = await request(s.url, method, target, { body });
    assert.equal(r.status, expect, `${method} ${target}: ${r.status} ${r.body}`);
    return r.json;
  };
  const row = (id) => page.locator(`tr[data-id="${id}"]`);
  const waitStatus = (id, status) =>
    page.waitForSelector(`tr[data-id="${id}"][data-status="${status}"]`);
  const shot = (name) => page.screenshot({ path: path.join(artifacts, name) });
  const advance = page.getByRole('button', { name: 'advance 60 s', exact: true });

  await t.test('the page loads and connects to the event stream', async () => {
    const res = await page.goto(`${s.url}/ui`);
    assert.equal(res.status(), 200);
    await page.waitForSelector('#clock[data-mode="virtual"]');
    await page.waitForSelector('#stream[data-stream="live"]');
    assert.equal(await page.locator('#timeline canvas').count() > 0, true, 'uPlot drew no canvas');
  });

  let env, vm1, vm2, volume;
  await t.test('a VM created through the API appears as creating', async () => {
    env = await api('POST', '/api/v1/environments', { name: 'dev', cidr: '10.1.0.0/24' }, 201);
    await waitStatus(env.id, 'active');
    vm1 = await api('POST', '/api/v1/vms', { name: 'web-1', environment_id: env.id }, 202);
    await waitStatus(vm1.id, 'creating');
    assert.match(await row(vm1.id).innerText(), /web-1\s+dev\s+creating/);
    await shot('ui-creating.png');
  });

  await t.test('"advance 60 s" turns it running with its IP', async () => {
    await advance.click();
    await waitStatus(vm1.id, 'running');
    const running = await api('GET', `/api/v1/vms/${vm1.id}`, undefined, 200);
    assert.match(running.ip_address, /^10\.1\.0\.\d+$/);
    assert.equal(await row(vm1.id).locator('[data-field="ip"]').innerText(), running.ip_address);
    const clock = await api('GET', '/_mock/clock', undefined, 200);
    await page.waitForFunction((now) => document.querySelector('#clock').textContent
                                 .startsWith(now.replace('T', ' ').replace(/\.\d+Z$/, 'Z')),
                               clock.now);
    // uPlot drew the creation and the completion, at two virtual times.
    await page.waitForSelector('#timeline[data-created="1"][data-completed="1"]');
    await page.waitForFunction(() => Number(document.querySelector('#timeline').dataset.plotted) >= 2);
    await shot('ui-running.png');
  });

  await t.test('a fault added from the page fails the next VM, whose reason is shown', async () => {
    await page.selectOption('#fault-operation', 'vm.create');
    await page.fill('#fault-count', '1');
    await page.getByRole('button', { name: 'add fault', exact: true }).click();
    await page.waitForSelector('#faults[data-count="1"]');
    const faults = await api('GET', '/_mock/faults', undefined, 200);
    assert.deepEqual(faults.map((f) => [f.operation, f.fail_next]), [['vm.create', 1]]);

    vm2 = await api('POST', '/api/v1/vms', { name: 'web-2', environment_id: env.id }, 202);
    volume = await api('POST', '/api/v1/volumes',
                       { name: 'data', environment_id: env.id, size_gb: 20, vm_id: vm1.id }, 202);
    await waitStatus(vm2.id, 'creating');
    await waitStatus(volume.id, 'creating');
    await advance.click();
    await waitStatus(vm2.id, 'error');
    assert.equal(await row(vm2.id).locator('[data-field="error"]').innerText(),
                 'injected fault: vm.create failed');
    assert.equal(await row(vm2.id).locator('[data-field="ip"]').innerText(), '');
    await waitStatus(volume.id, 'in-use');
    assert.equal(await row(volume.id).locator('[data-field="vm"]').innerText(), 'web-1');
    await page.waitForSelector('#timeline[data-created="3"][data-completed="2"][data-failed="1"]');
    await page.waitForSelector('#faults[data-count="0"]');  // spent
    await shot('ui-error.png');
    if (process.env.MOCKCLOUD_UPDATE_DOCS_SCREENSHOT === '1')
      fs.copyFileSync(path.join(artifacts, 'ui-error.png'),
                      path.join(__dirname, '..', '..', 'docs', 'ui.png'));
  });

  await t.test('"clear faults" and "reset" empty the page', async () => {
    await api('POST', '/_mock/faults', { operation: 'volume.delete', fail_next: 2 }, 201);
    await page.getByRole('button', { name: 'advance', exact: true }).click();  // refetches
    await page.waitForSelector('#faults[data-count="1"]');
    await page.getByRole('button', { name: 'clear faults', exact: true }).click();
    await page.waitForSelector('#faults[data-count="0"]');
    assert.deepEqual(await api('GET', '/_mock/faults', undefined, 200), []);

    await page.getByRole('button', { name: 'reset', exact: true }).click();
    await page.waitForSelector('tr[data-id]', { state: 'detached' });
    await page.waitForSelector('#timeline[data-points="0"]', { state: 'attached' });
    assert.deepEqual(await api('GET', '/api/v1/vms', undefined, 200), []);
  });

  await t.test('no console error, page error or failed request', () => {
    assert.deepEqual(problems, []);
  });
});

test('with the system clock and a control token', async (t) => {
  const s = await startServer(['--clock', 'system', '--log-level', 'off',
                               '--control-token', 'ui-secret']);
  t.after(() => s.stop());
  // The page's first /_mock calls answer 401 (and Chromium logs each): that is how it learns.
  const { page, problems } = await openPage(
    t, (text) => / 401\b|status of 401/.test(text));
  await page.goto(`${s.url}/ui`);
  await page.waitForSelector('#stream[data-stream="live"]');
  await page.waitForSelector('#errors');
  assert.match(await page.locator('#errors').innerText(), /GET \/_mock\/\w+: 401/);
  await page.fill('#control-token', 'ui-secret');
  await page.getByRole('button', { name: 'use token', exact: true }).click();
  await page.waitForSelector('#clock[data-mode="system"]');
  await page.waitForSelector('#errors', { state: 'detached' });
  // The system clock cannot be advanced: the buttons are off, and the page says why.
  assert.equal(await page.getByRole('button', { name: 'advance 60 s', exact: true }).isDisabled(),
               true);
  assert.match(await page.locator('#clock-note').innerText(), /--clock virtual/);
  assert.deepEqual(problems, []);
});
