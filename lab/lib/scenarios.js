'use strict';
// Every scenario the lab stages. Times are seconds; `waves` are offsets from
// the end of the healthy lead-in (pre). Each action is applied at wave start
// (+at) and undone at wave end (or +until). Action types:
//   backend {set}                         the API's state (down => nginx 502)
//   edge {regions, code}                  CDN edge of a region answers 5xx
//   proxy {regions, hosts, set}           that region's path to those hosts
//   dns {regions, name, how}              nxdomain | servfail | timeout
//   flag {name}                           nginx flag file (third party 503)
//   offline {regions}                     the browser goes offline
// `change`/`rollback`: change-log entries the injector writes at apply/undo.
// Regions: us-east, eu-west, ap-south ("*" = all).

const ALL = ['us-east', 'eu-west', 'ap-south'];
const PORTS = { appExpired: 8443, appWrongName: 9443, cdnExpired: 8443 };

const S = [];
const add = (s) => S.push({ pre: 60, post: 50, waves: [[0, 90]], regions: [], ...s });

// --- healthy controls
add({ name: 'healthy-1', domain: 'none', scope: 'none', waves: [], pre: 100, post: 100 });
add({ name: 'healthy-2', domain: 'none', scope: 'none', waves: [], pre: 100, post: 100 });
add({
  name: 'healthy-deploy', domain: 'none', scope: 'none', waves: [], pre: 100, post: 100,
  notes: 'a routine deploy in the change log, with no effect',
  extraChanges: [{ at: 90, service: 'catalog-api', kind: 'deploy', summary: 'catalog-api v3.8.2 rolled out (copy changes only)' }],
});
add({
  name: 'healthy-thirdparty-jitter', domain: 'none', scope: 'none', waves: [], pre: 100, post: 100,
  notes: 'control: analytics host permanently a little slow (40 ms), nothing changes',
  always: [{ t: 'proxy', regions: ALL, hosts: ['metricsy'], set: { delayMs: 40 } }],
});

// --- backend (global: one origin)
add({
  name: 'backend-502-then-503', domain: 'backend', scope: 'global',
  actions: [{ t: 'backend', set: { down: true }, until: 40 }, { t: 'backend', set: { status: 503 }, at: 40 }],
  change: { service: 'catalog-api', kind: 'deploy', summary: 'catalog-api v3.9.0 rolled out (new pricing cache)' },
  rollback: { service: 'catalog-api', kind: 'rollback', summary: 'catalog-api back to v3.8.2' },
  notes: 'backend process gone (nginx 502 Bad Gateway), then back but answering 503 while warming up',
});
add({
  name: 'backend-503-global', domain: 'backend', scope: 'global',
  actions: [{ t: 'backend', set: { status: 503 } }],
  change: { service: 'catalog-api', kind: 'config', summary: 'connection pool max lowered 64 -> 4' },
  rollback: { service: 'catalog-api', kind: 'rollback', summary: 'connection pool max back to 64' },
});
add({
  name: 'backend-endpoints-503-faster-fewer', domain: 'backend', scope: 'global',
  actions: [{ t: 'backend', set: { status: 503, statusEndpoints: ['products', 'recommendations', 'deals'] } }],
  change: { service: 'catalog-api', kind: 'deploy', summary: 'catalog-api v3.9.1 (recommendation engine client)' },
  rollback: { service: 'catalog-api', kind: 'rollback', summary: 'catalog-api back to v3.8.2' },
  notes: 'the three widget data endpoints fail: pages load faster with fewer components',
});
add({
  name: 'backend-slow-2x', domain: 'backend', scope: 'global',
  actions: [{ t: 'backend', set: { slow: 2 } }],
  change: { service: 'catalog-api', kind: 'config', summary: 'query cache disabled for catalog reads' },
  rollback: { service: 'catalog-api', kind: 'rollback', summary: 'query cache re-enabled' },
  notes: 'API latency doubles, frontend (static, CDN) unchanged',
});
add({
  name: 'backend-slow-16x', domain: 'backend', scope: 'global',
  actions: [{ t: 'backend', set: { slow: 16 } }],
  change: { service: 'catalog-api', kind: 'deploy', summary: 'catalog-api v3.9.2 (ORM upgrade)' },
  rollback: { service: 'catalog-api', kind: 'rollback', summary: 'catalog-api back to v3.8.2' },
});
add({
  name: 'backend-slow-1.5x-subtle', domain: 'backend', scope: 'global',
  actions: [{ t: 'backend', set: { slow: 1.5 } }],
  change: { service: 'catalog-api', kind: 'config', summary: 'log level debug for catalog reads' },
  rollback: { service: 'catalog-api', kind: 'rollback', summary: 'log level back to info' },
});
add({
  name: 'backend-partial-5pct', domain: 'backend', scope: 'global',
  actions: [{ t: 'backend', set: { errRate: 0.05 } }],
  change: { service: 'catalog-api', kind: 'deploy', summary: 'catalog-api v3.9.3 (inventory client timeout 200ms)' },
  rollback: { service: 'catalog-api', kind: 'rollback', summary: 'catalog-api back to v3.8.2' },
});
add({
  name: 'backend-partial-2pct-subtle', domain: 'backend', scope: 'global',
  actions: [{ t: 'backend', set: { errRate: 0.02 } }],
  change: { service: 'catalog-api', kind: 'config', summary: 'inventory client retries 3 -> 0' },
  rollback: { service: 'catalog-api', kind: 'rollback', summary: 'inventory client retries back to 3' },
});
add({
  name: 'backend-waves-503', domain: 'backend', scope: 'global', waves: [[0, 40], [80, 120]],
  actions: [{ t: 'backend', set: { status: 503 } }],
  change: { service: 'catalog-api', kind: 'config', summary: 'autoscaler max replicas 12 -> 2' },
  rollback: { service: 'catalog-api', kind: 'rollback', summary: 'autoscaler max replicas back to 12' },
  notes: 'two outage spans (the same bad setting re-applied)',
});
add({
  name: 'mixed-backend-503-thirdparty-blip', domain: 'backend', scope: 'global',
  actions: [
    { t: 'backend', set: { status: 503 } },
    { t: 'proxy', regions: ALL, hosts: ['reviewly'], set: { mode: 'reset' }, at: 30, until: 50 },
  ],
  change: { service: 'catalog-api', kind: 'deploy', summary: 'catalog-api v4.0.0 (schema migration)' },
  rollback: { service: 'catalog-api', kind: 'rollback', summary: 'catalog-api back to v3.8.2' },
  notes: 'an unrelated 20 s reviewly (third-party) reset blip inside the backend outage',
});

