// An asset's page: one chart per signal over the chosen window. All the charts' rollups come
// from one request (/v1/assets/{id}/rollups); after a zoom, a signal with few enough points in
// the new window is drawn from its raw points instead (one /measurements request per chart).

import { getJson } from "./api.js";
import { drawChart } from "./chart.js";
import { element } from "./dom.js";
import { formatInstant, toLocalInput } from "./format.js";
import {
  DEFAULT_PRESET,
  MAX_RAW_POINTS,
  PRESETS,
  bucketSeconds,
  chooseBucket,
  windowFromParams,
  windowRange,
  windowToParams,
} from "./windows.js";

const RETRY_MS = 5000;

// How many points of a drawn series fall in [from, to): exact for raw points, an upper bound
// for rollups (every bucket that overlaps the range counts whole).
function pointsWithin(series, from, to) {
  const start = from.getTime();
  const end = to.getTime();
  if (series.source === "raw") {
    return series.items.filter((i) => {
      const t = new Date(i.ts).getTime();
      return t >= start && t < end;
    }).length;
  }
  const width = bucketSeconds(series.bucket) * 1000;
  return series.items
    .filter((i) => {
      const t = new Date(i.bucket_start).getTime();
      return t + width > start && t < end;
    })
    .reduce((sum, i) => sum + i.count, 0);
}

function controls(onPreset, onCustom) {
  const buttons = PRESETS.map((p) =>
    element("button", { type: "button", "data-window": p.id }, p.label),
  );
  buttons.forEach((b) => b.addEventListener("click", () => onPreset(b.dataset.window)));
  const from = element("input", { type: "datetime-local", name: "start", required: "" });
  const to = element("input", { type: "datetime-local", name: "end", required: "" });
  const custom = element(
    "form",
    { class: "custom-window" },
    element("label", {}, "From ", from),
    element("label", {}, " to ", to),
    element("button", { type: "submit" }, "Show"),
  );
  custom.addEventListener("submit", (event) => {
    event.preventDefault();
    const start = new Date(from.value);
    const end = new Date(to.value);
    if (start < end) onCustom(start, end);
  });
  return { node: element("div", { class: "windows" }, ...buttons, custom), buttons, from, to };
}

