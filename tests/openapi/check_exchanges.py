#!/usr/bin/python3
"""Checks HTTP exchanges recorded by the integration tests against openapi.yaml.

usage: /usr/bin/python3 check_exchanges.py <openapi.yaml> [<est.yaml>] <exchanges-dir>

Every line of <exchanges-dir>/*.jsonl is one exchange (tests/support/http.c):
{"listener", "method", "path", "query", "status", "content_type", "headers",
"json" or "body_b64", "test"}. An exchange fails when its path, method,
status, media type, JSON body or required headers are not what the document
describes. Exchanges of the API listener are checked against openapi.yaml,
those of the EST listener against est.yaml, whose errors are text/plain
(RFC 7030). A path item may name another listener with "x-edgeca-listener".
Exits 1 on any violation, and when there is nothing to check at all.
"""
import glob
import json
import os
import re
import sys

import yaml
from jsonschema import Draft202012Validator

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROBLEM = "application/problem+json"


# Every "#/..." ref is rewritten to BASE + "#/...", so that it resolves in
# the whole document whichever sub-schema a validator starts from.
BASE = "urn:edgeca:openapi"


def rebase(node):
    if isinstance(node, dict):
        return {k: BASE + v if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else rebase(v) for k, v in node.items()}
    if isinstance(node, list):
        return [rebase(v) for v in node]
    return node


def validator_factory(spec):
    """Returns schema -> validator that resolves BASE refs in spec.

    jsonschema >= 4.18 resolves through a `referencing` registry; Debian's
    4.10 only has RefResolver."""
    fmt = Draft202012Validator.FORMAT_CHECKER  # uuid, email, uri; date-time needs an extra module
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
    except ImportError:
        from jsonschema import RefResolver
        resolver = RefResolver(base_uri=BASE, referrer=spec)
        return lambda schema: Draft202012Validator(schema, resolver=resolver,
                                                   format_checker=fmt)
    registry = Registry().with_resource(
        BASE, Resource.from_contents(spec, default_specification=DRAFT202012))
    return lambda schema: Draft202012Validator(schema, registry=registry,
                                               format_checker=fmt)


def deref(spec, obj):
    """Follows a Reference Object ("$ref": BASE + "#/a/b") to what it names."""
    while isinstance(obj, dict) and "$ref" in obj:
        node = spec
        for part in obj["$ref"].split("#", 1)[1].lstrip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
    return obj


def listener_of(item, default):
    return item.get("x-edgeca-listener", default)


def compile_paths(spec, default_listener):
    """[(regex, template, listener)], literal templates first so that they win."""
    out = []
    for template, item in spec.get("paths", {}).items():
        regex = "^" + "/".join(
            "[^/]+" if re.fullmatch(r"\{[^/{}]+\}", seg) else re.escape(seg)
            for seg in template.split("/")) + "$"
        out.append((re.compile(regex), template, listener_of(item, default_listener)))
    out.sort(key=lambda rt: rt[1].count("{"))
    return out


def media_type(value):
    return value.split(";")[0].strip().lower() if value else None