// --- CDN edge (regional edges; the origin stays fine)
add({
  name: 'cdn-edge-503-eu-west', domain: 'cdn', scope: 'regional', regions: ['eu-west'],
  actions: [{ t: 'edge', regions: ['eu-west'], code: 503 }],
  change: { service: 'shopfront-cdn', kind: 'config', summary: 'edge fra1: origin shield pool changed' },
  rollback: { service: 'shopfront-cdn', kind: 'rollback', summary: 'edge fra1: origin shield pool restored' },
});
add({
  name: 'cdn-edge-503-ap-south', domain: 'cdn', scope: 'regional', regions: ['ap-south'],
  actions: [{ t: 'edge', regions: ['ap-south'], code: 503 }],
});
add({
  name: 'cdn-edge-502-global', domain: 'cdn', scope: 'global',
  actions: [{ t: 'edge', regions: ALL, code: 502 }],
  change: { service: 'shopfront-cdn', kind: 'config', summary: 'edge config v212 pushed to all PoPs' },
  rollback: { service: 'shopfront-cdn', kind: 'rollback', summary: 'edge config back to v211' },
});
add({
  name: 'cdn-edge-waves-us-east', domain: 'cdn', scope: 'regional', regions: ['us-east'], waves: [[0, 40], [80, 120]],
  actions: [{ t: 'edge', regions: ['us-east'], code: 503 }],
});

// --- TLS
add({
  name: 'tls-expired-app-global', domain: 'tls', scope: 'global',
  actions: [{ t: 'proxy', regions: ALL, hosts: ['app'], set: { upPort: PORTS.appExpired } }],
  change: { service: 'app-frontend', kind: 'deploy', summary: 'load balancer certificate bundle redeployed' },
  rollback: { service: 'app-frontend', kind: 'rollback', summary: 'certificate bundle: renewed certificate installed' },
});
add({
  name: 'tls-expired-cdn-eu-west', domain: 'tls', scope: 'regional', regions: ['eu-west'],
  actions: [{ t: 'proxy', regions: ['eu-west'], hosts: ['cdn'], set: { upPort: PORTS.cdnExpired } }],
  notes: 'one CDN PoP serves an expired certificate for the static host',
});
add({
  name: 'tls-wrongname-app-ap-south', domain: 'tls', scope: 'regional', regions: ['ap-south'],
  actions: [{ t: 'proxy', regions: ['ap-south'], hosts: ['app'], set: { upPort: PORTS.appWrongName } }],
  change: { service: 'app-frontend', kind: 'config', summary: 'ap-south listener certificate switched' },
  rollback: { service: 'app-frontend', kind: 'rollback', summary: 'ap-south listener certificate restored' },
});
add({
  name: 'tls-handshake-app-global', domain: 'tls', scope: 'global',
  actions: [{ t: 'proxy', regions: ALL, hosts: ['app'], set: { mode: 'tlsbreak' } }],
  change: { service: 'app-frontend', kind: 'config', summary: 'TLS policy: cipher list restricted' },
  rollback: { service: 'app-frontend', kind: 'rollback', summary: 'TLS policy restored' },
});
add({
  name: 'tls-handshake-cdn-us-east', domain: 'tls', scope: 'regional', regions: ['us-east'],
  actions: [{ t: 'proxy', regions: ['us-east'], hosts: ['cdn'], set: { mode: 'tlsbreak' } }],
});

