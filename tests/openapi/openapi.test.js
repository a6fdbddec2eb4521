// GET /openapi.json passes a standard OpenAPI 3.1 validator, and tells the truth: real requests
// cover every operation and every status it lists (docs/http-api.md's error table included), and
// each response's status, headers and body validate against what the document gives for it.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { npmModule, startServer, request } = require('./common.js');

const SwaggerParser = npmModule('@apidevtools/swagger-parser');
const Ajv2020 = npmModule('ajv/dist/2020');
const addFormats = npmModule('ajv-formats');

const COMPONENTS_ID = 'https://mockcloud.invalid/components';

class Checker {
  constructor(doc) {
    this.doc = doc;
    const rewritten = JSON.parse(
      JSON.stringify(doc).replaceAll('"#/components/schemas/', `"${COMPONENTS_ID}#/$defs/`));
    this.rewritten = rewritten;
    this.ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewritten.components.schemas });
    this.compiled = new Map();
    this.templates = Object.keys(doc.paths).map((template) => ({
      template,
      params: (template.match(/\{/g) || []).length,
      regex: new RegExp('^' + template.replace(/\{[^}]+\}/g, '[^/]+') + '$'),
    }));
    this.covered = new Set();
    this.failures = [];
    this.count = 0;
  }

  validator(schema) {
    const key = JSON.stringify(schema);
    if (!this.compiled.has(key)) this.compiled.set(key, this.ajv.compile(schema));
    return this.compiled.get(key);
  }

  operation(method, target) {
    let path = target.split('?')[0];
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const matches = this.templates.filter((t) => t.regex.test(path));
    matches.sort((a, b) => a.params - b.params);
    for (const m of matches) {
      const op = this.rewritten.paths[m.template][method.toLowerCase()];
      if (op) return { template: m.template, op };
    }
    return { template: matches.length ? matches[0].template : undefined, op: undefined };
  }

  /// Checks one response; `expect` is the status the scenario expects (a mismatch is a failure
  /// too). `viaDefault` allows a status the operation does not list (injected faults).
  check(r, expect, { viaDefault = false } = {}) {
    this.count++;
    const where = `${r.method} ${r.target} -> ${r.status}`;
    const problems = [];
    if (expect !== undefined && r.status !== expect)
      problems.push(`expected status ${expect}; body ${r.body.slice(0, 300)}`);
    if (!r.headers['x-request-id']) problems.push('no X-Request-Id');
    const { template, op } = this.operation(r.method, r.target);
    let response;
    if (!op) {
      // No operation: an unknown path (404) or a method the path lacks (405).
      const name = template ? 'MethodNotAllowed' : 'NotFound';
      response = this.rewritten.components.responses[name];
      if (r.status !== (template ? 405 : 404)) problems.push(`no operation, status ${r.status}`);
      if (template && !r.headers['allow']) problems.push('405 without Allow');
    } else {
      response = op.responses[String(r.status)];
      if (response) {
        this.covered.add(`${op.operationId} ${r.status}`);
      } else if (viaDefault) {
        response = op.responses.default;
      } else {
        problems.push(`status ${r.status} is not listed for ${op.operationId}`);
        response = op.responses.default;
      }
      for (const name of Object.keys(response.headers || {}))
        if (!(name.toLowerCase() in r.headers)) problems.push(`header ${name} missing`);
    }
    if (!response.content) {
      if (r.body.length !== 0) problems.push('a body where the document gives none');
    } else {
      const media = (r.headers['content-type'] || '').split(';')[0].trim();
      const content = response.content[media];
      if (!content) {
        problems.push(`Content-Type ${media} is not among ${Object.keys(response.content)}`);
      } else if (media === 'application/json') {
        if (r.json === undefined) {
          problems.push('the body is not JSON');
        } else {
          const validate = this.validator(content.schema);
          if (!validate(r.json))
            problems.push(`body does not match: ${this.ajv.errorsText(validate.errors)}; ` +
                          `body ${r.body.slice(0, 400)}`);
        }
      } else if (content.schema.type !== 'string') {
        problems.push(`non-JSON media ${media} with a non-string schema`);
      }
    }
    if (problems.length) this.failures.push(`${where}: ${problems.join('; ')}`);
    return r;
  }

  /// Every (operation, status) the document lists, but the 413 and 500 that every body route
  /// and every route lists: those must be covered once anywhere.
  uncovered() {
    const missing = [];
    const generic = new Set();
    for (const ops of Object.values(this.doc.paths)) {
      for (const op of Object.values(ops)) {
        for (const status of Object.keys(op.responses)) {
          if (status === 'default') continue;
          const key = `${op.operationId} ${status}`;
          if (status === '413' || status === '500') {
            generic.add(status);
            continue;
          }
          if (!this.covered.has(key)) missing.push(key);
        }
      }
    }
    for (const status of generic)
      if (![...this.covered].some((k) => k.endsWith(` ${status}`)))
        missing.push(`any operation ${status}`);
    return missing;
  }
}

