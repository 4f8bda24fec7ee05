// The banner that says what went wrong with the API, in words a person can act on.

const banner = () => document.getElementById("banner");

const MESSAGES = {
  down: (e) =>
    e.status === 0
      ? "The API is not answering (is assetwatch serve running?). Retrying every few seconds…"
      : `The API is unavailable (${e.status}): ${e.message}. Retrying every few seconds…`,
  forbidden: (e) => `This key may not read this (403 Forbidden): ${e.message}`,
  "not-found": (e) => `Not found (404): ${e.message}`,
  invalid: (e) => `The API refused the request (422): ${e.message}`,
  failed: (e) => `The API failed (${e.status}): ${e.message}`,
};

export function showProblem(error) {
  const message = MESSAGES[error.kind] || (() => `Unexpected error: ${error.message}`);
  const node = banner();
  node.textContent = message(error);
  node.dataset.kind = error.kind || "error";
  node.hidden = false;
}

export function clearProblem() {
  const node = banner();
  node.hidden = true;
  node.textContent = "";
  delete node.dataset.kind;
}
