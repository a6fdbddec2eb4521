// GET /openapi.json passes a standard OpenAPI 3.1 validator, and tells the truth: real requests
// cover every operation and every status it lists (docs/http-api.md's error table included), and
// each response's status, headers and body validate against what the document gives for it. Each
// request, matched exactly against the document's paths as a validation proxy in front of the
// server would match it, lands on the operation the server ran (its log line names the route):
// `GET /api/v1/vms/` is the list, never `GET /api/v1/vms/{id}`.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { npmModule, startServer, request } = require('./common.js');
const { ProxyMatcher, Checker, requestRoutes, exerciseCommonRoutes } = require('./checker.js');

const SwaggerParser = npmModule('@apidevtools/swagger-parser');

test('the OpenAPI document is valid and every response matches it', async (t) => {
  // Request log lines (JSON) say which route of the table each request ran.
  const logging = ['--log-format', 'json', '--log-level', 'info'];
  const a = await startServer(['--clock', 'virtual', '--seed', '42', ...logging]);
  const b = await startServer(['--clock', 'system', '--assets-dir', '/nonexistent/assets',
                               ...logging]);
  t.after(async () => {
    await a.stop();
    await b.stop();
  });

  let sent = 0;
  const send = async (s, method, target, opts = {}) => {
    const sentId = `openapi-${++sent}`;
    const r = await request(s.url, method, target, {
      ...opts, headers: { 'x-request-id': sentId, ...opts.headers } });
    return Object.assign(r, { sentId });
  };

  const docResponse = await send(a, 'GET', '/openapi.json');
  assert.equal(docResponse.status, 200);
  const doc = docResponse.json;
  assert.equal(doc.openapi, '3.1.0');

  await t.test('a standard validator accepts it (@apidevtools/swagger-parser)', async () => {
    await SwaggerParser.validate(structuredClone(doc));
  });

  await t.test('the /_mock routes are tagged test control, the others are not', () => {
    for (const [path, ops] of Object.entries(doc.paths))
      for (const op of Object.values(ops))
        assert.equal(op.tags.includes('test control'), path.startsWith('/_mock'), path);
  });

  await t.test('collections end with a slash, as clients send them; items do not', () => {
    for (const path of ['/api/v1/environments/', '/api/v1/security-groups/', '/api/v1/vms/',
                        '/api/v1/volumes/', '/api/v1/tasks/', '/_mock/faults/',
                        '/api/v1/vms/{id}', '/api/v1/volumes/{id}/attach/{vm_id}',
                        '/api/v1/volumes/{id}/detach', '/health'])
      assert.ok(path in doc.paths, path);
    for (const path of ['/api/v1/vms', '/api/v1/vms/{id}/', '/health/'])
      assert.ok(!(path in doc.paths), path);
    const proxy = new ProxyMatcher(doc.paths);
    assert.equal(proxy.template('/api/v1/vms/'), '/api/v1/vms/');
    assert.equal(proxy.template('/api/v1/vms/?status=running'), '/api/v1/vms/');
    assert.equal(proxy.template('/api/v1/vms/abc'), '/api/v1/vms/{id}');
    assert.equal(proxy.template('/api/v1/vms/abc/'), undefined);
    // What the document spelt before: the list taken for an item with an empty id.
    const old = new ProxyMatcher({ '/api/v1/vms': {}, '/api/v1/vms/{id}': {} });
    assert.equal(old.template('/api/v1/vms/'), '/api/v1/vms/{id}');
  });

  const c = new Checker(doc);
  const A = (method, target, expect, opts = {}) =>
    send(a, method, target, opts).then((r) => c.check(r, expect, opts));
  const B = (method, target, expect, opts = {}) =>
    send(b, method, target, opts).then((r) => c.check(r, expect, opts));

  // ---- service and test control ----
  c.check(docResponse, 200);
  await A('GET', '/health', 200);
  await exerciseCommonRoutes(A, B);
  // The dashboard: this dialect only.
  await A('GET', '/ui', 200);
  await A('GET', '/ui/assets/ui.js', 200);
  await A('GET', '/ui/assets/uPlot.min.css', 200);
  await A('GET', '/ui/assets/swagger-ui.css', 404);
  await B('GET', '/ui', 503);

  // ---- environments ----
  const env = (await A('POST', '/api/v1/environments/', 201, {
    body: { name: 'dev', cidr: '10.1.0.0/24', description: 'the dev network' } })).json;
  await A('POST', '/api/v1/environments/', 409, { body: { name: 'dev' } });
  await A('POST', '/api/v1/environments/', 422, { body: { name: 5, cidr: '1.2.3.4/40' } });
  await A('POST', '/api/v1/environments/', 422, { body: '{not json' });
  await A('POST', '/api/v1/environments/', 422);
  await A('POST', '/api/v1/environments/', 413, {
    body: JSON.stringify({ name: 'x'.repeat(1 << 20) }), operation: 'create_environment' });
  await A('POST', '/api/v1/environments/', 201, {
    body: { name: 'keyed' }, headers: { 'idempotency-key': 'k1' } });
  await A('POST', '/api/v1/environments/', 201, {
    body: { name: 'keyed' }, headers: { 'idempotency-key': 'k1' } });
  await A('POST', '/api/v1/environments/', 409, {
    body: { name: 'other' }, headers: { 'idempotency-key': 'k1' } });
  await A('GET', '/api/v1/environments/?limit=1&skip=1', 200);
  await A('GET', '/api/v1/environments/?name=dev', 200);
  await A('GET', '/api/v1/environments/?limit=0', 422);
  await A('GET', `/api/v1/environments/${env.id}`, 200);
  // The server answers the other spelling of each path too, outside the document.
  await A('POST', '/api/v1/environments', 201, { body: { name: 'slashless' }, alternate: true });
  await A('GET', '/api/v1/environments?name=slashless', 200, { alternate: true });
  await A('GET', `/api/v1/environments/${env.id}/`, 200, { alternate: true });
  await A('GET', '/api/v1/environments/nope', 404);

  // ---- security groups ----
  const sg = (await A('POST', '/api/v1/security-groups/', 201, {
    body: { name: 'web', environment_id: env.id, rules: [
      { direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 },
      { protocol: 'icmp', remote_cidr: '10.0.0.0/8' }] } })).json;
  await A('POST', '/api/v1/security-groups/', 404, { body: { name: 'x', environment_id: 'nope' } });
  await A('POST', '/api/v1/security-groups/', 409, { body: { name: 'web', environment_id: env.id } });
  await A('POST', '/api/v1/security-groups/', 422, {
    body: { name: 'x', environment_id: env.id, rules: [{ protocol: 'tcp', port_range_min: 0 }] } });
  await A('GET', `/api/v1/security-groups/?environment_id=${env.id}`, 200);
  await A('GET', '/api/v1/security-groups/?skip=-1', 422);
  await A('GET', `/api/v1/security-groups/${sg.id}`, 200);
  await A('GET', '/api/v1/security-groups/nope', 404);

  // ---- VMs and volumes ----
  const vm = (await A('POST', '/api/v1/vms/', 202, {
    body: { name: 'web-1', environment_id: env.id, cpu: 2, security_group_ids: [sg.id] } })).json;
  await A('POST', '/api/v1/vms/', 404, { body: { name: 'x', environment_id: 'nope' } });
  await A('POST', '/api/v1/vms/', 404, {
    body: { name: 'x', environment_id: env.id, security_group_ids: ['nope'] } });
  await A('POST', '/api/v1/vms/', 409, { body: { name: 'web-1', environment_id: env.id } });
  await A('POST', '/api/v1/vms/', 422, { body: { name: 'x', environment_id: env.id, cpu: 0 } });
  await A('POST', '/api/v1/vms/', 422, { body: { cpu: 'many', memory_mb: 1.5 } });
  await A('GET', '/api/v1/vms/?status=creating', 200);
  await A('GET', '/api/v1/vms/?status=bogus', 422);
  await A('GET', `/api/v1/vms/${vm.id}`, 200);
  await A('GET', '/api/v1/vms/nope', 404);
  const vol = (await A('POST', '/api/v1/volumes/', 202, {
    body: { name: 'data', environment_id: env.id, size_gb: 20, volume_type: 'ssd' } })).json;
  await A('POST', '/api/v1/volumes/', 404, {
    body: { name: 'x', environment_id: 'nope', size_gb: 1 } });
  await A('POST', '/api/v1/volumes/', 409, {
    body: { name: 'data', environment_id: env.id, size_gb: 1 } });
  await A('POST', '/api/v1/volumes/', 422, {
    body: { name: 'x', environment_id: env.id, volume_type: 'floppy' } });
  await A('GET', `/api/v1/volumes/?environment_id=${env.id}&status=creating`, 200);
  await A('GET', '/api/v1/volumes/?status=bogus', 422);
  await A('GET', `/api/v1/volumes/${vol.id}`, 200);
  await A('GET', '/api/v1/volumes/nope', 404);
  await A('POST', `/api/v1/volumes/${vol.id}/attach/${vm.id}`, 409);  // both creating
  await A('POST', '/_mock/clock/advance', 200, { body: { seconds: 120 } });
  const running = (await A('GET', `/api/v1/vms/${vm.id}`, 200)).json;
  assert.equal(running.status, 'running');
  assert.ok(running.ip_address);
  await A('POST', `/api/v1/volumes/${vol.id}/attach/${vm.id}`, 200);
  await A('POST', `/api/v1/volumes/${vol.id}/attach/${vm.id}`, 409);
  await A('POST', `/api/v1/volumes/nope/attach/${vm.id}`, 404);
  await A('POST', `/api/v1/volumes/${vol.id}/attach/nope`, 404);
  await A('GET', `/api/v1/vms/${vm.id}`, 200);
  await A('DELETE', `/api/v1/volumes/${vol.id}`, 409);
  await A('DELETE', `/api/v1/security-groups/${sg.id}`, 409);
  await A('DELETE', `/api/v1/environments/${env.id}`, 409);
  await A('POST', `/api/v1/volumes/${vol.id}/detach`, 200);
  await A('POST', `/api/v1/volumes/${vol.id}/detach/`, 409, { alternate: true });
  await A('POST', '/api/v1/volumes/nope/detach', 404);

  // A failed creation (error set, no IP) and a revoked one.
  await A('POST', '/_mock/faults/', 201, { body: { operation: 'vm.create', fail_next: 1 } });
  const doomed = (await A('POST', '/api/v1/vms/', 202, {
    body: { name: 'doomed', environment_id: env.id } })).json;
  const revoked = (await A('POST', '/api/v1/vms/', 202, {
    body: { name: 'short-lived', environment_id: env.id } })).json;
  await A('DELETE', `/api/v1/vms/${revoked.id}`, 202);
  await A('DELETE', `/api/v1/vms/${revoked.id}`, 202);
  await A('POST', '/_mock/clock/advance', 200, { body: { seconds: 120 } });
  const failed = (await A('GET', `/api/v1/vms/${doomed.id}`, 200)).json;
  assert.equal(failed.status, 'error');
  assert.equal(failed.ip_address, null);
  await A('GET', '/api/v1/tasks/', 200);
  await A('GET', `/api/v1/tasks/?resource_id=${revoked.id}&state=REVOKED`, 200);
  await A('GET', '/api/v1/tasks/?state=DONE', 422);
  await A('GET', `/api/v1/tasks/${doomed.task_id}`, 200);
  await A('GET', `/api/v1/tasks/${vm.task_id}`, 200);
  await A('GET', '/api/v1/tasks/nope', 404);

  // Deletions, to the end.
  await A('DELETE', `/api/v1/vms/${vm.id}`, 202);
  await A('DELETE', `/api/v1/vms/${doomed.id}`, 202);
  await A('DELETE', '/api/v1/vms/nope', 404);
  await A('DELETE', `/api/v1/volumes/${vol.id}`, 202);
  await A('DELETE', '/api/v1/volumes/nope', 404);
  await A('POST', '/_mock/clock/advance', 200, { body: { seconds: 60 } });
  await A('GET', `/api/v1/vms/${vm.id}`, 404);
  await A('DELETE', `/api/v1/security-groups/${sg.id}`, 204);
  await A('DELETE', `/api/v1/security-groups/${sg.id}`, 404);
  await A('DELETE', `/api/v1/environments/${env.id}`, 204);
  await A('DELETE', `/api/v1/environments/${env.id}`, 404);

  // ---- routing errors and injected faults ----
  await A('GET', '/nope', 404);
  await A('PUT', '/api/v1/vms/', 405);
  await A('DELETE', '/health', 405);
  await A('POST', '/_mock/faults/', 201, { body: { route: 'GET /api/v1/vms', status: 503 } });
  await A('GET', '/api/v1/vms/', 503, { viaDefault: true });
  await A('POST', '/_mock/faults/', 201, { body: { route: 'GET /api/v1/volumes', status: 500 } });
  await A('GET', '/api/v1/volumes/', 500);
  await A('POST', '/_mock/faults/', 201, {
    body: { route: 'POST /api/v1/environments', status: 422 } });
  await A('POST', '/api/v1/environments/', 422, { body: { name: 'x' } });
  await A('DELETE', '/_mock/faults/', 204);

  // The servers stopped, their logs are complete: which route each request ran.
  await a.stop();
  await b.stop();
  c.evaluate(requestRoutes([...a.lines, ...b.lines]));

  await t.test(`${c.count} responses match the document`, () => {
    assert.deepEqual(c.failures, []);
  });
  await t.test(`${c.proxied} requests, matched exactly against the document's paths as a ` +
               'validation proxy does, land on the operation the server ran', () => {
    assert.deepEqual(c.misrouted, []);
  });
  await t.test('every operation and every status the document lists was exercised', () => {
    assert.deepEqual(c.uncovered(), []);
  });
});
