// Shared by the OpenAPI, docs, metrics and log tests: start the built mockcloud-server on a free
// port, make requests, and find the tools these tests need (or fail naming their package).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { createRequire } = require('node:module');
const path = require('node:path');
const fs = require('node:fs');

const server = process.env.MOCKCLOUD_SERVER;
const webDir = process.env.MOCKCLOUD_WEB_DIR;
const artifacts = process.env.MOCKCLOUD_ARTIFACTS || process.cwd();

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

if (!server || !fs.existsSync(server)) fail(`MOCKCLOUD_SERVER (${server}) is not a built server`);

/// A module of the build's npm install (web/package.json devDependencies).
function npmModule(name) {
  try {
    return createRequire(path.join(webDir || '.', 'package.json'))(name);
  } catch (e) {
    fail(`the npm package ${name} is missing from ${webDir}/node_modules: install the Debian ` +
         `package npm (cmake/install-deps.sh does) and rebuild; the build runs npm ci there ` +
         `(${e.message.split('\n')[0]})`);
  }
}

/// The path of a program, or a failure naming the Debian package that has it.
function tool(program, debianPackage) {
  const found = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  if (found.status !== 0)
    fail(`${program} not found: install the Debian package ${debianPackage} ` +
         `(cmake/install-deps.sh installs every test dependency)`);
  return found.stdout.trim();
}

/// Starts the server with `args` (after --port 0); resolves once it prints its address.
function startServer(args = [], env = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(server, ['--port', '0', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = [];
    const closed = new Promise((r) => proc.on('close', r));  // stdout read to its end
    let buffer = '';
    let started = false;
    const timer = setTimeout(() => reject(new Error('the server did not start within 10 s')), 10000);
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (!started) {
          const m = /listening on (http:\/\/[^ ]+)/.exec(line);
          if (!m) return reject(new Error(`unexpected first line: ${line}`));
          started = true;
          clearTimeout(timer);
          resolve({
            url: m[1],
            proc,
            lines,
            stop() {
              if (proc.exitCode === null) proc.kill('SIGTERM');
              return closed;
            },
          });
        }
      }
    });
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => process.stderr.write(d));
    proc.on('exit', (code) => {
      if (started) return;
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before listening`));
    });
  });
}

/// One request: {status, headers (lower-case), body (text), json (parsed or undefined)}.
/// `redirect`: fetch's redirect mode, 'follow' unless given ('manual' answers a 3xx as it is).
/// A request; with `events: n`, a Server-Sent Events stream read until n events (`data:`
/// lines) have arrived (0: until its first line), then closed.
async function request(base, method, target,
                       { body, headers = {}, redirect = 'follow', events } = {}) {
  const init = { method, headers: { ...headers }, redirect };
  if (events !== undefined) return readEvents(base, target, init, events);
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (!init.headers['content-type']) init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + target, init);
  return responseOf(method, target, res, await res.text());
}

/// What request() returns: the status, the headers by lower-case name, the body and its JSON.
function responseOf(method, target, res, text) {
  let json;
  try {
    json = text.length ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const h = {};
  res.headers.forEach((v, k) => (h[k] = v));
  return { method, target, status: res.status, headers: h, body: text, json };
}

async function readEvents(base, target, init, count) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 20000);
  const res = await fetch(base + target, { ...init, signal: abort.signal });
  let text = '';
  try {
    if (res.headers.get('content-type') === 'text/event-stream') {
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        text += decoder.decode(chunk, { stream: true });
        const frames = text.split('\n\n').slice(0, -1);
        if (frames.filter((f) => /^data: /m.test(f)).length >= count && frames.length > 0) break;
      }
    } else {
      text = await res.text();
    }
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
    throw new Error(`${target}: fewer than ${count} events in 20 s; got ${text.slice(0, 500)}`);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return responseOf(init.method, target, res, text);
}

module.exports = { server, webDir, artifacts, fail, npmModule, tool, startServer, request };
