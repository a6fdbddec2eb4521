// A TypeScript client generated from the /openapi.json of `mockcloud-server --dialect original`
// runs the original's resources through their lives (lifecycle-original.ts): the steps of
// ts-client.test.js (harness.js), against a server started with --dialect original --clock
// virtual --seed 42 --worker-failure-rate 0. lifecycle-original.ts imports the generated
// functions from ./api, which this test writes: their names follow the document's operationIds,
// so they are found by method and path in the generated sdk.gen.ts.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, request } = require('../openapi/common.js');
const { stepper, npmCi, runFolder, generate, compile, runProgram } = require('./harness.js');

/// The names lifecycle-original.ts imports, and the operation of each.
const OPERATIONS = {
  createEnvironment: 'POST /api/v1/environments/',
  deleteEnvironment: 'DELETE /api/v1/environments/{environment_id}',
  createSecurityGroup: 'POST /api/v1/security-groups/',
  createVm: 'POST /api/v1/vms/',
  listVms: 'GET /api/v1/vms/',
  getVm: 'GET /api/v1/vms/{vm_id}',
  deleteVm: 'DELETE /api/v1/vms/{vm_id}',
  createVolume: 'POST /api/v1/volumes/',
  listVolumes: 'GET /api/v1/volumes/',
  getVolume: 'GET /api/v1/volumes/{volume_id}',
  deleteVolume: 'DELETE /api/v1/volumes/{volume_id}',
  attachVolume: 'POST /api/v1/volumes/{volume_id}/attach/{vm_id}',
  detachVolume: 'POST /api/v1/volumes/{volume_id}/detach',
};

/// 'METHOD /path' -> the name of the generated function, from sdk.gen.ts, where each is
/// `export const name = <...>(options...) => (...).method<...>({ url: '/path', ...`.
function generatedFunctions(sdk) {
  const found = new Map();
  const pattern =
    /export const (\w+) = [^\n]*?\.(get|post|put|patch|delete)<[^>]*>\(\{\s*url: '([^']*)'/g;
  for (const [, name, method, url] of sdk.matchAll(pattern))
    found.set(`${method.toUpperCase()} ${url}`, name);
  return found;
}

test('a TypeScript client generated from the original dialect\'s /openapi.json', async (t) => {
  const step = stepper(t);

  await step('npm ci: @hey-api/openapi-ts and typescript, pinned', npmCi);

  const run = runFolder('run-original');
  const server = await startServer(['--dialect', 'original', '--clock', 'virtual', '--seed', '42',
                                    '--worker-failure-rate', '0']);
  t.after(() => server.stop());

  const spec = path.join(run, 'openapi.json');
  await step('GET /openapi.json: the original dialect\'s document', async () => {
    const r = await request(server.url, 'GET', '/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.json.openapi, '3.1.0');
    assert.equal(r.json.info.title, 'Mock Cloud API');
    fs.writeFileSync(spec, r.body);
  });

  await step('generate the client (@hey-api/openapi-ts, its defaults)', () => generate(run, spec));

  await step('find the original\'s operations among the generated functions', () => {
    const sdk = fs.readFileSync(path.join(run, 'src', 'client', 'sdk.gen.ts'), 'utf8');
    const generated = generatedFunctions(sdk);
    const missing = Object.values(OPERATIONS).filter((op) => !generated.has(op));
    assert.deepEqual(missing, [], `generated: ${[...generated.keys()].join(', ')}`);
    const names = Object.entries(OPERATIONS)
      .map(([ours, op]) => `  ${generated.get(op)} as ${ours},`);
    fs.writeFileSync(path.join(run, 'src', 'api.ts'),
                     '// Written by ts-client-original.test.js: the generated functions that ' +
                     'lifecycle-original.ts uses.\n' +
                     `export {\n${names.join('\n')}\n} from './client';\n`);
  });

  await step('compile it and lifecycle-original.ts (tsc, strict)', async () => {
    fs.copyFileSync(path.join(__dirname, 'lifecycle-original.ts'),
                    path.join(run, 'src', 'lifecycle-original.ts'));
    await compile(run);
  });

  await step('run it: environment, security group, VM, volume, attach, detach, deletions',
             () => runProgram(run, 'lifecycle-original', server.url));
});
