// One signal's chart (uPlot): the avg line over a min–max band for rollups, or the raw points.
// Dragging across it selects a time range (onZoom); a double-click asks for the reset (onReset).

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { formatValue } from "./format.js";

const HEIGHT = 200;
const LINE = "#1f6feb";
const BAND_EDGE = "rgba(31, 111, 235, 0.35)";
const BAND_FILL = "rgba(31, 111, 235, 0.12)";

// `series`: {source: "rollups", items: [{bucket_start, min, max, avg}]} or
// {source: "raw", items: [{ts, value}]}. Returns what removes the chart.
export function drawChart(container, { unit, series, onZoom, onReset }) {
  const value = (u, v) => formatValue(v, unit);
  const xs = series.items.map((i) => new Date(i.bucket_start || i.ts).getTime() / 1000);
  const rollups = series.source === "rollups";
  const column = (name) => series.items.map((i) => i[name]);
  const data = rollups
    ? [xs, column("max"), column("min"), column("avg")]
    : [xs, column("value")];
  const lines = rollups
    ? [
        { label: "max", stroke: BAND_EDGE, width: 1, value },
        { label: "min", stroke: BAND_EDGE, width: 1, value },
        { label: "avg", stroke: LINE, width: 2, value },
      ]
    : [{ label: "value", stroke: LINE, width: 1.5, value, points: { show: true, size: 4 } }];
  const options = {
    width: Math.max(300, container.clientWidth),
    height: HEIGHT,
    scales: { x: { time: true } },
    series: [{}, ...lines],
    bands: rollups ? [{ series: [1, 2], fill: BAND_FILL }] : [],
    axes: [{}, { label: unit || "", size: 70 }],
    cursor: { drag: { x: true, y: false, setScale: false } },
    hooks: {
      setSelect: [
        (u) => {
          if (u.select.width < 5) return;
          const from = u.posToVal(u.select.left, "x");
          const to = u.posToVal(u.select.left + u.select.width, "x");
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          onZoom(new Date(from * 1000), new Date(to * 1000));
        },
      ],
    },
  };
  const plot = new uPlot(options, data, container);
  plot.over.addEventListener("dblclick", () => onReset());
  const resize = new ResizeObserver(() => {
    const width = Math.max(300, container.clientWidth);
    if (width !== plot.width) plot.setSize({ width, height: HEIGHT });
  });
  resize.observe(container);
  return () => {
    resize.disconnect();
    plot.destroy();
  };
}
