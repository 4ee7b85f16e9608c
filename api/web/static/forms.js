// The entry editor's typed form, built from the kind's field schema (GET /v1/entries/{kind}/schema): Chinese
// labels (the English field name on hover), selects for fixed choices, list editors for string lists, small
// sub-forms for nested records (an alteration, citations, approvals, reading-list items), pickers with
// autocomplete for OncoTree codes, drugs, genes and biomarkers, a PMID check that shows the article's title, and
// the API's validation errors beside their fields (details.field, or each of details.problems).

import { get } from "./api.js";
import { h, replace } from "./dom.js";
import { fieldLabel, label, t } from "./i18n.js";

const PMID = /^[0-9]{1,9}$/;
let lists = 0;

// A text input with autocomplete from /v1/suggest, keeping the suggestions of the picker's type.
function pickerInput(type, value, path) {
  const id = `pick-${++lists}`;
  const options = h("datalist", { id });
  const input = h("input", { value: value ?? "", list: id, autocomplete: "off", dataset: { picker: type }, "aria-label": path });
  let asked = "";
  input.addEventListener("input", async () => {
    const q = input.value.trim();
    if (!q || q === asked) return;
    asked = q;
    try {
      const found = await get("/v1/suggest", { q, limit: 20 });
      if (asked !== q) return;
      replace(options, found.suggestions.filter((s) => s.type === type)
        .map((s) => h("option", { value: s.id }, `${label(s)} · ${s.id}`)));
    } catch {
      // autocomplete is a help: a failed look leaves the typed value as it is
    }
  });
  return [input, options];
}

// A PMID: 1 to 9 digits, with the article's title when the library holds it.
function pmidInput(value, path) {
  const input = h("input", { value: value ?? "", inputmode: "numeric", dataset: { picker: "pmid" }, "aria-label": path });
  const note = h("small", { class: "pmid-title" });
  const check = async () => {
    const v = input.value.trim();
    note.className = "pmid-title";
    if (!v) return replace(note);
    if (!PMID.test(v)) { note.className = "pmid-title bad"; return replace(note, t("editor.pmidBad")); }
    try {
      replace(note, (await get(`/v1/articles/${v}`)).title);
    } catch (exc) {
      replace(note, exc.status === 404 ? t("editor.pmidMissing") : "");
    }
  };
  input.addEventListener("change", check);  // only when edited: a PMID the library lacks answers 404
  if (value && !PMID.test(String(value))) check();
  return [input, note];
}

function enumSelect(field, value) {
  const choices = field.choices.includes(value ?? "") || value === null ? field.choices : [value, ...field.choices];
  const select = h("select", {},
    field.nullable ? h("option", { value: "\u0000", selected: value === null }, t("editor.empty")) : "",
    choices.map((c) => h("option", { value: c, selected: c === value }, c === "" ? t("editor.empty") : c)));
  return { el: select, read: () => (select.value === "\u0000" ? null : select.value) };
}

// One field as {el, read()}; `path` is the API's name for it (data.citations.0.pmid).
function widget(field, value, path) {
  const w = scalar(field, value === undefined ? null : value, path);
  const input = Array.isArray(w.el) ? w.el[0] : w.el;
  if (input instanceof HTMLElement && !input.name && ["INPUT", "SELECT", "TEXTAREA"].includes(input.tagName)) {
    input.name = path.replace(/^data\./, "");  // data.alteration.gene → alteration.gene
  }
  return w;
}

function scalar(field, v, path) {
  if (field.type === "enum") return enumSelect(field, v);
  if (field.type === "bool" && field.nullable) {  // yes, no, or not stated (null)
    const w = enumSelect({ ...field, choices: ["true", "false"] }, v === null ? null : String(v));
    return { el: w.el, read: () => { const r = w.read(); return r === null ? null : r === "true"; } };
  }
  if (field.type === "bool") {
    const box = h("input", { type: "checkbox", checked: Boolean(v) });
    return { el: box, read: () => box.checked };
  }
  if (field.type === "int" || field.type === "float") {
    const input = h("input", { type: "number", step: field.type === "int" ? 1 : "any", value: v ?? "" });
    return { el: input, read: () => (input.value === "" ? (field.nullable ? null : 0) : Number(input.value)) };
  }
  if (field.type === "date") {
    const input = h("input", { type: "date", value: v ?? "" });
    return { el: input, read: () => input.value || null };
  }
  if (field.type === "list") return listEditor(field, Array.isArray(v) ? v : [], path);
  if (field.type === "record") return recordForm(field, v, path);
  if (field.type === "records") return recordsEditor(field, Array.isArray(v) ? v : [], path);
  let input;
  let extra = [];
  if (field.type === "longtext") input = h("textarea", { rows: 4 }, v ?? "");
  else if (field.picker === "pmid") [input, extra] = pmidInput(v, path);
  else if (field.picker) [input, extra] = pickerInput(field.picker, v, path);
  else input = h("input", { value: v ?? "", "aria-label": path });
  return { el: [input, extra], read: () => (field.nullable && input.value.trim() === "" ? null : input.value) };
}

