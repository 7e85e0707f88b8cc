#!/bin/sh
# Makes the TEST certificates gatemq ships in etc/certs/: a CA, a server certificate for
# localhost / 127.0.0.1 / ::1, and a client certificate (CN=client1). Their private keys are in
# the repository, so they protect nothing: use them for trying gatemq out and for its tests,
# never in production. Run from anywhere: ./etc/certs/make-test-certs.sh
set -eu
cd "$(dirname "$0")"
days=36500  # expiry far beyond any test run
subject="/C=SE/O=gatemq test certificates (not for production)"

openssl ecparam -name prime256v1 -genkey -noout -out cakey.pem
openssl req -new -x509 -sha256 -days $days -key cakey.pem -out cacert.pem \
  -subj "$subject/CN=gatemq test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

issue() {  # issue <name> <CN> <extensions>
  openssl ecparam -name prime256v1 -genkey -noout -out "$1-key.tmp"
  openssl pkcs8 -topk8 -nocrypt -in "$1-key.tmp" -out "$1-key.pem"
  rm "$1-key.tmp"
  openssl req -new -sha256 -key "$1-key.pem" -subj "$subject/CN=$2" -out "$1.csr"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -sha256 -days $days -in "$1.csr" -CA cacert.pem -CAkey cakey.pem \
    -set_serial "0x$(openssl rand -hex 8)" -extfile "$1.ext" -out "$1-cert.pem"
  rm "$1.csr" "$1.ext"
}
issue server localhost "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
issue client client1 "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=clientAuth"

# The seed's names for the server pair: listener.ssl.external.certfile / keyfile.
mv server-cert.pem cert.pem
mv server-key.pem key.pem
echo "made TEST certificates in $(pwd) (not for production)"
