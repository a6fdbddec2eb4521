// The /ui dashboard's timeline (web/ui/timeline.js): cumulative counts of VM and volume
// creations, completions and failures over virtual time, one point per time something happened,
// drawn by uPlot (loaded beside this module as the global `uPlot`).
import { html, useEffect, useRef } from './htm-preact-standalone.module.js';

/// An empty timeline: the virtual times (s) and the counts at each.
export function newTimeline() {
  return { at: [], created: [], completed: [], failed: [], counts: { created: 0, completed: 0, failed: 0 } };
}

/// Counts a VM's or volume's creation, completion or failure at the event's virtual time.
export function plotEvent(t, e) {
  if (e.kind !== 'vm' && e.kind !== 'volume') return;
  const c = t.counts;
  if (e.to === 'creating' && (e.from === '' || e.from === 'pending')) c.created++;
  else if (e.from === 'creating' && e.to !== 'error' && e.to !== 'deleting') c.completed++;
  else if (e.to === 'error') c.failed++;
  else return;
  const last = t.at.length - 1;
  const at = Math.max(Date.parse(e.at) / 1000, last >= 0 ? t.at[last] : -Infinity);
  if (last >= 0 && t.at[last] === at) {
    t.created[last] = c.created;
    t.completed[last] = c.completed;
    t.failed[last] = c.failed;
  } else {
    t.at.push(at);
    t.created.push(c.created);
    t.completed.push(c.completed);
    t.failed.push(c.failed);
  }
}

const seriesOptions = [
  {},
  { label: 'created', stroke: '#2563eb' },
  { label: 'completed', stroke: '#15803d' },
  { label: 'failed', stroke: '#b91c1c' },
];

export function Timeline({ timeline }) {
  const box = useRef(null);
  const plot = useRef(null);
  const t = timeline;
  const data = [t.at, t.created, t.completed, t.failed];
  useEffect(() => {
    const width = () => Math.max(300, box.current.clientWidth);
    const stepped = uPlot.paths.stepped({ align: 1 });
    plot.current = new uPlot({
      width: width(),
      height: 200,
      scales: {
        x: { time: true, range: (u, min, max) => (min === max ? [min - 30, max + 30] : [min, max]) },
        y: { range: (u, min, max) => [0, Math.max(1, max)] },
      },
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      fmtDate: (template) => uPlot.fmtDate(template.replace('{M}/{D}/{YY}', '{YYYY}-{MM}-{DD}')
        .replace('{h}', '{HH}').replace('{aa}', '')),
      series: seriesOptions.map((s, i) => (i === 0 ? s : { ...s, width: 2, paths: stepped, points: { show: true, size: 6 } })),
      axes: [{}, { label: 'count' }],
      // What uPlot itself drew: the number of virtual times of its data (the browser test reads it).
      hooks: { draw: [(u) => { box.current.dataset.plotted = String(u.data[0].length); }] },
    }, data, box.current);
    const resize = () => plot.current.setSize({ width: width(), height: 200 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.current.destroy();
    };
  }, []);
  useEffect(() => {
    if (plot.current) plot.current.setData(data);
  });
  const c = t.counts;
  return html`<section>
    <h2>Timeline <small>${`VMs and volumes over virtual time (UTC): ${c.created} created, ${
      c.completed} completed, ${c.failed} failed`}</small></h2>
    <div id="timeline" ref=${box} data-points=${t.at.length} data-created=${c.created}
      data-completed=${c.completed} data-failed=${c.failed}></div>
  </section>`;
}
