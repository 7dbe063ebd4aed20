#!/bin/sh
# Runs a command in its own mount namespace where /etc/resolv.conf is the
# region's (pointing at that region's dnsmasq), like `ip netns exec` does with
# /etc/netns/NAME/resolv.conf, while staying on the host's loopback.
# usage: in-region.sh RESOLV_CONF CMD [ARGS...]
exec unshare -m --propagation private sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$@"
