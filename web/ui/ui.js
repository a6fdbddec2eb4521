// The /ui dashboard (web/ui/ui.js): the cloud's environments, VMs, volumes and recent tasks, the
// clock, a timeline of creations, completions and failures (uPlot), and the test controls. It
// reads only the server's own API (/openapi.json describes every route it calls) and follows the
// event stream GET /api/v1/events: each event refetches the lists it affects (debounced); a
// `reset` or `resync` event refetches everything. Without the stream it polls every 2 s.
import { html, render, useEffect, useState } from './htm-preact-standalone.module.js';
import { api, ApiError, onUnauthorized, setControlToken } from './api.js';
import { newTimeline, plotEvent, Timeline } from './timeline.js';

const LIST_LIMIT = 1000;  // the API's largest page
const RECENT_TASKS = 20;
const DEBOUNCE_MS = 100;
const POLL_MS = 2000;
const MAX_ERRORS = 5;

// ---- the state, and what changes it ----

const state = {
  environments: [],
  vms: [],
  volumes: [],
  tasks: [],
  taskTotal: 0,
  faults: [],
  clock: null,
  stream: 'connecting',  // connecting | live | reconnecting | polling
  errors: [],
  busy: false,
  needToken: false,  // a /_mock route answered 401: the server has a control token
  timeline: newTimeline(),
};
let rerender = () => {};
const changed = () => rerender();
onUnauthorized(() => {
  if (state.needToken) return;
  state.needToken = true;
  changed();
});

function showError(e) {
  const message = e instanceof ApiError ? e.message : String(e && e.message ? e.message : e);
  if (state.errors.length && state.errors[state.errors.length - 1].message === message) return;
  state.errors = [...state.errors, { at: new Date(), message }].slice(-MAX_ERRORS);
  changed();
}

const loaders = {
  environment: async () => {
    state.environments = (await api('GET', `/api/v1/environments?limit=${LIST_LIMIT}`)).json;
  },
  vm: async () => {
    state.vms = (await api('GET', `/api/v1/vms?limit=${LIST_LIMIT}`)).json;
  },
  volume: async () => {
    state.volumes = (await api('GET', `/api/v1/volumes?limit=${LIST_LIMIT}`)).json;
  },
  tasks: async () => {
    // Oldest first: the most recent ones are the last page.
    let page = await api('GET', `/api/v1/tasks?limit=${RECENT_TASKS}`);
    if (page.total > RECENT_TASKS)
      page = await api('GET', `/api/v1/tasks?limit=${RECENT_TASKS}&skip=${page.total - RECENT_TASKS}`);
    state.tasks = page.json.slice().reverse();
    state.taskTotal = page.total;
  },
  faults: async () => {
    state.faults = (await api('GET', '/_mock/faults')).json;
  },
  clock: async () => {
    state.clock = (await api('GET', '/_mock/clock')).json;
  },
};
const everything = Object.keys(loaders);

/// Refetches `what` (names of loaders) now, showing any failure.
async function load(what) {
  const results = await Promise.allSettled(what.map((name) => loaders[name]()));
  for (const r of results) if (r.status === 'rejected') showError(r.reason);
  changed();
}

// Events mark what to refetch; the refetch runs once the burst is over.
const dirty = new Set();
let debounce = null;
function refetchSoon(what) {
  for (const name of what) dirty.add(name);
  clearTimeout(debounce);
  debounce = setTimeout(() => {
    const names = [...dirty];
    dirty.clear();
    load(names);
  }, DEBOUNCE_MS);
}

// ---- the event stream ----

let lastSeq = 0;
let source = null;
let poller = null;

const kindLoaders = {
  vm: ['vm', 'volume', 'tasks', 'clock'],  // a VM's deletion detaches its volumes
  volume: ['volume', 'vm', 'tasks', 'clock'],
  environment: ['environment', 'clock'],
  security_group: ['clock'],
};

function onEvent(message) {
  let e;
  try {
    e = JSON.parse(message.data);
  } catch {
    return;
  }
  if (typeof e.seq === 'number') {
    if (e.seq <= lastSeq) return;  // seen already (a resumed stream repeats nothing new)
    lastSeq = e.seq;
  }
  plotEvent(state.timeline, e);
  refetchSoon(kindLoaders[e.kind] || everything);
}

/// A marker's seq is where the stream goes on from: the next events come after it (also from a
/// restarted server, whose seq began at 1 again and which answers an old cursor with a resync).
function markerSeq(message) {
  try {
    const e = JSON.parse(message.data);
    if (typeof e.seq === 'number') lastSeq = e.seq;
  } catch {
    // a marker without data is a marker still
  }
}

function onReset(message) {
  markerSeq(message);
  state.timeline = newTimeline();
  state.errors = [];
  refetchSoon(everything);
}

function onResync(message) {
  markerSeq(message);
  refetchSoon(everything);
}

function startPolling() {
  if (poller) return;
  state.stream = 'polling';
  poller = setInterval(() => load(everything), POLL_MS);
}

