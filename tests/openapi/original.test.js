// `--dialect original`: the wire format of the Python Mock Cloud API (API-original.md). Its
// /openapi.json passes a standard OpenAPI 3.1 validator, is titled and versioned as the
// original's, and its component schemas are the original's field by field
// (original-schemas.json). Real requests cover every operation and every status it lists, and
// each response validates against it (the Checker of openapi.test.js, with the same log-based
// route check); the error bodies are the original's (FastAPI's 422 items, the bare-string 409,
// the security group's 400, the {"error": {...}} envelope). Then the original's demo.py, step by
// step, against a virtual clock: environment, security group, VM, volume, the lists as demo.py
// reads them, the lifecycles, attach, detach and deletions.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { npmModule, startServer, request } = require('./common.js');
const { ProxyMatcher, Checker, requestRoutes, exerciseCommonRoutes } = require('./checker.js');
const { schemaDifferences } = require('./schema-compare.js');
const original = require('./original-schemas.json');

const SwaggerParser = npmModule('@apidevtools/swagger-parser');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const VIRTUAL_START = '2030-01-01T00:00:00.000000Z';  // where --clock virtual starts

/// The original's operations: method, path, the request body's schema and the 200's (null: none,
/// or the original's `{}`).
const OPERATIONS = [
  ['post', '/api/v1/environments/', 'EnvironmentCreate', 'EnvironmentResponse'],
  ['get', '/api/v1/environments/', null, 'EnvironmentListResponse'],
  ['get', '/api/v1/environments/{environment_id}', null, 'EnvironmentResponse'],
  ['delete', '/api/v1/environments/{environment_id}', null, null],
  ['post', '/api/v1/security-groups/', 'SecurityGroupCreate', 'SecurityGroupResponse'],
  ['get', '/api/v1/security-groups/', null, 'SecurityGroupListResponse'],
  ['get', '/api/v1/security-groups/{security_group_id}', null, 'SecurityGroupResponse'],
  ['delete', '/api/v1/security-groups/{security_group_id}', null, null],
  ['post', '/api/v1/vms/', 'VMCreate', 'TaskResponse'],
  ['get', '/api/v1/vms/', null, 'VMListResponse'],
  ['get', '/api/v1/vms/{vm_id}', null, 'VMResponse'],
  ['delete', '/api/v1/vms/{vm_id}', null, 'TaskResponse'],
  ['post', '/api/v1/volumes/', 'VolumeCreate', 'TaskResponse'],
  ['get', '/api/v1/volumes/', null, 'VolumeListResponse'],
  ['get', '/api/v1/volumes/{volume_id}', null, 'VolumeResponse'],
  ['delete', '/api/v1/volumes/{volume_id}', null, 'TaskResponse'],
  ['post', '/api/v1/volumes/{volume_id}/attach/{vm_id}', null, null],
  ['post', '/api/v1/volumes/{volume_id}/detach', null, null],
  ['get', '/', null, null],
  ['get', '/health', null, null],
  ['get', '/health/db', null, null],
];

/// The properties the document's ValidationError may have beyond the original's loc, msg and
/// type: what pydantic 2 gives too (FastAPI answers them), each optional.
const VALIDATION_ERROR_EXTRAS = ['input', 'ctx', 'url'];

/// FastAPI's {"detail": "..."} of an unknown path and of a wrong method, for a document that has
/// no components.responses for them.
const detailResponse = (text) => ({
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['detail'],
        additionalProperties: false,
        properties: { detail: { const: text } },
      },
    },
  },
});

/// The envelope of a not-found: `{"error": {...}}` as the original words it.
function assertNotFound(body, kind, id) {
  assert.deepEqual(body, {
    error: {
      code: 'RESOURCE_NOT_FOUND',
      message: `${kind} with id ${id} not found`,
      status_code: 404,
      resource_type: kind,
      resource_id: String(id),
    },
  });
}

/// The envelope of a broken state rule: code RESOURCE_CONFLICT, status_code 409, a message.
function assertConflict(body) {
  assert.equal(typeof body, 'object');
  assert.equal(body.error.code, 'RESOURCE_CONFLICT');
  assert.equal(body.error.status_code, 409);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
}

/// FastAPI's 422: every item has type, loc, msg and input (ctx and url optional, nothing else);
/// one of them is at `loc` with `type` (and `input`, when given).
function assertInvalid(body, loc, type, input) {
  assert.ok(Array.isArray(body.detail) && body.detail.length > 0, JSON.stringify(body));
  for (const item of body.detail) {
    for (const key of ['type', 'loc', 'msg', 'input'])
      assert.ok(key in item, `${key} in ${JSON.stringify(item)}`);
    for (const key of Object.keys(item))
      assert.ok(['type', 'loc', 'msg', 'input', 'ctx', 'url'].includes(key), `${key} in an item`);
    assert.equal(typeof item.msg, 'string');
  }
  const item = body.detail.find((i) => JSON.stringify(i.loc) === JSON.stringify(loc));
  assert.ok(item, `no item at ${JSON.stringify(loc)}: ${JSON.stringify(body)}`);
  assert.equal(item.type, type);
  if (input !== undefined) assert.deepEqual(item.input, input);
}