// A list of strings: one row per value, add and remove; a fixed set of choices is a set of checkboxes.
function listEditor(field, values, path) {
  if (field.item === "enum") {  // checked values keep the record's order; newly checked ones follow
    const all = [...new Set([...values, ...field.choices])];
    const boxes = all.map((c) => h("label", { class: "choice" }, h("input", { type: "checkbox", value: c, checked: values.includes(c) }), ` ${c}`));
    return { el: h("div", { class: "choices" }, boxes), read: () => boxes.map((b) => b.firstChild).filter((b) => b.checked).map((b) => b.value) };
  }
  const box = h("div", { class: "list-editor" });
  let rows = [];
  const draw = (items) => {
    rows = items.map((item, i) => {
      const [input, extra] = field.picker ? pickerInput(field.picker, item, `${path}.${i}`) : [h("input", { value: item, "aria-label": `${path}.${i}` }), ""];
      const row = h("div", { class: "list-row field", dataset: { path: `${path}.${i}` } }, input, extra,
        h("button", { type: "button", class: "small remove", title: t("editor.removeRow"), onclick: () => draw(read().filter((_, j) => j !== i)) }, "×"),
        h("small", { class: "field-error" }));
      row.input = input;
      return row;
    });
    replace(box, rows, h("button", { type: "button", class: "small add", onclick: () => draw([...read(), ""]) }, `+ ${t("editor.addRow")}`));
  };
  const read = () => rows.map((r) => r.input.value.trim()).filter(Boolean);
  draw(values);
  return { el: box, read };
}

// A nested record as a small sub-form; an empty optional one (an FDA approval not entered) reads as null.
function recordForm(field, value, path) {
  const parts = field.fields.map((sub) => fieldRow(sub, value ? value[sub.name] : undefined, `${path}.${sub.name}`));
  const set = h("fieldset", { class: "record" }, parts.map((p) => p.el));
  const read = () => Object.fromEntries(parts.map((p) => [p.name, p.read()]));
  if (!field.nullable) return { el: set, read };
  // an optional record (an FDA approval not entered): a box says whether it is there; unticked reads as null
  const present = h("input", { type: "checkbox", checked: value !== null && value !== undefined, "aria-label": `${path} ${t("editor.present")}` });
  const sync = () => { set.disabled = !present.checked; set.hidden = !present.checked; };
  present.addEventListener("change", sync);
  sync();
  return { el: [h("label", { class: "present" }, present, ` ${t("editor.present")}`), set], read: () => (present.checked ? read() : null) };
}

// A list of nested records (citations, reading-list items): one sub-form per row, add and remove.
function recordsEditor(field, values, path) {
  const box = h("div", { class: "records-editor" });
  let forms = [];
  const draw = (items) => {
    forms = items.map((item, i) => recordForm({ ...field, nullable: false }, item, `${path}.${i}`));
    replace(box, forms.map((f, i) => h("div", { class: "record-row field", dataset: { path: `${path}.${i}` } }, f.el,
      h("button", { type: "button", class: "small remove", onclick: () => draw(read().filter((_, j) => j !== i)) }, t("editor.removeRow")),
      h("small", { class: "field-error" }))),
    h("button", { type: "button", class: "small add", onclick: () => draw([...read(), {}]) }, `+ ${t("editor.addRow")}`));
  };
  const read = () => forms.map((f) => f.read());
  draw(values);
  return { el: box, read };
}

function fieldRow(field, value, path) {
  const w = widget(field, value, path);
  const el = h("div", { class: `field field-${field.type}`, dataset: { path, field: field.name } },
    h("label", { title: field.name }, fieldLabel(field.name)), w.el, h("small", { class: "field-error", role: "alert" }));
  return { name: field.name, el, read: w.read };
}

// The form of a record: {el, read(), showErrors(exc), clearErrors()}. Fields the schema does not list are kept.
export function typedForm(schema, data, order = []) {
  const named = new Map(schema.fields.map((f) => [f.name, f]));
  const names = [...new Set([...order.filter((n) => named.has(n)), ...schema.fields.map((f) => f.name)])].filter((n) => n !== schema.key_field);
  const rows = names.map((n) => fieldRow(named.get(n), data[n], `data.${n}`));
  const el = h("div", { class: "typed-form" }, rows.map((r) => r.el));
  const clearErrors = () => {
    for (const e of el.querySelectorAll(".field-error")) e.textContent = "";
    for (const e of el.querySelectorAll(".field.invalid")) e.classList.remove("invalid");
  };
  // The field an error names, or its nearest enclosing field (data.alteration.name → the alteration sub-form).
  const place = (path, text) => {
    for (let p = String(path); p.includes("."); p = p.slice(0, p.lastIndexOf("."))) {
      const holder = el.querySelector(`.field[data-path="${CSS.escape(p)}"]`);
      if (!holder) continue;
      holder.classList.add("invalid");
      const slot = holder.querySelector(":scope > .field-error");
      slot.textContent = slot.textContent ? `${slot.textContent}; ${text}` : text;
      return true;
    }
    return false;
  };
  const showErrors = (exc) => {
    clearErrors();
    const details = (exc && exc.details) || {};
    const problems = Array.isArray(details.problems) && details.problems.length ? details.problems
      : details.field ? [{ field: details.field, problem: String(exc.message).replace(`${details.field}: `, "") }] : [];
    return problems.map((p) => place(p.field, p.problem)).some(Boolean);
  };
  const read = () => ({ ...data, ...Object.fromEntries(rows.map((r) => [r.name, r.read()])) });
  return { el, read, showErrors, clearErrors };
}
