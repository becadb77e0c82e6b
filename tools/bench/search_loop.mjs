// Runs log searches against the hub one at a time, back to back, over one kept-alive mutual-TLS
// connection as an auditor member, for a number of seconds; used by tools/bench/run
// (BENCH_SEARCH_LOOP=1) beside the exchange load. Bounded: at most 600 s, 30 s per search.
//   node search_loop.mjs <host> <port> <pki dir> <member> <seconds> <target>
// Prints one line: "searches=<n> codes=<code>:<n>,... mean_ms=<x> max_ms=<x>" (code: the
// problem's code, "200" for an answer, "error" for a failed connection).
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

const [host, portText, pkiDir, member, secondsText, target] = process.argv.slice(2);
const seconds = Math.min(Number(secondsText), 600);
const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
const options = {
  host, port: Number(portText), method: 'GET', path: target, agent, minVersion: 'TLSv1.3',
  ca: fs.readFileSync(path.join(pkiDir, 'ca.crt')),
  cert: fs.readFileSync(path.join(pkiDir, `${member}.crt`)),
  key: fs.readFileSync(path.join(pkiDir, `${member}.key`)),
  checkServerIdentity: () => undefined,  // the demo certificates name members, not hosts
};

function search() {
  return new Promise((resolve) => {
    const req = https.request(options, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        if (res.statusCode === 200) return resolve('200');
        try { resolve(JSON.parse(body).code ?? String(res.statusCode)); } catch { resolve(String(res.statusCode)); }
      });
    });
    req.on('error', () => resolve('error'));
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

const codes = new Map();
let count = 0, total = 0, max = 0;
const until = Date.now() + seconds * 1000;
while (Date.now() < until) {
  const started = process.hrtime.bigint();
  const code = await search();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  count++; total += ms; max = Math.max(max, ms);
  codes.set(code, (codes.get(code) ?? 0) + 1);
}
agent.destroy();
const list = [...codes].map(([c, n]) => `${c}:${n}`).join(',');
console.log(`searches=${count} codes=${list || '-'} mean_ms=${(count ? total / count : 0).toFixed(1)} max_ms=${max.toFixed(1)}`);
