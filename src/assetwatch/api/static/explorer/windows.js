// Time windows of an asset page and the rollup bucket of each: a chart gets at most
// MAX_BUCKETS buckets; a window holding few enough points of a signal is drawn from its raw points.

export const PRESETS = [
  { id: "1h", label: "Last hour", seconds: 3600 },
  { id: "1d", label: "Last day", seconds: 86400 },
  { id: "7d", label: "Last week", seconds: 7 * 86400 },
  { id: "30d", label: "Last 30 days", seconds: 30 * 86400 },
];
export const DEFAULT_PRESET = "1d";
export const MAX_BUCKETS = 1000;
export const MAX_RAW_POINTS = 1000; // also the page size asked of /measurements

// Bucket widths the API takes (a number and s, m, h or d), narrowest first.
const BUCKETS = [
  "1s", "2s", "5s", "10s", "15s", "30s", "1m", "2m", "5m", "10m", "15m", "30m",
  "1h", "2h", "3h", "6h", "12h", "1d", "2d", "7d",
];
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 };

export function bucketSeconds(bucket) {
  return Number(bucket.slice(0, -1)) * UNIT_SECONDS[bucket.slice(-1)];
}

// The narrowest bucket that cuts [start, end) into at most MAX_BUCKETS buckets.
export function chooseBucket(start, end) {
  const span = (end.getTime() - start.getTime()) / 1000;
  return BUCKETS.find((b) => span / bucketSeconds(b) <= MAX_BUCKETS) || BUCKETS.at(-1);
}

// A window ({preset} or {start, end}) as instants: a preset ends now; a custom window (a zoom
// included) is as given.
export function windowRange(span, now = new Date()) {
  if (span.preset) {
    const preset = PRESETS.find((p) => p.id === span.preset);
    return { start: new Date(now.getTime() - preset.seconds * 1000), end: now };
  }
  return { start: span.start, end: span.end };
}

// The window from a page address's parameters (window=1d, or start=…&end=… as ISO instants).
export function windowFromParams(params) {
  const start = new Date(params.get("start"));
  const end = new Date(params.get("end"));
  if (params.has("start") && params.has("end") && start < end) return { start, end };
  const preset = params.get("window");
  return { preset: PRESETS.some((p) => p.id === preset) ? preset : DEFAULT_PRESET };
}

export function windowToParams(span) {
  return span.preset
    ? new URLSearchParams({ window: span.preset })
    : new URLSearchParams({ start: span.start.toISOString(), end: span.end.toISOString() });
}
