#!/usr/bin/env bash
# Local CA and the site's certificates (good, expired, wrong-name), made with openssl.
# usage: certs.sh DIR   (idempotent: keeps an existing CA in DIR)
set -euo pipefail
d="$1"; mkdir -p "$d"; cd "$d"
if [ ! -f ca.pem ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
    -subj "/O=Shopfront Lab/CN=Shopfront Lab Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
mkdir -p ca.db; : > ca.db/index.txt; [ -f ca.db/serial ] || echo 1000 > ca.db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = lab
[lab]
dir = $d
database = \$dir/ca.db/index.txt
new_certs_dir = \$dir/ca.db
serial = \$dir/ca.db/serial
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = copy
[any]
commonName = supplied
organizationName = optional
CNF
issue() { # name cn sans start end
  local n="$1" cn="$2" sans="$3" start="$4" end="$5"
  [ -f "$n.pem" ] && return 0
  openssl req -newkey rsa:2048 -nodes -keyout "$n.key" -out "$n.csr" -subj "/O=Shopfront Lab/CN=$cn" \
    -addext "subjectAltName=$sans" -addext "extendedKeyUsage=serverAuth" 2>/dev/null
  openssl ca -batch -config ca.cnf -in "$n.csr" -out "$n.pem" -notext -startdate "$start" -enddate "$end" 2>/dev/null
  rm -f "$n.csr"
}
now=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ); later=$(date -u -d '+25 days' +%Y%m%d%H%M%SZ)
issue app  app.shopfront.test "DNS:app.shopfront.test,DNS:shopfront.test" "$now" "$later"
issue cdn  static.shopfront-cdn.test "DNS:static.shopfront-cdn.test,DNS:*.shopfront-cdn.test" "$now" "$later"
issue reviewly widgets.reviewly.test "DNS:widgets.reviewly.test" "$now" "$later"
issue metricsy collect.metricsy.test "DNS:collect.metricsy.test" "$now" "$later"
# faults: the app's certificate, expired; and a certificate for another name
issue app-expired app.shopfront.test "DNS:app.shopfront.test,DNS:shopfront.test" "$(date -u -d '-120 days' +%Y%m%d%H%M%SZ)" "$(date -u -d '-3 days' +%Y%m%d%H%M%SZ)"
issue cdn-expired static.shopfront-cdn.test "DNS:static.shopfront-cdn.test,DNS:*.shopfront-cdn.test" "$(date -u -d '-120 days' +%Y%m%d%H%M%SZ)" "$(date -u -d '-3 days' +%Y%m%d%H%M%SZ)"
issue wrongname legacy.shopfront-old.test "DNS:legacy.shopfront-old.test" "$now" "$later"
# the NSS db the browser trusts the CA through (HOME/.pki/nssdb)
if [ ! -f nssdb/cert9.db ]; then
  mkdir -p nssdb; certutil -N -d sql:nssdb --empty-password
  certutil -A -d sql:nssdb -n "Shopfront Lab Root CA" -t "C,," -i ca.pem
fi
