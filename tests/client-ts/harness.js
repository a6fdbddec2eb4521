// What the TypeScript client tests share (ts-client.test.js, ts-client-original.test.js): in
// MOCKCLOUD_TS_CLIENT_DIR (the build tree, never the sources), npm ci of this folder's
// package-lock.json (@hey-api/openapi-ts and typescript, pinned) once for both; then, in a folder
// of each test's own, generating a client from a server's /openapi.json with the generator's
// defaults, compiling it and a program using it with tsc (strict), and running the result.
'use strict';
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const work = process.env.MOCKCLOUD_TS_CLIENT_DIR;
const npm = process.env.NPM_EXECUTABLE || 'npm';
if (!work) {
  console.error('FAIL: MOCKCLOUD_TS_CLIENT_DIR (a folder of the build tree) is not set');
  process.exit(1);
}

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

/// Subtests of `t` of which each needs the ones before: after a failure, the rest are skipped.
function stepper(t) {
  let failed = false;
  return (name, fn) =>
    t.test(name, { skip: failed && 'an earlier step failed' }, async () => {
      try {
        await fn();
      } catch (e) {
        failed = true;
        throw e;
      }
    });
}

/// npm ci of package-lock.json into `work`, unless the same lock is installed there already.
async function npmCi() {
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
}

/// A fresh folder `name` of `work` for one run, with an empty src/.
function runFolder(name) {
  const run = path.join(work, name);
  fs.rmSync(run, { recursive: true, force: true });
  fs.mkdirSync(path.join(run, 'src'), { recursive: true });
  return run;
}

/// Generates the client of `spec` into run/src/client with the generator's defaults; its output
/// must have no warning.
async function generate(run, spec) {
  const generator = path.join(work, 'node_modules', '@hey-api', 'openapi-ts', 'bin', 'run.js');
  const result = await exec(process.execPath, [generator, '--input', spec, '--output',
                                                path.join(run, 'src', 'client'), '--no-log-file'],
                            { cwd: run });
  succeed('openapi-ts', result);
  for (const file of ['index.ts', 'sdk.gen.ts', 'types.gen.ts', 'client.gen.ts'])
    assert.ok(fs.existsSync(path.join(run, 'src', 'client', file)), `${file}:\n${result.output}`);
  assert.doesNotMatch(result.output, /warn|error/i, result.output);
}

/// Compiles run/src (the client and the programs copied there) into run/dist: tsc, strict.
async function compile(run) {
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
}

/// Runs run/dist/<program>.js against `url` (MOCKCLOUD_URL); it prints `1..N` when it ends well.
async function runProgram(run, program, url) {
  const result = await exec(process.execPath, [path.join(run, 'dist', `${program}.js`)],
                            { cwd: run, env: { MOCKCLOUD_URL: url }, timeoutMs: 60000 });
  process.stdout.write(result.output);
  succeed(`${program}.js`, result);
  assert.match(result.output, /^1\.\.\d+$/m);
}

module.exports = { work, exec, succeed, stepper, npmCi, runFolder, generate, compile, runProgram };
