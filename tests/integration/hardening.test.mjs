// Hardening of the hub's guards, with real processes on loopback: a rate limit is checked and
// counted in one step, so parallel requests at the limit cannot all pass; a caller over its
// admission budget is answered 429 at once, and its refusals make one entry per interval.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

import { processes, query, signDetached, startDemo, tlsCall } from './lib.mjs';

const saphan = process.env.SAPHAN;
const source = process.env.SAPHAN_SOURCE;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'saphan-hardening-'));
const JFO = 'TH/GOV/JFO/legal-aid';
const PERSON = 'TH/GOV/DOPA/civil-registry/person@1.0';

const procs = new processes(saphan);
let demo = null;

const jfoQuery = () => query(demo.base + 10, PERSON, {
  subject: demo.subject, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId: demo.consentId,
  fields: ['firstNameTh'],
}, JFO);

before(async () => {
  demo = await startDemo(procs, { work, source, hubConfig: (c) => { c.admissionPerSecond = 100; } });
});

after(async () => {
  await procs.stopAll();
  fs.rmSync(work, { recursive: true, force: true });
});

test('32 parallel requests one below the rate limit: exactly one passes', async () => {
  // The JFO's grant on the person dataset, limited to 5 requests in 10 minutes.
  const dataset = JSON.parse(fs.readFileSync(path.join(source, 'config', 'datasets', 'dopa-person.json'), 'utf8'));
  const policy = dataset.policy;
  const grant = policy.grants.find((g) => g.consumers.includes(JFO));
  grant.rateLimit = { requests: 5, windowSeconds: 600 };
  const file = path.join(work, 'policy.json');
  fs.writeFileSync(file, JSON.stringify(policy));
  procs.cli('admin', 'set-policy', '--dir', demo.hubDir, '--dataset', PERSON, '--file', file);

  for (let i = 0; i < 4; i++) {
    const res = await jfoQuery();
    assert.equal(res.status, 200, res.text);
  }
  // Straight to the hub, as the JFO's connector would send them, signed beforehand and sent at
  // the same instant over 32 connections already open, so that they are decided in parallel.
  const jfoKeys = path.join(demo.demo, 'members', 'jfo', 'keys');
  const envelopes = Array.from({ length: 32 }, () => {
    const reply = crypto.generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
    const body = JSON.stringify({
      requestId: crypto.randomBytes(12).toString('base64url'), issuedAt: new Date().toISOString(),
      consumer: JFO, dataset: PERSON, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent',
      consentId: demo.consentId, subject: demo.subject, fields: ['firstNameTh'], replyKey: { ...reply, kid: 'reply-1' },
    });
    return { body, signature: signDetached(body, path.join(jfoKeys, 'signing.jwk'), path.join(jfoKeys, 'signing.crt')) };
  });
  const agent = new https.Agent({ keepAlive: true, maxSockets: 32 });
  const call = (options) => tlsCall({ port: demo.base, ca: demo.pki('ca.crt'), cert: demo.pki('jfo.crt'),
                                      key: demo.pki('jfo.key'), agent, ...options });
  const warm = await Promise.all(envelopes.map(() => call({ method: 'GET', target: '/v1/catalog' })));
  assert.ok(warm.every((w) => w.status === 200));
  const answers = await Promise.all(envelopes.map((e) => call(e)));
  agent.destroy();
  const passed = answers.filter((a) => a.status === 200);
  const limited = answers.filter((a) => a.json?.code === 'rate_limited');
  assert.equal(passed.length, 1, JSON.stringify(answers.map((a) => a.json?.code ?? a.status)));
  assert.equal(limited.length, 31);
  // The limit holds afterwards too.
  assert.equal((await jfoQuery()).json?.code, 'rate_limited');
});

test('a caller over its admission budget gets 429 at once, and one evidence entry a second counts them', async () => {
  const DBD = 'TH/GOV/DBD/juristic-registry';
  const entriesOf = (kind) => execFileSync('sqlite3', [path.join(demo.hubDir, 'store.db'),
    `select entry from log_entries where kind = '${kind}'`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const refusedBefore = entriesOf('access.refused').length;
  const agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  const call = () => tlsCall({ port: demo.base, ca: demo.pki('ca.crt'), cert: demo.pki('dbd.crt'), key: demo.pki('dbd.key'),
                               agent, method: 'GET', target: '/v1/catalog' });
  const answers = await Promise.all(Array.from({ length: 400 }, call));
  agent.destroy();
  const ok = answers.filter((a) => a.status === 200).length;
  const throttled = answers.filter((a) => a.status === 429);
  assert.ok(ok >= 100, `${ok} let through`);
  assert.ok(throttled.length >= 100, `${throttled.length} throttled`);
  for (const t of throttled) {
    assert.equal(t.json.code, 'rate_limited');
    assert.equal(t.headers['retry-after'], '1');
  }
  // Within two report intervals, the refusals are in the log: a few entries with the count,
  // not one each; and none of them as a refusal entry of its own.
  let reports = [];
  for (let i = 0; i < 50; i++) {
    reports = entriesOf('admission.throttled').map((e) => JSON.parse(e)).filter((e) => e.peer === DBD);
    if (reports.reduce((n, e) => n + e.refused, 0) >= throttled.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(reports.reduce((n, e) => n + e.refused, 0), throttled.length);
  assert.ok(reports.length <= 3, `${reports.length} entries`);
  assert.equal(entriesOf('access.refused').length, refusedBefore);
});
