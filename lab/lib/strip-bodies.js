'use strict';
// Drops response bodies (response.content.text) from a HAR, in place; a HAR
// without any is left byte for byte as its producer wrote it.
const fs = require('fs');
for (const f of process.argv.slice(2)) {
  const text = fs.readFileSync(f, 'utf8');
  const har = JSON.parse(text);
  let n = 0;
  for (const e of har.log.entries || []) {
    const c = e.response && e.response.content;
    if (c && c.text !== undefined) { delete c.text; delete c.encoding; n++; }
  }
  if (n) fs.writeFileSync(f, JSON.stringify(har, null, 1));
  console.log(`${f}: ${n} bodies dropped`);
}
