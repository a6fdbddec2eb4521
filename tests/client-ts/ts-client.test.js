// A TypeScript client generated from the built server's /openapi.json runs a VM's and a volume's
// whole life (lifecycle.ts). In MOCKCLOUD_TS_CLIENT_DIR (the build tree, never the sources): npm ci
// of this folder's package-lock.json (@hey-api/openapi-ts and typescript, pinned), then, against a
// server started with --clock virtual --seed 42 --port 0: fetch /openapi.json, generate the client
// with the generator's defaults, compile it and lifecycle.ts with tsc (strict), run the result
// with node. Any step failing fails the test with that step's output.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, request } = require('../openapi/common.js');

const work = process.env.MOCKCLOUD_TS_CLIENT_DIR;
const npm = process.env.NPM_EXECUTABLE || 'npm';
if (!work) {
  console.error('FAIL: MOCKCLOUD_TS_CLIENT_DIR (a folder of the build tree) is not set');
  process.exit(1);
}
const run = path.join(work, 'run');  // this run's files, removed first

/// Runs a program to its end: {code, output} (stdout and stderr interleaved).
function exec(program, args, { cwd = work, env = {}, timeoutMs = 300000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(program, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (d) => (output += d));
    proc.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? `killed by ${signal}` : code, output });
    });
  });
}

function succeed(what, result) {
  assert.equal(result.code, 0, `${what} failed (${result.code}):\n${result.output}`);
}

test('a TypeScript client generated from /openapi.json drives a VM and a volume', async (t) => {
  // Each step needs the ones before: after a failure, the rest are skipped.
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

  await step('npm ci: @hey-api/openapi-ts and typescript, pinned', async () => {
    fs.mkdirSync(work, { recursive: true });
    const lock = fs.readFileSync(path.join(__dirname, 'package-lock.json'));
    const digest = crypto.createHash('sha256').update(lock).digest('hex');
    const stamp = path.join(work, 'npm-ci.stamp');
    const installed = fs.existsSync(path.join(work, 'node_modules', '.package-lock.json')) &&
                      fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest;
    if (installed) return;
    for (const file of ['package.json', 'package-lock.json'])
      fs.copyFileSync(path.join(__dirname, file), path.join(work, file));
    succeed('npm ci', await exec(npm, ['ci', '--prefer-offline', '--no-audit', '--no-fund']));
    fs.writeFileSync(stamp, digest);
  });

  fs.rmSync(run, { recursive: true, force: true });
  fs.mkdirSync(path.join(run, 'src'), { recursive: true });
  const server = await startServer(['--clock', 'virtual', '--seed', '42']);
  t.after(() => server.stop());

  const spec = path.join(run, 'openapi.json');
  await step('GET /openapi.json', async () => {
    const r = await request(server.url, 'GET', '/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.json.openapi, '3.1.0');
    fs.writeFileSync(spec, r.body);
  });

  await step('generate the client (@hey-api/openapi-ts, its defaults)', async () => {
    const generator = path.join(work, 'node_modules', '@hey-api', 'openapi-ts', 'bin', 'run.js');
    const result = await exec(process.execPath, [generator, '--input', spec, '--output',
                                                  path.join(run, 'src', 'client'), '--no-log-file'],
                              { cwd: run });
    succeed('openapi-ts', result);
    for (const file of ['index.ts', 'sdk.gen.ts', 'types.gen.ts', 'client.gen.ts'])
      assert.ok(fs.existsSync(path.join(run, 'src', 'client', file)), `${file}:\n${result.output}`);
    assert.doesNotMatch(result.output, /warn|error/i, result.output);
  });

  await step('compile it and lifecycle.ts (tsc, strict)', async () => {
    fs.copyFileSync(path.join(__dirname, 'lifecycle.ts'), path.join(run, 'src', 'lifecycle.ts'));
    fs.writeFileSync(path.join(run, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'commonjs',
        moduleResolution: 'node10',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        types: [],
        strict: true,
        noEmitOnError: true,
        rootDir: 'src',
        outDir: 'dist',
      },
      include: ['src'],
    }, null, 2));
    const tsc = path.join(work, 'node_modules', 'typescript', 'bin', 'tsc');
    succeed('tsc', await exec(process.execPath, [tsc, '--project', run], { cwd: run }));
  });

  await step('run it: environment, VM, volume, attach, detach, deletions', async () => {
    const result = await exec(process.execPath, [path.join(run, 'dist', 'lifecycle.js')],
                              { cwd: run, env: { MOCKCLOUD_URL: server.url }, timeoutMs: 60000 });
    process.stdout.write(result.output);
    succeed('lifecycle.js', result);
    assert.match(result.output, /^1\.\.\d+$/m);
  });
});