function connect() {
  // since=0: the events the server still holds, for the timeline; a resync when it lost some.
  source = new EventSource(`/api/v1/events?since=${lastSeq}`);
  source.onopen = () => {
    state.stream = 'live';
    changed();
  };
  source.onmessage = onEvent;
  source.addEventListener('reset', onReset);
  source.addEventListener('resync', onResync);
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      // Not a stream (an older server, or a proxy in the way): poll instead.
      startPolling();
    } else {
      state.stream = 'reconnecting';  // the browser reconnects, sending Last-Event-ID
    }
    changed();
  };
}

// ---- the controls ----

async function act(run) {
  state.busy = true;
  changed();
  try {
    await run();
  } catch (e) {
    showError(e);
  } finally {
    state.busy = false;
    // The stream brings the resources; the clock, faults and progress are refetched here.
    await load(everything);
  }
}

const advance = (seconds) =>
  act(async () => {
    const r = (await api('POST', '/_mock/clock/advance', { seconds })).json;
    state.clock = { ...state.clock, now: r.now };
  });
const addFault = (operation, failNext) =>
  act(() => api('POST', '/_mock/faults', { operation, fail_next: failNext }));
const clearFaults = () => act(() => api('DELETE', '/_mock/faults'));
const resetCloud = () => act(() => api('POST', '/_mock/reset'));
const useToken = (token) => {
  setControlToken(token);
  state.needToken = false;
  state.errors = [];
  load(everything);
};

// ---- the views ----

