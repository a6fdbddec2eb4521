// GET /metrics passes `promtool check metrics`, and its counters and gauges move with requests.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { tool, startServer, request } = require('./common.js');

const promtool = tool('promtool', 'prometheus');

/// The value of one sample (0 when absent), by its exact name and labels.
function sample(text, series) {
  for (const line of text.split('\n'))
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  return 0;
}

test('/metrics', async (t) => {
  const s = await startServer(['--clock', 'virtual', '--log-level', 'off']);
  t.after(() => s.stop());
  const metrics = async () => {
    const r = await request(s.url, 'GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    return r.body;
  };

  await t.test('a request counter goes up by one per request', async () => {
    const series = 'mockcloud_http_requests_total{method="GET",route="/health",status="200"}';
    const histogram =
        'mockcloud_http_request_duration_seconds_count{method="GET",route="/health"}';
    const before = await metrics();
    assert.equal((await request(s.url, 'GET', '/health')).status, 200);
    const after = await metrics();
    assert.equal(sample(after, series), sample(before, series) + 1);
    assert.equal(sample(after, histogram), sample(before, histogram) + 1);
    const unmatched = 'mockcloud_http_requests_total{method="",route="unmatched",status="404"}';
    await request(s.url, 'GET', '/nowhere');
    assert.equal(sample(await metrics(), unmatched), sample(after, unmatched) + 1);
  });

  await t.test('resources, tasks and connections', async () => {
    const env = (await request(s.url, 'POST', '/api/v1/environments', { body: { name: 'm' } })).json;
    await request(s.url, 'POST', '/api/v1/vms', { body: { name: 'v', environment_id: env.id } });
    await request(s.url, 'GET', '/api/v1/vms/not-there');
    const text = await metrics();
    assert.equal(sample(text, 'mockcloud_resources{kind="environment"}'), 1);
    assert.equal(sample(text, 'mockcloud_resources{kind="vm"}'), 1);
    assert.equal(sample(text, 'mockcloud_resources_by_status{kind="vm",status="creating"}'), 1);
    assert.equal(sample(text, 'mockcloud_tasks{state="STARTED"}'), 1);
    assert.equal(sample(text,
        'mockcloud_http_requests_total{method="GET",route="/api/v1/vms/{id}",status="404"}'), 1);
    assert.ok(sample(text, 'mockcloud_http_open_connections') >= 1);
    assert.ok(sample(text, 'mockcloud_uptime_seconds') > 0);
  });

  await t.test('promtool check metrics accepts it', async () => {
    const text = await metrics();
    const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
  });
});
