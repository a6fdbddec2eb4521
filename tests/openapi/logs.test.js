// The log: one line per request (method, route template, status, duration, request id) and one
// per lifecycle event, as JSON lines or text, after the start-up line; --log-level filters.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { server, startServer, request } = require('./common.js');

async function run(args, scenario) {
  const s = await startServer(['--clock', 'virtual', '--seed', '7', ...args]);
  try {
    await scenario(s);
  } finally {
    await s.stop();
  }
  return s.lines;
}

test('--log-format json: one JSON line per request, and lifecycle events', async () => {
  const ids = [];
  let vmId;
  const lines = await run(['--log-format', 'json', '--worker-failure-rate', '0'], async (s) => {
    const send = async (method, target, body) => {
      const id = `req-${ids.length}`;
      ids.push({ id, method, target });
      return request(s.url, method, target, { body, headers: { 'x-request-id': id } });
    };
    const env = (await send('POST', '/api/v1/environments', { name: 'dev' })).json;
    vmId = (await send('POST', '/api/v1/vms/', { name: 'web', environment_id: env.id })).json.id;
    await send('GET', `/api/v1/vms/${vmId}?x=1`);
    await send('GET', '/nowhere');
    await send('POST', '/_mock/clock/advance', { seconds: 120 });
    await send('DELETE', `/api/v1/vms/${vmId}`);
    await send('POST', '/_mock/clock/advance', { seconds: 60 });
  });
  assert.match(lines[0], /^mockcloud-server listening on /);
  const events = lines.slice(1).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const requests = events.filter((e) => e.event === 'request');
  assert.equal(requests.length, ids.length, lines.join('\n'));
  for (const [i, { id, method }] of ids.entries()) {
    const e = requests.filter((r) => r.request_id === id);
    assert.equal(e.length, 1, `one line for ${id}`);
    assert.equal(e[0].method, method);
    assert.equal(e[0].level, 'info');
    assert.equal(typeof e[0].status, 'number');
    assert.equal(typeof e[0].duration_ms, 'number');
    assert.match(e[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok('route' in e[0] && 'path' in e[0], JSON.stringify(e[0]));
    if (i === 2) {
      assert.equal(e[0].route, '/api/v1/vms/{id}');
      assert.equal(e[0].path, `/api/v1/vms/${vmId}`);
      assert.equal(e[0].status, 200);
    }
    if (i === 3) {
      assert.equal(e[0].route, null);
      assert.equal(e[0].status, 404);
    }
  }
  const tasks = events.filter((e) => e.event === 'task');
  assert.deepEqual(tasks.map((e) => `${e.msg} ${e.resource_id}`),
                   [`VM running ${vmId}`, `VM deleted ${vmId}`]);
  assert.equal(tasks[0].kind, 'vm.create');
  assert.equal(tasks[0].state, 'SUCCESS');
});

test('the text format, and --log-level warning silences requests', async () => {
  const text = await run([], async (s) => {
    await request(s.url, 'GET', '/health', { headers: { 'x-request-id': 'abc' } });
  });
  const line = text.find((l) => l.includes('request_id=abc'));
  assert.ok(line, text.join('\n'));
  assert.match(line, /^\S+Z INFO  request GET \/health 200 [\d.]+ms path=\/health request_id=abc$/);

  const quiet = await run(['--log-level', 'warning'], async (s) => {
    await request(s.url, 'GET', '/health');
  });
  assert.deepEqual(quiet.filter((l) => l.includes('request')), []);
});

test('a bad --log-level or --log-format is one line naming it and exit code 2', () => {
  for (const [flag, name] of [['--log-level=loud', 'log_level'], ['--log-format=xml', 'log_format']]) {
    const r = spawnSync(server, [flag], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.ok(r.stderr.includes(name), r.stderr);
  }
});
