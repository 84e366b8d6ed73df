// Building DOM nodes without innerHTML: tenant names, emails and notes are
// data typed by others, so they only ever become text nodes.

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function setProps(el, props) {
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Fields a person typed into since they were drawn (or last sent).
document.addEventListener("input", (event) => {
  if (event.target instanceof HTMLElement) event.target.dataset.dirty = "1";
});

export function clean(form) {
  form.reset();
  for (const el of form.querySelectorAll("[data-dirty]")) delete el.dataset.dirty;
}

// Replaces `target`'s content and keeps what a person was doing there: what
// they typed into fields (by id), which details they opened or closed, and
// the focus, so a live update never eats a half-typed email.
export function replaceKeeping(target, ...children) {
  const typed = new Map();
  for (const el of target.querySelectorAll("input[id][data-dirty], select[id][data-dirty]")) {
    if (el.type !== "password") typed.set(el.id, el.value);
  }
  const opened = new Map();
  for (const el of target.querySelectorAll("details[id]")) opened.set(el.id, el.open);
  const focused = target.contains(document.activeElement) ? document.activeElement : null;
  const focusId = focused && focused.id;
  target.replaceChildren(...children);
  for (const [id, value] of typed) {
    const el = document.getElementById(id);
    if (el && target.contains(el)) {
      el.value = value;
      el.dataset.dirty = "1";
    }
  }
  for (const [id, open] of opened) {
    const el = document.getElementById(id);
    if (el && target.contains(el)) el.open = open;
  }
  if (focusId) document.getElementById(focusId)?.focus({ preventScroll: true });
}

export function percent(part, whole) {
  if (whole <= 0) return part > 0 ? 100 : 0;
  return Math.max(0, Math.min(100, (part / whole) * 100));
}
