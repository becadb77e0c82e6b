// Opens N mutual-TLS connections to the hub (as the JFO member), sends one GET /healthz on each so
// every connection has been through the full request path, leaves them open and idle, then reads
// the hub's resident memory and closes them. Used by tools/bench/run for the "1,000 open client
// connections" target. Bounded: at most 5000 connections, 60 s overall.
//   node idle_connections.mjs <host> <port> <pki dir> <member> <count> <hub pid>
// Prints one line: "connections=<open> vmrss_before_kb=<n> vmrss_kb=<n> vmhwm_kb=<n> failed=<n>".
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';

const [host, portText, pkiDir, member, countText, pidText] = process.argv.slice(2);
const count = Math.min(Number(countText), 5000);
const batch = 100;  // handshakes at once: the hub's handshake timeout must not fire on our side
const overall = setTimeout(() => { console.error('idle_connections: 60 s limit reached'); process.exit(2); }, 60000);

const options = {
  host, port: Number(portText), minVersion: 'TLSv1.3',
  ca: fs.readFileSync(path.join(pkiDir, 'ca.crt')),
  cert: fs.readFileSync(path.join(pkiDir, `${member}.crt`)),
  key: fs.readFileSync(path.join(pkiDir, `${member}.key`)),
  checkServerIdentity: () => undefined,  // the demo certificates name members, not hosts
};

function openOne() {
  return new Promise((resolve) => {
    const socket = tls.connect(options, () => {
      socket.write(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n\r\n`);
    });
    let seen = '';
    const done = (ok) => { socket.removeAllListeners('data'); resolve(ok ? socket : null); };
    socket.on('data', (d) => { seen += d.toString(); if (seen.includes('\r\n\r\n')) done(seen.startsWith('HTTP/1.1 200')); });
    socket.on('error', () => done(false));
    socket.setTimeout(10000, () => { socket.destroy(); done(false); });
  });
}

function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number((status.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm')) || [0, 0])[1]);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

const before = memory(pidText);
const open = [];
let failed = 0;
for (let i = 0; i < count; i += batch) {
  const sockets = await Promise.all(Array.from({ length: Math.min(batch, count - i) }, openOne));
  for (const s of sockets) { if (s) { s.setTimeout(0); open.push(s); } else failed++; }
}
await new Promise((r) => setTimeout(r, 1000));  // let the hub settle with every connection idle
const alive = open.filter((s) => !s.destroyed).length;
const m = memory(pidText);
console.log(`connections=${alive} vmrss_before_kb=${before.rss} vmrss_kb=${m.rss} vmhwm_kb=${m.hwm} failed=${failed}`);
for (const s of open) s.destroy();
clearTimeout(overall);