// Shows asset `assetId` in `root`, its window from `params`; returns what stops it.
export function showAsset(root, assetId, params, { report, recovered }) {
  let shown = windowFromParams(params); // the window on screen
  let resetTo = shown.preset || DEFAULT_PRESET; // what a double-click goes back to
  let asset = null;
  let drawn = new Map(); // signal id → the series on screen
  let removers = [];
  let loads = 0; // finished loads, shown as data-loads for whoever waits for the next
  let sequence = 0; // a load answered after a newer one started is dropped
  let stopped = false;
  let retry;

  const title = element("h1", {}, "Asset");
  const meta = element("p", { class: "muted" });
  const status = element("p", { class: "window-status" }, "Loading…");
  const charts = element("div", { class: "charts", "data-state": "loading", "data-loads": "0" });
  const ui = controls(
    (preset) => setWindow({ preset }),
    (start, end) => setWindow({ start, end }),
  );
  const hint = "Drag across a chart to zoom in; double-click to go back.";
  root.replaceChildren(
    element(
      "section",
      { class: "asset-view" },
      element("p", {}, element("a", { href: "#/" }, "← all assets")),
      title,
      meta,
      ui.node,
      status,
      element("p", { class: "muted hint" }, hint),
      charts,
    ),
  );

  function setWindow(next, hints = new Map()) {
    shown = next;
    if (next.preset) resetTo = next.preset;
    history.pushState(null, "", `#/assets/${assetId}?${windowToParams(next)}`);
    load(hints);
  }

  function zoom(from, to) {
    const hints = new Map();
    for (const [id, series] of drawn) {
      if (pointsWithin(series, from, to) <= MAX_RAW_POINTS) hints.set(id, "raw");
    }
    setWindow({ start: from, end: to }, hints);
  }

  async function fetchSeries(start, end, bucket, rawIds) {
    const ids = asset.signals.map((s) => s.id);
    const rollupIds = ids.filter((id) => !rawIds.includes(id));
    const range = { start: start.toISOString(), end: end.toISOString() };
    const requests = rawIds.map((id) =>
      getJson(`v1/signals/${id}/measurements`, { ...range, limit: MAX_RAW_POINTS }).then(
        (page) => [[id, { source: "raw", items: page.items, truncated: !!page.next_cursor }]],
      ),
    );
    if (rollupIds.length) {
      // All of them, or only those not drawn raw (signal_id repeated).
      const only = rawIds.length ? { signal_id: rollupIds } : {};
      requests.push(
        getJson(`v1/assets/${assetId}/rollups`, { bucket, ...range, ...only }).then((body) =>
          body.signals.map((s) => [s.signal_id, { source: "rollups", bucket, items: s.items }]),
        ),
      );
    }
    return { series: new Map((await Promise.all(requests)).flat()), requests: requests.length };
  }

  async function load(hints = new Map()) {
    const mine = ++sequence;
    clearTimeout(retry);
    charts.dataset.state = "loading";
    try {
      if (!asset) {
        asset = await getJson(`v1/assets/${assetId}`);
        title.textContent = asset.name;
        meta.textContent = [asset.kind, ...asset.tags].join(" · ");
      }
      const { start, end } = windowRange(shown);
      const bucket = chooseBucket(start, end);
      const rawIds = [...hints.keys()];
      const { series, requests } = await fetchSeries(start, end, bucket, rawIds);
      if (stopped || mine !== sequence) return;
      render(series, { start, end, bucket, requests });
      recovered();
    } catch (error) {
      if (stopped || mine !== sequence) return;
      report(error);
      if (error.kind === "down") retry = setTimeout(() => load(hints), RETRY_MS);
    }
  }

  function render(series, { start, end, bucket, requests }) {
    removers.forEach((remove) => remove());
    removers = [];
    drawn = series;
    const preset = PRESETS.find((p) => p.id === shown.preset);
    ui.buttons.forEach((b) => b.classList.toggle("active", b.dataset.window === shown.preset));
    ui.from.value = toLocalInput(start);
    ui.to.value = toLocalInput(end);
    const label = preset ? preset.label : "Custom window";
    status.textContent =
      `${label}: ${formatInstant(start)} – ${formatInstant(end)} · rollup bucket ${bucket}` +
      ` · ${requests} request${requests === 1 ? "" : "s"}`;
    const sections = asset.signals.map((s) => chartSection(s, series.get(s.id), bucket));
    const none = element("p", { class: "empty" }, "This asset has no signals yet.");
    charts.replaceChildren(...(sections.length ? sections : [none]));
    Object.assign(charts.dataset, {
      state: "ready",
      loads: String(++loads),
      bucket,
      start: start.toISOString(),
      end: end.toISOString(),
    });
  }

  function chartSection(signal, series = { source: "rollups", items: [] }, bucket) {
    const plot = element("div", { class: "plot" });
    const heading = element("h2", {}, signal.name, signal.unit ? ` (${signal.unit})` : "");
    const section = element(
      "section",
      {
        class: "chart",
        "data-signal-id": signal.id,
        "data-signal-name": signal.name,
        "data-source": series.source,
        "data-bucket": series.source === "rollups" ? bucket : null,
        "data-points": series.items.length,
      },
      heading,
      plot,
    );
    if (!series.items.length) {
      plot.append(element("p", { class: "empty" }, "No data in this window."));
      return section;
    }
    if (series.truncated) {
      heading.append(element("span", { class: "muted" }, ` first ${MAX_RAW_POINTS} points`));
    }
    // Drawn once the section is in the page, so the chart takes its width.
    queueMicrotask(() => {
      if (!stopped) {
        removers.push(
          drawChart(plot, {
            unit: signal.unit,
            series,
            onZoom: zoom,
            onReset: () => setWindow({ preset: resetTo }),
          }),
        );
      }
    });
    return section;
  }

  load();
  return () => {
    stopped = true;
    clearTimeout(retry);
    removers.forEach((remove) => remove());
  };
}
