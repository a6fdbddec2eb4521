// A TypeScript client generated from the built server's /openapi.json runs a VM's and a volume's
// whole life (lifecycle.ts). In MOCKCLOUD_TS_CLIENT_DIR (the build tree, never the sources): npm ci
// of this folder's package-lock.json (@hey-api/openapi-ts and typescript, pinned), then, against a
// server started with --clock virtual --seed 42 --port 0: fetch /openapi.json, generate the client
// with the generator's defaults, compile it and lifecycle.ts with tsc (strict), run the result
// with node. Any step failing fails the test with that step's output (harness.js).
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, request } = require('../openapi/common.js');
const { stepper, npmCi, runFolder, generate, compile, runProgram } = require('./harness.js');

test('a TypeScript client generated from /openapi.json drives a VM and a volume', async (t) => {
  const step = stepper(t);

  await step('npm ci: @hey-api/openapi-ts and typescript, pinned', npmCi);

  const run = runFolder('run');
  const server = await startServer(['--clock', 'virtual', '--seed', '42']);
  t.after(() => server.stop());

  const spec = path.join(run, 'openapi.json');
  await step('GET /openapi.json', async () => {
    const r = await request(server.url, 'GET', '/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.json.openapi, '3.1.0');
    fs.writeFileSync(spec, r.body);
  });

  await step('generate the client (@hey-api/openapi-ts, its defaults)', () => generate(run, spec));

  await step('compile it and lifecycle.ts (tsc, strict)', async () => {
    fs.copyFileSync(path.join(__dirname, 'lifecycle.ts'), path.join(run, 'src', 'lifecycle.ts'));
    await compile(run);
  });

  await step('run it: environment, VM, volume, attach, detach, deletions',
             () => runProgram(run, 'lifecycle', server.url));
});
