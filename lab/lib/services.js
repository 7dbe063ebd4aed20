'use strict';
// The lab's own servers, all on loopback addresses of one case:
//  - backend: the shop's API (Node http), faults switched at run time
//  - FaultProxy: a user-space TCP proxy on one region's path to one host
//    (latency, stalls/blackholes, resets, refusals, a broken TLS handshake,
//    or a different upstream listener such as the expired-certificate one)
//  - dnsFaultUpstream: the "upstream" dnsmasq forwards a name to when that
//    name is to fail: answers SERVFAIL, or swallows queries (timeouts)
const http = require('http');
const net = require('net');
const dgram = require('dgram');
const crypto = require('crypto');

const PRODUCTS = [
  ['Wool socks', '9.90'], ['Espresso cups', '24.00'], ['Desk lamp', '39.00'], ['Rain jacket', '89.00'],
  ['Notebook A5', '6.50'], ['Water bottle', '18.00'], ['Headphones', '59.00'], ['Plant pot', '12.00'],
  ['Backpack', '74.00'], ['Scarf', '22.00'], ['Tea sampler', '15.00'], ['Phone stand', '11.00'],
];

function items(seed, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const k = (seed + i * 5) % PRODUCTS.length;
    out.push({ id: 1000 + k, title: PRODUCTS[k][0], price: PRODUCTS[k][1], img: k + 1 });
  }
  return out;
}

const BASE_MS = { products: 45, recommendations: 90, deals: 35, cart: 25, session: 15, health: 2 };
const DEFAULT_STATE = () => ({
  down: false, // listener closed: nginx answers 502
  status: null, // every (or the listed) endpoint answers this status
  statusEndpoints: null,
  slow: 1, // latency factor
  slowEndpoints: null,
  errRate: 0, // fraction answering 500
  errEndpoints: null,
});

class Backend {
  constructor(host, port) {
    this.host = host; this.port = port;
    this.state = DEFAULT_STATE();
    this.sockets = new Set();
    this.server = null;
  }
  handler(req, res) {
    const u = new URL(req.url, 'http://backend');
    const m = u.pathname.match(/^\/api\/v1\/(\w+)(\.js)?$/);
    if (!m || !(m[1] in BASE_MS)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end('{"error":"not found"}');
    }
    const ep = m[1];
    const js = !!m[2];
    const st = this.state;
    const on = (list) => !list || list.includes(ep);
    const delay = BASE_MS[ep] * (0.7 + 0.6 * Math.random()) * (on(st.slowEndpoints) ? st.slow : 1);
    setTimeout(() => {
      const reqId = crypto.randomBytes(6).toString('hex');
      if (st.status && on(st.statusEndpoints)) {
        res.writeHead(st.status, { 'content-type': 'application/json', 'retry-after': '10', 'x-request-id': reqId });
        return res.end(JSON.stringify({ error: st.status === 503 ? 'service unavailable: warming up' : 'error', request_id: reqId }));
      }
      if (st.errRate > 0 && on(st.errEndpoints) && Math.random() < st.errRate) {
        res.writeHead(500, { 'content-type': 'application/json', 'x-request-id': reqId });
        return res.end(JSON.stringify({ error: 'internal error: upstream inventory timeout', request_id: reqId }));
      }
      let body;
      const seed = Math.floor(Date.now() / 60000);
      if (ep === 'cart') body = { count: 2, total: '33.90' };
      else if (ep === 'session') body = { name: 'Alex', tier: 'member' };
      else if (ep === 'health') body = { ok: true };
      else body = { items: items(seed + ep.length, ep === 'deals' ? 3 : 4) };
      const headers = { 'x-request-id': reqId, 'cache-control': 'no-store' };
      if (js) {
        headers['content-type'] = 'application/javascript';
        res.writeHead(200, headers);
        res.end(`window.Shopfront && Shopfront.render(${JSON.stringify(ep)}, ${JSON.stringify(body)});\n`);
      } else {
        headers['content-type'] = 'application/json';
        res.writeHead(200, headers);
        res.end(JSON.stringify(body));
      }
    }, delay);
  }
  start() {
    return new Promise((resolve, reject) => {
      this.server = http.createServer((q, s) => this.handler(q, s));
      this.server.keepAliveTimeout = 4000;
      this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => resolve());
    });
  }
  async stop() {
    if (!this.server) return;
    const s = this.server; this.server = null;
    for (const c of this.sockets) c.destroy();
    await new Promise((r) => s.close(() => r()));
  }
  async set(patch) {
    const wantDown = patch.down !== undefined ? patch.down : this.state.down;
    Object.assign(this.state, patch);
    if (wantDown && this.server) await this.stop();
    if (!wantDown && !this.server) await this.start();
  }
  async reset() { await this.set({ ...DEFAULT_STATE() }); }
}

