// csr.js: a small, strict decoder of PKCS#10 certificate signing requests
// (PEM or DER), for the preview of what a CSR asks for before it is sent.
// It reads the subject, the subject alternative names, the key type and
// whether the request asks to be a CA; it verifies nothing (the server
// checks the signature and every rule). Input is bounded (MAX_INPUT), DER
// must be definite and minimal, and garbage never throws: decodeCsr()
// answers {ok: false, error} for anything it cannot read.

export const MAX_INPUT = 65536;
const MAX_ITEMS = 256;

class CsrError extends Error {}

function fail(msg) {
  throw new CsrError(msg);
}

const OIDS = {
  "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST",
  "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.5": "serialNumber",
  "0.9.2342.19200300.100.1.25": "DC", "1.2.840.113549.1.9.1": "emailAddress",
};
const CURVES = {
  "1.2.840.10045.3.1.7": "EC-P256", "1.3.132.0.34": "EC-P384",
  "1.3.132.0.35": "EC-P521", "1.3.132.0.10": "EC-secp256k1",
};
const SIGNATURES = {
  "1.2.840.10045.4.3.2": "ecdsa-with-SHA256", "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
  "1.2.840.10045.4.3.4": "ecdsa-with-SHA512", "1.2.840.10045.4.1": "ecdsa-with-SHA1",
  "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
  "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
  "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
  "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
  "1.2.840.113549.1.1.10": "RSASSA-PSS", "1.3.101.112": "Ed25519",
};
const OID_RSA = "1.2.840.113549.1.1.1";
const OID_RSA_PSS = "1.2.840.113549.1.1.10";
const OID_EC = "1.2.840.10045.2.1";
const OID_ED25519 = "1.3.101.112";
const OID_EXT_REQ = "1.2.840.113549.1.9.14";
const OID_SAN = "2.5.29.17";
const OID_BASIC = "2.5.29.19";

// Reads one DER element at pos of bytes, within end: {tag, start, end, next}.
function readTlv(bytes, pos, end) {
  if (pos + 2 > end) fail("truncated element");
  const tag = bytes[pos];
  if ((tag & 0x1f) === 0x1f) fail("high tag numbers are not used in a CSR");
  let len = bytes[pos + 1];
  let p = pos + 2;
  if (len === 0x80) fail("indefinite length (BER, not DER)");
  if (len > 0x80) {
    const n = len & 0x7f;
    if (n > 3) fail("length too large");
    if (p + n > end) fail("truncated length");
    if (bytes[p] === 0) fail("length not minimal (BER, not DER)");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[p + i];
    if (len < 0x80) fail("length not minimal (BER, not DER)");
    p += n;
  }
  if (p + len > end) fail("element longer than its container");
  return { tag, start: p, end: p + len, next: p + len };
}

// The children of a constructed element, bounded in number.
function children(bytes, el) {
  const out = [];
  let p = el.start;
  while (p < el.end) {
    if (out.length >= MAX_ITEMS) fail("too many elements");
    const c = readTlv(bytes, p, el.end);
    out.push(c);
    p = c.next;
  }
  return out;
}

function expect(el, tag, what) {
  if (el === undefined || el.tag !== tag) fail(`${what} expected`);
  return el;
}

