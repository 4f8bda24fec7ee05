// The API key: kept in this tab's session storage only (never in a URL, a cookie or a log).

const STORAGE_NAME = "assetwatch.apiKey";

export function getKey() {
  return sessionStorage.getItem(STORAGE_NAME);
}

export function setKey(key) {
  sessionStorage.setItem(STORAGE_NAME, key);
}

export function forgetKey() {
  sessionStorage.removeItem(STORAGE_NAME);
}

// What may be shown of a key: its public prefix (aw_<prefix>_<secret> → aw_<prefix>).
export function keyLabel(key) {
  const prefix = /^(aw_[0-9a-z]+)_./i.exec(key);
  return prefix ? `key ${prefix[1]}` : "key set";
}
