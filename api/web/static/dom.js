// Building the page from data. Text is always inserted as text nodes, never as markup,
// so an abstract that contains "<script>" shows those characters and runs nothing.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// `text` with <mark> around each span ({start, end, concept, focus}); spans never overlap.
export function marked(text, spans = []) {
  const out = [];
  let at = 0;
  for (const span of spans) {
    if (span.start < at || span.end > text.length) continue;
    out.push(text.slice(at, span.start));
    const type = span.concept.split(":", 1)[0];
    out.push(h("mark", { class: `c-${type}${span.focus ? " focus" : ""}`, title: span.concept }, text.slice(span.start, span.end)));
    at = span.end;
  }
  out.push(text.slice(at));
  return out;
}

export function link(href, ...children) {
  return h("a", { href }, ...children);
}

export function when(date) {
  if (!date) return "";
  const d = new Date(date);
  return Number.isNaN(d.getTime()) ? String(date) : d.toLocaleString(document.documentElement.lang);
}