// --- DNS (real dnsmasq per region)
add({
  name: 'dns-nxdomain-app-global', domain: 'dns', scope: 'global',
  actions: [{ t: 'dns', regions: ALL, name: 'app.shopfront.test', how: 'nxdomain' }],
  change: { service: 'dns', kind: 'config', summary: 'zone shopfront.test: records migrated to new provider' },
  rollback: { service: 'dns', kind: 'rollback', summary: 'zone shopfront.test: old records restored' },
});
add({
  name: 'dns-servfail-cdn-us-east', domain: 'dns', scope: 'regional', regions: ['us-east'],
  actions: [{ t: 'dns', regions: ['us-east'], name: 'static.shopfront-cdn.test', how: 'servfail' }],
});
add({
  name: 'dns-timeout-app-eu-west', domain: 'dns', scope: 'regional', regions: ['eu-west'],
  actions: [{ t: 'dns', regions: ['eu-west'], name: 'app.shopfront.test', how: 'timeout' }],
});
add({
  // the contract's third_party: failures confined to a third party's
  // domain, whatever layer they failed at (here its name); dns is the
  // site's own names (issue 19: "names not resolving (first party only)")
  name: 'dns-nxdomain-thirdparty-global', domain: 'third_party', scope: 'global',
  actions: [{ t: 'dns', regions: ALL, name: 'widgets.reviewly.test', how: 'nxdomain' }],
  notes: 'a third-party name stops resolving everywhere (its zone lapsed): third_party, by name resolution',
});
add({
  name: 'dns-servfail-app-ap-south', domain: 'dns', scope: 'regional', regions: ['ap-south'],
  actions: [{ t: 'dns', regions: ['ap-south'], name: 'app.shopfront.test', how: 'servfail' }],
});

// --- network (user-space fault proxy on the path)
add({
  name: 'network-latency-eu-west', domain: 'network', scope: 'regional', regions: ['eu-west'],
  actions: [{ t: 'proxy', regions: ['eu-west'], hosts: ['*'], set: { delayMs: 120 } }],
  notes: '+120 ms each way on every host of the region path',
});
add({
  name: 'network-latency-subtle-global', domain: 'network', scope: 'global',
  actions: [{ t: 'proxy', regions: ALL, hosts: ['*'], set: { delayMs: 25 } }],
});
add({
  name: 'network-reset-us-east', domain: 'network', scope: 'regional', regions: ['us-east'],
  actions: [{ t: 'proxy', regions: ['us-east'], hosts: ['*'], set: { mode: 'reset' } }],
});
add({
  name: 'network-blackhole-ap-south', domain: 'network', scope: 'regional', regions: ['ap-south'],
  actions: [{ t: 'proxy', regions: ['ap-south'], hosts: ['*'], set: { mode: 'blackhole' } }],
  notes: 'connections accepted and never answered: stalls ending in timeouts',
});
add({
  name: 'network-partial-reset-eu-west', domain: 'network', scope: 'regional', regions: ['eu-west'],
  actions: [{ t: 'proxy', regions: ['eu-west'], hosts: ['*'], set: { resetRate: 0.25 } }],
});
add({
  name: 'network-refused-global', domain: 'network', scope: 'global',
  actions: [{ t: 'proxy', regions: ALL, hosts: ['app'], set: { mode: 'refuse' } }],
});
add({
  name: 'network-waves-reset-global', domain: 'network', scope: 'global', waves: [[0, 40], [80, 120]],
  actions: [{ t: 'proxy', regions: ALL, hosts: ['*'], set: { mode: 'reset' } }],
});

// --- third party
add({
  name: 'thirdparty-widget-503-global', domain: 'third_party', scope: 'global',
  actions: [{ t: 'flag', name: 'reviewly.down' }],
});
add({
  name: 'thirdparty-analytics-blackhole-global', domain: 'third_party', scope: 'global',
  actions: [{ t: 'proxy', regions: ALL, hosts: ['metricsy'], set: { mode: 'blackhole' } }],
});
add({
  name: 'thirdparty-widget-reset-ap-south', domain: 'third_party', scope: 'regional', regions: ['ap-south'],
  actions: [{ t: 'proxy', regions: ['ap-south'], hosts: ['reviewly'], set: { mode: 'reset' } }],
});

// --- client
add({
  name: 'client-offline-us-east', domain: 'client', scope: 'regional', regions: ['us-east'],
  waves: [[0, 60]], actions: [{ t: 'offline', regions: ['us-east'] }],
});
add({
  name: 'client-offline-global', domain: 'client', scope: 'global',
  waves: [[0, 60]], actions: [{ t: 'offline', regions: ALL }],
});

// the short case CI runs
add({
  name: 'ci-backend-503', domain: 'backend', scope: 'global', pre: 40, post: 30, waves: [[0, 150]], ci: true,
  actions: [{ t: 'backend', set: { status: 503 } }],
  change: { service: 'catalog-api', kind: 'config', summary: 'connection pool max lowered 64 -> 4' },
  rollback: { service: 'catalog-api', kind: 'rollback', summary: 'connection pool max back to 64' },
});

for (const s of S) {
  s.total = s.pre + (s.waves.length ? s.waves[s.waves.length - 1][1] : 0) + s.post;
  s.kind = s.name;
}
module.exports = { SCENARIOS: S, ALL, PORTS };
