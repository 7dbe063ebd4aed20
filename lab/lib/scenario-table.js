'use strict';
// Prints the scenarios as a markdown table (for lab/README.md).
const { SCENARIOS } = require('./scenarios');
const d = (a) => {
  const rs = (a.regions || []).length === 3 ? 'all regions' : (a.regions || []).join(',');
  const span = a.at !== undefined || a.until !== undefined ? ` (s ${a.at || 0}-${a.until ?? 'end'} of the wave)` : '';
  switch (a.t) {
    case 'backend': return `backend ${JSON.stringify(a.set).replace(/"/g, '')}${span}`;
    case 'edge': return `CDN edge ${a.code} in ${rs}`;
    case 'flag': return `nginx flag ${a.name} (503)`;
    case 'proxy': return `path ${rs} -> ${(a.hosts || ['*']).join(',')}: ${JSON.stringify(a.set).replace(/"/g, '')}${span}`;
    case 'dns': return `dnsmasq ${rs}: ${a.name} ${a.how}`;
    case 'offline': return `browser offline in ${rs}`;
    default: return a.t;
  }
};
console.log('| scenario | fault_domain | scope | affected | waves (s after the lead-in) | what is done | change log |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const s of SCENARIOS) {
  console.log(`| ${s.name}${s.ci ? ' (CI)' : ''} | ${s.domain} | ${s.scope} | ${s.scope === 'global' ? 'all' : (s.regions || []).join(',') || '-'} | ${s.waves.map((w) => w.join('-')).join(', ') || '-'} | ${(s.actions || []).map(d).join('; ') || (s.always || []).map(d).join('; ') + (s.notes ? ` ${s.notes}` : '') || '-'} | ${s.change ? 'yes' : s.extraChanges ? 'unrelated deploy' : '-'} |`);
}
