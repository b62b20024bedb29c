#!/usr/bin/env bash
# EST with curl and the openssl command line, as a script user would:
# cacerts, simpleenroll with a client certificate, simplereenroll with the
# new certificate and a new key, csrattrs, and a refusal without a client
# certificate. Run by tests/integration/test_est_curl.c, which sets:
#   EST_URL      https://localhost:<port>/est/<ca_id>/<location>/.well-known/est
#   TLS_CA       the CA file that verifies the EST server
#   CLIENT_CERT  CLIENT_KEY  a certificate the CA issued for CN=$DEVICE
#   DEVICE       the device's CN;  WORK  a scratch directory
set -euo pipefail
cd "$WORK"
fail() { echo "curl-enroll: $*" >&2; exit 1; }
est() { curl -sS --cacert "$TLS_CA" -o "$1" -D "$1.head" -w '%{http_code}' "${@:2}"; }

# cacerts: base64 certs-only PKCS#7 with the CA chain
code=$(est cacerts.b64 "$EST_URL/cacerts")
[ "$code" = 200 ] || fail "cacerts answered $code"
grep -qi '^content-type: application/pkcs7-mime' cacerts.b64.head || fail "cacerts content type"
openssl base64 -d -in cacerts.b64 | openssl pkcs7 -inform DER -print_certs -out cacerts.pem \
  || fail "cacerts is not a base64 PKCS#7"
[ "$(grep -c 'BEGIN CERTIFICATE' cacerts.pem)" -ge 1 ] || fail "cacerts holds no certificate"

# simpleenroll: a new EC P-256 key, the CSR as base64 DER
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$DEVICE" \
  -keyout new.key -outform DER -out new.der 2>/dev/null
openssl base64 -in new.der -out new.b64
code=$(est new.p7 --cert "$CLIENT_CERT" --key "$CLIENT_KEY" \
  -H 'Content-Type: application/pkcs10' --data-binary @new.b64 "$EST_URL/simpleenroll")
[ "$code" = 200 ] || fail "simpleenroll answered $code: $(cat new.p7)"
grep -qi '^content-type: application/pkcs7-mime; smime-type=certs-only' new.p7.head \
  || fail "simpleenroll content type"
grep -qi '^content-transfer-encoding: base64' new.p7.head || fail "no Content-Transfer-Encoding"
openssl base64 -d -in new.p7 | openssl pkcs7 -inform DER -print_certs -out new.pem \
  || fail "simpleenroll answer is not a base64 PKCS#7"
[ "$(grep -c 'BEGIN CERTIFICATE' new.pem)" = 1 ] || fail "expected the issued certificate alone"
openssl x509 -in new.pem -noout -subject -nameopt RFC2253 | grep -qx "subject=CN=$DEVICE" \
  || fail "wrong subject: $(openssl x509 -in new.pem -noout -subject)"
openssl x509 -in new.pem -noout -ext extendedKeyUsage | grep -q 'TLS Web Client Authentication' \
  || fail "no clientAuth"
openssl verify -CAfile cacerts.pem new.pem >/dev/null || fail "the chain does not verify"
[ "$(openssl x509 -in new.pem -noout -pubkey)" = "$(openssl pkey -in new.key -pubout)" ] \
  || fail "the certificate is not for the new key"

# simplereenroll with the new certificate, another key, the same subject
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$DEVICE" \
  -keyout renew.key -outform DER -out renew.der 2>/dev/null
openssl base64 -in renew.der -out renew.b64
code=$(est renew.p7 --cert new.pem --key new.key \
  -H 'Content-Type: application/pkcs10' --data-binary @renew.b64 "$EST_URL/simplereenroll")
[ "$code" = 200 ] || fail "simplereenroll answered $code: $(cat renew.p7)"
openssl base64 -d -in renew.p7 | openssl pkcs7 -inform DER -print_certs -out renew.pem
openssl verify -CAfile cacerts.pem renew.pem >/dev/null || fail "the renewed chain does not verify"

# csrattrs: nothing in particular
code=$(est attrs.out "$EST_URL/csrattrs")
[ "$code" = 204 ] || fail "csrattrs answered $code"

# no client certificate: 401 with a reason
code=$(est denied.txt -H 'Content-Type: application/pkcs10' --data-binary @renew.b64 \
  "$EST_URL/simpleenroll")
[ "$code" = 401 ] || fail "without a client certificate: $code"
grep -q 'client certificate' denied.txt || fail "401 without a reason"
echo "curl-enroll: ok"
