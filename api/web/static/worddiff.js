// An inline diff of two texts for the review page: deleted words struck through (<del>), inserted ones underlined
// (<ins>). Chinese is compared character by character, English word by word (spaces and punctuation are tokens of
// their own). The longest common subsequence is computed on what is left after the common head and tail are cut
// off, and only up to MAX_CELLS table cells: a longer change shows its whole middle as deleted and inserted
// rather than making the page hang.

import { h } from "./dom.js";

export const MAX_CELLS = 1_000_000;

const CJK = "\\u3000-\\u303f\\u3400-\\u9fff\\uf900-\\ufaff\\uff00-\\uffef";
const TOKEN = new RegExp(`[${CJK}]|(?:(?![${CJK}])[\\p{L}\\p{N}_])+|\\s+|.`, "gsu");

export function tokens(text) {
  return String(text ?? "").match(TOKEN) || [];
}

// The edit script as [op, text] pairs, op one of "=", "-", "+"; adjacent pairs of one op are merged.
export function diffTokens(a, b) {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const ops = a.slice(0, head).map((s) => ["=", s]);
  if ((x.length + 1) * (y.length + 1) > MAX_CELLS) {
    ops.push(...x.map((s) => ["-", s]), ...y.map((s) => ["+", s]));
  } else {
    ops.push(...lcs(x, y));
  }
  ops.push(...a.slice(a.length - tail).map((s) => ["=", s]));
  const merged = [];
  for (const [op, text] of ops) {
    const last = merged[merged.length - 1];
    if (last && last[0] === op) last[1] += text;
    else merged.push([op, text]);
  }
  return merged;
}

function lcs(x, y) {
  const n = x.length;
  const m = y.length;
  const width = m + 1;
  const table = new Uint32Array((n + 1) * width);  // table[i][j]: the LCS length of x[i:] and y[j:]
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * width + j] = x[i] === y[j] ? table[(i + 1) * width + j + 1] + 1
        : Math.max(table[(i + 1) * width + j], table[i * width + j + 1]);
    }
  }
  const ops = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { ops.push(["=", x[i]]); i++; j++; }
    else if (table[(i + 1) * width + j] >= table[i * width + j + 1]) ops.push(["-", x[i++]]);
    else ops.push(["+", y[j++]]);
  }
  while (i < n) ops.push(["-", x[i++]]);
  while (j < m) ops.push(["+", y[j++]]);
  return ops;
}

// The diff of two texts as a <p class="worddiff">.
export function wordDiff(before, after) {
  const parts = diffTokens(tokens(before), tokens(after)).map(([op, text]) =>
    op === "=" ? text : h(op === "-" ? "del" : "ins", {}, text));
  return h("p", { class: "worddiff" }, parts);
}
