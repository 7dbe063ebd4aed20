'use strict';
// Stages one scenario end to end: certificates, nginx (origin, CDN edges,
// static origin, third parties), the backend API, one fault proxy per
// region and host, one dnsmasq per region, one browser recorder and one
// probe loop per region; applies the faults on schedule, writes the change
// log; stops everything; writes truth.json.
// usage: node orchestrate.js SCENARIO OUTDIR [OCTET]
const fs = require('fs');
const path = require('path');
const { spawn, execFileSync, execFile } = require('child_process');
const execFileP = require('util').promisify(execFile);
const { Backend, FaultProxy, dnsFaultUpstream } = require('./services');
const { SCENARIOS, ALL } = require('./scenarios');

const LAB = path.resolve(__dirname, '..');
const SITE = path.join(LAB, 'site');
const [name, outArg, octArg] = process.argv.slice(2);
const sc = SCENARIOS.find((s) => s.name === name);
if (!sc) { console.error(`unknown scenario ${name}; known: ${SCENARIOS.map((s) => s.name).join(' ')}`); process.exit(2); }
const OUT = path.resolve(outArg);
const S = Number(octArg || 20 + SCENARIOS.indexOf(sc));
const WORK = fs.mkdtempSync(`/tmp/faultlens-lab-${name}-`);
const REGIONS = ALL;
const ROCT = { 'us-east': 10, 'eu-west': 20, 'ap-south': 30 };
const EDGE = { 'us-east': ['iad', 4401], 'eu-west': ['fra', 4402], 'ap-south': ['bom', 4403] };
const HOSTS = { app: 1, cdn: 2, reviewly: 4, metricsy: 5 };
const NAMES = { app: 'app.shopfront.test', cdn: 'static.shopfront-cdn.test', reviewly: 'widgets.reviewly.test', metricsy: 'collect.metricsy.test' };
const ip = (o3, o4) => `127.${S}.${o3}.${o4}`;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const log = (...a) => console.log(new Date().toISOString(), `[${name}]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const children = [];
function start(label, cmd, args, opts = {}) {
  const logf = fs.openSync(path.join(WORK, `${label}.log`), 'a');
  const p = spawn(cmd, args, { detached: true, stdio: ['ignore', logf, logf], ...opts });
  p.label = label;
  p.exited = new Promise((r) => p.on('exit', (c, sig) => { p.done = true; r(c ?? sig); }));
  children.push(p);
  return p;
}
function killGroup(p, sig = 'SIGTERM') {
  if (!p || p.done) return;
  try { process.kill(-p.pid, sig); } catch (e) { /* gone */ }
}
let cleaned = false;
async function cleanup() {
  if (cleaned) return; cleaned = true;
  for (const p of children) killGroup(p, 'SIGTERM');
  await Promise.race([Promise.all(children.map((p) => p.exited)), sleep(5000)]);
  for (const p of children) killGroup(p, 'SIGKILL');
}
process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => cleanup().then(() => process.exit(143)));

// ---------- nginx
function nginxConf(pki) {
  const P = WORK;
  const flag = (f) => `${P}/flags/${f}`;
  const tls = (cert) => `ssl_certificate ${pki}/${cert}.pem; ssl_certificate_key ${pki}/${cert}.key;`;
  const app = (port, cert) => `
  server {
    listen ${ip(0, 1)}:${port} ssl http2;
    server_name app.shopfront.test shopfront.test;
    ${tls(cert)}
    access_log ${P}/logs/access.log lab;
    root ${SITE}/app;
    index index.html;
    location / { add_header cache-control "no-cache"; }
    location /static/ { expires 1h; }
    location /api/ {
      proxy_pass http://catalog_api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_connect_timeout 2s;
      proxy_read_timeout 15s;
    }
  }`;
  const edge = (region, port, cert) => {
    const [pop] = EDGE[region];
    const hdr = `add_header via "1.1 ${pop}-edge-3 (shopfront-cdn)" always; add_header x-served-by "cache-${pop}3-${region}" always;`;
    return `
  server {
    listen ${ip(0, 2)}:${port} ssl http2;
    server_name static.shopfront-cdn.test;
    ${tls(cert)}
    access_log ${P}/logs/cdn-access.log lab;
    error_page 502 /__edge_502.html;
    error_page 503 /__edge_503.html;
    location = /__edge_502.html { internal; alias ${SITE}/edge/edge-502.html; ${hdr} add_header x-cache "ERROR" always; }
    location = /__edge_503.html { internal; alias ${SITE}/edge/edge-503.html; ${hdr} add_header x-cache "ERROR" always; }
    location / {
      if (-f ${flag(`edge-${region}.503`)}) { return 503; }
      if (-f ${flag(`edge-${region}.502`)}) { return 502; }
      proxy_pass http://${ip(0, 3)}:8080;
      proxy_cache edge_${region.replace('-', '_')};
      proxy_cache_valid 200 60s;
      ${hdr}
      add_header x-cache $upstream_cache_status always;
    }
  }`;
  };
  return `
user root;
worker_processes 1;
pid ${P}/nginx.pid;
error_log ${P}/logs/error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  log_format lab '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time urt=$upstream_response_time';
  access_log off;
  keepalive_timeout 3s;
  sendfile on;
  client_body_temp_path ${P}/tmp/body;
  proxy_temp_path ${P}/tmp/proxy;
  fastcgi_temp_path ${P}/tmp/fastcgi;
  uwsgi_temp_path ${P}/tmp/uwsgi;
  scgi_temp_path ${P}/tmp/scgi;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache off;
  ssl_session_tickets off;
  ${REGIONS.map((r) => `proxy_cache_path ${P}/cache/${r} keys_zone=edge_${r.replace('-', '_')}:2m max_size=20m inactive=10m;`).join('\n  ')}
  upstream catalog_api { server ${ip(0, 1)}:3000 max_fails=0; keepalive 8; }
  ${app(443, 'app')}
  ${app(8443, 'app-expired')}
  ${app(9443, 'wrongname')}
  ${REGIONS.map((r) => edge(r, EDGE[r][1], 'cdn')).join('\n')}
  ${edge('eu-west', 8443, 'cdn-expired')}
  server {
    listen ${ip(0, 3)}:8080;
    server_name static-origin.shopfront.internal;
    access_log ${P}/logs/origin-access.log lab;
    root ${SITE}/static;
    add_header cache-control "public, max-age=60";
  }
  server {
    listen ${ip(0, 4)}:443 ssl http2;
    server_name widgets.reviewly.test;
    ${tls('reviewly')}
    access_log ${P}/logs/reviewly-access.log lab;
    root ${SITE}/reviewly;
    location / {
      if (-f ${flag('reviewly.down')}) { return 503; }
      add_header access-control-allow-origin "*" always;
      add_header cache-control "public, max-age=300";
    }
  }
  server {
    listen ${ip(0, 5)}:443 ssl http2;
    server_name collect.metricsy.test;
    ${tls('metricsy')}
    access_log ${P}/logs/metricsy-access.log lab;
    root ${SITE}/metricsy;
    location = /collect {
      if (-f ${flag('metricsy.down')}) { return 503; }
      add_header cache-control "no-store"; return 204;
    }
    location / { if (-f ${flag('metricsy.down')}) { return 503; } }
  }
}
`;
}

// ---------- dnsmasq, one per region
const dns = {}; // region -> { proc, faults: Map(name -> how) }
function dnsConf(region) {
  const o = ROCT[region];
  const faults = dns[region].faults;
  const lines = [
    'no-resolv', 'no-hosts', 'bind-interfaces', `listen-address=${ip(o, 53)}`, 'port=53',
    'local-ttl=1', 'log-queries', 'local=/test/', `log-facility=${WORK}/dnsmasq-${region}.log`, 'cache-size=0',
  ];
  for (const [h, last] of Object.entries(HOSTS)) {
    const n = NAMES[h];
    const how = faults.get(n);
    if (how === 'nxdomain') lines.push(`address=/${n}/`);
    else if (how === 'servfail') lines.push(`server=/${n}/${ip(o, 54)}`);
    else if (how === 'timeout') lines.push(`server=/${n}/${ip(o, 55)}`);
    else lines.push(`host-record=${n},${ip(o, last)}`);
  }
  const f = path.join(WORK, `dnsmasq-${region}.conf`);
  fs.writeFileSync(f, lines.join('\n') + '\n');
  return f;
}
async function startDns(region) {
  const d = dns[region];
  if (d.proc) { killGroup(d.proc); await d.proc.exited; }
  d.proc = start(`dnsmasq-${region}`, 'dnsmasq', ['-k', '-C', dnsConf(region), '-x', path.join(WORK, `dnsmasq-${region}.pid`)]);
  await sleep(300);
}

// ---------- main
async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  for (const d of ['logs', 'tmp', 'cache', 'flags']) fs.mkdirSync(path.join(WORK, d), { recursive: true });
  log('work dir', WORK, 'addresses', `127.${S}.0.0/16`);
  const pki = path.join(WORK, 'pki');
  execFileSync(path.join(__dirname, 'certs.sh'), [pki], { stdio: 'inherit' });
  fs.writeFileSync(path.join(WORK, 'nginx.conf'), nginxConf(pki));
  execFileSync('nginx', ['-t', '-q', '-p', WORK, '-e', path.join(WORK, 'logs/error.log'), '-c', path.join(WORK, 'nginx.conf')], { stdio: 'inherit' });
  start('nginx', 'nginx', ['-p', WORK, '-e', path.join(WORK, 'logs/error.log'), '-c', path.join(WORK, 'nginx.conf'), '-g', 'daemon off;']);

  const backend = new Backend(ip(0, 1), 3000);
  await backend.start();
  const proxies = {}; // region -> host -> proxy
  const upstreams = [];
  for (const r of REGIONS) {
    const o = ROCT[r];
    proxies[r] = {
      app: new FaultProxy(`${r}/app`, ip(o, 1), 443, ip(0, 1), 443, ip(o, 1)),
      cdn: new FaultProxy(`${r}/cdn`, ip(o, 2), 443, ip(0, 2), EDGE[r][1], ip(o, 2)),
      reviewly: new FaultProxy(`${r}/reviewly`, ip(o, 4), 443, ip(0, 4), 443, ip(o, 4)),
      metricsy: new FaultProxy(`${r}/metricsy`, ip(o, 5), 443, ip(0, 5), 443, ip(o, 5)),
    };
    for (const p of Object.values(proxies[r])) await p.start();
    upstreams.push(await dnsFaultUpstream(ip(o, 54), ip(o, 55)));
    dns[r] = { proc: null, faults: new Map() };
    await startDns(r);
    fs.writeFileSync(path.join(WORK, `resolv-${r}.conf`), `nameserver ${ip(o, 53)}\noptions timeout:2 attempts:1\n`);
  }
  // the home each browser gets: its NSS db trusts the lab CA
  await sleep(500);
  // readiness: every region reaches every host
  for (const r of REGIONS) {
    for (const n of Object.values(NAMES)) {
      const url = n === NAMES.metricsy ? `https://${n}/a.js` : n === NAMES.reviewly ? `https://${n}/widget.js` : n === NAMES.cdn ? `https://${n}/js/app.js` : `https://${n}/`;
      let ok = false;
      for (let i = 0; i < 20 && !ok; i++) {
        try {
          await execFileP(path.join(__dirname, 'in-region.sh'), [path.join(WORK, `resolv-${r}.conf`), 'curl', '-sf', '-o', '/dev/null', '--cacert', `${pki}/ca.pem`, '--max-time', '3', url]);
          ok = true;
        } catch (e) { await sleep(300); }
      }
      if (!ok) throw new Error(`not ready: ${r} ${url}`);
    }
  }
  log('all services ready');

  // ---------- timeline
  const t0 = Date.now() + 12000; // browsers start meanwhile
  const tEnd = t0 + sc.total * 1000;
  const W = sc.waves.map(([a, b]) => [t0 + (sc.pre + a) * 1000, t0 + (sc.pre + b) * 1000]);
  const offline = {};
  for (const r of REGIONS) offline[r] = [];
  for (const a of sc.actions || []) {
    if (a.t !== 'offline') continue;
    for (const [ws, we] of W) for (const r of a.regions) offline[r].push([ws + (a.at || 0) * 1000, a.until !== undefined ? ws + a.until * 1000 : we]);
  }
  for (const r of REGIONS) {
    const i = REGIONS.indexOf(r);
    const home = path.join(WORK, r, 'home');
    fs.mkdirSync(path.join(home, '.pki'), { recursive: true });
    execFileSync('cp', ['-a', `${pki}/nssdb`, path.join(home, '.pki/nssdb')]);
    const cfg = {
      region: r, harDir: path.join(OUT, 'har', `region=${r}`), userDataDir: path.join(WORK, r, 'profile'), home,
      url: 'https://app.shopfront.test/', start: t0, end: tEnd, phaseMs: 700 + i * 2300, intervalMs: 8000,
      loadTimeoutMs: 15000, settleMs: 1500, offline: offline[r],
    };
    const cf = path.join(WORK, `recorder-${r}.json`);
    fs.writeFileSync(cf, JSON.stringify(cfg));
    const resolv = path.join(WORK, `resolv-${r}.conf`);
    start(`recorder-${r}`, path.join(__dirname, 'in-region.sh'), [resolv, 'nice', '-n', '5', process.execPath, path.join(__dirname, 'recorder.js'), cf]);
    const pd = path.join(OUT, 'probes', `region=${r}`);
    fs.mkdirSync(pd, { recursive: true });
    fs.mkdirSync(path.join(WORK, r), { recursive: true });
    start(`probes-${r}`, path.join(__dirname, 'in-region.sh'), [resolv, 'nice', '-n', '5', 'bash', path.join(__dirname, 'probes.sh'), pd, `${pki}/ca.pem`, String(Math.ceil(t0 / 1000)), String(Math.floor(tEnd / 1000)), path.join(WORK, r)]);
  }
  fs.mkdirSync(path.join(OUT, 'changes'), { recursive: true });
  const changesF = path.join(OUT, 'changes', 'changes.jsonl');
  fs.writeFileSync(changesF, '');
  const change = (c) => fs.appendFileSync(changesF, JSON.stringify({ ts: new Date().toISOString(), service: c.service, kind: c.kind, summary: c.summary }) + '\n');

  // actions
  const targetsOf = (a) => {
    const rs = a.regions || [];
    const hs = !a.hosts || a.hosts.includes('*') ? Object.keys(HOSTS) : a.hosts;
    return rs.flatMap((r) => hs.map((h) => proxies[r][h]));
  };
  async function apply(a, on) {
    switch (a.t) {
      case 'backend': return on ? backend.set(a.set) : backend.reset();
      case 'edge': for (const r of a.regions) { const f = path.join(WORK, 'flags', `edge-${r}.${a.code}`); on ? fs.writeFileSync(f, '') : fs.rmSync(f, { force: true }); } return;
      case 'flag': { const f = path.join(WORK, 'flags', a.name); on ? fs.writeFileSync(f, '') : fs.rmSync(f, { force: true }); return; }
      case 'proxy': for (const p of targetsOf(a)) await (on ? p.set(a.set) : p.reset()); return;
      case 'dns': for (const r of a.regions) { on ? dns[r].faults.set(a.name, a.how) : dns[r].faults.delete(a.name); await startDns(r); } return;
      case 'offline': return; // the recorders switch themselves
      default: throw new Error(`unknown action ${a.t}`);
    }
  }
  for (const a of sc.always || []) await apply(a, true);
  const events = [];
  W.forEach(([ws, we], wi) => {
    (sc.actions || []).forEach((a, ai) => {
      const on = ws + (a.at || 0) * 1000;
      const off = a.until !== undefined ? ws + a.until * 1000 : we;
      events.push({ at: on, run: () => apply(a, true), what: `wave ${wi + 1} apply ${a.t}` });
      events.push({ at: off, run: () => apply(a, false), what: `wave ${wi + 1} undo ${a.t}`, undo: true });
    });
    if (sc.change) events.push({ at: ws - 1, run: () => change(sc.change), what: 'change', first: true });
    if (sc.rollback) events.push({ at: we - 1, run: () => change(sc.rollback), what: 'rollback', first: true });
  });
  for (const c of sc.extraChanges || []) events.push({ at: t0 + c.at * 1000, run: () => change(c), what: 'change (no effect)' });
  // at equal times: undo before apply (502 -> 503 hand-over), change log first
  events.sort((x, y) => x.at - y.at || (y.first ? 1 : 0) - (x.first ? 1 : 0) || (y.undo ? 1 : 0) - (x.undo ? 1 : 0));
  const applied = [];
  for (const ev of events) {
    while (Date.now() < ev.at) await sleep(Math.min(200, ev.at - Date.now()));
    await ev.run();
    applied.push([iso(Date.now()), ev.what]);
    log(ev.what);
  }
  // wait for recorders and probes to finish on their own
  const workers = children.filter((p) => /^(recorder|probes)-/.test(p.label));
  await Promise.race([Promise.all(workers.map((p) => p.exited)), sleep(tEnd - Date.now() + 60000)]);
  for (const p of workers) if (!p.done) log('still running at deadline, killing', p.label);
  for (const a of sc.always || []) await apply(a, false);
  await cleanup();
  for (const p of proxies ? Object.values(proxies).flatMap((x) => Object.values(x)) : []) await p.stop();
  await backend.stop();
  upstreams.forEach((u) => u.close());

  // ---------- collect server logs (the site's own: app origin and CDN edge)
  fs.mkdirSync(path.join(OUT, 'access'), { recursive: true });
  fs.copyFileSync(path.join(WORK, 'logs/access.log'), path.join(OUT, 'access/access.log'));
  fs.copyFileSync(path.join(WORK, 'logs/cdn-access.log'), path.join(OUT, 'access/cdn-edge-access.log'));

  // ---------- truth
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== 'truth.json') files.push(p);
    }
  };
  walk(OUT);
  const fmt = (f) => ({ 'playwright.har': 'har', 'cdp.har': 'har', 'curl.jsonl': 'curl-json', 'ping.txt': 'ping', 'mtr.json': 'mtr-json', 'dig.txt': 'dig', 'changes.jsonl': 'changes-jsonl' }[path.basename(f)] || (f.endsWith('.log') ? 'access-log' : null));
  const count = (f, format) => {
    const t = fs.readFileSync(f, 'utf8');
    if (format === 'har') { try { return JSON.parse(t).log.entries.length; } catch (e) { return null; } }
    if (['curl-json', 'access-log', 'changes-jsonl'].includes(format)) return t.split('\n').filter((l) => l.trim()).length;
    return null;
  };
  const truth = {
    kind: sc.kind,
    fault_domain: sc.domain,
    scope: sc.scope,
    affected_regions: sc.scope === 'global' ? [...REGIONS].sort() : [...sc.regions].sort(),
    onset: W.length ? iso(W[0][0]) : null,
    recovery: W.length ? iso(W[W.length - 1][1]) : null,
    waves: W.map(([a, b]) => [iso(a), iso(b)]),
    site: 'shopfront',
    data_start: iso(t0),
    data_end: iso(tEnd),
    lab: true,
    notes: sc.notes || null,
    actions: sc.actions || [],
    applied,
    producer: {
      browser: `${execFileSync('chromium', ['--version']).toString().trim()} (Debian), headless, driven by playwright-core ${JSON.parse(fs.readFileSync(path.join(LAB, 'node_modules/playwright-core/package.json'), 'utf8')).version}`,
      har: { 'playwright.har': 'Playwright recordHar (content omitted)', 'cdp.har': `chrome-har ${JSON.parse(fs.readFileSync(path.join(LAB, 'node_modules/chrome-har/package.json'), 'utf8')).version} from DevTools protocol events (drops failed requests by design)` },
      probes: 'curl -w %{json} (timestamp-prefixed), ping -D -O, mtr --json (timestamp-prefixed), dig; per region, every 10 s (mtr every 30 s)',
      servers: `nginx ${require('child_process').spawnSync('nginx', ['-v']).stderr.toString().trim()} origin + CDN edges, Node ${process.version} backend and fault proxies, dnsmasq per region`,
      page_load_interval_s: 8,
    },
    files: files.map((f) => {
      const rel = path.relative(OUT, f);
      const m = rel.match(/region=([^/]+)/);
      const format = fmt(f);
      return { path: rel, format, vantage: m ? m[1] : null, records: count(f, format) };
    }),
  };
  fs.writeFileSync(path.join(OUT, 'truth.json'), JSON.stringify(truth, null, 2) + '\n');
  if (!process.env.LAB_KEEP_WORK) fs.rmSync(WORK, { recursive: true, force: true });
  log('case written to', OUT);
}

main().catch(async (e) => {
  console.error(e);
  await cleanup();
  process.exit(1);
});
