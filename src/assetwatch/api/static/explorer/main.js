// The explorer's entry: asks for the key once, then shows the view the address names
// (#/ the assets, #/assets/{id}?window=… an asset), and the API's failures as they come.

import { showAsset } from "./asset-view.js";
import { showAssets } from "./assets-view.js";
import { forgetKey, getKey, keyLabel, setKey } from "./key.js";
import { clearProblem, showProblem } from "./status.js";

const byId = (id) => document.getElementById(id);
const view = byId("view");
let stopView = () => {};

function askForKey(message) {
  stopView();
  stopView = () => {};
  view.replaceChildren();
  clearProblem();
  byId("session").hidden = true;
  byId("key-message").textContent = message || "";
  byId("key-message").hidden = !message;
  byId("key-form").hidden = false;
  byId("key-input").focus();
}

// A failed request: a refused key asks for another; anything else goes to the banner.
function report(error) {
  if (error.kind === "unauthorized") {
    forgetKey();
    askForKey(
      `The API refused this key (401 Unauthorized: ${error.message}). ` +
        "Check that it is whole and not revoked, or make a new one.",
    );
    return;
  }
  showProblem(error);
}

function route() {
  stopView();
  if (!getKey()) {
    askForKey();
    return;
  }
  byId("key-form").hidden = true;
  byId("session-key").textContent = keyLabel(getKey());
  byId("session").hidden = false;
  const [path, query = ""] = location.hash.slice(1).split("?");
  const asset = /^\/assets\/(\d+)$/.exec(path);
  const context = { report, recovered: clearProblem };
  stopView = asset
    ? showAsset(view, Number(asset[1]), new URLSearchParams(query), context)
    : showAssets(view, context);
}

byId("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = byId("key-input");
  const key = input.value.trim();
  input.value = "";
  if (!key) return;
  setKey(key);
  route();
});
byId("forget-key").addEventListener("click", () => {
  forgetKey();
  askForKey();
});
window.addEventListener("hashchange", route);
route();