function oid(bytes, el) {
  expect(el, 0x06, "object identifier");
  if (el.end === el.start || el.end - el.start > 64) fail("bad object identifier");
  const parts = [];
  let v = 0;
  for (let i = el.start; i < el.end; i++) {
    if (v === 0 && bytes[i] === 0x80) fail("bad object identifier");
    v = v * 128 + (bytes[i] & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 256) fail("bad object identifier");
    if ((bytes[i] & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  if ((bytes[el.end - 1] & 0x80) !== 0) fail("bad object identifier");
  const first = parts[0] < 80 ? Math.floor(parts[0] / 40) : 2;
  return [first, parts[0] - first * 40, ...parts.slice(1)].join(".");
}

function text(bytes, el) {
  const raw = bytes.subarray(el.start, el.end);
  if (el.tag === 0x1e) { // BMPString
    if (raw.length % 2 !== 0) fail("bad BMPString");
    let s = "";
    for (let i = 0; i < raw.length; i += 2) s += String.fromCharCode(raw[i] * 256 + raw[i + 1]);
    return s;
  }
  if (![0x0c, 0x13, 0x14, 0x16, 0x1a].includes(el.tag)) fail("a name's value is not a string");
  return new TextDecoder("utf-8", { fatal: false }).decode(raw);
}

function name(bytes, el) {
  expect(el, 0x30, "subject");
  const parts = [];
  let common = null;
  for (const rdn of children(bytes, el)) {
    expect(rdn, 0x31, "relative distinguished name");
    for (const atv of children(bytes, rdn)) {
      const [type, value] = children(bytes, expect(atv, 0x30, "attribute"));
      const id = oid(bytes, type);
      if (value === undefined) fail("attribute without a value");
      const label = OIDS[id] ?? id;
      const v = text(bytes, value);
      if (label === "CN" && common === null) common = v;
      parts.push(`${label}=${v}`);
    }
  }
  return { subject: parts.join(", "), common_name: common };
}

function ipText(raw) {
  if (raw.length === 4) return Array.from(raw).join(".");
  if (raw.length === 16) {
    const words = [];
    for (let i = 0; i < 16; i += 2) words.push(((raw[i] << 8) | raw[i + 1]).toString(16));
    return words.join(":");
  }
  fail("bad IP address");
}

function sans(bytes, el) {
  const out = [];
  for (const gn of children(bytes, expect(el, 0x30, "subjectAltName"))) {
    const raw = bytes.subarray(gn.start, gn.end);
    const ascii = () => new TextDecoder("utf-8").decode(raw);
    switch (gn.tag) {
      case 0x81: out.push(`email:${ascii()}`); break;
      case 0x82: out.push(`DNS:${ascii()}`); break;
      case 0x86: out.push(`URI:${ascii()}`); break;
      case 0x87: out.push(`IP:${ipText(raw)}`); break;
      default: out.push(`other name (tag ${gn.tag & 0x1f})`);
    }
  }
  return out;
}

function basicConstraintsCa(bytes, el) {
  const seq = children(bytes, expect(el, 0x30, "basicConstraints"));
  return seq.length > 0 && seq[0].tag === 0x01 && seq[0].end > seq[0].start &&
    bytes[seq[0].start] !== 0;
}

function extensions(bytes, attrs, out) {
  for (const attr of children(bytes, attrs)) {
    const [type, values] = children(bytes, expect(attr, 0x30, "attribute"));
    if (oid(bytes, type) !== OID_EXT_REQ) continue;
    const [exts] = children(bytes, expect(values, 0x31, "attribute values"));
    for (const ext of children(bytes, expect(exts, 0x30, "extensions"))) {
      const parts = children(bytes, expect(ext, 0x30, "extension"));
      const id = oid(bytes, parts[0]);
      const value = expect(parts[parts.length - 1], 0x04, "extension value");
      const inner = readTlv(bytes, value.start, value.end);
      if (inner.next !== value.end) fail("extension value with trailing bytes");
      if (id === OID_SAN) out.sans.push(...sans(bytes, inner));
      if (id === OID_BASIC) out.requests_ca = basicConstraintsCa(bytes, inner);
    }
  }
}

function rsaBits(bytes, bitString) {
  const seq = readTlv(bytes, bitString.start + 1, bitString.end);
  const [modulus] = children(bytes, expect(seq, 0x30, "RSA public key"));
  expect(modulus, 0x02, "RSA modulus");
  let i = modulus.start;
  while (i < modulus.end && bytes[i] === 0) i++;
  if (i === modulus.end) fail("empty RSA modulus");
  return (modulus.end - i - 1) * 8 + (32 - Math.clz32(bytes[i]));
}

function keyType(bytes, el) {
  const [alg, key] = children(bytes, expect(el, 0x30, "public key"));
  const [algOid, params] = children(bytes, expect(alg, 0x30, "key algorithm"));
  const id = oid(bytes, algOid);
  expect(key, 0x03, "public key bits");
  if (key.end === key.start) fail("empty public key");
  if (id === OID_RSA || id === OID_RSA_PSS) return `RSA-${rsaBits(bytes, key)}`;
  if (id === OID_ED25519) return "Ed25519";
  if (id === OID_EC) {
    if (params === undefined || params.tag !== 0x06) return "EC (explicit parameters)";
    const curve = oid(bytes, params);
    return CURVES[curve] ?? `EC (${curve})`;
  }
  return `unknown (${id})`;
}

function decodeDer(bytes) {
  const top = readTlv(bytes, 0, bytes.length);
  if (top.next !== bytes.length) fail("bytes after the request");
  const [info, sigAlg, sig] = children(bytes, expect(top, 0x30, "certification request"));
  expect(sig, 0x03, "signature");
  const [sigOid] = children(bytes, expect(sigAlg, 0x30, "signature algorithm"));
  const parts = children(bytes, expect(info, 0x30, "request info"));
  expect(parts[0], 0x02, "version");
  const out = { ok: true, ...name(bytes, parts[1]), sans: [], key: keyType(bytes, parts[2]),
                requests_ca: false, signature: "" };
  const sigId = oid(bytes, sigOid);
  out.signature = SIGNATURES[sigId] ?? sigId;
  if (parts[3] !== undefined) extensions(bytes, expect(parts[3], 0xa0, "attributes"), out);
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function base64(textIn) {
  const s = textIn.replace(/\s+/g, "");
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) fail("bad base64 in the PEM block");
  const out = new Uint8Array((s.length / 4) * 3);
  let n = 0;
  for (let i = 0; i < s.length; i += 4) {
    const v = [0, 1, 2, 3].map((k) => (s[i + k] === "=" ? 0 : B64.indexOf(s[i + k])));
    const triple = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out[n++] = triple >> 16;
    if (s[i + 2] !== "=") out[n++] = (triple >> 8) & 0xff;
    if (s[i + 3] !== "=") out[n++] = triple & 0xff;
  }
  return out.subarray(0, n);
}

const PEM = /^\s*-----BEGIN (NEW )?CERTIFICATE REQUEST-----\r?\n([A-Za-z0-9+/=\s]+?)-----END (NEW )?CERTIFICATE REQUEST-----\s*$/;

// The DER bytes of a CSR given as PEM text, DER bytes (Uint8Array) or
// ArrayBuffer.
function toDer(input) {
  if (input instanceof ArrayBuffer) input = new Uint8Array(input);
  if (input instanceof Uint8Array) {
    if (input.length > 0 && input[0] === 0x30) return input;
    input = new TextDecoder("utf-8").decode(input);
  }
  if (typeof input !== "string") fail("not a CSR");
  const m = PEM.exec(input);
  if (m === null) fail("not one PEM block labelled CERTIFICATE REQUEST");
  return base64(m[2]);
}

// decodeCsr(input): {ok: true, subject, common_name, sans, key, signature,
// requests_ca} or {ok: false, error}.
export function decodeCsr(input) {
  try {
    const size = input?.byteLength ?? input?.length ?? 0;
    if (size === 0) fail("empty");
    if (size > MAX_INPUT) fail(`larger than ${MAX_INPUT} bytes`);
    const der = toDer(input);
    if (der.length === 0) fail("empty");
    return decodeDer(der);
  } catch (e) {
    if (e instanceof CsrError) return { ok: false, error: e.message };
    return { ok: false, error: "not a readable CSR" };
  }
}

// PEM text of DER bytes (for a CSR file given as DER).
export function derToPem(der, label = "CERTIFICATE REQUEST") {
  let s = "";
  for (let i = 0; i < der.length; i += 3) {
    const n = (der[i] << 16) | ((der[i + 1] ?? 0) << 8) | (der[i + 2] ?? 0);
    s += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] +
      (i + 1 < der.length ? B64[(n >> 6) & 63] : "=") + (i + 2 < der.length ? B64[n & 63] : "=");
  }
  const lines = s.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