class Checker:
    def __init__(self, spec, listener="api"):
        self.spec = spec = rebase(spec)
        self.listener = listener
        self.paths = compile_paths(spec, listener)
        self.make_validator = validator_factory(spec)
        self.validators = {}  # id(schema) -> validator, built once
        self.problem = spec["components"].get("schemas", {}).get("Problem")
        self.covered = set()
        self.violations = []

    def operations(self):
        return [(m.upper(), t) for t, item in self.spec["paths"].items()
                for m in item if m in METHODS]

    def fail(self, ex, message):
        where = "%s %s -> %s" % (ex.get("method"), ex.get("path"), ex.get("status"))
        self.violations.append("%s: %s: %s" % (
            ex.get("test", "?"), where if "path" in ex else "-", message))

    def validate(self, ex, schema, body, what):
        v = self.validators.get(id(schema))
        if v is None:
            v = self.validators[id(schema)] = self.make_validator(schema)
        for err in sorted(v.iter_errors(body), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in err.absolute_path) or "(body)"
            self.fail(ex, "%s: %s: %s" % (what, where, err.message))

    def check_problem(self, ex):
        """The undocumented 404 (unknown path) and 405 answers must still be
        well-formed problem documents; on the EST listener, short text."""
        if ex.get("listener", "api") == "est":
            if media_type(ex.get("content_type")) != "text/plain":
                self.fail(ex, "expected text/plain, got %s" % ex.get("content_type"))
            return
        if media_type(ex.get("content_type")) != PROBLEM:
            self.fail(ex, "expected %s, got %s" % (PROBLEM, ex.get("content_type")))
        elif ex["method"] != "HEAD":  # HEAD answers carry no body
            self.check_json(ex, self.problem, "Problem")

    def check_json(self, ex, schema, what):
        if "json" not in ex:
            self.fail(ex, "%s: the body is not JSON" % what)
            return
        self.validate(ex, schema, ex["json"], what)
        body = ex["json"]
        if (media_type(ex.get("content_type")) == PROBLEM and isinstance(body, dict)
                and body.get("status") != ex["status"]):
            self.fail(ex, "problem status %r differs from the HTTP status" % body.get("status"))

    def check(self, ex):
        missing = [k for k in ("method", "path", "status", "headers") if k not in ex]
        if missing:
            self.fail(ex, "malformed exchange record, missing %s" % ", ".join(missing))
            return
        method, status = ex["method"].upper(), ex["status"]
        listener = ex.get("listener", "api")
        template = next((t for r, t, lst in self.paths
                         if lst == listener and r.match(ex["path"])), None)
        # OpenAPI cannot list what is not there: an unknown path may only
        # answer a 404 problem, a known path with an unlisted method a 405
        # problem whose Allow header names exactly the documented methods.
        if template is None:
            if status != 404:
                self.fail(ex, "path matches no path of the document")
            else:
                self.check_problem(ex)
            return
        item = self.spec["paths"][template]
        # HEAD answers as GET does, without a body. Both documents declare
        # a head operation on each path with GET (check_contract.py), which
        # describes what it answers.
        op = item.get(method.lower())
        if op is None:
            allowed = set(m.upper() for m in item if m in METHODS)
            if "GET" in allowed:
                allowed.add("HEAD")
            allowed = sorted(allowed)
            if status != 405:
                self.fail(ex, "method not documented for %s" % template)
                return
            self.check_problem(ex)
            allow = ex["headers"].get("allow")
            if allow is None:
                self.fail(ex, "405 without an Allow header")
            elif sorted(m.strip() for m in allow.split(",")) != allowed:
                self.fail(ex, "Allow: %s, but the document lists %s" % (allow, ", ".join(allowed)))
            return
        self.covered.add((method, template))
        # No "default" responses: an undocumented status is a violation.
        responses = {str(k): v for k, v in op.get("responses", {}).items()}
        resp = responses.get(str(status)) or responses.get(str(status)[0] + "XX")
        if resp is None:
            self.fail(ex, "status %s not documented for %s %s" % (status, method, template))
            return
        resp = deref(self.spec, resp)
        for name, header in resp.get("headers", {}).items():
            if deref(self.spec, header).get("required") and name.lower() not in ex["headers"]:
                self.fail(ex, "required header %s missing" % name)
        content = resp.get("content")
        has_body = "json" in ex or bool(ex.get("body_b64"))
        if not content:
            if has_body:
                self.fail(ex, "a body, but the document describes none")
            return
        mt = media_type(ex.get("content_type"))
        if mt not in content:
            self.fail(ex, "content type %s not documented (documented: %s)"
                      % (ex.get("content_type"), ", ".join(content)))
            return
        schema = content[mt].get("schema")
        if schema is not None and (mt == "application/json" or mt.endswith("+json")) \
                and ex["method"] != "HEAD":  # HEAD answers carry no body
            self.check_json(ex, schema, "%s %s" % (status, mt))


def read_exchanges(directory):
    """Yields exchanges; a line that is not a JSON object is a violation."""
    for path in sorted(glob.glob(os.path.join(directory, "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    ex = json.loads(line)
                except ValueError as e:
                    ex = {"test": "%s:%d" % (os.path.basename(path), n), "_error": str(e)}
                if not isinstance(ex, dict):
                    ex = {"test": "%s:%d" % (os.path.basename(path), n), "_error": "not an object"}
                yield ex


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def main(argv):
    if len(argv) not in (3, 4):
        print("usage: check_exchanges.py <openapi.yaml> [<est.yaml>] <exchanges-dir>",
              file=sys.stderr)
        return 2
    api = Checker(load(argv[1]), "api")
    # Without est.yaml, EST exchanges are matched against openapi.yaml's
    # paths, where none belongs to the EST listener: each is a violation.
    est = Checker(load(argv[2]), "est") if len(argv) == 4 else api
    directory = argv[-1]
    count = 0
    for ex in read_exchanges(directory):
        count += 1
        checker = est if ex.get("listener", "api") == "est" else api
        if "_error" in ex:
            checker.fail(ex, "unreadable exchange record: %s" % ex["_error"])
        else:
            checker.check(ex)
    if count == 0:
        # Nothing recorded means nothing was checked: never a pass.
        print("FAIL: no exchanges in %s/*.jsonl" % directory)
        return 1
    checkers = [api] if est is api else [api, est]
    violations = [v for c in checkers for v in c.violations]
    for v in violations:
        print("FAIL " + v)
    for c in checkers:
        ops = c.operations()
        print("%s listener: %d of %d documented operations covered"
              % (c.listener, len(c.covered & set(ops)), len(ops)))
        for method, template in ops:
            if (method, template) not in c.covered:
                print("warning: never exercised: %s %s" % (method, template))
    print("%d exchanges checked" % count)
    if violations:
        print("%d violations" % len(violations))
        return 1
    print("OK: every exchange matches %s" % ", ".join(os.path.basename(a) for a in argv[1:-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
