// The log API's reads on connections of their own, with real processes on loopback: a search that
// would read more than log.searchScanLimit entries is refused with 400 search_too_broad
// (problem+json), narrower ones and the refused one's connection go on working, and exchanges
// complete while worst-case searches run beside them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

import { processes, query, startDemo, tlsCall } from './lib.mjs';

const saphan = process.env.SAPHAN;
const source = process.env.SAPHAN_SOURCE;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'saphan-logread-'));
const JFO = 'TH/GOV/JFO/legal-aid';
const DBD = 'TH/GOV/DBD/juristic-registry';
const PERSON = 'TH/GOV/DOPA/civil-registry/person@1.0';
const SCAN_LIMIT = 1000;
// Nothing is that old: a search bounded by it matches no entry and so walks the whole log (from
// the newest entry back). With a member, two index walks: the most work per entry.
const WORST = `/v1/log/search?member=${JFO}&until=2000-01-01T00:00:00Z`;

const procs = new processes(saphan);
let demo = null;
let agent = null;

const jfoQuery = () => query(demo.base + 10, PERSON, {
  subject: demo.subject, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId: demo.consentId,
  fields: ['firstNameTh'],
}, JFO);

// The DBD, made an auditor for this test: it may search every entry.
const audit = (target) => tlsCall({ port: demo.base, ca: demo.pki('ca.crt'), cert: demo.pki('dbd.crt'),
                                    key: demo.pki('dbd.key'), method: 'GET', target, agent });

// `count` exchanges, `parallel` at a time; their statuses.
async function exchanges(count, parallel) {
  const statuses = [];
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) {
      next++;
      statuses.push((await jfoQuery()).status);
    }
  }));
  return statuses;
}

before(async () => {
  demo = await startDemo(procs, { work, source, hubConfig: (c) => {
    c.log = { readConnections: 2, searchScanLimit: SCAN_LIMIT };
  } });
  const dbd = JSON.parse(fs.readFileSync(path.join(source, 'config', 'members', 'dbd.json'), 'utf8'));
  dbd.groups = [...dbd.groups, 'auditor'];
  const file = path.join(work, 'dbd-auditor.json');
  fs.writeFileSync(file, JSON.stringify(dbd));
  procs.cli('admin', 'update-member', '--dir', demo.hubDir, '--file', file);
  agent = new https.Agent({ keepAlive: true, maxSockets: 4 });
  // Over 2000 entries: a decision and an outcome per exchange.
  const filled = await exchanges(1000, 16);
  assert.ok(filled.every((s) => s === 200), `filling the log: ${filled.filter((s) => s !== 200).length} failed`);
});

after(async () => {
  agent?.destroy();
  await procs.stopAll();
  fs.rmSync(work, { recursive: true, force: true });
});

test('a search over more entries than the scan limit is 400 search_too_broad problem+json', async () => {
  const broad = await audit(WORST);
  assert.equal(broad.status, 400, broad.text);
  assert.match(broad.headers['content-type'], /^application\/problem\+json/);
  assert.equal(broad.json.code, 'search_too_broad');
  assert.equal(broad.json.status, 400);
  assert.match(broad.json.detail, /narrow it/);
  assert.match(broad.json.detail, new RegExp(`more than ${SCAN_LIMIT} log entries`));
  // Narrow searches go on, on the same connections: a kind and a status by their indexes, a
  // member's newest page, and the refused search again, refused the same way.
  for (const target of ['/v1/log/search?kind=exchange.outcome&status=ok&limit=5', `/v1/log/search?member=${JFO}&limit=50`,
                        '/v1/log/search?status=consent_revoked']) {
    const narrow = await audit(target);
    assert.equal(narrow.status, 200, `${target}: ${narrow.text}`);
  }
  assert.equal((await audit('/v1/log/search?kind=exchange.outcome&status=ok&limit=5')).json.entries.length, 5);
  assert.equal((await audit(WORST)).json.code, 'search_too_broad');
  assert.equal((await audit('/v1/log/entries?start=0&end=3')).status, 200);
});

test('exchanges complete while worst-case searches run beside them', async () => {
  let running = true;
  const searches = [];
  // Two loops, one search at a time each: both read connections busy most of the time.
  const loops = Array.from({ length: 2 }, async () => {
    while (running) searches.push((await audit(WORST)).json?.code ?? 'other');
  });
  const started = Date.now();
  const statuses = await exchanges(200, 8);
  const took = Date.now() - started;
  running = false;
  await Promise.all(loops);
  assert.ok(statuses.every((s) => s === 200), JSON.stringify(statuses.filter((s) => s !== 200)));
  assert.ok(searches.length >= 2, `only ${searches.length} searches ran`);
  assert.ok(searches.every((c) => c === 'search_too_broad'), JSON.stringify(searches));
  console.log(`200 exchanges in ${took} ms beside ${searches.length} worst-case searches`);
});
