// What the Node integration tests share: free loopback ports, the processes they start (stopped
// however a test ends), the saphan command line, and the two ways into an exchange (a consumer
// connector's local API, and the hub's mutual-TLS API).
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';

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

// The bearer token of each consumer member's local API, by member id: `saphan demo init` writes
// one per consumer (consumer.tokenFile of its connector.json), and query() sends the one of the
// member the call names, as that member's system would.
const consumerTokens = new Map();

// Reads the token of every connector in <demo>/members/*/connector.json that has a consumer side.
export function useDemoTokens(demo) {
  const members = path.join(demo, 'members');
  for (const slug of fs.readdirSync(members)) {
    const file = path.join(members, slug, 'connector.json');
    if (!fs.existsSync(file)) continue;
    const config = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!config.consumer?.tokenFile) continue;
    const tokenFile = path.resolve(path.dirname(file), config.consumer.tokenFile);
    consumerTokens.set(config.member, fs.readFileSync(tokenFile, 'utf8').trim());
  }
}

// The Authorization header of `member`'s consumer API ({} when it has no token).
export function consumerAuthorization(member) {
  const token = consumerTokens.get(member);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// A consumer connector's local API: POST /r1/<dataset> as the agency's system calls it, with the
// bearer token of `client` (an `Authorization` in extraHeaders replaces it; null leaves it out).
export async function query(port, dataset, body, client, extraHeaders = {}) {
  const headers = { 'Content-Type': 'application/json', 'X-Road-Client': client, ...consumerAuthorization(client),
                    'X-Road-UserId': 'officer-01', 'X-Road-Issue': 'CASE-1', ...extraHeaders };
  for (const [name, value] of Object.entries(headers)) if (value === null || value === undefined) delete headers[name];
  const res = await fetch(`http://127.0.0.1:${port}/r1/${dataset}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15000),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text, type: res.headers.get('content-type'),
           retryAfter: res.headers.get('retry-after'), signature: res.headers.get('x-saphan-signature'),
           authenticate: res.headers.get('www-authenticate') };
}

// A direct HTTPS call to a TLS server (the hub) with a client certificate from files.
export function tlsCall({ port, body, signature, cert, key, ca, method = 'POST', target = '/v1/exchange',
                          headers = {}, agent = undefined }) {
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1', port, method, path: target,
      ca: fs.readFileSync(ca), minVersion: 'TLSv1.3', agent,
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

// ---- a demo with the CA apart, and signatures made by hand ---------------------------------

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// A detached JWS over `body` by the JWK in `keyFile`, with `certificateFile` as its x5c: what a
// member's connector would send, or (with keys of its own) what an attacker would.
export function signDetached(body, keyFile, certificateFile) {
  const signing = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
  const certificate = new crypto.X509Certificate(fs.readFileSync(certificateFile));
  const header = b64url(JSON.stringify({ alg: 'EdDSA', kid: signing.kid, x5c: [certificate.raw.toString('base64')] }));
  const sig = crypto.sign(null, Buffer.from(`${header}.${b64url(body)}`), crypto.createPrivateKey({ key: signing, format: 'jwk' }));
  return `${header}..${b64url(sig)}`;
}

// Replaces `target` by a copy of `source` in one rename, as a deployment would.
export function putInPlace(source, target) {
  const next = `${target}.next`;
  fs.copyFileSync(source, next);
  fs.renameSync(next, target);
}

// `saphan demo init` in <work>/demo, with the CA moved to <work>/ca (the trust service's folder:
// the demo keeps only ca.crt and the CRL), then the TSA, the hub and the named connectors
// started, and a consent of one DOPA citizen for the JFO's legal-aid query granted.
// `hubConfig`, if given, changes hub.json (parsed) before the hub starts.
export async function startDemo(procs, { work, source, persons = 20, connectors = ['dopa', 'jfo'],
                                         hubConfig = null }) {
  const base = await findBasePort();
  const demo = path.join(work, 'demo');
  const caDir = path.join(work, 'ca');
  const pki = (name) => path.join(demo, 'pki', name);
  const hubDir = path.join(demo, 'hub');
  execFileSync(procs.saphan, ['demo', 'init', '--dir', demo, '--persons', String(persons), '--base-port', String(base),
                              '--config', path.join(source, 'config'), '--schemas', path.join(source, 'schemas')],
               { encoding: 'utf8' });
  useDemoTokens(demo);
  fs.mkdirSync(caDir, { mode: 0o700 });
  for (const f of ['ca.key', 'ca.crt', 'issued.jsonl', 'ca.crl']) fs.copyFileSync(pki(f), path.join(caDir, f));
  fs.rmSync(pki('ca.key'));
  fs.rmSync(pki('issued.jsonl'));

  await procs.start('tsa', ['tsa', 'serve', '--dir', path.join(demo, 'pki'), '--listen', `127.0.0.1:${base + 20}`],
                    /tsa listening/);
  if (hubConfig) {
    const file = path.join(hubDir, 'hub.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8'));
    hubConfig(config);
    fs.writeFileSync(file, JSON.stringify(config, null, 2));
  }
  await procs.start('hub', ['hub', '--dir', hubDir], /listening on/);
  for (const m of connectors) {
    await procs.start(m, ['connector', '--config', path.join(demo, 'members', m, 'connector.json')], /^connector /m);
  }
  const subject = execFileSync('sqlite3', [path.join(demo, 'data', 'dopa.db'), 'select citizen_id from person limit 1'],
                               { encoding: 'utf8' }).trim();
  const consentId = procs.cli('consent', 'request', '--dir', hubDir, '--subject', subject, '--consumer', 'TH/GOV/JFO/legal-aid',
                              '--dataset', 'TH/GOV/DOPA/civil-registry/person@1.0', '--purpose', 'legal-aid-eligibility',
                              '--fields', 'firstNameTh', '--days', '30');
  procs.cli('consent', 'grant', '--dir', hubDir, '--id', consentId);
  // The CA hands out its new CRL: every party's copy is replaced in one rename.
  const publishCrl = () => putInPlace(path.join(caDir, 'ca.crl'), pki('ca.crl'));
  return { base, demo, caDir, hubDir, pki, subject, consentId, publishCrl };
}