const shortId = (id) => (id ? id.slice(0, 8) : '');
const time = (t) => (t ? t.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');

function Id({ id }) {
  return html`<td class="id" title=${id}>${shortId(id)}</td>`;
}

function Status({ status }) {
  return html`<td><span class=${`status status-${status}`}>${status}</span></td>`;
}

/// Progress of a creating or deleting resource, with its task's eta when the task is listed.
function Progress({ item }) {
  if (item.status !== 'creating' && item.status !== 'deleting') return html`<td></td>`;
  const task = state.tasks.find((t) => t.id === item.task_id);
  return html`<td class="progress">
    <progress max="100" value=${item.progress}></progress> ${item.progress} %
    ${task && task.eta ? html`<span class="note"> eta ${time(task.eta).slice(11)}</span>` : ''}
  </td>`;
}

function Table({ title, head, rows, total, empty }) {
  return html`<section>
    <h2>${title} <small>${total}</small></h2>
    <table>
      <thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead>
      <tbody>
        ${rows.length ? rows : html`<tr><td class="empty" colspan=${head.length}>${empty}</td></tr>`}
      </tbody>
    </table>
  </section>`;
}

function envName(id) {
  const env = state.environments.find((e) => e.id === id);
  return env ? env.name : shortId(id);
}

function Environments() {
  const rows = state.environments.map((e) => html`<tr data-id=${e.id} data-kind="environment" data-status=${e.status}>
    <${Id} id=${e.id} /><td>${e.name}</td><td class="ip">${e.cidr}</td><${Status} status=${e.status} />
    <td class="time">${time(e.created_at)}</td>
  </tr>`);
  return html`<${Table} title="Environments" head=${['id', 'name', 'cidr', 'status', 'created']}
    rows=${rows} total=${state.environments.length} empty="no environment" />`;
}

function Vms() {
  const rows = state.vms.map((v) => html`<tr data-id=${v.id} data-kind="vm" data-status=${v.status}>
    <${Id} id=${v.id} /><td>${v.name}</td><td title=${v.environment_id}>${envName(v.environment_id)}</td>
    <${Status} status=${v.status} /><${Progress} item=${v} />
    <td class="ip" data-field="ip">${v.ip_address || ''}</td>
    <td class="reason" data-field="error">${v.error || ''}</td>
  </tr>`);
  return html`<${Table} title="VMs" head=${['id', 'name', 'environment', 'status', 'progress', 'IP', 'error']}
    rows=${rows} total=${state.vms.length} empty="no VM" />`;
}

function Volumes() {
  const vmName = (id) => {
    const vm = state.vms.find((v) => v.id === id);
    return vm ? vm.name : shortId(id);
  };
  const rows = state.volumes.map((v) => html`<tr data-id=${v.id} data-kind="volume" data-status=${v.status}>
    <${Id} id=${v.id} /><td>${v.name}</td><td title=${v.environment_id}>${envName(v.environment_id)}</td>
    <${Status} status=${v.status} /><${Progress} item=${v} /><td>${v.size_gb} GB</td>
    <td title=${v.vm_id || ''} data-field="vm">${v.vm_id ? vmName(v.vm_id) : ''}</td>
    <td class="reason" data-field="error">${v.error || ''}</td>
  </tr>`);
  return html`<${Table} title="Volumes" head=${['id', 'name', 'environment', 'status', 'progress', 'size', 'attached to', 'error']}
    rows=${rows} total=${state.volumes.length} empty="no volume" />`;
}

function Tasks() {
  const rows = state.tasks.map((t) => html`<tr data-id=${t.id} data-kind="task" data-status=${t.state}>
    <${Id} id=${t.id} /><td>${t.kind}</td><td class="id" title=${t.resource_id}>${shortId(t.resource_id)}</td>
    <${Status} status=${t.state} /><td class="time">${time(t.created_at)}</td>
    <td class="time">${time(t.finished_at || t.eta)}</td><td class="reason">${t.error || ''}</td>
  </tr>`);
  const total = state.taskTotal > rows.length ? `the latest ${rows.length} of ${state.taskTotal}` : rows.length;
  return html`<${Table} title="Recent tasks" head=${['id', 'kind', 'resource', 'state', 'created', 'due / finished', 'error']}
    rows=${rows} total=${total} empty="no task" />`;
}

function Controls() {
  const [seconds, setSeconds] = useState(10);
  const [operation, setOperation] = useState('vm.create');
  const [failNext, setFailNext] = useState(1);
  const [token, setToken] = useState('');
  const virtual = state.clock && state.clock.mode === 'virtual';
  const canAdvance = virtual && !state.busy;
  const submitAdvance = (ev) => {
    ev.preventDefault();
    advance(Number(seconds));
  };
  const submitFault = (ev) => {
    ev.preventDefault();
    addFault(operation, Number(failNext));
  };
  return html`<section class="controls-section">
    <h2>Controls</h2>
    <div class="controls">
      <div class="group">
        <button id="advance-60" disabled=${!canAdvance} onClick=${() => advance(60)}>advance 60 s</button>
      </div>
      <form id="advance-form" onSubmit=${submitAdvance}>
        <input id="advance-seconds" type="number" min="0" step="any" value=${seconds}
          onInput=${(ev) => setSeconds(ev.target.value)} aria-label="seconds" /> s
        <button disabled=${!canAdvance}>advance</button>
      </form>
      <form id="fault-form" onSubmit=${submitFault}>
        <select id="fault-operation" value=${operation} onChange=${(ev) => setOperation(ev.target.value)}
          aria-label="operation">
          ${['vm.create', 'vm.delete', 'volume.create', 'volume.delete'].map((o) => html`<option value=${o}>${o}</option>`)}
        </select>
        fails for the next
        <input id="fault-count" type="number" min="1" value=${failNext}
          onInput=${(ev) => setFailNext(ev.target.value)} aria-label="how many" />
        <button class="secondary" disabled=${state.busy}>add fault</button>
      </form>
      <div class="group">
        <span id="faults" data-count=${state.faults.length}>${state.faults.length} fault(s)${
          state.faults.length ? ': ' + state.faults.map(describeFault).join(', ') : ''}</span>
        <button class="secondary" disabled=${state.busy || !state.faults.length}
          onClick=${clearFaults}>clear faults</button>
      </div>
      <div class="group">
        <button class="danger" disabled=${state.busy} onClick=${resetCloud}>reset</button>
      </div>
    </div>
    ${state.needToken ? html`<form id="token-form" class="controls" onSubmit=${(ev) => {
      ev.preventDefault();
      useToken(token);
    }}>
      <span>This server protects /_mock with a control token (--control-token):</span>
      <input id="control-token" type="password" value=${token} onInput=${(ev) => setToken(ev.target.value)}
        aria-label="control token" autocomplete="off" />
      <button class="secondary">use token</button>
    </form>` : ''}
    ${state.clock && !virtual ? html`<p class="note" id="clock-note">The server runs the system clock:
      it cannot be advanced (the server answers 409 "The clock is the system clock; start the
      server with --clock virtual to advance it"). Operations complete in real time.</p>` : ''}
  </section>`;
}

function describeFault(f) {
  if (f.operation) return `${f.operation} ×${f.fail_next}`;
  if (f.route) return `${f.route} → ${f.status} (rate ${f.rate})`;
  return `latency ${f.latency_ms} ms`;
}

function Errors() {
  if (!state.errors.length) return '';
  return html`<section class="errors" id="errors" role="alert">
    <h2>Errors <button class="secondary" onClick=${() => { state.errors = []; changed(); }}>dismiss</button></h2>
    <ul>${state.errors.map((e) => html`<li>${e.message}</li>`)}</ul>
  </section>`;
}

const streamText = {
  connecting: 'connecting to the event stream…',
  live: 'live',
  reconnecting: 'reconnecting…',
  polling: 'no event stream: polling every 2 s',
};

function App() {
  const [, setTick] = useState(0);
  useEffect(() => {
    rerender = () => setTick((n) => n + 1);
    load(everything);
    connect();
  }, []);
  const clock = state.clock;
  return html`<header>
      <h1>mockcloud</h1>
      <span class="clock" id="clock" data-mode=${clock ? clock.mode : ''}>${
        clock ? `${time(clock.now)} (${clock.mode} clock)` : ''}</span>
      <span id="stream" class=${`badge ${state.stream}`} data-stream=${state.stream}>${streamText[state.stream]}</span>
      <span><a href="/docs">API docs</a> · <a href="/openapi.json">openapi.json</a></span>
    </header>
    <main>
      <${Errors} />
      <${Controls} />
      <${Timeline} timeline=${state.timeline} />
      <${Vms} />
      <${Volumes} />
      <div class="columns"><${Environments} /><${Tasks} /></div>
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
