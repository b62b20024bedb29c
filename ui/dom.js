// dom.js: building the page without innerHTML (every text goes in as a text
// node), and the small pieces every page shares: labelled fields, tables,
// dates, announcements for screen readers and problem messages.

let nextId = 0;

// h("button", {class: "primary", onclick: fn}, "Save"): an element. Attribute
// values false/null/undefined are left out; on* members become listeners.
export function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  appendAll(el, kids);
  return el;
}

export function appendAll(el, ...kids) {
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
}

export function uid(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

// A labelled field: {wrap, input, error}. The error element sits next to
// the field and is named by aria-describedby.
export function field(label, input, hint) {
  input.id ||= uid("f");
  const error = h("p", { class: "field-error", id: `${input.id}-err`, hidden: true });
  const hintEl = hint ? h("p", { class: "hint", id: `${input.id}-hint` }, hint) : null;
  input.setAttribute("aria-describedby", [hintEl?.id, error.id].filter(Boolean).join(" "));
  const wrap = h("div", { class: "field" }, h("label", { for: input.id }, label), input, hintEl,
    error);
  return { wrap, input, error };
}

export function setFieldError(f, message) {
  f.error.textContent = message ?? "";
  f.error.hidden = !message;
  if (message) f.input.setAttribute("aria-invalid", "true");
  else f.input.removeAttribute("aria-invalid");
}

// A table with a caption, column headers and rows of cells (nodes or text).
export function table(caption, columns, rows, empty = "Nothing to show.") {
  const body = h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c)))));
  if (rows.length === 0) {
    body.append(h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty)));
  }
  return h("table", {},
    h("caption", { class: caption.visible ? "" : "visually-hidden" }, caption.text ?? caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))), body);
}

export function fmtDate(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return h("time", { datetime: iso }, d.toISOString().slice(0, 16).replace("T", " ") + " UTC");
}

export function statusBadge(status) {
  return h("span", { class: `badge badge-${String(status).replace(/[^a-z_]/g, "")}` },
    String(status).replace(/_/g, " "));
}

// An alert region holding a problem's detail (role alert: read out at once).
export function alertBox() {
  const el = h("div", { role: "alert", class: "alert", hidden: true });
  return {
    el,
    show(message) { el.textContent = message; el.hidden = false; },
    clear() { el.textContent = ""; el.hidden = true; },
  };
}

export function announce(message) {
  const live = document.getElementById("live");
  if (live) live.textContent = message;
}

// A copy button for a value shown next to it (in the element valueId,
// which describes the button).
export function copyButton(value, what, valueId) {
  return h("button", {
    type: "button", class: "small", "aria-describedby": valueId,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(value);
        announce(`${what} copied.`);
      } catch {
        announce(`Copying failed: select the text and copy it by hand.`);
      }
    },
  }, "Copy");
}

// A modal dialog (showModal: focus stays inside, Escape closes it).
export function dialog(title, body, actions) {
  const titleId = uid("dlg");
  const dlg = h("dialog", { "aria-labelledby": titleId },
    h("h2", { id: titleId }, title), body, h("div", { class: "actions" }, actions));
  dlg.addEventListener("close", () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}
