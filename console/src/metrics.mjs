// metrics.mjs: turns /metrics/history samples (cumulative counters and a latency
// histogram, docs/http-api.md) into the series the Load page draws. Every value comes
// from two consecutive samples: a rate is the counter's increase over the time between
// them; a percentile is read from the histogram's increase (linear within a bucket,
// the largest finite bound for the +Inf bucket). A counter that went down (the node
// restarted) or an interval with no invocation gives a gap (null), never a made-up 0
// for percentiles. Each point: { t (unix ms), v (number or null) }.

function pairs(samples, f) {
  const out = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1], b = samples[i];
    const dt = (b.t - a.t) / 1000;
    out.push({ t: b.t, v: dt > 0 ? f(a, b, dt) : null });
  }
  return out;
}
const delta = (a, b, k) => {
  const d = Number(b[k]) - Number(a[k]);
  return Number.isFinite(d) && d >= 0 ? d : null;
};

/** Per-second rate of counter k. */
export const rate = (samples, k) => pairs(samples, (a, b, dt) => {
  const d = delta(a, b, k);
  return d === null ? null : d / dt;
});

/** The q-quantile (0..1) of the latency of invocations answered between samples, in ms. */
export function quantile(samples, q) {
  return pairs(samples, (a, b) => {
    const bounds = b.latency_le_ms, cb = b.latency_buckets, ca = a.latency_buckets;
    if (!Array.isArray(bounds) || !Array.isArray(ca) || !Array.isArray(cb) || ca.length !== cb.length) return null;
    const d = cb.map((x, i) => x - ca[i]);   // cumulative per bound, then +Inf
    const total = d[d.length - 1];
    if (!(total > 0) || d.some((x) => x < 0)) return null;
    const want = q * total;
    for (let i = 0; i < d.length; i++) {
      if (d[i] >= want) {
        if (i >= bounds.length) return bounds[bounds.length - 1];
        const lo = i ? bounds[i - 1] : 0, below = i ? d[i - 1] : 0, inside = d[i] - below;
        return inside > 0 ? lo + (bounds[i] - lo) * ((want - below) / inside) : bounds[i];
      }
    }
    return bounds[bounds.length - 1];
  });
}

/** cache_hits / (cache_hits + cache_misses) between samples (0..1), null when none. */
export const hitRatio = (samples) => pairs(samples, (a, b) => {
  const h = delta(a, b, 'cache_hits'), m = delta(a, b, 'cache_misses');
  return h === null || m === null || h + m === 0 ? null : h / (h + m);
});

/** A gauge as it was at each sample (the first sample included). */
export const gauge = (samples, k) => samples.map((s) => ({ t: s.t, v: Number.isFinite(Number(s[k])) ? Number(s[k]) : null }));

/** Merges newer samples into a history (by time), keeping the last `keep`. */
export function merge(history, fresh, keep = 240) {
  const last = history.length ? history[history.length - 1].t : -Infinity;
  const out = history.concat(fresh.filter((s) => Number.isFinite(s?.t) && s.t > last));
  return out.slice(-keep);
}