/// The 200 of a create or delete of a VM or volume: a started task. A create names the resource
/// (`id`, `resource_type`); a delete may leave them null or out, or name it too.
function assertTask(body, message, resourceType, id, { create }) {
  assert.match(body.task_id, UUID);
  assert.equal(body.status, 'started');
  assert.equal(body.message, message);
  if (create) {
    assert.deepEqual(Object.keys(body).sort(),
                     ['id', 'message', 'resource_type', 'status', 'task_id']);
    assert.ok(Number.isInteger(body.id) && body.id >= 1, `id ${body.id}`);
    if (id !== undefined) assert.equal(body.id, id);
    assert.equal(body.resource_type, resourceType);
  } else {
    assert.ok([undefined, null, id].includes(body.id), `id ${body.id}`);
    assert.ok([undefined, null, resourceType].includes(body.resource_type), body.resource_type);
    for (const key of Object.keys(body))
      assert.ok(['task_id', 'status', 'message', 'id', 'resource_type'].includes(key), key);
  }
}

/// An IPv4 address inside a CIDR block.
function inCidr(ip, cidr) {
  const toInt = (a) => a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const [network, bits] = cidr.split('/');
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(network) / size);
}

test('--dialect original: the document, every status, the original\'s demo', async (t) => {
  // Request log lines (JSON) say which route of the table each request ran.
  const logging = ['--log-format', 'json', '--log-level', 'info'];
  const a = await startServer(['--dialect', 'original', '--clock', 'virtual', '--seed', '42',
                               ...logging]);
  const b = await startServer(['--dialect', 'original', '--clock', 'system', '--assets-dir',
                               '/nonexistent/assets', ...logging]);
  t.after(async () => {
    await a.stop();
    await b.stop();
  });

  // Redirects are not followed: a 307 is an answer to see.
  let sent = 0;
  const send = async (s, method, target, opts = {}) => {
    const sentId = `original-${++sent}`;
    const r = await request(s.url, method, target, {
      ...opts, redirect: 'manual', headers: { 'x-request-id': sentId, ...opts.headers } });
    return Object.assign(r, { sentId });
  };

  const docResponse = await send(a, 'GET', '/openapi.json');
  assert.equal(docResponse.status, 200);
  const doc = docResponse.json;
  assert.equal(doc.openapi, '3.1.0');

  await t.test('a standard validator accepts it (@apidevtools/swagger-parser)', async () => {
    await SwaggerParser.validate(structuredClone(doc));
  });

  await t.test('titled "Mock Cloud API", version 1.0.0, as the original', () => {
    assert.equal(doc.info.title, 'Mock Cloud API');
    assert.equal(doc.info.version, '1.0.0');
  });

  await t.test('the component schemas are the original\'s, field by field', () => {
    const differences = [];
    for (const [name, want] of Object.entries(original)) {
      if (name.startsWith('$')) continue;
      const extra = name === 'ValidationError' ? VALIDATION_ERROR_EXTRAS : [];
      differences.push(...schemaDifferences(name, want, doc.components.schemas[name], { extra }));
    }
    assert.deepEqual(differences, []);
  });

  await t.test('the original\'s operations, paths and parameters, bodies and 200s', () => {
    const problems = [];
    for (const [method, path, body, ok] of OPERATIONS) {
      const op = doc.paths[path] && doc.paths[path][method];
      if (!op) {
        problems.push(`${method.toUpperCase()} ${path}: missing`);
        continue;
      }
      const where = `${method.toUpperCase()} ${path}`;
      const params = op.parameters || [];
      const named = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const inPath = params.filter((p) => p.in === 'path');
      if (JSON.stringify(inPath.map((p) => p.name)) !== JSON.stringify(named))
        problems.push(`${where}: path parameters ${inPath.map((p) => p.name)}`);
      for (const p of inPath)
        if (!p.schema || p.schema.type !== 'integer')
          problems.push(`${where}: ${p.name} is not an integer`);
      if (method === 'get' && path.endsWith('s/')) {
        for (const [name, value] of [['skip', 0], ['limit', 100]]) {
          const p = params.find((q) => q.in === 'query' && q.name === name);
          if (!p || !p.schema || p.schema.type !== 'integer' || p.schema.default !== value)
            problems.push(`${where}: query ${name} is not an integer defaulting to ${value}`);
        }
      }
      const media = op.requestBody && (op.requestBody.content || {})['application/json'];
      const bodyRef = media && media.schema && media.schema.$ref;
      if ((bodyRef || null) !== (body && `#/components/schemas/${body}`))
        problems.push(`${where}: request body ${bodyRef}`);
      const success = op.responses['200'];
      const okSchema = success && success.content && success.content['application/json'];
      if (!okSchema) problems.push(`${where}: no 200 with a JSON body`);
      else if (ok && okSchema.schema.$ref !== `#/components/schemas/${ok}`)
        problems.push(`${where}: 200 is ${JSON.stringify(okSchema.schema)}, not ${ok}`);
      const unprocessable = JSON.stringify(op.responses['422'] || {});
      if (path.startsWith('/api/v1/') &&
          !unprocessable.includes('#/components/schemas/HTTPValidationError'))
        problems.push(`${where}: no 422 HTTPValidationError`);
    }
    assert.deepEqual(problems, []);
  });

  await t.test('collections end with a slash, items do not; no slashless collection', () => {
    for (const path of ['/api/v1/vms', '/api/v1/environments', '/api/v1/vms/{vm_id}/', '/health/'])
      assert.ok(!(path in doc.paths), path);
    const proxy = new ProxyMatcher(doc.paths);
    assert.equal(proxy.template('/api/v1/vms/'), '/api/v1/vms/');
    assert.equal(proxy.template('/api/v1/vms/?skip=0'), '/api/v1/vms/');
    assert.equal(proxy.template('/api/v1/vms/abc'), '/api/v1/vms/{vm_id}');
    assert.equal(proxy.template('/api/v1/volumes/3/attach/4'),
                 '/api/v1/volumes/{volume_id}/attach/{vm_id}');
    assert.equal(proxy.template('/api/v1/vms'), undefined);
  });

  const c = new Checker(doc, {
    unrouted: { 404: detailResponse('Not Found'), 405: detailResponse('Method Not Allowed') },
  });
  const A = (method, target, expect, opts = {}) =>
    send(a, method, target, opts).then((r) => c.check(r, expect, opts));
  const B = (method, target, expect, opts = {}) =>
    send(b, method, target, opts).then((r) => c.check(r, expect, opts));
  const advance = (seconds) => A('POST', '/_mock/clock/advance', 200, { body: { seconds } });

  // What a response says, beyond its status and schema (the Checker's): a failure is recorded and
  // reported at the end, so that the scenario goes on.
  const mismatches = [];
  const verify = (r, what, assertions) => {
    try {
      assertions(r.json, r);
    } catch (e) {
      const where = `${r.method} ${r.target} -> ${r.status}`;
      mismatches.push(`${where}: ${what}: ${e.message.replace(/\s+/g, ' ').slice(0, 600)}`);
    }
    return r.json;
  };

  c.check(docResponse, 200);

  // ---- the original's demo.py, step by step; each step needs the ones before ----
  await t.test('demo.py, step by step', async (t) => {
    let failed = false;
    const step = (name, fn) =>
      t.test(name, { skip: failed && 'an earlier step failed' }, async () => {
        try {
          await fn();
        } catch (e) {
          failed = true;
          throw e;
        }
      });
    const vmPath = (id) => `/api/v1/vms/${id}`;
    const volumePath = (id) => `/api/v1/volumes/${id}`;
    let env;
    let sg;
    let vmTask;
    let volumeTask;
    let vm;
    let volume;

    await step('wait_for_service: GET /health', async () => {
      assert.deepEqual((await A('GET', '/health', 200)).json, { status: 'healthy' });
    });

    await step('create_environment demo-env, 10.200.0.0/16: echoed', async () => {
      const asked = { name: 'demo-env', network_cidr: '10.200.0.0/16',
                      description: 'Demo environment for testing' };
      const r = await A('POST', '/api/v1/environments/', 200, { body: asked });
      assert.equal(r.status, 200, r.body);
      env = r.json;
      assert.deepEqual(env, { ...asked, id: 1, created_at: VIRTUAL_START, updated_at: null });
    });

    // demo.py sends json.dumps(rules): a string, kept as given, spaces and all.
    const rules = '{"inbound": [{"protocol": "tcp", "port": 22, "source": "0.0.0.0/0"}, ' +
                  '{"protocol": "tcp", "port": 80, "source": "0.0.0.0/0"}], ' +
                  '"outbound": [{"protocol": "all", "port": "all", "destination": "0.0.0.0/0"}]}';
    await step('create_security_group demo-sg, rules a JSON string: echoed verbatim', async () => {
      const asked = { name: 'demo-sg', description: 'Demo security group', rules };
      const r = await A('POST', '/api/v1/security-groups/', 200, { body: asked });
      assert.equal(r.status, 200, r.body);
      sg = r.json;
      assert.deepEqual(sg, { ...asked, id: 1, created_at: VIRTUAL_START, updated_at: null });
    });

    await step('create_vm demo-vm-1, t3.micro, the security group: a started task', async () => {
      const r = await A('POST', '/api/v1/vms/', 200, { body: {
        name: 'demo-vm-1', instance_type: 't3.micro', environment_id: env.id,
        security_group_id: sg.id } });
      assert.equal(r.status, 200, r.body);
      vmTask = r.json;
      assertTask(vmTask, 'VM creation started', 'vm', 1, { create: true });
    });

    await step('create_volume demo-vol-1, 20 GB: a started task', async () => {
      const r = await A('POST', '/api/v1/volumes/', 200, { body: {
        name: 'demo-vol-1', size_gb: 20, environment_id: env.id } });
      assert.equal(r.status, 200, r.body);
      volumeTask = r.json;
      assertTask(volumeTask, 'Volume creation started', 'volume', 1, { create: true });
      assert.notEqual(volumeTask.task_id, vmTask.task_id);
    });

    await step('list_resources: the four lists as demo.py reads them', async () => {
      const envs = (await A('GET', '/api/v1/environments/', 200)).json;
      assert.equal(envs.total, 1);
      assert.deepEqual(envs.environments.map((e) => [e.name, e.network_cidr]),
                       [['demo-env', '10.200.0.0/16']]);
      const sgs = (await A('GET', '/api/v1/security-groups/', 200)).json;
      assert.equal(sgs.total, 1);
      assert.deepEqual(sgs.security_groups.map((s) => s.name), ['demo-sg']);
      const vms = (await A('GET', '/api/v1/vms/', 200)).json;
      assert.equal(vms.total, 1);
      assert.deepEqual(vms.vms.map((v) => [v.name, v.status, v.resource_status]),
                       [['demo-vm-1', 'pending', 'pending']]);
      const volumes = (await A('GET', '/api/v1/volumes/', 200)).json;
      assert.equal(volumes.total, 1);
      assert.deepEqual(volumes.volumes.map((v) => [v.name, v.status, v.resource_status]),
                       [['demo-vol-1', 'pending', 'pending']]);
    });

    await step('the VM and the volume: pending, as asked', async () => {
      vm = (await A('GET', vmPath(vmTask.id), 200)).json;
      assert.deepEqual(vm, {
        name: 'demo-vm-1', instance_type: 't3.micro', environment_id: env.id,
        security_group_id: sg.id, id: vmTask.id, status: 'pending', resource_status: 'pending',
        ip_address: null, created_at: VIRTUAL_START, updated_at: null });
      volume = (await A('GET', volumePath(volumeTask.id), 200)).json;
      assert.deepEqual(volume, {
        name: 'demo-vol-1', size_gb: 20, environment_id: env.id, vm_id: null, id: volumeTask.id,
        status: 'pending', resource_status: 'pending', created_at: VIRTUAL_START,
        updated_at: null });
    });

    await step('the VM\'s task: GET /api/v1/tasks/{task_id}', async () => {
      const task = (await A('GET', `/api/v1/tasks/${vmTask.task_id}`, 200)).json;
      assert.equal(task.id, vmTask.task_id);
      assert.equal(task.kind, 'vm.create');
    });

    await step('1 s later: the VM starting (resource creating), no IP yet', async () => {
      await advance(1);
      vm = (await A('GET', vmPath(vmTask.id), 200)).json;
      assert.equal(vm.status, 'starting');
      assert.equal(vm.resource_status, 'creating');
      assert.equal(vm.ip_address, null);
      assert.match(vm.updated_at, TIMESTAMP);
      assert.ok(vm.updated_at > vm.created_at, vm.updated_at);
      volume = (await A('GET', volumePath(volumeTask.id), 200)).json;
      assert.ok(['pending', 'creating'].includes(volume.status), volume.status);
      assert.equal(volume.resource_status, volume.status);
    });

    /// GETs `path` until its status is one of `settled`, advancing the clock 1 s between reads
    /// (at most 10 times: the clock was already moved past the longest creation).
    const settle = async (path, settled) => {
      for (let i = 0; ; i++) {
        const body = (await A('GET', path, 200)).json;
        if (settled.includes(body.status) || i === 10) return body;
        await advance(1);
      }
    };

    await step('61 s after creation: the VM running with an IP in 10.200.0.0/16 (or failed, ' +
               'and another one until one runs)', async () => {
      await advance(60);
      vm = await settle(vmPath(vmTask.id), ['running', 'failed']);
      for (let n = 2; vm.status === 'failed'; n++) {
        assert.equal(vm.resource_status, 'failed');
        assert.equal(vm.ip_address, null);
        assert.equal(vm.name, `demo-vm-${n - 1}`);
        assert.match(vm.updated_at, TIMESTAMP);
        assert.ok(n <= 6, 'five VMs failed in a row');
        const r = await A('POST', '/api/v1/vms/', 200, { body: {
          name: `demo-vm-${n}`, instance_type: 't3.micro', environment_id: env.id,
          security_group_id: sg.id } });
        vmTask = r.json;
        assertTask(vmTask, 'VM creation started', 'vm', vm.id + 1, { create: true });
        await advance(61);
        vm = await settle(vmPath(vmTask.id), ['running', 'failed']);
      }
      assert.equal(vm.status, 'running');
      assert.equal(vm.resource_status, 'active');
      assert.ok(inCidr(vm.ip_address, '10.200.0.0/16'), `${vm.ip_address} in 10.200.0.0/16`);
      assert.equal(vm.instance_type, 't3.micro');
      assert.equal(vm.security_group_id, sg.id);
    });

    await step('the volume available (resource active; or failed, and another one)', async () => {
      volume = await settle(volumePath(volumeTask.id), ['available', 'failed']);
      for (let n = 2; volume.status === 'failed'; n++) {
        assert.equal(volume.resource_status, 'failed');
        assert.equal(volume.vm_id, null);
        assert.ok(n <= 6, 'five volumes failed in a row');
        volumeTask = (await A('POST', '/api/v1/volumes/', 200, { body: {
          name: `demo-vol-${n}`, size_gb: 20, environment_id: env.id } })).json;
        assertTask(volumeTask, 'Volume creation started', 'volume', volume.id + 1,
                   { create: true });
        await advance(61);
        volume = await settle(volumePath(volumeTask.id), ['available', 'failed']);
      }
      assert.equal(volume.status, 'available');
      assert.equal(volume.resource_status, 'active');
      assert.equal(volume.vm_id, null);
      assert.equal(volume.size_gb, 20);
    });

    await step('attach the volume to the VM: 200, the volume in_use on the VM', async () => {
      const r = await A('POST', `/api/v1/volumes/${volume.id}/attach/${vm.id}`, 200);
      assert.deepEqual(r.json, { message: 'Volume attached to VM successfully' });
      volume = (await A('GET', volumePath(volume.id), 200)).json;
      assert.equal(volume.status, 'in_use');
      assert.equal(volume.resource_status, 'active');
      assert.equal(volume.vm_id, vm.id);
    });

    await step('detach it: 200, available again, no VM', async () => {
      const r = await A('POST', `/api/v1/volumes/${volume.id}/detach`, 200);
      assert.deepEqual(r.json, { message: 'Volume detached from VM successfully' });
      volume = (await A('GET', volumePath(volume.id), 200)).json;
      assert.equal(volume.status, 'available');
      assert.equal(volume.resource_status, 'active');
      assert.equal(volume.vm_id, null);
    });

    await step('delete the volume and the VM: started tasks, both deleting', async () => {
      const dv = (await A('DELETE', volumePath(volume.id), 200)).json;
      assertTask(dv, 'Volume deletion started', 'volume', volume.id, { create: false });
      const dm = (await A('DELETE', vmPath(vm.id), 200)).json;
      assertTask(dm, 'VM deletion started', 'vm', vm.id, { create: false });
      const v = (await A('GET', vmPath(vm.id), 200)).json;
      assert.deepEqual([v.status, v.resource_status], ['deleting', 'deleting']);
      const d = (await A('GET', volumePath(volume.id), 200)).json;
      assert.deepEqual([d.status, d.resource_status], ['deleting', 'deleting']);
    });

    await step('11 s later: both deleted, still readable and listed', async () => {
      await advance(11);
      const v = (await A('GET', vmPath(vm.id), 200)).json;
      assert.deepEqual([v.status, v.resource_status], ['deleted', 'deleted']);
      assert.equal(v.ip_address, vm.ip_address, 'a deleted VM keeps showing its last IP');
      const d = (await A('GET', volumePath(volume.id), 200)).json;
      assert.deepEqual([d.status, d.resource_status], ['deleted', 'deleted']);
      const vms = (await A('GET', '/api/v1/vms/', 200)).json;
      assert.equal(vms.total, vms.vms.length);
      assert.deepEqual(vms.vms.filter((x) => x.id === vm.id).map((x) => x.status), ['deleted']);
      const ids = vms.vms.map((x) => x.id);
      assert.deepEqual(ids, [...ids].sort((p, q) => p - q), 'ordered by id');
      const volumes = (await A('GET', '/api/v1/volumes/', 200)).json;
      assert.deepEqual(volumes.volumes.filter((x) => x.id === volume.id).map((x) => x.status),
                       ['deleted']);
    });
  });

  // ---- every operation and status: the routes of every dialect (this resets A's state and
  // sets worker_failure_rate 0), then the original's ----
  await exerciseCommonRoutes(A, B);
  await A('GET', '/ui', 404);  // the dashboard speaks the default dialect only

  /// A request to A whose body must also pass `assertions` (see verify); resolves to the body.
  const V = async (method, target, expect, opts, what, assertions) =>
    verify(await A(method, target, expect, opts), what, assertions);
  const invalid = (loc, type, input) => (body) => assertInvalid(body, loc, type, input);
  const notFound = (kind, id) => (body) => assertNotFound(body, kind, id);
  const equals = (value) => (body) => assert.deepEqual(body, value);
  const ENVS = '/api/v1/environments/';
  const SGS = '/api/v1/security-groups/';
  const VMS = '/api/v1/vms/';
  const VOLUMES = '/api/v1/volumes/';

  // Service.
  await V('GET', '/', 200, {}, 'the root', equals({
    message: 'Mock Cloud API', version: '1.0.0', docs: '/docs', health: '/health' }));
  await V('GET', '/health', 200, {}, 'healthy', equals({ status: 'healthy' }));
  await V('GET', '/health/db', 200, {}, 'the store connected',
          equals({ status: 'healthy', database: 'connected' }));

  // Environments. A reset restarts every id sequence at 1.
  const prod = { name: 'prod', network_cidr: '10.50.0.0/16', description: null };
  const env = await V('POST', ENVS, 200, { body: prod }, 'created', (body) => {
    assert.equal(body.id, 1);
    assert.deepEqual([body.name, body.network_cidr, body.description],
                     [prod.name, prod.network_cidr, null]);
    assert.match(body.created_at, TIMESTAMP);
    assert.equal(body.updated_at, null);
  });
  await V('POST', ENVS, 200, { body: { name: 'defaults' } }, 'the default network',
          (body) => assert.equal(body.network_cidr, '10.0.0.0/16'));
  await V('POST', ENVS, 409, { body: { name: 'prod' } }, 'a bare string',
          equals("environment with name 'prod' already exists"));
  await V('POST', ENVS, 422, { body: {} }, 'name missing',
          invalid(['body', 'name'], 'missing', {}));
  await V('POST', ENVS, 422, { body: { name: '' } }, 'name empty',
          invalid(['body', 'name'], 'string_too_short', ''));
  await V('POST', ENVS, 422, { body: { name: 'bad-net', network_cidr: '10.0.0.0/40' } },
          'a bad CIDR', (body) =>
            assert.deepEqual(body.detail.map((i) => i.loc), [['body', 'network_cidr']]));
  await V('POST', ENVS, 422, { body: '{not json' }, 'not JSON', (body) =>
    assert.deepEqual(body.detail.map((i) => [i.type, i.loc[0]]), [['json_invalid', 'body']]));
  await V('GET', `${ENVS}?skip=1&limit=1`, 200, {}, 'a page', (body) => {
    assert.equal(body.total, 2);
    assert.deepEqual(body.environments.map((e) => e.name), ['defaults']);
  });
  await V('GET', `${ENVS}?skip=-1`, 422, {}, 'a negative skip',
          invalid(['query', 'skip'], 'greater_than_equal'));
  await V('GET', `${ENVS}?limit=abc`, 422, {}, 'a limit not an integer',
          invalid(['query', 'limit'], 'int_parsing', 'abc'));
  await V('GET', `${ENVS}${env.id}`, 200, {}, 'read back',
          (body) => assert.equal(body.name, 'prod'));
  await V('GET', `${ENVS}9999`, 404, {}, 'not found', notFound('environment', 9999));
  await V('GET', `${ENVS}abc`, 422, {}, 'an id not an integer',
          invalid(['path', 'environment_id'], 'int_parsing', 'abc'));

  // Security groups: global; a duplicate is a 400 that says what is wrong.
  const sg = await V('POST', SGS, 200, { body: { name: 'web-sg', rules: '[{"port": 443}]' } },
                     'created', (body) => {
                       assert.equal(body.id, 1);
                       assert.deepEqual([body.name, body.description, body.rules],
                                        ['web-sg', null, '[{"port": 443}]']);
                     });
  await V('POST', SGS, 400, { body: { name: 'web-sg' } }, 'the message',
          equals({ detail: "security_group with name 'web-sg' already exists" }));
  await V('POST', SGS, 422, { body: { rules: 'x' } }, 'name missing',
          invalid(['body', 'name'], 'missing', { rules: 'x' }));
  await V('GET', SGS, 200, {}, 'the list', (body) => {
    assert.equal(body.total, 1);
    assert.deepEqual(body.security_groups.map((s) => s.name), ['web-sg']);
  });
  await V('GET', `${SGS}?limit=-1`, 422, {}, 'a negative limit',
          invalid(['query', 'limit'], 'greater_than_equal'));
  await A('GET', `${SGS}${sg.id}`, 200);
  await V('GET', `${SGS}9999`, 404, {}, 'not found', notFound('security_group', 9999));
  await V('GET', `${SGS}abc`, 422, {}, 'an id not an integer',
          invalid(['path', 'security_group_id'], 'int_parsing', 'abc'));

  // VMs.
  const vmBody = {
    name: 'web-1', instance_type: 't3.small', environment_id: env.id, security_group_id: sg.id };
  const vmTask = await V('POST', VMS, 200, { body: vmBody }, 'a started task', (body) =>
    assertTask(body, 'VM creation started', 'vm', 1, { create: true }));
  await V('POST', VMS, 404, { body: { ...vmBody, name: 'x', environment_id: 9999 } },
          'no such environment', notFound('environment', 9999));
  await V('POST', VMS, 404, { body: { ...vmBody, name: 'x', security_group_id: 9999 } },
          'no such security group', notFound('security_group', 9999));
  await V('POST', VMS, 409, { body: vmBody }, 'a bare string',
          equals("vm with name 'web-1' already exists"));
  await V('POST', VMS, 422, { body: {} }, 'the missing fields', (body) => {
    for (const field of ['name', 'instance_type', 'environment_id'])
      assertInvalid(body, ['body', field], 'missing', {});
    assert.equal(body.detail.length, 3);
  });
  await V('POST', VMS, 422, { body: { ...vmBody, name: 'x', environment_id: 'one' } },
          'an environment_id not an integer',
          invalid(['body', 'environment_id'], 'int_parsing', 'one'));
  await V('POST', VMS, 422, { body: { ...vmBody, name: 'x', instance_type: 'x'.repeat(51) } },
          'an instance_type too long', invalid(['body', 'instance_type'], 'string_too_long'));
  await V('GET', VMS, 200, {}, 'the list', (body) => {
    assert.equal(body.total, 1);
    assert.deepEqual(body.vms.map((v) => [v.id, v.name]), [[vmTask.id, 'web-1']]);
  });
  await V('GET', `${VMS}?skip=-1`, 422, {}, 'a negative skip',
          invalid(['query', 'skip'], 'greater_than_equal'));
  await A('GET', `${VMS}${vmTask.id}`, 200);
  await V('GET', `${VMS}9`, 404, {}, 'the original\'s envelope', equals({ error: {
    code: 'RESOURCE_NOT_FOUND', message: 'vm with id 9 not found', status_code: 404,
    resource_type: 'vm', resource_id: '9' } }));
  await V('GET', `${VMS}abc`, 422, {}, 'an id not an integer',
          invalid(['path', 'vm_id'], 'int_parsing', 'abc'));

  // Volumes.
  const volumeBody = { name: 'data', size_gb: 10, environment_id: env.id };
  const volumeTask = await V('POST', VOLUMES, 200, { body: volumeBody }, 'a started task', (body) =>
    assertTask(body, 'Volume creation started', 'volume', 1, { create: true }));
  await V('POST', VOLUMES, 404, { body: { ...volumeBody, name: 'x', environment_id: 9999 } },
          'no such environment', notFound('environment', 9999));
  await V('POST', VOLUMES, 404, { body: { ...volumeBody, name: 'x', vm_id: 9999 } },
          'no such VM', notFound('vm', 9999));
  await V('POST', VOLUMES, 409, { body: volumeBody }, 'a bare string',
          equals("volume with name 'data' already exists"));
  await V('POST', VOLUMES, 422, { body: { ...volumeBody, name: 'x', size_gb: 0 } }, 'size 0',
          invalid(['body', 'size_gb'], 'greater_than', 0));
  await V('POST', VOLUMES, 422, { body: { ...volumeBody, name: 'x', size_gb: 10001 } },
          'size over 10000', invalid(['body', 'size_gb'], 'less_than_equal', 10001));
  await A('GET', VOLUMES, 200);
  await V('GET', `${VOLUMES}?limit=-5`, 422, {}, 'a negative limit',
          invalid(['query', 'limit'], 'greater_than_equal'));
  await A('GET', `${VOLUMES}${volumeTask.id}`, 200);
  await V('GET', `${VOLUMES}9999`, 404, {}, 'not found', notFound('volume', 9999));
  await V('GET', `${VOLUMES}abc`, 422, {}, 'an id not an integer',
          invalid(['path', 'volume_id'], 'int_parsing', 'abc'));

  // The rules of attachments, and what blocks a delete, while nothing is running yet.
  const attach = `${VOLUMES}${volumeTask.id}/attach/${vmTask.id}`;
  const detach = `${VOLUMES}${volumeTask.id}/detach`;
  await V('POST', attach, 409, {}, 'the VM is not running', assertConflict);
  await V('POST', `${VOLUMES}9999/attach/${vmTask.id}`, 404, {}, 'no such volume',
          notFound('volume', 9999));
  await V('POST', `${VOLUMES}${volumeTask.id}/attach/9999`, 404, {}, 'no such VM',
          notFound('vm', 9999));
  await V('POST', `${VOLUMES}${volumeTask.id}/attach/abc`, 422, {}, 'a VM id not an integer',
          invalid(['path', 'vm_id'], 'int_parsing', 'abc'));
  await V('POST', detach, 409, {}, 'not attached', assertConflict);
  await V('POST', `${VOLUMES}9999/detach`, 404, {}, 'no such volume', notFound('volume', 9999));
  await V('POST', `${VOLUMES}abc/detach`, 422, {}, 'an id not an integer',
          invalid(['path', 'volume_id'], 'int_parsing', 'abc'));
  await V('DELETE', `${ENVS}${env.id}`, 409, {}, 'a live VM in it', assertConflict);

  // Running and available (no failure: worker_failure_rate 0), then attached.
  await advance(61);
  await V('GET', `${VMS}${vmTask.id}`, 200, {}, 'running', (body) => {
    assert.deepEqual([body.status, body.resource_status], ['running', 'active']);
    assert.ok(inCidr(body.ip_address, '10.50.0.0/16'), body.ip_address);
  });
  await V('POST', attach, 200, {}, 'attached',
          equals({ message: 'Volume attached to VM successfully' }));
  await V('POST', attach, 409, {}, 'already attached', assertConflict);
  await V('DELETE', `${VOLUMES}${volumeTask.id}`, 409, {}, 'in use', assertConflict);
  await V('POST', detach, 200, {}, 'detached',
          equals({ message: 'Volume detached from VM successfully' }));

  // Tasks: ours, read by the task_id of a 200.
  await V('GET', '/api/v1/tasks/', 200, {}, 'a list of the tasks', (body) => {
    assert.ok(Array.isArray(body));
    assert.ok(body.some((task) => task.id === vmTask.task_id), 'the VM\'s task is listed');
  });
  await V('GET', `/api/v1/tasks/${vmTask.task_id}`, 200, {}, 'the VM\'s task',
          (body) => assert.equal(body.id, vmTask.task_id));
  await V('GET', `/api/v1/tasks/${volumeTask.task_id}`, 200, {}, 'the volume\'s task',
          (body) => assert.equal(body.id, volumeTask.task_id));
  await V('GET', '/api/v1/tasks/nope', 404, {}, 'the envelope', (body) => {
    assert.equal(body.error.code, 'RESOURCE_NOT_FOUND');
    assert.equal(body.error.status_code, 404);
  });
  if (doc.paths['/api/v1/tasks/'] && doc.paths['/api/v1/tasks/'].get.responses['422'])
    await A('GET', '/api/v1/tasks/?state=DONE', 422);

  // A failed creation of each kind (an injected fault), in an environment of its own.
  const scratch = (await A('POST', ENVS, 200, { body: { name: 'scratch' } })).json;
  await A('POST', '/_mock/faults/', 201, { body: { operation: 'vm.create', fail_next: 1 } });
  await A('POST', '/_mock/faults/', 201, { body: { operation: 'volume.create', fail_next: 1 } });
  const doomedVm = (await A('POST', VMS, 200, {
    body: { name: 'doomed', instance_type: 't3.nano', environment_id: scratch.id } })).json;
  const doomedVolume = (await A('POST', VOLUMES, 200, {
    body: { name: 'doomed', size_gb: 1, environment_id: scratch.id } })).json;
  await advance(61);
  await V('GET', `${VMS}${doomedVm.id}`, 200, {}, 'failed', (body) => {
    assert.deepEqual([body.status, body.resource_status, body.ip_address],
                     ['failed', 'failed', null]);
    assert.match(body.updated_at, TIMESTAMP);
  });
  await V('GET', `${VOLUMES}${doomedVolume.id}`, 200, {}, 'failed', (body) =>
    assert.deepEqual([body.status, body.resource_status, body.vm_id], ['failed', 'failed', null]));
  await A('DELETE', '/_mock/faults/', 204);

  // Deletions. A security group that a VM uses goes, and the VM's reference with it.
  await V('DELETE', `${SGS}${sg.id}`, 200, {}, 'deleted',
          equals({ message: 'Security group deleted successfully' }));
  await V('GET', `${VMS}${vmTask.id}`, 200, {}, 'no security group any more',
          (body) => assert.equal(body.security_group_id, null));
  await V('DELETE', `${SGS}${sg.id}`, 404, {}, 'gone', notFound('security_group', sg.id));
  await V('DELETE', `${SGS}abc`, 422, {}, 'an id not an integer',
          invalid(['path', 'security_group_id'], 'int_parsing', 'abc'));
  await V('DELETE', `${VMS}${vmTask.id}`, 200, {}, 'a started task',
          (body) => assertTask(body, 'VM deletion started', 'vm', vmTask.id, { create: false }));
  await V('DELETE', `${VMS}9999`, 404, {}, 'not found', notFound('vm', 9999));
  await V('DELETE', `${VMS}abc`, 422, {}, 'an id not an integer',
          invalid(['path', 'vm_id'], 'int_parsing', 'abc'));
  await V('DELETE', `${VOLUMES}${volumeTask.id}`, 200, {}, 'a started task', (body) =>
    assertTask(body, 'Volume deletion started', 'volume', volumeTask.id, { create: false }));
  await V('DELETE', `${VOLUMES}9999`, 404, {}, 'not found', notFound('volume', 9999));
  await V('DELETE', `${VOLUMES}abc`, 422, {}, 'an id not an integer',
          invalid(['path', 'volume_id'], 'int_parsing', 'abc'));
  await advance(11);
  await V('GET', `${VMS}${vmTask.id}`, 200, {}, 'deleted',
          (body) => assert.deepEqual([body.status, body.resource_status], ['deleted', 'deleted']));
  // A deleted VM or volume keeps its name taken.
  await V('POST', VMS, 409, {
    body: { ...vmBody, environment_id: scratch.id, security_group_id: null } },
          'the name of a deleted VM', equals("vm with name 'web-1' already exists"));
  await V('POST', VOLUMES, 409, { body: { ...volumeBody, environment_id: scratch.id } },
          'the name of a deleted volume', equals("volume with name 'data' already exists"));
  // Only live resources block an environment's deletion: these are all deleted.
  await V('DELETE', `${ENVS}${env.id}`, 200, {}, 'deleted',
          equals({ message: 'Environment deleted successfully' }));
  await V('DELETE', `${ENVS}${env.id}`, 404, {}, 'gone', notFound('environment', env.id));
  await V('DELETE', `${ENVS}abc`, 422, {}, 'an id not an integer',
          invalid(['path', 'environment_id'], 'int_parsing', 'abc'));

  // ---- routing: unknown paths, wrong methods, and the slashless collections (307) ----
  await V('GET', '/nope', 404, {}, 'FastAPI\'s', equals({ detail: 'Not Found' }));
  await V('PUT', VMS, 405, {}, 'FastAPI\'s', (body, r) => {
    assert.deepEqual(body, { detail: 'Method Not Allowed' });
    assert.deepEqual(r.headers.allow.split(',').map((m) => m.trim()).sort(), ['GET', 'POST']);
  });
  await V('DELETE', '/health', 405, {}, 'FastAPI\'s', equals({ detail: 'Method Not Allowed' }));
  const before = (await A('GET', ENVS, 200)).json;
  for (const [method, target, body] of [
    ['GET', '/api/v1/vms', undefined],
    ['GET', '/api/v1/volumes?skip=0&limit=5', undefined],
    ['GET', '/api/v1/security-groups', undefined],
    ['POST', '/api/v1/environments', { name: 'redirected' }],
    ['DELETE', '/api/v1/environments', undefined],
  ]) {
    // Outside the document: not recorded with the Checker.
    const r = await send(a, method, target, { body });
    const [path, query] = target.split('?');
    const want = `${path}/${query === undefined ? '' : `?${query}`}`;
    verify(r, `a 307 to ${want}`, () => {
      assert.equal(r.status, 307);
      assert.ok(r.headers['x-request-id']);
      const location = new URL(r.headers.location, a.url);
      assert.equal(location.origin, new URL(a.url).origin);
      assert.equal(location.pathname + location.search, want);
    });
  }
  await V('GET', ENVS, 200, {}, 'nothing created by the redirected POST',
          (body) => assert.equal(body.total, before.total));

  // ---- injected faults, and a body over the limit ----
  await A('POST', '/_mock/faults/', 201, { body: { route: 'GET /api/v1/vms', status: 503 } });
  await A('GET', VMS, 503, { viaDefault: true });
  await A('POST', '/_mock/faults/', 201, { body: { route: 'GET /api/v1/volumes', status: 500 } });
  await A('GET', VOLUMES, 500);
  await A('DELETE', '/_mock/faults/', 204);
  await A('POST', ENVS, 413, {
    body: JSON.stringify({ name: 'x'.repeat(1 << 20) }), viaDefault: true,
    operation: doc.paths[ENVS].post.operationId });

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
  await t.test('the bodies and headers say what the original says', () => {
    assert.deepEqual(mismatches, []);
  });
});
