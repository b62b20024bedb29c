// ui.static: nothing in the portal's files (ui/) needs the CSP to allow
// inline code: no <script> without src, no <style> element, no style= or
// on*= attribute in the HTML, and in the scripts no HTML parsed from strings
// (innerHTML/outerHTML assignments, insertAdjacentHTML, document.write), no
// eval or new Function, no style attribute set through setAttribute or h().
// Each rule is first shown to catch a sample, so a rule that matches nothing
// fails rather than passing for the wrong reason.
// usage: node static_test.mjs <ui dir>
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const root = process.argv[2];
if (!root) {
  console.log("usage: node static_test.mjs <ui dir>");
  process.exit(2);
}

const HTML_RULES = [
  ["<script> without src", /<script\b(?![^>]*\bsrc\s*=)[^>]*>/gi, '<script>alert(1)</script>'],
  ["<style> element", /<style\b/gi, "<style>p{}</style>"],
  ["style= attribute", /<[a-z][^>]*\sstyle\s*=/gi, '<p style="color:red">'],
  ["on*= handler attribute", /<[a-z][^>]*\son[a-z]+\s*=/gi, '<button onclick="go()">'],
  ["javascript: URL", /javascript:/gi, '<a href="javascript:go()">'],
];
const JS_RULES = [
  ["innerHTML/outerHTML assignment", /\.(inner|outer)HTML\s*\+?=/g, 'el.innerHTML = "<b>" + x;'],
  ["insertAdjacentHTML", /\binsertAdjacentHTML\s*\(/g, 'el.insertAdjacentHTML("beforeend", s)'],
  ["document.write", /\bdocument\.write(ln)?\s*\(/g, "document.write(s)"],
  ["eval", /(^|[^.\w])eval\s*\(/g, "eval(code)"],
  ["new Function", /\bnew\s+Function\s*\(/g, 'new Function("return 1")'],
  ["setAttribute(\"style\")", /setAttribute\(\s*["'`]style["'`]/g, 'el.setAttribute("style", s)'],
  ["style member in h() attributes", /\bh\(\s*["'`][a-z0-9]+["'`]\s*,\s*\{[^}]*\bstyle\s*:/g,
    'h("p", { style: "color: red" }, "x")'],
  ["on*= in markup strings", /["'`][^"'`]*<[a-z][^>]*\son[a-z]+\s*=/gi, 'const s = "<img onerror=x>";'],
];

let failures = 0;
function fail(msg) {
  failures++;
  console.log(`FAIL ${msg}`);
}

for (const [name, re, sample] of [...HTML_RULES, ...JS_RULES]) {
  re.lastIndex = 0;
  if (!re.test(sample)) fail(`the rule "${name}" does not catch its sample ${sample}`);
  re.lastIndex = 0;
}

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]);
}

function lineOf(text, index) {
  return text.slice(0, index).split("\n").length;
}

// Comments say "without innerHTML" and the like: they are not code.
function stripJsComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
    .replace(/(^|[^:"'`\\])\/\/[^\n]*/g, (c, pre) => pre + " ".repeat(c.length - pre.length));
}

let html = 0, js = 0;
for (const path of files(root)) {
  const rel = relative(root, path);
  let rules = null, text = readFileSync(path, "utf8");
  if (/\.html?$/.test(path)) {
    rules = HTML_RULES;
    html++;
  } else if (/\.m?js$/.test(path)) {
    rules = JS_RULES;
    text = stripJsComments(text);
    js++;
  }
  for (const [name, re] of rules ?? []) {
    for (const m of text.matchAll(re))
      fail(`${rel}:${lineOf(text, m.index)}: ${name}: ${m[0].slice(0, 80)}`);
  }
}
if (html === 0 || js === 0) fail(`expected HTML and JavaScript files under ${root} (${html}, ${js})`);
console.log(`${failures === 0 ? "ok  " : "FAIL"} ${html} HTML and ${js} JavaScript files checked for inline code`);
process.exit(failures === 0 ? 0 : 1);
