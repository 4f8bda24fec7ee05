// Building the page's elements from data, as nodes and text: never HTML parsed from data.

// An element with attributes (null ones left out) and children (nodes or text).
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}
