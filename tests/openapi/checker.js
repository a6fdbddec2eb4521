// What the OpenAPI tests share: a validation proxy's matching of request paths against a
// document's path templates (ProxyMatcher), and the Checker, which records every response a suite
// gets and, once the servers' logs say which route each request ran, checks each response against
// the document (ajv) and each request against the document's paths. Used by openapi.test.js (the
// default dialect) and original.test.js (--dialect original).
'use strict';
const assert = require('node:assert/strict');
const { npmModule } = require('./common.js');

const Ajv2020 = npmModule('ajv/dist/2020');
const addFormats = npmModule('ajv-formats');

const COMPONENTS_ID = 'https://mockcloud.invalid/components';

/// The path templates of the document, matched against a request path as a validation proxy
/// does (openapi-core, express-openapi-validator, Prism, ...): the path without its query, split
/// on '/' and compared segment by segment, exactly (a trailing slash is an empty last segment, so
/// it is significant); a template segment `{x}` matches any one segment, an empty one too; among
/// the templates that match, literal segments win over templated ones, leftmost first. The path
/// found, the method picks its operation, or none (a 405).
class ProxyMatcher {
  constructor(paths) {
    this.templates = Object.keys(paths).map((template) => ({
      template,
      segments: template.split('/').map((s) => (/^\{[^}]+\}$/.test(s) ? null : s)),
    }));
  }

  /// The template a request path lands on, or undefined; throws if two match alike.
  template(target) {
    const segments = target.split('?')[0].split('/');
    let best;
    let tie = false;
    for (const t of this.templates) {
      if (t.segments.length !== segments.length) continue;
      if (!t.segments.every((s, i) => s === null || s === segments[i])) continue;
      const order = best ? ProxyMatcher.compare(t, best) : -1;
      if (order < 0) {
        best = t;
        tie = false;
      } else if (order === 0) {
        tie = true;
      }
    }
    if (tie) throw new Error(`${target} matches two templates alike, ${best.template} one of them`);
    return best && best.template;
  }

  /// < 0 when `a` is the more specific: a literal segment where `b` has a parameter, leftmost.
  static compare(a, b) {
    for (let i = 0; i < a.segments.length; i++) {
      const al = a.segments[i] !== null;
      const bl = b.segments[i] !== null;
      if (al !== bl) return al ? -1 : 1;
    }
    return 0;
  }
}

