// The consumer connector's local API, with real processes on loopback:
//   - it wants its bearer token (consumer.tokenFile): a call without it, with another scheme or
//     with a wrong token (another member's included) is 401 unauthenticated with a Bearer
//     challenge, and changes nothing (no evidence entry, nothing reaches the hub or the
//     provider); the right token works; /healthz stays open;
//   - X-Road-UserId and X-Road-Issue go into the permanent evidence log, so they must be
//     references (^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$) and never a Thai citizen ID: the
//     connector refuses anything else with 400 malformed_body naming the header, before anything
//     is logged; and the hub refuses an envelope that breaks the rule even when it is properly
//     signed (a consumer connector that did not check), without writing the value anywhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { processes, query, signDetached, startDemo, tlsCall } from './lib.mjs';

const saphan = process.env.SAPHAN;
const source = process.env.SAPHAN_SOURCE;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'saphan-local-api-'));
const demo = path.join(work, 'demo');

const JFO = 'TH/GOV/JFO/legal-aid';
const PERSON = 'TH/GOV/DOPA/civil-registry/person@1.0';

const procs = new processes(saphan);
let base = 0;
let subject = '';
let consentId = '';
let hubDir = '';
let pki = () => '';

const body = () => ({ subject, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId,
                      fields: ['firstNameTh'] });
const jfoQuery = (headers = {}) => query(base + 10, PERSON, body(), JFO, headers);
const readToken = (slug) => fs.readFileSync(path.join(demo, 'members', slug, 'keys', 'consumer-api.token'), 'utf8').trim();

// The evidence log as the hub's store holds it (read beside the running hub: SQLite WAL).
const store = (sql) => execFileSync('sqlite3', [path.join(hubDir, 'store.db'), sql], { encoding: 'utf8' }).trim();
const entryCount = () => Number(store('select count(*) from log_entries'));
const providerRequests = () => (procs.log('dopa').match(/"event":"provide.received"/g) || []).length;

// What must not move when a call is refused at the local API.
function snapshot() {
  return { entries: entryCount(), provided: providerRequests() };
}
function assertNothingChanged(before, what) {
  assert.deepEqual(snapshot(), before, `${what}: no evidence entry, nothing reached the provider`);
}

before(async () => {
  ({ base, subject, consentId, hubDir, pki } = await startDemo(procs, { work, source }));
});

after(async () => {
  await procs.stopAll();
  fs.rmSync(work, { recursive: true, force: true });
});

test('the demo gives each consumer API a token of its own, readable by its owner alone', () => {
  for (const slug of ['jfo', 'rtp']) {
    const file = path.join(demo, 'members', slug, 'keys', 'consumer-api.token');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600, `${slug}: mode 0600`);
    assert.match(readToken(slug), /^[A-Za-z0-9_-]{43}$/);
    const config = JSON.parse(fs.readFileSync(path.join(demo, 'members', slug, 'connector.json'), 'utf8'));
    assert.equal(config.consumer.tokenFile, 'keys/consumer-api.token');
  }
  assert.notEqual(readToken('jfo'), readToken('rtp'));
  const env = fs.readFileSync(path.join(demo, 'demo.env'), 'utf8');
  assert.match(env, /^SAPHAN_DEMO_JFO_TOKEN_FILE=members\/jfo\/keys\/consumer-api.token$/m);
});

