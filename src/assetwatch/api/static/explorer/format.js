// How numbers, instants and ages are written on the page.

export function formatValue(value, unit) {
  if (value === null || value === undefined) return "–";
  const digits = Math.abs(value) >= 100 ? 1 : 2;
  const number = Number(value).toLocaleString(undefined, { maximumFractionDigits: digits });
  return unit ? `${number} ${unit}` : number;
}

// "12 s ago", "5 min ago", "3 h ago", "2 d ago"; timestamps in either RFC 3339 spelling.
export function formatAge(ts, now = Date.now()) {
  if (!ts) return "no data";
  const seconds = Math.max(0, Math.round((now - new Date(ts).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

export function formatInstant(date) {
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

// A Date as the value of an <input type="datetime-local"> (local time, minutes).
export function toLocalInput(date) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 16);
}
