#!/usr/bin/python3
"""Checks what generated clients rely on in openapi.yaml and est.yaml.

usage: /usr/bin/python3 check_contract.py <source-root>

- Problem types: every slug the server can put in a problem document
  (edgeca_fail(..., "slug", ...), api_problem_*(..., "slug", ...), the
  error codes' default slugs, the signer's slugs shown to callers) is in the
  enum of the ProblemType schema (`urn:edgeca:problem:<slug>`, the
  Problem's `type`) in openapi.yaml, and the enum names no
  slug the code lacks. Slugs only EST code produces (model/est, api/est)
  are also listed in est.yaml's `x-edgeca-problem-slugs`: EST answers are
  text/plain, the slug appears in the server's logs.
- Every path of openapi.yaml and est.yaml that answers GET declares HEAD.
- Every operation has an operationId and a description; every parameter
  and every named schema has a description.
- No `default:` in a request body schema: generators type such members as
  required; the default is said in the description.
- API error answers (4xx, 5xx) are application/problem+json only.
Exits 1 with one line per finding.
"""
import glob
import os
import re
import sys

import yaml

SLUG = r'"([a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z]+)"'
ARG = r'[^,;]+?'
# The argument that holds the slug: a literal, or a choice of literals
# (cond ? "a" : "b"); NULL leaves the code's default slug.
SLUG_ARG = r'([^,;]+)'
PATTERNS = [
    re.compile(r'\bedgeca_fail\(\s*%s,\s*%s,\s*%s,' % (ARG, ARG, SLUG_ARG), re.S),
    re.compile(r'\bapi_problem_(?:text|members)\(\s*%s,\s*%s,\s*%s,' % (ARG, ARG, SLUG_ARG),
               re.S),
    re.compile(r'\bapi_problem_raw\(\s*%s,\s*%s,\s*%s,\s*%s,' % (ARG, ARG, ARG, SLUG_ARG), re.S),
    re.compile(r'\bdb_check_id\(\s*%s,\s*%s,' % (ARG, SLUG_ARG), re.S),
    re.compile(r'\bcase EDGECA_[A-Z_]+:\s*return\s+(%s)' % SLUG[1:-1].join('""')),
]
SHOWN = re.compile(r'signer_slugs_shown\[\]\s*=\s*\{(.*?)\};', re.S)
EST_DIRS = ("model/est/", "api/est/")
PREFIX = "urn:edgeca:problem:"
NOT_PROBLEMS = {"ok"}  # EDGECA_OK's name, never an error


def code_slugs(root):
    """{slug: set of relative paths that produce it}"""
    found = {}
    for top in ("model", "api", "server", "common"):
        for path in glob.glob(os.path.join(root, top, "**", "*.c"), recursive=True):
            rel = os.path.relpath(path, root)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            slugs = [slug for p in PATTERNS for m in p.finditer(text)
                     for slug in re.findall(SLUG, m.group(1))]
            for block in SHOWN.findall(text):
                slugs += re.findall(SLUG, block)
            for s in slugs:
                if s not in NOT_PROBLEMS:
                    found.setdefault(s, set()).add(rel)
    return found


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        target = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def walk_defaults(doc, node, where, out, seen, names=False):
    """Reports `default` anywhere in a request schema, through $refs; names:
    node maps member names to schemas (`properties`), where "default" may
    be a member's name."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None and not names:
            if ref not in seen:
                seen.add(ref)
                walk_defaults(doc, deref(doc, node), ref, out, seen)
            return
        if "default" in node and not names:
            out.append("%s: `default` in a request schema" % where)
        for k, v in node.items():
            if names:
                walk_defaults(doc, v, where + "." + k, out, seen)
            elif k in ("properties", "patternProperties", "$defs"):
                walk_defaults(doc, v, where, out, seen, names=True)
            elif k not in ("example", "examples", "const", "enum", "description"):
                walk_defaults(doc, v, where, out, seen)
    elif isinstance(node, list) and not names:
        for v in node:
            walk_defaults(doc, v, where, out, seen)


def check_document(doc, name, problems_only):
    out = []
    methods = ("get", "put", "post", "delete", "patch", "head", "options")
    seen = set()
    items = list(doc.get("paths", {}).items()) + list(doc.get("webhooks", {}).items())
    for template, item in items:
        for p in item.get("parameters", []):
            if not deref(doc, p).get("description"):
                out.append("%s: %s: a parameter without a description" % (name, template))
        # Both listeners answer HEAD wherever they answer GET: declared,
        # so generated clients have it typed.
        if "get" in item and "head" not in item:
            out.append("%s: %s answers GET but declares no HEAD" % (name, template))
        for m, op in item.items():
            if m not in methods:
                continue
            what = "%s: %s %s" % (name, m.upper(), template)
            if not op.get("operationId"):
                out.append(what + ": no operationId")
            if not op.get("description"):
                out.append(what + ": no description")
            for p in op.get("parameters", []):
                if not deref(doc, p).get("description"):
                    out.append(what + ": parameter %s without a description"
                               % deref(doc, p).get("name"))
            body = deref(doc, op.get("requestBody", {}))
            for mt, c in body.get("content", {}).items():
                walk_defaults(doc, c.get("schema"), what + " " + mt, out, seen)
            if not problems_only:
                continue
            for status, resp in op.get("responses", {}).items():
                if str(status)[0] in "45":
                    content = deref(doc, resp).get("content", {})
                    extra = sorted(set(content) - {"application/problem+json"})
                    if extra:
                        out.append("%s: %s answers %s" % (what, status, ", ".join(extra)))
    comps = doc.get("components", {})
    for section in ("parameters", "schemas", "responses", "headers"):
        for cname, c in comps.get(section, {}).items():
            if not c.get("description"):
                out.append("%s: components/%s/%s without a description" % (name, section, cname))
    return out


def main(argv):
    if len(argv) != 2:
        print("usage: check_contract.py <source-root>", file=sys.stderr)
        return 2
    root = argv[1]
    api = load(os.path.join(root, "openapi", "openapi.yaml"))
    est = load(os.path.join(root, "openapi", "est.yaml"))
    findings = check_document(api, "openapi.yaml", True)
    findings += check_document(est, "est.yaml", False)

    produced = code_slugs(root)
    est_only = {s for s, files in produced.items()
                if all(f.startswith(EST_DIRS) for f in files)}
    # model/est serves the API too (iotedge-config answers est-disabled):
    # the enum lists every slug, est.yaml those only EST code produces.
    api_slugs = set(produced)
    enum = set(t[len(PREFIX):] for t in api["components"]["schemas"]["ProblemType"]["enum"])
    est_list = set(est.get("x-edgeca-problem-slugs", []))
    for s in sorted(api_slugs - enum):
        findings.append("openapi.yaml: Problem slug enum lacks %r (%s)"
                        % (s, ", ".join(sorted(produced[s]))))
    for s in sorted(enum - api_slugs):
        findings.append("openapi.yaml: Problem slug enum names %r, which no code produces" % s)
    for s in sorted(est_only - est_list):
        findings.append("est.yaml: x-edgeca-problem-slugs lacks %r (%s)"
                        % (s, ", ".join(sorted(produced[s]))))
    for s in sorted(est_list - est_only):
        findings.append("est.yaml: x-edgeca-problem-slugs names %r, not an EST-only slug" % s)
    for f in findings:
        print("FAIL " + f)
    print("%d problem slugs in the code (%d EST-only); %d findings"
          % (len(produced), len(est_only), len(findings)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