// TLS alert record: fatal handshake_failure
const TLS_ALERT = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);

class FaultProxy {
  constructor(name, listenHost, listenPort, upHost, upPort, localAddress) {
    Object.assign(this, { name, listenHost, listenPort, upHost, upPort, localAddress });
    this.defaultUpPort = upPort;
    this.state = { mode: 'pass', delayMs: 0, resetRate: 0, upPort };
    this.conns = new Set();
    this.server = null;
  }
  track(s) { this.conns.add(s); s.on('close', () => this.conns.delete(s)); s.on('error', () => {}); }
  onConn(c) {
    this.track(c);
    const st = this.state;
    if (st.mode === 'reset' || (st.resetRate > 0 && Math.random() < st.resetRate)) {
      // let the client's first bytes arrive, then RST
      c.once('data', () => c.resetAndDestroy());
      setTimeout(() => { if (!c.destroyed) c.resetAndDestroy(); }, 200);
      return;
    }
    if (st.mode === 'blackhole') { c.on('data', () => {}); return; } // accepted, never answered
    if (st.mode === 'tlsbreak') { c.once('data', () => { c.write(TLS_ALERT); c.end(); }); return; }
    const up = net.connect({ host: this.upHost, port: st.upPort, localAddress: this.localAddress });
    this.track(up);
    const d = st.delayMs;
    const pipe = (a, b) => {
      let last = 0;
      a.on('data', (chunk) => {
        if (!d) return b.write(chunk);
        const due = Math.max(Date.now() + d, last); last = due;
        setTimeout(() => { if (!b.destroyed) b.write(chunk); }, due - Date.now());
      });
      a.on('end', () => {
        const due = Math.max(Date.now() + d, last);
        setTimeout(() => { if (!b.destroyed) b.end(); }, d ? due - Date.now() : 0);
      });
      a.on('close', () => setTimeout(() => b.destroy(), d ? Math.max(0, last - Date.now()) + 5 : 0));
    };
    pipe(c, up); pipe(up, c);
  }
  start() {
    return new Promise((resolve, reject) => {
      this.server = net.createServer((c) => this.onConn(c));
      this.server.once('error', reject);
      this.server.listen(this.listenPort, this.listenHost, () => resolve());
    });
  }
  async stop() {
    if (!this.server) return;
    const s = this.server; this.server = null;
    this.dropAll();
    await new Promise((r) => s.close(() => r()));
  }
  dropAll() { for (const c of this.conns) c.destroy(); }
  async set(patch) {
    Object.assign(this.state, patch);
    // a path change breaks the flows that crossed the old path
    this.dropAll();
    const refuse = this.state.mode === 'refuse';
    if (refuse && this.server) await this.stop();
    if (!refuse && !this.server) await this.start();
  }
  async reset() { await this.set({ mode: 'pass', delayMs: 0, resetRate: 0, upPort: this.defaultUpPort }); }
}

// minimal DNS answer: same id and question, QR/RA set, rcode given
function dnsReply(q, rcode) {
  if (q.length < 12) return null;
  const out = Buffer.from(q);
  const rd = q[2] & 0x01;
  out[2] = 0x80 | (q[2] & 0x78) | rd; // QR, opcode, RD
  out[3] = 0x80 | (rcode & 0x0f); // RA, rcode
  out.writeUInt16BE(0, 6); out.writeUInt16BE(0, 8); out.writeUInt16BE(0, 10); // no answers, auth, additional
  // keep only the question section
  let i = 12;
  while (i < q.length && q[i] !== 0) i += q[i] + 1;
  return out.subarray(0, Math.min(q.length, i + 5));
}

async function dnsFaultUpstream(servfailHost, blackholeHost) {
  const a = dgram.createSocket('udp4');
  a.on('message', (m, r) => { const b = dnsReply(m, 2); if (b) a.send(b, r.port, r.address); });
  const b = dgram.createSocket('udp4');
  b.on('message', () => {}); // swallowed: the resolver times out
  await new Promise((r) => a.bind(53, servfailHost, r));
  await new Promise((r) => b.bind(53, blackholeHost, r));
  return { close: () => { a.close(); b.close(); } };
}

module.exports = { Backend, FaultProxy, dnsFaultUpstream };
