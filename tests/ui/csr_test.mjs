// ui.csr: the portal's CSR preview decoder (ui/csr.js) against the CSR
// corpus (tests/csr/make-corpus.sh, expected.txt). Every request the server
// issues from must decode, with the subject, SANs and key it carries; every
// request the server finds malformed must be refused; nothing, corpus or
// mutated garbage, may throw.
// usage: node csr_test.mjs <ui dir> <corpus dir> <expected.txt>
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import assert from "node:assert/strict";

const [uiDir, corpus, expectedFile] = process.argv.slice(2);
const { decodeCsr } = await import(pathToFileURL(join(uiDir, "csr.js")).href);
let failures = 0;

function check(what, fn) {
  try {
    fn();
    console.log(`ok   ${what}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${what}: ${e.message}`);
  }
}

function decodeFile(file) {
  const bytes = new Uint8Array(readFileSync(join(corpus, file)));
  return decodeCsr(file.endsWith(".der") ? bytes : new TextDecoder().decode(bytes));
}

const expected = readFileSync(expectedFile, "utf8").split("\n")
  .filter((l) => l.trim() !== "" && !l.startsWith("#"))
  .map((l) => l.trim().split(/\s+/));

for (const [file, status, slug] of expected) {
  check(`${file} (server: ${status} ${slug})`, () => {
    const r = decodeFile(file);
    if (status === "201") {
      assert.equal(r.ok, true, r.error);
      assert.match(r.key, /^(EC-P256|EC-P384|RSA-\d+)$/);
    } else if (slug === "csr-malformed" || slug === "payload-too-large") {
      assert.equal(r.ok, false, "a malformed request decoded");
      assert.equal(typeof r.error, "string");
    } else {
      assert.equal(typeof r.ok, "boolean");
    }
  });
}

check("ec-p256.csr: subject and key", () => {
  const r = decodeFile("ec-p256.csr");
  assert.equal(r.subject, "CN=edge-device-p256");
  assert.equal(r.common_name, "edge-device-p256");
  assert.equal(r.key, "EC-P256");
  assert.deepEqual(r.sans, []);
  assert.equal(r.requests_ca, false);
});
check("ec-p256.der decodes as its PEM does", () => {
  assert.deepEqual(decodeFile("ec-p256.der"), decodeFile("ec-p256.csr"));
});
check("rsa2048-san.csr: subject, SANs, key size", () => {
  const r = decodeFile("rsa2048-san.csr");
  assert.equal(r.subject, "C=US, O=Contoso, CN=my-iot-device2");
  assert.deepEqual(r.sans, ["DNS:my-iot-device2", "DNS:my-iot-device2.local"]);
  assert.equal(r.key, "RSA-2048");
});
check("rsa4096-seed-style.csr: RSA-4096", () => {
  assert.equal(decodeFile("rsa4096-seed-style.csr").key, "RSA-4096");
});
check("ec-p384.csr: EC-P384", () => assert.equal(decodeFile("ec-p384.csr").key, "EC-P384"));
check("requests-ca-true.csr: asks to be a CA", () => {
  assert.equal(decodeFile("requests-ca-true.csr").requests_ca, true);
});
check("no-common-name.csr: no CN", () => {
  const r = decodeFile("no-common-name.csr");
  assert.equal(r.ok, true);
  assert.equal(r.common_name, null);
});
check("unsupported-ed25519.csr: named Ed25519", () => {
  assert.equal(decodeFile("unsupported-ed25519.csr").key, "Ed25519");
});

// Every truncation and many single-byte changes of a good request: an
// answer, never an exception.
check("mutations never throw", () => {
  const good = new Uint8Array(readFileSync(join(corpus, "ec-p256.der")));
  for (let n = 0; n < good.length; n++) {
    const r = decodeCsr(good.slice(0, n));
    assert.equal(r.ok, false, `truncated to ${n} bytes decoded`);
  }
  let seed = 7;
  for (let i = 0; i < 20000; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const bad = good.slice();
    bad[seed % bad.length] = (seed >> 8) & 0xff;
    const r = decodeCsr(bad);
    assert.equal(typeof r.ok, "boolean");
  }
  for (const junk of [null, undefined, 42, {}, "", "-----BEGIN CERTIFICATE REQUEST-----\n",
    new ArrayBuffer(0), "x".repeat(70000)]) {
    assert.equal(decodeCsr(junk).ok, false);
  }
});

if (failures > 0) {
  console.log(`${failures} failed`);
  process.exit(1);
}
console.log("all passed");
