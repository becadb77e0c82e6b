// The node half of crash_test.sh: load, probes and the log checks. Each mode is one step of the
// script, which owns the processes (so its trap can stop every one of them):
//   ports                       prints a base port with base..base+20 free on 127.0.0.1
//   load  OUT                   consented exchanges, CONCURRENCY at once, through the JFO consumer
//                               API; SIGKILLs HUB_PID once MIN_OK of them succeeded, lets the
//                               requests in flight end, writes what the client saw to OUT
//   healthz                     waits (bounded) for the hub's /healthz over mutual TLS
//   after OUT COUNT CONC LABEL  COUNT exchanges, CONC at a time (after a restart), results to OUT
//   check RESULT...             the log in STORE against every success in the RESULT files
//
// The log checks read the store with the sqlite3 tool and recompute the RFC 9162 tree and the
// head signatures with Node's crypto, independently of Saphan's code.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';

const JFO = 'TH/GOV/JFO/legal-aid';
const PERSON = 'TH/GOV/DOPA/civil-registry/person@1.0';
const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};

// ---------------------------------------------------------------- ports and probes

async function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function findBasePort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below the ephemeral range (32768 and up), so no outgoing connection can hold one meanwhile.
    const candidate = 10000 + Math.floor(Math.random() * 22000);
    let free = true;
    for (let p = candidate; p <= candidate + 20 && free; p++) free = await portFree(p);
    if (free) return candidate;
  }
  throw new Error('no free port range');
}