test('a call without the right bearer token is refused with 401 and changes nothing', async () => {
  const token = readToken('jfo');
  const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
  const refusals = [
    ['no Authorization header', null, false],
    ['another scheme', `Basic ${Buffer.from(`jfo:${token}`).toString('base64')}`, false],
    ['the token without its scheme', token, false],
    ['a wrong token', `Bearer ${wrong}`, true],
    ["another member's token (RTP's)", `Bearer ${readToken('rtp')}`, true],
    ['the token with a character more', `Bearer ${token}x`, true],
  ];
  for (const [what, authorization, presented] of refusals) {
    const before = snapshot();
    const requestId = `no-token-${crypto.randomBytes(6).toString('hex')}`;
    const res = await jfoQuery({ Authorization: authorization, 'X-Road-Id': requestId });
    assert.equal(res.status, 401, `${what}: ${res.text}`);
    assert.equal(res.type, 'application/problem+json', what);
    assert.equal(res.json.code, 'unauthenticated', what);
    assert.match(res.json.detail, /^Authorization: /, what);
    assert.ok(!res.text.includes(token), `${what}: the answer never holds the token`);
    const challenge = res.authenticate;
    assert.match(challenge, /^Bearer realm="saphan-consumer"/, what);
    assert.equal(/error="invalid_token"/.test(challenge), presented, `${what}: ${challenge}`);
    assertNothingChanged(before, what);
    assert.equal(store(`select count(*) from log_entries where request_id = '${requestId}'`), '0', what);
  }
  // Whatever the path: nothing about the API is told without the token.
  const other = await fetch(`http://127.0.0.1:${base + 10}/nothing-here`);
  assert.equal(other.status, 401);
  // /healthz stays open (supervisors and tools/demo probe it).
  const health = await fetch(`http://127.0.0.1:${base + 10}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), 'ok\n');
});

test('the right bearer token works, and its exchange is in the evidence log', async () => {
  const before = snapshot();
  const requestId = `with-token-${crypto.randomBytes(6).toString('hex')}`;
  const res = await jfoQuery({ 'X-Road-Id': requestId });  // query() sends the JFO's token
  assert.equal(res.status, 200, res.text);
  assert.ok(res.json.record.firstNameTh);
  assert.equal(providerRequests(), before.provided + 1);
  assert.equal(store(`select kind from log_entries where request_id = '${requestId}' order by idx`),
               'exchange.decision\nexchange.outcome');
});

test('X-Road-UserId and X-Road-Issue must be references: 400 malformed_body naming the header, nothing logged', async () => {
  const printed = `${subject[0]}-${subject.slice(1, 5)}-${subject.slice(5, 10)}-${subject.slice(10, 12)}-${subject[12]}`;
  for (const header of ['X-Road-UserId', 'X-Road-Issue']) {
    for (const [what, value] of [
      ["the citizen's ID", subject],
      ["the citizen's ID inside a reference", `case-${subject}`],
      ["the citizen's ID as printed on the card", printed],
      ['a name (free text with a space)', 'Somchai Jaidee'],
      ['65 characters', 'c'.repeat(65)],
      ['a leading dot', '.case-1'],
    ]) {
      const before = snapshot();
      const requestId = `bad-ref-${crypto.randomBytes(6).toString('hex')}`;
      const res = await jfoQuery({ [header]: value, 'X-Road-Id': requestId });
      assert.equal(res.status, 400, `${header} = ${what}: ${res.text}`);
      assert.equal(res.json.code, 'malformed_body', `${header} = ${what}`);
      assert.ok(res.json.detail.startsWith(`${header}: `), `${header} = ${what}: ${res.json.detail}`);
      assert.ok(!res.text.includes(value), `${header} = ${what}: the answer does not repeat the value`);
      assertNothingChanged(before, `${header} = ${what}`);
      assert.equal(store(`select count(*) from log_entries where request_id = '${requestId}'`), '0');
    }
    // The longest reference passes.
    const res = await jfoQuery({ [header]: `R${'-'.repeat(62)}9` });
    assert.equal(res.status, 200, `${header}, 64 characters: ${res.text}`);
  }
});

test('the hub refuses a signed envelope whose userId or issue break the rule, and logs no value', async () => {
  // As a consumer connector that did not check would send it: properly signed with the JFO's key.
  const keys = path.join(demo, 'members', 'jfo', 'keys');
  for (const [member, value] of [['userId', subject], ['issue', `case-${subject}`], ['issue', 'Somchai Jaidee']]) {
    const reply = crypto.generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
    const envelope = {
      requestId: crypto.randomBytes(12).toString('base64url'), issuedAt: new Date().toISOString(),
      consumer: JFO, dataset: PERSON, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent',
      consentId, subject, fields: ['firstNameTh'], replyKey: { ...reply, kid: 'reply-1' }, [member]: value,
    };
    const envelopeBody = JSON.stringify(envelope);
    const signature = signDetached(envelopeBody, path.join(keys, 'signing.jwk'), path.join(keys, 'signing.crt'));
    const before = snapshot();
    const res = await tlsCall({ port: base, body: envelopeBody, signature, ca: pki('ca.crt'), cert: pki('jfo.crt'),
                                key: pki('jfo.key') });
    assert.equal(res.status, 400, `${member} = ${value}: ${res.text}`);
    assert.equal(res.json.code, 'malformed_body');
    assert.ok(res.json.detail.startsWith(`${member}: `), res.json.detail);
    assert.equal(providerRequests(), before.provided, 'nothing reaches the provider');
    // The refusal itself is evidence (exchange.rejected), but the value is written nowhere.
    const added = store(`select cast(entry as text) from log_entries where idx >= ${before.entries}`);
    assert.match(added, /exchange\.rejected/);
    assert.ok(!added.includes(value), `${member}: the log does not hold the refused value`);
  }
  // The same envelope with references passes.
  const reply = crypto.generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
  const good = JSON.stringify({
    requestId: crypto.randomBytes(12).toString('base64url'), issuedAt: new Date().toISOString(),
    consumer: JFO, dataset: PERSON, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent',
    consentId, subject, fields: ['firstNameTh'], replyKey: { ...reply, kid: 'reply-1' },
    userId: 'officer-01', issue: 'JFO-2026-0001',
  });
  const signature = signDetached(good, path.join(keys, 'signing.jwk'), path.join(keys, 'signing.crt'));
  const res = await tlsCall({ port: base, body: good, signature, ca: pki('ca.crt'), cert: pki('jfo.crt'),
                              key: pki('jfo.key') });
  assert.equal(res.status, 200, res.text);
});
