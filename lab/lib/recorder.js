'use strict';
// One vantage's browser: Debian's Chromium driven by playwright-core, a page
// load every few seconds, recorded by two HAR producers at once:
//  - Playwright's recordHar (context option)            -> playwright.har
//  - chrome-har from the DevTools protocol events (CDP) -> cdp.har
// Runs inside the region's mount namespace (its own /etc/resolv.conf).
// usage: node recorder.js CONFIG.json
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { harFromMessages } = require('chrome-har');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(new Date().toISOString(), cfg.region, ...a);

const CDP_EVENTS = new Set([
  'Page.frameStartedLoading', 'Page.frameRequestedNavigation', 'Page.navigatedWithinDocument',
  'Page.loadEventFired', 'Page.domContentEventFired', 'Page.frameAttached', 'Page.frameScheduledNavigation',
  'Network.requestWillBeSent', 'Network.requestServedFromCache', 'Network.dataReceived',
  'Network.responseReceived', 'Network.resourceChangedPriority', 'Network.loadingFinished',
  'Network.loadingFailed', 'Network.requestWillBeSentExtraInfo', 'Network.responseReceivedExtraInfo',
]);

async function main() {
  fs.mkdirSync(cfg.harDir, { recursive: true });
  const ctx = await chromium.launchPersistentContext(cfg.userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    env: { ...process.env, HOME: cfg.home },
    recordHar: { path: path.join(cfg.harDir, 'playwright.har'), content: 'omit' },
    viewport: { width: 1280, height: 900 },
    ignoreHTTPSErrors: false,
  });
  const version = ctx.browser() ? ctx.browser().version() : null;
  const messages = [];
  let offline = false;
  let loads = 0;
  const offlineAt = (t) => (cfg.offline || []).some(([a, b]) => t >= a && t < b);
  const tick = setInterval(async () => {
    const want = offlineAt(Date.now());
    if (want !== offline) {
      offline = want;
      log('offline', want);
      try { await ctx.setOffline(want); } catch (e) { log('setOffline failed', e.message); }
    }
  }, 250);
  while (Date.now() < cfg.start) await sleep(100);
  let next = cfg.start + cfg.phaseMs;
  while (true) {
    while (Date.now() < next) await sleep(50);
    if (Date.now() >= cfg.end) break;
    next += cfg.intervalMs;
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    for (const m of CDP_EVENTS) cdp.on(m, (params) => messages.push({ method: m, params }));
    await cdp.send('Page.enable');
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const t0 = Date.now();
    let outcome = 'load';
    try {
      await page.goto(cfg.url, { waitUntil: 'load', timeout: cfg.loadTimeoutMs });
      await sleep(cfg.settleMs); // late fetches, widgets and beacons
    } catch (e) {
      outcome = (e.message || '').split('\n')[0];
      await sleep(500);
    }
    loads++;
    log('load', loads, Date.now() - t0, 'ms', outcome);
    try { await cdp.detach(); } catch (e) { /* page gone */ }
    await page.close().catch(() => {});
  }
  clearInterval(tick);
  await ctx.close(); // writes playwright.har
  const har = harFromMessages(messages, { includeTextFromResponseBody: false });
  if (version) har.log.browser = { name: 'Chromium', version };
  fs.writeFileSync(path.join(cfg.harDir, 'cdp.har'), JSON.stringify(har, null, 1));
  log('done', loads, 'loads');
}

main().catch((e) => { console.error(e); process.exit(1); });
