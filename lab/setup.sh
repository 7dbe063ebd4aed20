#!/usr/bin/env bash
# Outage lab: install everything the lab needs from the package registries.
# Idempotent: re-running only re-checks. Needs root (apt-get).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pkgs=(chromium nginx-light dnsmasq-base openssl libnss3-tools curl iputils-ping mtr-tiny dnsutils iproute2 util-linux gzip jq)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# the distro's nginx/dnsmasq services are never used: the lab starts its own
# instances with their own configs and stops them itself
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/chrome-har" ]; then
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
echo "lab setup ok: $(chromium --version 2>/dev/null | head -1); $(nginx -v 2>&1); $(dnsmasq --version | head -1)"