/// Records every request the suite sends and its response; once the servers have stopped and
/// their logs say which route each request ran (`evaluate`), checks each response against the
/// document, and each request against the document's paths as a validation proxy matches them.
/// `unrouted`: the responses (OpenAPI response objects, by status) of an unknown path (404) and of
/// a method the path lacks (405), for a document without components.responses NotFound and
/// MethodNotAllowed; the document's own win.
class Checker {
  constructor(doc, { unrouted = {} } = {}) {
    this.doc = doc;
    this.unrouted = unrouted;
    const rewritten = JSON.parse(
      JSON.stringify(doc).replaceAll('"#/components/schemas/', `"${COMPONENTS_ID}#/$defs/`));
    this.rewritten = rewritten;
    this.ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewritten.components.schemas });
    this.compiled = new Map();
    this.proxy = new ProxyMatcher(doc.paths);
    // The route table spells a collection without the trailing slash the document gives it, or
    // (a dialect whose routes are spelt so) with it.
    this.documented = new Map(Object.keys(doc.paths).flatMap(
      (p) => (p.length > 1 && p.endsWith('/') ? [[p.slice(0, -1), p], [p, p]] : [[p, p]])));
    this.records = [];
    this.covered = new Set();
    this.failures = [];
    this.misrouted = [];
    this.proxied = 0;
  }

  get count() {
    return this.records.length;
  }

  validator(schema) {
    const key = JSON.stringify(schema);
    if (!this.compiled.has(key)) this.compiled.set(key, this.ajv.compile(schema));
    return this.compiled.get(key);
  }

  /// Records one response; `expect` is the status the scenario expects (a mismatch is a failure
  /// too). Options: `viaDefault` allows a status the operation does not list (injected faults);
  /// `alternate`: the request spells its path otherwise than the document (the server answers
  /// both spellings), so that a proxy matching exactly finds no path for it; `operation`: the
  /// operation of a request answered before routing (no route in the log: a 413).
  check(r, expect, opts = {}) {
    this.records.push({ r, expect, opts });
    return r;
  }

  /// `routes`: request id -> {route, status} of the servers' request log lines.
  evaluate(routes) {
    for (const record of this.records) this.evaluateOne(record, routes);
  }

  evaluateOne({ r, expect, opts }, routes) {
    const where = `${r.method} ${r.target} -> ${r.status}`;
    const problems = [];
    if (expect !== undefined && r.status !== expect)
      problems.push(`expected status ${expect}; body ${r.body.slice(0, 300)}`);
    if (!r.headers['x-request-id']) problems.push('no X-Request-Id');

    // The operation the server ran, from its log line (the route table's spelling of the path);
    // none for an unknown path (404) or a method the path lacks (405).
    const method = r.method.toLowerCase();
    const logged = routes.get(r.sentId);
    let template;
    let op;
    if (logged) {
      if (logged.status !== r.status) problems.push(`the log says status ${logged.status}`);
      if (logged.route !== null) {
        template = this.documented.get(logged.route);
        op = template && this.rewritten.paths[template][method];
        if (!op) problems.push(`the server ran ${logged.route}, which the document lacks`);
      }
    } else if (opts.operation) {
      for (const [path, ops] of Object.entries(this.rewritten.paths))
        if (ops[method] && ops[method].operationId === opts.operation) [template, op] = [path, ops[method]];
      if (!op) problems.push(`no operation ${opts.operation}`);
    } else {
      problems.push('no log line of the request, and no operation given');
    }

    // A validation proxy in front of the server must land on the same operation.
    let proxied;
    try {
      proxied = this.proxy.template(r.target);
    } catch (e) {
      problems.push(e.message);
    }
    if (opts.alternate) {
      if (proxied !== undefined)
        this.misrouted.push(`${where}: the other spelling of a path lands on ${proxied}`);
    } else {
      this.proxied++;
      const proxiedOp = proxied && this.doc.paths[proxied][method];
      const got = proxiedOp ? proxiedOp.operationId : proxied ? `${proxied} (no ${r.method}: 405)` : 'no path (404)';
      const want = op ? op.operationId : r.status === 405 ? `${proxied} (no ${r.method}: 405)` : 'no path (404)';
      if (got !== want) this.misrouted.push(`${where}: a proxy lands on ${got}, the server ran ${want}`);
    }

    let response;
    if (!op) {
      // No operation: an unknown path (404) or a method the path lacks (405).
      const known = r.status === 405;
      const name = known ? 'MethodNotAllowed' : 'NotFound';
      response = (this.rewritten.components.responses || {})[name] || this.unrouted[r.status];
      if (r.status !== 404 && r.status !== 405) problems.push(`no operation, status ${r.status}`);
      if (known && !r.headers['allow']) problems.push('405 without Allow');
      if (!response) problems.push(`the document has no response ${name}`);
    } else {
      response = op.responses[String(r.status)];
      if (response) {
        this.covered.add(`${op.operationId} ${r.status}`);
      } else if (opts.viaDefault) {
        response = op.responses.default;
      } else {
        problems.push(`status ${r.status} is not listed for ${op.operationId}`);
        response = op.responses.default;
      }
      if (!response) problems.push(`no default response for ${op.operationId}`);
      for (const name of Object.keys((response && response.headers) || {}))
        if (!(name.toLowerCase() in r.headers)) problems.push(`header ${name} missing`);
    }
    if (response && !response.content) {
      if (r.body.length !== 0) problems.push('a body where the document gives none');
    } else if (response) {
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
      } else if (media === 'text/event-stream') {
        const validate = this.validator(content['x-event-data']);
        const frames = r.body.split('\n\n').filter((f) => /^data: /m.test(f));
        if (frames.length === 0) problems.push('no event in the stream');
        for (const frame of frames) {
          const data = JSON.parse(frame.match(/^data: (.*)$/m)[1]);
          const id = frame.match(/^id: (\d+)$/m);
          if (!id || Number(id[1]) !== data.seq) problems.push(`event id is not its seq: ${frame}`);
          if (!validate(data))
            problems.push(`event does not match: ${this.ajv.errorsText(validate.errors)}; ${frame}`);
        }
      } else if (content.schema.type !== 'string') {
        problems.push(`non-JSON media ${media} with a non-string schema`);
      }
    }
    if (problems.length) this.failures.push(`${where}: ${problems.join('; ')}`);
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

