// lifetime.js: how much of a certificate's lifetime has passed, as a meter
// with the CA's lifecycle threshold as its "high" mark.

import { h, fmtDate } from "../dom.js";

export function usedPercent(notBefore, notAfter, now = Date.now()) {
  const start = Date.parse(notBefore);
  const end = Date.parse(notAfter);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return null;
  return Math.min(100, Math.max(0, Math.round(((now - start) / (end - start)) * 100)));
}

// The expiry cell: the date, then the meter and its reading in words.
export function expiry(notBefore, notAfter, threshold) {
  const used = usedPercent(notBefore, notAfter);
  if (used === null) return h("span", {}, fmtDate(notAfter));
  const words = `${used} % of lifetime used` + (threshold ? `, threshold ${threshold} %` : "");
  return h("span", { class: "expiry" }, fmtDate(notAfter),
    h("meter", { min: 0, max: 100, value: used, high: threshold ?? 100, optimum: 0,
                 "aria-label": words }),
    h("span", { class: "hint" }, words));
}
