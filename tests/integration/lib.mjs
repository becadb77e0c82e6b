// What the Node integration tests share: free loopback ports, the processes they start (stopped
// however a test ends), the saphan command line, and the two ways into an exchange (a consumer
// connector's local API, and the hub's mutual-TLS API).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';

async function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// A base port with the 20 above it free (the demo's hub, providers, consumer APIs and TSA).
export async function findBasePort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below the ephemeral range (32768 and up), so no outgoing connection can hold one meanwhile.
    const candidate = 10000 + Math.floor(Math.random() * 22000);
    let free = true;
    for (let p = candidate; p <= candidate + 20 && free; p++) free = await portFree(p);
    if (free) return candidate;
  }
  throw new Error('no free port range');
}

// The processes of one test file, by name, with what each printed.
export class processes {
  constructor(saphan) {
    this.saphan = saphan;
    this.children = new Map();  // name -> { proc, log: string }
  }

  // Starts `saphan args...` and waits (at most 15 s) until its output matches `readyPattern`.
  start(name, args, readyPattern) {
    const proc = spawn(this.saphan, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const child = { proc, log: '' };
    this.children.set(name, child);
    proc.stdout.on('data', (d) => { child.log += d.toString(); });
    proc.stderr.on('data', (d) => { child.log += d.toString(); });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} not ready:\n${child.log}`)), 15000);
      const check = () => {
        if (readyPattern.test(child.log)) { clearTimeout(timer); resolve(child); }
      };
      proc.stdout.on('data', check);
      proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited ${code}:\n${child.log}`)); });
    });
  }

  async stop(name) {
    const child = this.children.get(name);
    if (!child || child.proc.exitCode !== null) return;
    const exited = new Promise((resolve) => child.proc.once('exit', resolve));
    child.proc.kill('SIGTERM');
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async stopAll() {
    for (const name of [...this.children.keys()].reverse()) await this.stop(name);
  }

  log(name) { return this.children.get(name)?.log ?? ''; }

  cli(...args) {
    return execFileSync(this.saphan, args, { encoding: 'utf8' }).trim();
  }
}

// A consumer connector's local API: POST /r1/<dataset> as the agency's system calls it.
export async function query(port, dataset, body, client, extraHeaders = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/r1/${dataset}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Road-Client': client,
               'X-Road-UserId': 'officer-01', 'X-Road-Issue': 'CASE-1', ...extraHeaders },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15000),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text, type: res.headers.get('content-type'),
           retryAfter: res.headers.get('retry-after'), signature: res.headers.get('x-saphan-signature') };
}

// A direct HTTPS call to a TLS server (the hub) with a client certificate from files.
export function tlsCall({ port, body, signature, cert, key, ca, method = 'POST', target = '/v1/exchange',
                          headers = {} }) {
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1', port, method, path: target,
      ca: fs.readFileSync(ca), minVersion: 'TLSv1.3',
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body ?? ''), ...headers },
    };
    if (signature) options.headers['X-Saphan-Signature'] = signature;
    if (cert) {
      options.cert = fs.readFileSync(cert);
      options.key = fs.readFileSync(key);
    }
    const req = https.request(options, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(data); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, json, text: data, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.end(body ?? '');
  });
}