test('the OpenAPI document is valid and every response matches it', async (t) => {
  const a = await startServer(['--clock', 'virtual', '--seed', '42', '--log-level', 'off']);
  const b = await startServer(['--clock', 'system', '--assets-dir', '/nonexistent/assets',
                               '--log-level', 'off']);
  t.after(async () => {
    await a.stop();
    await b.stop();
  });

  const docResponse = await request(a.url, 'GET', '/openapi.json');
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

  const c = new Checker(doc);
  const A = (method, target, expect, opts = {}) =>
    request(a.url, method, target, opts).then((r) => c.check(r, expect, opts));
  const B = (method, target, expect, opts = {}) =>
    request(b.url, method, target, opts).then((r) => c.check(r, expect, opts));

  // ---- service ----
  c.check(docResponse, 200);
  await A('GET', '/health', 200);
  await A('GET', '/docs', 200);
  await A('GET', '/redoc', 200);
  await A('GET', '/docs/assets/swagger-ui.css', 200);
  await A('GET', '/docs/assets/swagger-ui-bundle.js', 200);
  await A('GET', '/docs/assets/redoc.standalone.js', 200);
  await A('GET', '/docs/assets/secrets.txt', 404);
  await A('GET', '/metrics', 200);
  await B('GET', '/docs', 503);
  await B('GET', '/redoc', 503);
  await B('GET', '/docs/assets/swagger-ui.css', 404);

  // ---- test control ----
  await A('POST', '/_mock/reset', 422, { body: { seed: -1 } });
  await A('POST', '/_mock/reset', 204, { body: { seed: 42 } });
  await A('POST', '/_mock/reset', 204);
  await A('GET', '/_mock/config', 200);
  await A('PATCH', '/_mock/config', 422, { body: { worker_failure_rate: 2 } });
  await A('PATCH', '/_mock/config', 422, { body: { vm_creation_time_min: 100 } });
  await A('PATCH', '/_mock/config', 200, { body: { worker_failure_rate: 0 } });
  await A('GET', '/_mock/clock', 200);
  await A('POST', '/_mock/clock/advance', 422, { body: { seconds: -1 } });
  await A('POST', '/_mock/clock/advance', 422, { body: {} });
  await A('POST', '/_mock/clock/advance', 200, { body: { seconds: 1 } });
  await B('POST', '/_mock/clock/advance', 409, { body: { seconds: 1 } });
  const fault = (await A('POST', '/_mock/faults', 201, {
    body: { operation: 'vm.create', fail_next: 1 } })).json;
  await A('POST', '/_mock/faults', 201, { body: { latency_ms: 0 } });
  await A('POST', '/_mock/faults', 422, { body: { operation: 'vm.create' } });
  await A('POST', '/_mock/faults', 422, { body: { route: 'GET /x', status: 200 } });
  await A('GET', '/_mock/faults', 200);
  await A('DELETE', `/_mock/faults/${fault.id}`, 204);
  await A('DELETE', `/_mock/faults/${fault.id}`, 404);
  await A('DELETE', '/_mock/faults', 204);

  // ---- environments ----
  const env = (await A('POST', '/api/v1/environments/', 201, {
    body: { name: 'dev', cidr: '10.1.0.0/24', description: 'the dev network' } })).json;
  await A('POST', '/api/v1/environments', 409, { body: { name: 'dev' } });
  await A('POST', '/api/v1/environments', 422, { body: { name: 5, cidr: '1.2.3.4/40' } });
  await A('POST', '/api/v1/environments', 422, { body: '{not json' });
  await A('POST', '/api/v1/environments', 422);
  await A('POST', '/api/v1/environments', 413, { body: JSON.stringify({ name: 'x'.repeat(1 << 20) }) });
  await A('POST', '/api/v1/environments', 201, {
    body: { name: 'keyed' }, headers: { 'idempotency-key': 'k1' } });
  await A('POST', '/api/v1/environments', 201, {
    body: { name: 'keyed' }, headers: { 'idempotency-key': 'k1' } });
  await A('POST', '/api/v1/environments', 409, {
    body: { name: 'other' }, headers: { 'idempotency-key': 'k1' } });
  await A('GET', '/api/v1/environments?limit=1&skip=1', 200);
  await A('GET', '/api/v1/environments/?name=dev', 200);
  await A('GET', '/api/v1/environments?limit=0', 422);
  await A('GET', `/api/v1/environments/${env.id}`, 200);
  await A('GET', '/api/v1/environments/nope', 404);

  // ---- security groups ----
  const sg = (await A('POST', '/api/v1/security-groups', 201, {
    body: { name: 'web', environment_id: env.id, rules: [
      { direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 },
      { protocol: 'icmp', remote_cidr: '10.0.0.0/8' }] } })).json;
  await A('POST', '/api/v1/security-groups', 404, { body: { name: 'x', environment_id: 'nope' } });
  await A('POST', '/api/v1/security-groups', 409, { body: { name: 'web', environment_id: env.id } });
  await A('POST', '/api/v1/security-groups', 422, {
    body: { name: 'x', environment_id: env.id, rules: [{ protocol: 'tcp', port_range_min: 0 }] } });
  await A('GET', `/api/v1/security-groups?environment_id=${env.id}`, 200);
  await A('GET', '/api/v1/security-groups?skip=-1', 422);
  await A('GET', `/api/v1/security-groups/${sg.id}`, 200);
  await A('GET', '/api/v1/security-groups/nope', 404);

  // ---- VMs and volumes ----
  const vm = (await A('POST', '/api/v1/vms', 202, {
    body: { name: 'web-1', environment_id: env.id, cpu: 2, security_group_ids: [sg.id] } })).json;
  await A('POST', '/api/v1/vms', 404, { body: { name: 'x', environment_id: 'nope' } });
  await A('POST', '/api/v1/vms', 404, {
    body: { name: 'x', environment_id: env.id, security_group_ids: ['nope'] } });
  await A('POST', '/api/v1/vms', 409, { body: { name: 'web-1', environment_id: env.id } });
  await A('POST', '/api/v1/vms', 422, { body: { name: 'x', environment_id: env.id, cpu: 0 } });
  await A('POST', '/api/v1/vms', 422, { body: { cpu: 'many', memory_mb: 1.5 } });
  await A('GET', '/api/v1/vms?status=creating', 200);
  await A('GET', '/api/v1/vms?status=bogus', 422);
  await A('GET', `/api/v1/vms/${vm.id}`, 200);
  await A('GET', '/api/v1/vms/nope', 404);
  const vol = (await A('POST', '/api/v1/volumes', 202, {
    body: { name: 'data', environment_id: env.id, size_gb: 20, volume_type: 'ssd' } })).json;
  await A('POST', '/api/v1/volumes', 404, {
    body: { name: 'x', environment_id: 'nope', size_gb: 1 } });
  await A('POST', '/api/v1/volumes', 409, {
    body: { name: 'data', environment_id: env.id, size_gb: 1 } });
  await A('POST', '/api/v1/volumes', 422, {
    body: { name: 'x', environment_id: env.id, volume_type: 'floppy' } });
  await A('GET', `/api/v1/volumes?environment_id=${env.id}&status=creating`, 200);
  await A('GET', '/api/v1/volumes?status=bogus', 422);
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
  await A('POST', `/api/v1/volumes/${vol.id}/detach/`, 409);
  await A('POST', '/api/v1/volumes/nope/detach', 404);

  // A failed creation (error set, no IP) and a revoked one.
  await A('POST', '/_mock/faults', 201, { body: { operation: 'vm.create', fail_next: 1 } });
  const doomed = (await A('POST', '/api/v1/vms', 202, {
    body: { name: 'doomed', environment_id: env.id } })).json;
  const revoked = (await A('POST', '/api/v1/vms', 202, {
    body: { name: 'short-lived', environment_id: env.id } })).json;
  await A('DELETE', `/api/v1/vms/${revoked.id}`, 202);
  await A('DELETE', `/api/v1/vms/${revoked.id}`, 202);
  await A('POST', '/_mock/clock/advance', 200, { body: { seconds: 120 } });
  const failed = (await A('GET', `/api/v1/vms/${doomed.id}`, 200)).json;
  assert.equal(failed.status, 'error');
  assert.equal(failed.ip_address, null);
  await A('GET', '/api/v1/tasks', 200);
  await A('GET', `/api/v1/tasks?resource_id=${revoked.id}&state=REVOKED`, 200);
  await A('GET', '/api/v1/tasks?state=DONE', 422);
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
  await A('PUT', '/api/v1/vms', 405);
  await A('DELETE', '/health', 405);
  await A('POST', '/_mock/faults', 201, { body: { route: 'GET /api/v1/vms', status: 503 } });
  await A('GET', '/api/v1/vms', 503, { viaDefault: true });
  await A('POST', '/_mock/faults', 201, { body: { route: 'GET /api/v1/volumes', status: 500 } });
  await A('GET', '/api/v1/volumes/', 500);
  await A('POST', '/_mock/faults', 201, {
    body: { route: 'POST /api/v1/environments', status: 422 } });
  await A('POST', '/api/v1/environments', 422, { body: { name: 'x' } });
  await A('DELETE', '/_mock/faults', 204);

  await t.test(`${c.count} responses match the document`, () => {
    assert.deepEqual(c.failures, []);
  });
  await t.test('every operation and every status the document lists was exercised', () => {
    assert.deepEqual(c.uncovered(), []);
  });
});