function healthzOnce(port, pki) {
  return new Promise((resolve) => {
    const req = https.request({
      host: '127.0.0.1', port, method: 'GET', path: '/healthz', minVersion: 'TLSv1.3',
      ca: fs.readFileSync(path.join(pki, 'ca.crt')),
      cert: fs.readFileSync(path.join(pki, 'jfo.crt')), key: fs.readFileSync(path.join(pki, 'jfo.key')),
      agent: false,
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode === 200)); });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function waitHealthz() {
  const port = Number(env('HUB_PORT'));
  const deadline = Date.now() + Number(env('WAIT_MS', '15000'));
  while (Date.now() < deadline) {
    if (await healthzOnce(port, env('PKI'))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`hub /healthz on port ${port} not ok within the deadline`);
}

// ---------------------------------------------------------------- exchanges

const consents = () => JSON.parse(fs.readFileSync(env('CONSENTS'), 'utf8'));
// The JFO consumer API's bearer token (the demo's keys/consumer-api.token).
let token = null;
const apiToken = () => (token ??= fs.readFileSync(env('API_TOKEN_FILE'), 'utf8').trim());

// One consented query; never throws: a network error is status 0.
async function exchange({ subject, consentId }) {
  const started = Date.now();
  try {
    const res = await fetch(`http://127.0.0.1:${env('API_PORT')}/r1/${PERSON}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Road-Client': JFO, Authorization: `Bearer ${apiToken()}`,
                 'X-Road-UserId': 'officer-crash', 'X-Road-Issue': 'CRASH-1' },
      body: JSON.stringify({ subject, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId,
                             fields: ['firstNameTh', 'lastNameTh', 'birthDate'] }),
      signal: AbortSignal.timeout(15000),
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, json, text, ms: Date.now() - started };
  } catch (e) {
    return { status: 0, json: null, text: String(e), ms: Date.now() - started };
  }
}

function successOf(res, phase) {
  const e = res.json?.evidence ?? {};
  return { phase, requestId: e.requestId, decisionIndex: e.decisionIndex, outcomeIndex: e.outcomeIndex };
}

async function load(out) {
  const list = consents();
  const concurrency = Number(env('CONCURRENCY', '8'));
  // A varying kill point: the hub dies at a different place of its group commit each run.
  const target = Number(env('MIN_OK', '50')) + Math.floor(Math.random() * 25);
  // ... and not before MIN_MS, so the hub has signed tree heads the restarted log must extend.
  const notBefore = Date.now() + Number(env('MIN_MS', '0'));
  const hubPid = Number(env('HUB_PID'));
  const deadline = Date.now() + Number(env('LOAD_MS', '25000'));
  const result = { target, successes: [], failures: [], inFlightAtKill: -1, killedAt: null };
  let inFlight = 0;
  let killed = false;

  // The kill comes from a timer a few milliseconds after the target, not from a response
  // callback: answers arrive in bursts (one per group commit), and at the moment one is handled
  // the others of its batch are usually already in Node's buffers, not in the hub.
  let armed = false;
  const kill = () => {
    killed = true;
    result.inFlightAtKill = inFlight;
    result.killedAt = new Date().toISOString();
    process.kill(hubPid, 'SIGKILL');
  };
  const worker = async (w) => {
    for (let i = 0; !killed && Date.now() < deadline; i++) {
      const c = list[(w + i * concurrency) % list.length];
      inFlight++;
      const res = await exchange(c);
      inFlight--;
      // 'cut': sent before the kill, answered after it (the hub died while it was in flight).
      const phase = killed ? 'cut' : 'before-kill';
      if (res.status === 200) result.successes.push(successOf(res, phase));
      else result.failures.push({ phase, status: res.status, code: res.json?.code ?? null, text: res.text.slice(0, 300) });
      if (!armed && result.successes.length >= target && Date.now() >= notBefore) {
        armed = true;
        setTimeout(kill, 1 + Math.floor(Math.random() * 8));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  fs.writeFileSync(out, JSON.stringify(result, null, 1));
  const count = (phase) => result.failures.filter((f) => f.phase === phase).length;
  console.log(`load: ${result.successes.filter((x) => x.phase === 'before-kill').length} succeeded before the SIGKILL, ${count('before-kill')} failed; ` +
              `${result.inFlightAtKill} in flight at the SIGKILL: ${result.successes.filter((s) => s.phase === 'cut').length} ` +
              `of them answered 200 (already written), ${count('cut')} failed`);
  for (const f of result.failures.filter((x) => x.phase === 'cut').slice(0, 3)) {
    console.log(`  cut: ${f.status} ${f.code ?? ''} ${f.text.slice(0, 200)}`);
  }
  if (!killed) throw new Error(`only ${result.successes.length} of ${target} exchanges succeeded before the deadline; the hub was not killed`);
}

// COUNT exchanges, CONCURRENCY at a time. Each success remembers FLOOR, the log size when the
// hub was last (re)started: its entries must come after it.
async function after(out, count, concurrency, label) {
  const list = consents();
  const floor = Number(env('FLOOR', '0'));
  const result = { successes: [], failures: [] };
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const res = await exchange(list[i % list.length]);
      if (res.status === 200) result.successes.push({ ...successOf(res, label), floor });
      else result.failures.push({ phase: label, attempt: i, status: res.status, code: res.json?.code ?? null, text: res.text.slice(0, 300) });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  fs.writeFileSync(out, JSON.stringify(result, null, 1));
  console.log(`${label}: ${result.successes.length} of ${count} exchanges succeeded (${concurrency} at a time)`);
  for (const f of result.failures) console.log(`  attempt ${f.attempt}: ${f.status} ${f.code ?? ''} ${f.text.slice(0, 160)}`);
}

// ---------------------------------------------------------------- the log, checked independently

// Rows as JSON objects, from the SQLite file or the PostgreSQL database (a postgresql:// STORE)
// the hub writes, read with the database's own command-line tool.
function storeJson(db, sql) {
  if (db.startsWith('postgresql://')) {
    const out = execFileSync('psql', [db, '-At', '-v', 'ON_ERROR_STOP=1', '-c',
                                      `select coalesce(json_agg(t), '[]') from (${sql}) t`],
                             { encoding: 'utf8', maxBuffer: 1 << 28 });
    return JSON.parse(out);
  }
  const out = execFileSync('sqlite3', ['-json', db, sql], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return out.trim() === '' ? [] : JSON.parse(out);
}

const sha256 = (...parts) => crypto.createHash('sha256').update(Buffer.concat(parts)).digest();

// RFC 9162 section 2.1.1: MTH over leaf hashes [lo, hi).
function mth(leaves, lo, hi) {
  const n = hi - lo;
  if (n === 0) return sha256(Buffer.alloc(0));
  if (n === 1) return leaves[lo];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return sha256(Buffer.from([1]), mth(leaves, lo, lo + k), mth(leaves, lo + k, hi));
}

function check(resultFiles) {
  const problems = [];
  const fail = (msg) => problems.push(msg);
  const db = env('STORE');
  const hex = db.startsWith('postgresql://') ? "encode(entry, 'hex')" : 'hex(entry)';
  const rows = storeJson(db, `select idx, ${hex} as hex from log_entries order by idx`);
  const count = Number(storeJson(db, 'select count(*) as n from log_entries')[0].n);

  // Indexes: 0..n-1, each once.
  if (rows.length !== count) fail(`read ${rows.length} rows, count(*) says ${count}`);
  rows.forEach((r, i) => { if (Number(r.idx) !== i) fail(`index ${i}: found ${r.idx} (a gap or a duplicate)`); });
  const bytes = rows.map((r) => Buffer.from(r.hex, 'hex'));
  const entries = bytes.map((b, i) => {
    try { return JSON.parse(b.toString('utf8')); } catch { fail(`entry ${i} is not JSON`); return {}; }
  });

  // Every exchange a client saw succeed: its decision and outcome, where the answer said.
  const successes = resultFiles.flatMap((f) => JSON.parse(fs.readFileSync(f, 'utf8')).successes);
  const seen = new Set();
  for (const s of successes) {
    const tag = `request ${s.requestId}`;
    if (!s.requestId || !Number.isInteger(s.decisionIndex) || !Number.isInteger(s.outcomeIndex)) {
      fail(`${tag}: the answer named no evidence (${JSON.stringify(s)})`);
      continue;
    }
    for (const idx of [s.decisionIndex, s.outcomeIndex]) {
      if (seen.has(idx)) fail(`${tag}: index ${idx} was named by two answers`);
      seen.add(idx);
    }
    const d = entries[s.decisionIndex];
    const o = entries[s.outcomeIndex];
    if (!d) fail(`${tag}: decision #${s.decisionIndex} is missing (log size ${rows.length})`);
    else if (d.kind !== 'exchange.decision' || d.requestId !== s.requestId || d.decision !== 'allow') {
      fail(`${tag}: #${s.decisionIndex} is ${d.kind} ${d.requestId} ${d.decision}, not its allow decision`);
    }
    if (!o) fail(`${tag}: outcome #${s.outcomeIndex} is missing (log size ${rows.length})`);
    else if (o.kind !== 'exchange.outcome' || o.requestId !== s.requestId || o.status !== 'ok' ||
             o.decisionIndex !== s.decisionIndex) {
      fail(`${tag}: #${s.outcomeIndex} is ${o.kind} ${o.requestId} ${o.status} of #${o.decisionIndex}, not its ok outcome`);
    }
  }
  // No request logged twice, and every outcome points back to its own decision.
  const decisions = new Map();
  entries.forEach((e, i) => {
    if (e.kind !== 'exchange.decision') return;
    if (decisions.has(e.requestId)) fail(`request ${e.requestId}: two decisions (#${decisions.get(e.requestId)} and #${i})`);
    decisions.set(e.requestId, i);
  });
  const outcomes = new Set();
  entries.forEach((e, i) => {
    if (e.kind !== 'exchange.outcome') return;
    if (outcomes.has(e.requestId)) fail(`request ${e.requestId}: two outcomes`);
    outcomes.add(e.requestId);
    if (decisions.get(e.requestId) !== e.decisionIndex || e.decisionIndex >= i) {
      fail(`outcome #${i} of ${e.requestId} names decision #${e.decisionIndex}, the log has it at #${decisions.get(e.requestId)}`);
    }
  });
  const unfinished = [...decisions.keys()].filter((id) => !outcomes.has(id));

  // Every signed head, before and after the crash, is a head of this very log: its root is the
  // root recomputed from the entries, and its signature verifies with the log's public key.
  const leaves = bytes.map((b) => sha256(Buffer.from([0]), b));
  const key = crypto.createPublicKey({ key: JSON.parse(fs.readFileSync(env('LOG_KEY'), 'utf8')), format: 'jwk' });
  const heads = storeJson(db, 'select tree_size, checkpoint from log_checkpoints order by tree_size');
  if (heads.length === 0) fail('no signed tree head');
  for (const h of heads) {
    const cp = JSON.parse(h.checkpoint);
    const size = Number(h.tree_size);
    if (cp.tree_size !== size || size > rows.length) { fail(`head ${size}: bad size ${cp.tree_size}`); continue; }
    const root = mth(leaves, 0, size);
    if (root.toString('base64url') !== cp.root_hash) fail(`head ${size}: root differs from the entries' tree`);
    const note = `${cp.origin}\n${size}\n${Buffer.from(cp.root_hash, 'base64url').toString('base64')}\n${cp.timestamp}\n`;
    if (!crypto.verify(null, Buffer.from(note), key, Buffer.from(cp.signature, 'base64url'))) {
      fail(`head ${size}: signature does not verify with the log key`);
    }
  }
  const latest = heads.length ? Number(heads[heads.length - 1].tree_size) : 0;
  if (latest !== rows.length) fail(`the latest head covers ${latest} of ${rows.length} entries`);

  // Each restart continued the log: exchanges after it come after everything before it.
  for (const s of successes.filter((x) => x.floor !== undefined)) {
    if (s.decisionIndex < s.floor) fail(`request ${s.requestId} (${s.phase}) got index ${s.decisionIndex}, below the ${s.floor} entries logged before its restart`);
  }

  console.log(`check: ${rows.length} entries (indexes 0..${rows.length - 1}), ${heads.length} signed heads ` +
              `(latest ${latest}), ${successes.length} client-seen successes each with its decision and outcome, ` +
              `${unfinished.length} decisions without outcome (exchanges cut by the crash)`);
  for (const p of problems.slice(0, 40)) console.log(`FAIL: ${p}`);
  if (problems.length > 40) console.log(`... and ${problems.length - 40} more`);
  if (problems.length) process.exitCode = 1;
}

// ---------------------------------------------------------------- main

const [mode, ...args] = process.argv.slice(2);
try {
  if (mode === 'ports') console.log(await findBasePort());
  else if (mode === 'load') await load(args[0]);
  else if (mode === 'healthz') await waitHealthz();
  else if (mode === 'after') await after(args[0], Number(args[1]), Number(args[2]), args[3]);
  else if (mode === 'check') check(args);
  else throw new Error(`unknown mode ${mode}`);
} catch (e) {
  console.log(`FAIL: ${mode}: ${e.message}`);
  process.exitCode = 1;
}
