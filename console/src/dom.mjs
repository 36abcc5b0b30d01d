// dom.mjs: a tiny element builder for the console's pages (no framework, and nothing
// that the Content-Security-Policy forbids: no inline handlers or style attributes;
// events go through addEventListener, sizes through classes or SVG attributes).
//   h('p', { class: 'x', onclick: fn }, 'text', child, [more])
//   s('path', { d: 'M0 0L1 1' })        an SVG element
const SVG = 'http://www.w3.org/2000/svg';

function fill(el, attrs, kids) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of kids.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
export const h = (tag, attrs, ...kids) => fill(document.createElement(tag), attrs, kids);
export const s = (tag, attrs, ...kids) => fill(document.createElementNS(SVG, tag), attrs, kids);

/** Replaces el's children. */
export function put(el, ...kids) {
  el.replaceChildren();
  return fill(el, null, kids);
}

let ids = 0;
/** A fresh id for label/aria references. */
export const uid = (p = 'id') => `${p}-${++ids}`;

/** A short form of a long hex string: first 8 … last 4. */
export const short = (hex, n = 8) =>
  typeof hex === 'string' && hex.length > n + 6 ? `${hex.slice(0, n)}…${hex.slice(-4)}` : hex ?? '';

/** A labelled form field: label + control (+ hint), keyboard reachable. */
export function field(label, control, hint) {
  const id = control.id || (control.id = uid('f'));
  const hid = hint ? uid('h') : null;
  if (hid) control.setAttribute('aria-describedby', hid);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control,
    hint ? h('p', { class: 'hint', id: hid }, hint) : null);
}
