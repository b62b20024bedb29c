#!/usr/bin/env bash
# Generates edgeca's CSR test corpus with the openssl command line into
# OUTDIR. expected.txt beside this script says what edgeca must answer to
# each file. Every case of the shared corpus is covered, plus a few more.
set -euo pipefail
trap 'echo "make-corpus.sh: failed at line $LINENO" >&2' ERR
out=${1:?usage: make-corpus.sh OUTDIR CSRGEN}
csrgen=${2:?usage: make-corpus.sh OUTDIR CSRGEN}
rm -rf "$out"
mkdir -p "$out"
cd "$out"
key() { openssl genpkey "$@" -out "$tmpkey" 2>/dev/null; }
tmpkey=$out/.key.pem
req() { openssl req -new -key "$tmpkey" "$@" 2>/dev/null; }

# --- good requests ---------------------------------------------------------
# exactly as device guides tell users
openssl req -new -newkey rsa:4096 -nodes -keyout /dev/null -subj /CN=my-iot-device1 \
  -out rsa4096-seed-style.csr 2>/dev/null
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256
req -subj /CN=edge-device-p256 -out ec-p256.csr
openssl req -in ec-p256.csr -outform DER -out ec-p256.der
key -algorithm EC -pkeyopt ec_paramgen_curve:P-384
req -subj /CN=edge-device-p384 -out ec-p384.csr
key -algorithm RSA -pkeyopt rsa_keygen_bits:2048
req -subj /C=US/O=Contoso/CN=my-iot-device2 \
  -addext "subjectAltName=DNS:my-iot-device2,DNS:my-iot-device2.local" -out rsa2048-san.csr
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256
cat >challenge.cnf <<CNF
[req]
prompt = no
distinguished_name = dn
attributes = attrs
req_extensions = ext
[dn]
CN = edge-device-challenge
[attrs]
challengePassword = s3cret-challenge
[ext]
subjectAltName = DNS:edge-device-challenge.example
CNF
req -config challenge.cnf -out ec-p256-with-challenge.csr
rm challenge.cnf
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256
req -subj /CN=sneaky-ca -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" -out requests-ca-true.csr
key -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3
req -subj /CN=rsa-exponent-3 -out rsa-exponent-3.csr
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256
req -subj "/CN=$(printf 'd%.0s' {1..64})" -out cn-64-chars.csr
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256
req -subj /CN=device:with:colons -out cn-with-colons.csr
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256
req -subj /CN=192.0.2.10 -out cn-ip-address.csr
key -algorithm RSA -pkeyopt rsa_keygen_bits:2048
req -subj /CN=rsa-pss-sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
  -out rsa-pss-sha256.csr
key -algorithm EC -pkeyopt ec_paramgen_curve:P-384
req -subj /CN=ec-p384-sha512 -sha512 -out ec-p384-sha512.csr

# --- refused requests ------------------------------------------------------
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256
req -subj /O=Contoso -out no-common-name.csr
key -algorithm RSA -pkeyopt rsa_keygen_bits:1024
req -subj /CN=weak-device -out weak-rsa1024.csr
key -algorithm ED25519
req -subj /CN=ed25519-device -out unsupported-ed25519.csr
key -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1
req -subj /CN=k1-device -out unsupported-secp256k1.csr
"$csrgen" cn-65-chars cn-65-chars.csr
"$csrgen" two-cns two-common-names.csr
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256
req -subj /CN=bad-san -addext "subjectAltName=DNS:bad name!.example" -out san-invalid-dns.csr
# P-256 spelled out as explicit parameters (RFC 5480 allows named curves only)
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:explicit
req -subj /CN=explicit-curve -out ec-explicit-params.csr
# proofs of possession with broken digests
key -algorithm RSA -pkeyopt rsa_keygen_bits:2048
req -subj /CN=rsa-md5 -md5 -out rsa-md5.csr
req -subj /CN=rsa-sha1 -sha1 -out rsa-sha1.csr
req -subj /CN=rsa-pss-sha1 -sha1 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:20 \
  -out rsa-pss-sha1.csr
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256
req -subj /CN=ec-sha1 -sha1 -out ec-sha1.csr
# BER inside the signed part, with a signature over exactly those bytes
"$csrgen" ber-inner ber-inner-length.csr

# one bit of the signature flipped (the last byte of the DER is signature)
openssl req -in ec-p256.csr -outform DER -out .good.der
python3 - <<'PY'
data = bytearray(open('.good.der', 'rb').read())
data[-1] ^= 0x01
open('.bad.der', 'wb').write(bytes(data))
half = open('.good.der', 'rb').read()
open('.half.der', 'wb').write(half[: len(half) // 2])
open('trailing-garbage.der', 'wb').write(half + b'garbage!!')
# BER outer SEQUENCE: a non-minimal length (one octet more than needed),
# and the indefinite form; the signed part is untouched, so both verify
good = open('.good.der', 'rb').read()
assert good[0] == 0x30 and good[1] in (0x81, 0x82)
n = good[1] & 0x7f
content = good[2 + n:]
open('ber-outer-length.der', 'wb').write(
    bytes([0x30, 0x80 | (n + 1), 0]) + good[2:2 + n] + content)
open('ber-indefinite-length.der', 'wb').write(bytes([0x30, 0x80]) + content + b'\0\0')
PY
pem() { { echo "-----BEGIN CERTIFICATE REQUEST-----"; base64 -w 64 "$1";
          echo "-----END CERTIFICATE REQUEST-----"; } > "$2"; }
pem .bad.der bad-signature.csr
pem .half.der truncated.csr
{ echo "-----BEGIN CERTIFICATE REQUEST-----"; echo "this is not a certificate request";
  echo "-----END CERTIFICATE REQUEST-----"; } > not-a-csr.csr
{ cat ec-p256.csr; echo "trailing text after the PEM block"; } > trailing-text.csr
: > empty.csr
# a certificate, not a request
openssl req -x509 -key "$tmpkey" -subj /CN=not-a-request -days 1 -out wrong-label.csr 2>/dev/null
# larger than any body edgeca accepts (64 KiB by default)
head -c 70000 /dev/zero | tr '\0' 'A' > oversized.csr
rm -f .good.der .bad.der .half.der "$tmpkey"
echo "corpus: $(ls | wc -l) files in $out"
