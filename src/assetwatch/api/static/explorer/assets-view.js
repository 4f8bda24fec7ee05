// The organisation's assets with each signal's latest value and its age, refreshed every few
// seconds: one request for the list, one per asset for its latest points.

import { getJson } from "./api.js";
import { element } from "./dom.js";
import { formatAge, formatValue } from "./format.js";

export const REFRESH_MS = 5000;
const PAGE_SIZE = 100;
const HEADINGS = ["Name", "Kind", "Tags", "Latest"];

function reading(signal) {
  return element(
    "li",
    { class: "reading", "data-signal-id": signal.signal_id, "data-value": signal.value },
    element("span", { class: "signal-name" }, signal.name),
    " ",
    element("strong", {}, formatValue(signal.value, signal.unit)),
    " ",
    element("time", { class: "age", datetime: signal.ts }, formatAge(signal.ts)),
  );
}

function row(asset, latest) {
  const tags = asset.tags.map((tag) => element("span", { class: "tag" }, tag));
  return element(
    "tr",
    { "data-asset-id": asset.id },
    element("td", {}, element("a", { href: `#/assets/${asset.id}` }, asset.name)),
    element("td", {}, asset.kind),
    element("td", {}, ...tags),
    element("td", {}, element("ul", { class: "readings" }, ...latest.signals.map(reading))),
  );
}

// Shows the list in `root` and keeps it fresh; returns what stops it.
export function showAssets(root, { report, recovered }) {
  const body = element("tbody");
  const note = element("p", { class: "muted" }, "Loading…");
  const view = element("section", { class: "assets-view", "data-state": "loading" });
  root.replaceChildren(view);
  view.append(
    element("h1", {}, "Assets"),
    note,
    element(
      "table",
      { class: "assets" },
      element("thead", {}, element("tr", {}, ...HEADINGS.map((h) => element("th", {}, h)))),
      body,
    ),
  );
  let stopped = false;
  let timer;
  async function refresh() {
    try {
      const page = await getJson("v1/assets", { limit: PAGE_SIZE });
      const latest = await Promise.all(page.items.map((a) => getJson(`v1/assets/${a.id}/latest`)));
      if (stopped) return;
      body.replaceChildren(...page.items.map((asset, i) => row(asset, latest[i])));
      const count = page.next_cursor ? `the first ${PAGE_SIZE}` : `${page.items.length}`;
      note.textContent = page.items.length
        ? `${count} assets · refreshed ${new Date().toLocaleTimeString()}`
        : "No assets in this organisation yet.";
      view.dataset.state = "ready";
      recovered();
    } catch (error) {
      if (stopped) return;
      report(error);
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  }
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