/// Request id -> {route, status}, from the request lines of servers logging JSON lines.
function requestRoutes(lines) {
  const routes = new Map();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line);
    if (e.event === 'request') routes.set(e.request_id, { route: e.route, status: e.status });
  }
  return routes;
}

/// The routes that every dialect has alike, each of their statuses once: /docs, /redoc and their
/// assets, /metrics, and the test control (/_mock: reset, settings, clock, faults). `A` and `B`
/// send a request to a server started with `--clock virtual`, and to one with `--clock system`
/// and no assets, and record it with a Checker: (method, target, expected status, options).
/// Leaves A with its state reset, worker_failure_rate 0 and no fault.
async function exerciseCommonRoutes(A, B) {
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

  await A('POST', '/_mock/reset', 422, { body: { seed: -1 } });
  await A('POST', '/_mock/reset', 204, { body: { seed: 42 } });
  await A('POST', '/_mock/reset', 204);
  await A('GET', '/_mock/config', 200);
  await A('PATCH', '/_mock/config', 422, { body: { worker_failure_rate: 2 } });
  await A('PATCH', '/_mock/config', 422, { body: { vm_creation_time_min: 100 } });
  await A('PATCH', '/_mock/config', 200, { body: { worker_failure_rate: 0 } });
  await A('GET', '/_mock/clock', 200);
  // The history since the start: at least the two resets above.
  const stream = await A('GET', '/api/v1/events?since=0', 200, { events: 2 });
  assert.match(stream.body, /^event: reset$/m, 'the stream has no reset event');
  await A('GET', '/api/v1/events?kind=server&since=-1', 422);
  const journal = (await A('GET', '/_mock/journal?limit=2', 200)).json;
  assert.equal(journal.events.length, 2);
  assert.equal(journal.events[1].seq, journal.latest);
  await A('GET', '/_mock/journal?limit=0', 422);
  const invariants = (await A('GET', '/_mock/invariants', 200)).json;
  assert.deepEqual(invariants, { ok: true, violations: [] });
  await A('POST', '/_mock/clock/advance', 422, { body: { seconds: -1 } });
  await A('POST', '/_mock/clock/advance', 422, { body: {} });
  await A('POST', '/_mock/clock/advance', 200, { body: { seconds: 1 } });
  await B('POST', '/_mock/clock/advance', 409, { body: { seconds: 1 } });
  const fault = (await A('POST', '/_mock/faults/', 201, {
    body: { operation: 'vm.create', fail_next: 1 } })).json;
  await A('POST', '/_mock/faults/', 201, { body: { latency_ms: 0 } });
  await A('POST', '/_mock/faults/', 422, { body: { operation: 'vm.create' } });
  await A('POST', '/_mock/faults/', 422, { body: { route: 'GET /x', status: 200 } });
  await A('GET', '/_mock/faults/', 200);
  await A('DELETE', `/_mock/faults/${fault.id}`, 204);
  await A('DELETE', `/_mock/faults/${fault.id}`, 404);
  await A('DELETE', '/_mock/faults/', 204);
}

module.exports = { ProxyMatcher, Checker, requestRoutes, exerciseCommonRoutes };
