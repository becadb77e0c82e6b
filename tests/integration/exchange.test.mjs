// End-to-end tests of the exchange path: a real hub and real connectors as separate processes,
// real TLS 1.3 on loopback, the demo's members and synthetic data. Run by exchange_test.sh.
//
// Each deny reason is checked for its stable code and for nothing reaching the provider (the
// provider connector logs every /v1/provide it receives; the count must not move).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

import { consumerAuthorization, useDemoTokens } from './lib.mjs';

const saphan = process.env.SAPHAN;
const source = process.env.SAPHAN_SOURCE;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'saphan-e2e-'));
const demo = path.join(work, 'demo');

const JFO = 'TH/GOV/JFO/legal-aid';
const DOPA = 'TH/GOV/DOPA/civil-registry';
const HUB = 'TH/GOV/SAPHAN/hub';
const RTP = 'TH/GOV/RTP/criminal-records';
const PERSON = 'TH/GOV/DOPA/civil-registry/person@1.0';
const HOUSE = 'TH/GOV/DOPA/civil-registry/house-registration@1.0';
const JURISTIC = 'TH/GOV/DBD/juristic-registry/juristic-person@1.0';
const WORKER = 'TH/GOV/DOE/foreign-workers/foreign-worker@1.0';

let base = 0;
const children = new Map();  // name -> { proc, log: string }

// ---------------------------------------------------------------- processes and ports

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

function start(name, args, readyPattern) {
  const proc = spawn(saphan, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const child = { proc, log: '' };
  children.set(name, child);
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

async function stop(name) {
  const child = children.get(name);
  if (!child || child.proc.exitCode !== null) return;
  const exited = new Promise((resolve) => child.proc.once('exit', resolve));
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function cli(...args) {
  return execFileSync(saphan, args, { encoding: 'utf8' }).trim();
}

function providerRequests(name) {
  return (children.get(name).log.match(/"event":"provide.received"/g) || []).length;
}

// ---------------------------------------------------------------- clients

// With the bearer token of `client`'s consumer API (lib.mjs useDemoTokens).
async function query(port, dataset, body, client = JFO, extraHeaders = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/r1/${dataset}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Road-Client': client, ...consumerAuthorization(client),
               'X-Road-UserId': 'officer-01', 'X-Road-Issue': 'CASE-1', ...extraHeaders },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text, type: res.headers.get('content-type'),
           retryAfter: res.headers.get('retry-after'), signature: res.headers.get('x-saphan-signature') };
}

const jfoQuery = (dataset, body) => query(base + 10, dataset, body, JFO);
const rtpQuery = (dataset, body) => query(base + 11, dataset, body, RTP);

function pki(name) { return path.join(demo, 'pki', name); }

// A direct HTTPS call to the hub, as a consumer connector would make it.
function hubCall({ body, signature, cert = 'jfo', ca = pki('ca.crt'), certDir = path.join(demo, 'pki'),
                   method = 'POST', target = '/v1/exchange', headers = {} }) {
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1', port: base, method, path: target,
      ca: fs.readFileSync(ca), minVersion: 'TLSv1.3',
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body ?? ''), ...headers },
    };
    if (signature) options.headers['X-Saphan-Signature'] = signature;
    if (cert) {
      options.cert = fs.readFileSync(path.join(certDir, `${cert}.crt`));
      options.key = fs.readFileSync(path.join(certDir, `${cert}.key`));
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

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// The independent JOSE implementation (npm `jose`, pinned in tests/interop/package-lock.json).
const jose = await import(path.join(source, 'tests', 'interop', 'node_modules', 'jose', 'dist', 'webapi', 'index.js'));

// Verifies a detached JWS (RFC 7515 appendix F) over `payload` with a public JWK, using jose.

// The certificate in a JWS's x5c, checked as any verifier must before using its key: it chains to
// the CA this test pins, and its one member URI names the member expected. Returns the key (jose's
// own X.509 import).
async function certifiedKey(jws, member) {
  const header = JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString('utf8'));
  assert.ok(Array.isArray(header.x5c) && header.x5c.length === 1, 'x5c carries the signer certificate');
  const certificate = new crypto.X509Certificate(Buffer.from(header.x5c[0], 'base64'));
  const ca = new crypto.X509Certificate(fs.readFileSync(pki('ca.crt')));
  assert.ok(certificate.verify(ca.publicKey), 'the signer certificate chains to the pinned CA');
  assert.match(certificate.subjectAltName, new RegExp(`URI:urn:saphan:member:${member}(,|$)`));
  return jose.importX509(certificate.toString(), 'EdDSA');
}

async function joseVerifyBy(jws, payload, member) {
  const [protectedHeader, middle, signature] = jws.split('.');
  assert.equal(middle, '', 'a detached JWS has an empty payload part');
  const key = await certifiedKey(jws, member);
  return jose.flattenedVerify({ protected: protectedHeader, payload: b64url(payload), signature }, key,
                              { algorithms: ['EdDSA'] });
}

function readJwk(file) { return JSON.parse(fs.readFileSync(file, 'utf8')); }

// Builds and signs a request envelope with the JFO keys from the demo (detached JWS, EdDSA).
function signedEnvelope(overrides = {}) {
  const keys = path.join(demo, 'members', 'jfo', 'keys');
  const signing = readJwk(path.join(keys, 'signing.jwk'));
  // A reply key for this request alone, as the consumer connector makes one.
  const reply = crypto.generateKeyPairSync('x25519');
  const replyKey = { ...reply.publicKey.export({ format: 'jwk' }), kid: 'reply-e2e' };
  const certificate = new crypto.X509Certificate(fs.readFileSync(path.join(keys, 'signing.crt')));
  const envelope = {
    requestId: crypto.randomBytes(12).toString('base64url'),
    issuedAt: new Date().toISOString(),
    consumer: JFO, dataset: PERSON, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent',
    consentId: 'cns-none', subject: subjects[0], fields: ['firstNameTh'], replyKey,
    ...overrides,
  };
  const body = JSON.stringify(envelope);
  const header = b64url(JSON.stringify({ alg: 'EdDSA', kid: signing.kid,
                                         x5c: [certificate.raw.toString('base64')] }));
  const key = crypto.createPrivateKey({ key: signing, format: 'jwk' });
  const sig = crypto.sign(null, Buffer.from(`${header}.${b64url(body)}`), key);
  return { body, signature: `${header}..${b64url(sig)}`, envelope, replySecret: reply.privateKey };
}

// ---------------------------------------------------------------- fixtures

let subjects = [];
let consentId = '';

function sqlite(db, sql) {
  return execFileSync('sqlite3', [path.join(demo, 'data', db), sql], { encoding: 'utf8' }).trim();
}

function requestConsent(subject, { dataset = PERSON, purpose = 'legal-aid-eligibility',
                                  fields = 'firstNameTh,lastNameTh,birthDate,address',
                                  extra = [] } = {}) {
  const id = cli('consent', 'request', '--dir', path.join(demo, 'hub'), '--subject', subject,
                 '--consumer', JFO, '--dataset', dataset, '--purpose', purpose,
                 '--fields', fields, ...(extra.length ? extra : ['--days', '30']));
  cli('consent', 'grant', '--dir', path.join(demo, 'hub'), '--id', id);
  return id;
}

function trail() {
  return cli('demo', 'trail', '--dir', demo, '--limit', '100000');
}

before(async () => {
  base = await findBasePort();
  execFileSync(saphan, ['demo', 'init', '--dir', demo, '--persons', '300', '--base-port', String(base),
                        '--config', path.join(source, 'config'), '--schemas', path.join(source, 'schemas')],
               { encoding: 'utf8' });
  useDemoTokens(demo);
  // Short provider deadline so the slow-provider test stays quick.
  const hubConfig = path.join(demo, 'hub', 'hub.json');
  const config = JSON.parse(fs.readFileSync(hubConfig, 'utf8'));
  config.providerTimeoutMs = 1500;
  // At most two exchanges at once, so the overload test can fill the hub with two slow ones.
  config.maxExchangesInFlight = 2;
  // ... and a short time limit per request, so the slow-client test does not wait 10 s.
  config.limits = { ...(config.limits ?? {}), requestTimeoutMs: 2000 };
  fs.writeFileSync(hubConfig, JSON.stringify(config, null, 2));

  await start('tsa', ['tsa', 'serve', '--dir', path.join(demo, 'pki'), '--listen', `127.0.0.1:${base + 20}`],
              /tsa listening/);
  await start('hub', ['hub', '--dir', path.join(demo, 'hub')], /listening on/);
  for (const m of ['dopa', 'dbd', 'doe', 'rtp', 'jfo']) {
    await start(m, ['connector', '--config', path.join(demo, 'members', m, 'connector.json')], /^connector /m);
  }
  subjects = sqlite('dopa.db', 'select citizen_id from person order by citizen_id limit 20').split('\n');
  consentId = requestConsent(subjects[0]);
});

after(async () => {
  for (const name of [...children.keys()].reverse()) await stop(name);
  fs.rmSync(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------- the happy path

test('a consented query returns the provider record restricted to the granted fields', async () => {
  const fields = ['firstNameTh', 'lastNameTh', 'birthDate', 'address'];
  const served = providerRequests('dopa');
  const res = await jfoQuery(PERSON, { subject: subjects[0], purpose: 'legal-aid-eligibility',
                                       lawfulBasis: 'consent', consentId, fields });
  assert.equal(res.status, 200, res.text);
  const stored = JSON.parse(sqlite('dopa.db', `select record from person where citizen_id='${subjects[0]}'`));
  const expected = Object.fromEntries(fields.filter((f) => f in stored).map((f) => [f, stored[f]]));
  assert.deepEqual(res.json.record, expected);
  // The provider log counts what reached it; the deny tests rely on it moving when it should.
  assert.equal(providerRequests('dopa'), served + 1);
  assert.deepEqual([...res.json.evidence.grantedFields].sort(), [...fields].sort());
  assert.ok(res.json.evidence.decisionIndex >= 0);
  assert.ok(res.json.evidence.outcomeIndex > res.json.evidence.decisionIndex);
  assert.match(res.json.evidence.ciphertextHash, /^[0-9a-f]{64}$/);
  // The evidence log holds the decision and the outcome for this request, and no citizen ID.
  const log = trail();
  assert.match(log, new RegExp(`request=${res.json.evidence.requestId}.*allow`));
  assert.ok(!log.includes(subjects[0]), 'the trail must not show the citizen ID');
});

test('X-Road-Id becomes the request id, and a second use of it is a replay', async () => {
  const id = 'case-' + crypto.randomBytes(6).toString('hex');
  const body = { subject: subjects[0], purpose: 'legal-aid-eligibility', lawfulBasis: 'consent',
                 consentId, fields: ['firstNameTh'] };
  const first = await query(base + 10, PERSON, body, JFO, { 'X-Road-Id': id });
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.evidence.requestId, id);
  const again = await query(base + 10, PERSON, body, JFO, { 'X-Road-Id': id });
  assert.equal(again.json?.code, 'replay', again.text);
});

test('an empty field list asks for every field of the purpose', async () => {
  const config = JSON.parse(fs.readFileSync(path.join(source, 'config', 'datasets', 'dopa-person.json'), 'utf8'));
  const rule = config.policy.grants.flatMap((g) => g.purposes).find((p) => p.purpose === 'identity-verification');
  const res = await rtpQuery(PERSON, { subject: subjects[0], purpose: 'identity-verification',
    lawfulBasis: 'public_task', legalInstrument: 'Digital Government Administration Act B.E. 2562', fields: [] });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual([...res.json.evidence.grantedFields].sort(), [...rule.fields].sort());
  const stored = JSON.parse(sqlite('dopa.db', `select record from person where citizen_id='${subjects[0]}'`));
  assert.deepEqual(Object.keys(res.json.record).sort(), rule.fields.filter((f) => f in stored).sort());
  // Under consent, "every field of the purpose" must all be in the consent: this one covers four.
  await expectDenied(() => jfoQuery(PERSON, { subject: subjects[0], purpose: 'legal-aid-eligibility',
                                              lawfulBasis: 'consent', consentId, fields: [] }), 'consent_mismatch');
});

// ---------------------------------------------------------------- deny reasons

async function expectDenied(run, code, provider = 'dopa') {
  const before = providerRequests(provider);
  const res = await run();
  assert.equal(res.json?.code, code, `expected ${code}, got ${res.status} ${res.text}`);
  assert.equal(res.type, 'application/problem+json');
  assert.equal(providerRequests(provider), before, `${code}: the provider must not be called`);
  return res;
}

test('deny: no consent given', () => expectDenied(() => jfoQuery(PERSON, {
  subject: subjects[1], purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', fields: ['firstNameTh'] }),
'consent_required'));

test('deny: consent id unknown', () => expectDenied(() => jfoQuery(PERSON, {
  subject: subjects[1], purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId: 'cns-unknown',
  fields: ['firstNameTh'] }), 'consent_not_found'));

test('deny: consent of another subject', () => expectDenied(() => jfoQuery(PERSON, {
  subject: subjects[1], purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId,
  fields: ['firstNameTh'] }), 'consent_mismatch'));

test('deny: purpose not allowed', () => expectDenied(() => jfoQuery(PERSON, {
  subject: subjects[0], purpose: 'marketing', lawfulBasis: 'consent', consentId, fields: ['firstNameTh'] }),
'purpose_not_allowed'));

test('deny: field outside the purpose', () => expectDenied(() => jfoQuery(PERSON, {
  subject: subjects[0], purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId,
  fields: ['firstNameTh', 'nationality'] }), 'field_not_allowed'));

test('deny: field allowed by policy but outside the consent', () => expectDenied(() => jfoQuery(PERSON, {
  subject: subjects[0], purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId,
  fields: ['lifeStatus'] }), 'consent_mismatch'));

test('deny: lawful basis not accepted for the purpose', () => expectDenied(() => jfoQuery(PERSON, {
  subject: subjects[0], purpose: 'legal-aid-eligibility', lawfulBasis: 'public_task',
  legalInstrument: 'Digital Government Administration Act B.E. 2562', fields: ['firstNameTh'] }),
'lawful_basis_not_allowed'));

test('deny: a non-consent basis needs a legal instrument', () => expectDenied(() => rtpQuery(PERSON, {
  subject: subjects[0], purpose: 'identity-verification', lawfulBasis: 'public_task', fields: ['firstNameTh'] }),
'legal_instrument_required'));

test('deny: legal instrument not accepted', () => expectDenied(() => rtpQuery(PERSON, {
  subject: subjects[0], purpose: 'identity-verification', lawfulBasis: 'public_task',
  legalInstrument: 'Some Other Act', fields: ['firstNameTh'] }), 'legal_instrument_not_accepted'));

test('allow: a legal instrument instead of consent', async () => {
  const res = await rtpQuery(PERSON, { subject: subjects[0], purpose: 'identity-verification',
    lawfulBasis: 'public_task', legalInstrument: 'Digital Government Administration Act B.E. 2562',
    fields: ['firstNameTh', 'lifeStatus'] });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json.record).sort(), ['firstNameTh', 'lifeStatus']);
});

test('deny: consumer not in the policy', () => expectDenied(() => rtpQuery(HOUSE, {
  subject: subjects[0], purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId,
  fields: ['houseId'] }), 'consumer_not_allowed'));

test('deny: unknown dataset', () => expectDenied(() => jfoQuery('TH/GOV/DOPA/civil-registry/nothing@1.0', {
  subject: subjects[0], purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId,
  fields: ['firstNameTh'] }), 'unknown_dataset'));

test('deny: a field that is not in the dataset schema', () => expectDenied(() => jfoQuery(PERSON, {
  subject: subjects[0], purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId,
  fields: ['firstNameTh', 'shoeSize'] }), 'schema_violation'));

test('deny: the hub checks a signed request against the dataset schema itself', async () => {
  const before = providerRequests('dopa');
  const { body, signature, envelope } = signedEnvelope({ consentId, fields: ['firstNameTh', 'shoeSize'] });
  const res = await hubCall({ body, signature });
  assert.equal(res.json?.code, 'schema_violation', res.text);
  assert.equal(res.status, 422);
  assert.match(res.json.detail, /shoeSize/);
  assert.equal(providerRequests('dopa'), before);
  assert.match(trail(), new RegExp(`request=${envelope.requestId}.*schema_violation`));
  // A subject that is not a valid citizen ID never gets that far: the envelope is refused.
  const bad = subjects[0].slice(0, 12) + String((Number(subjects[0][12]) + 1) % 10);  // wrong check digit
  const wrong = signedEnvelope({ consentId, subject: bad });
  const refused = await hubCall({ body: wrong.body, signature: wrong.signature });
  assert.equal(refused.json?.code, 'invalid_citizen_id', refused.text);
  assert.equal(providerRequests('dopa'), before);
});

test('deny: consent revoked takes effect from the next request on', async () => {
  const id = requestConsent(subjects[2], { fields: 'firstNameTh' });
  const body = { subject: subjects[2], purpose: 'legal-aid-eligibility', lawfulBasis: 'consent',
                 consentId: id, fields: ['firstNameTh'] };
  assert.equal((await jfoQuery(PERSON, body)).status, 200);
  cli('consent', 'revoke', '--dir', path.join(demo, 'hub'), '--id', id);
  await expectDenied(() => jfoQuery(PERSON, body), 'consent_revoked');
});

test('deny: consent expired', async () => {
  const id = requestConsent(subjects[3], { fields: 'firstNameTh',
    extra: ['--from', '2024-01-01T00:00:00Z', '--until', '2025-01-01T00:00:00Z'] });
  await expectDenied(() => jfoQuery(PERSON, { subject: subjects[3], purpose: 'legal-aid-eligibility',
    lawfulBasis: 'consent', consentId: id, fields: ['firstNameTh'] }), 'consent_expired');
});

test('deny: consent used up (max uses)', async () => {
  const id = requestConsent(subjects[4], { fields: 'firstNameTh', extra: ['--days', '30', '--max-uses', '1'] });
  const body = { subject: subjects[4], purpose: 'legal-aid-eligibility', lawfulBasis: 'consent',
                 consentId: id, fields: ['firstNameTh'] };
  assert.equal((await jfoQuery(PERSON, body)).status, 200);
  await expectDenied(() => jfoQuery(PERSON, body), 'consent_exhausted');
});

test('deny: rate limited', async () => {
  // Lower DBD's limit to 3 requests a minute for the justice group, while the hub runs.
  const policy = { grants: [{ consumers: ['group:justice'], rateLimit: { requests: 3, windowSeconds: 60 },
    purposes: [{ purpose: 'due-diligence', fields: ['juristicId', 'nameTh'], lawfulBases: ['public_task'],
                 legalInstruments: ['Electronic Government Operations Act B.E. 2565'] }] }] };
  const file = path.join(work, 'policy.json');
  fs.writeFileSync(file, JSON.stringify(policy));
  cli('admin', 'set-policy', '--dir', path.join(demo, 'hub'), '--dataset', JURISTIC, '--file', file);
  const juristic = sqlite('dbd.db', 'select juristic_id from juristic_person limit 1');
  const body = { subject: juristic, purpose: 'due-diligence', lawfulBasis: 'public_task',
                 legalInstrument: 'Electronic Government Operations Act B.E. 2565', fields: ['nameTh'] };
  for (let i = 0; i < 3; i++) assert.equal((await rtpQuery(JURISTIC, body)).status, 200);
  await expectDenied(() => rtpQuery(JURISTIC, body), 'rate_limited', 'dbd');
});

test('deny: malformed and oversized bodies at the consumer API', async () => {
  const before = providerRequests('dopa');
  const bad = await query(base + 10, PERSON, '{"subject": ');
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 'malformed_body');
  const big = await query(base + 10, PERSON, JSON.stringify({ subject: 'x'.repeat(2 << 20) }));
  assert.equal(big.status, 413);
  const middling = await query(base + 10, PERSON, JSON.stringify({ subject: 'x'.repeat(100 << 10) }));
  assert.equal(middling.status, 413, middling.text);
  assert.equal(middling.json.code, 'payload_too_large');
  assert.equal(providerRequests('dopa'), before);
});

// ---------------------------------------------------------------- authentication at the hub

// The TLS handshake fails: the hub sends an alert (certificate required / unknown CA) or resets,
// and never an HTTP answer. Afterwards the hub still serves a proper client.
async function expectTlsRefusal(call) {
  const before = providerRequests('dopa');
  await assert.rejects(call, (e) => {
    assert.match(`${e.code} ${e.message}`, /alert|certificate|ECONNRESET|EPIPE|socket hang up/i, e.message);
    return true;
  });
  assert.equal(providerRequests('dopa'), before);
  const health = await hubCall({ method: 'GET', target: '/healthz' });
  assert.equal(health.status, 200, 'the hub keeps serving');
}

test('the hub routes each path to its endpoint: 405 for another method, 404 for no endpoint', async () => {
  const ready = await hubCall({ method: 'GET', target: '/readyz' });
  assert.equal(ready.status, 200, ready.text);
  const catalog = await hubCall({ method: 'GET', target: '/v1/catalog' });
  assert.equal(catalog.status, 200, catalog.text);
  assert.ok(Array.isArray(catalog.json));
  const entries = await hubCall({ method: 'GET', target: '/v1/log/entries?start=0&end=1' });
  assert.equal(entries.status, 200, entries.text);
  for (const [method, target, wanted] of [['GET', '/v1/exchange', 'use POST'], ['POST', '/healthz', 'use GET'],
                                          ['DELETE', '/v1/catalog', 'use GET']]) {
    const res = await hubCall({ method, target });
    assert.equal(res.status, 405, `${method} ${target}: ${res.text}`);
    assert.equal(res.json.code, 'method_not_allowed');
    assert.equal(res.json.detail, wanted);
  }
  for (const target of ['/', '/v1/exchange/x', '/v1/catalogue', '/v1/log', '/x/v1/log/entries']) {
    const res = await hubCall({ method: 'GET', target });
    assert.equal(res.status, 404, `${target}: ${res.text}`);
    assert.equal(res.json.code, 'not_found');
  }
});

test('the hub refuses a client without a certificate', async () => {
  const { body, signature } = signedEnvelope({ consentId });
  await expectTlsRefusal(hubCall({ body, signature, cert: null }));
});

test('the hub refuses a certificate from another CA', async () => {
  const other = path.join(work, 'other-ca');
  cli('ca', 'init', '--dir', other);
  cli('ca', 'issue', '--dir', other, '--member', JFO, '--out', path.join(other, 'jfo'));
  const { body, signature } = signedEnvelope({ consentId });
  await expectTlsRefusal(hubCall({ body, signature, certDir: other }));
});

test("the hub refuses a valid certificate claiming another member's identity", async () => {
  const before = providerRequests('dopa');
  const { body, signature, envelope } = signedEnvelope({ consentId });
  const res = await hubCall({ body, signature, cert: 'rtp' });
  assert.equal(res.status, 403);
  assert.equal(res.json.code, 'certificate_mismatch');
  assert.equal(providerRequests('dopa'), before);
  assert.match(trail(), new RegExp(`rejected.*${envelope.requestId}.*certificate_mismatch`));
});

test('the hub refuses a certificate of its own CA for a member it has not registered', async () => {
  const stranger = 'TH/GOV/XYZ/nobody';
  const dir = path.join(work, 'stranger');
  fs.mkdirSync(dir, { recursive: true });
  cli('ca', 'issue', '--dir', path.join(demo, 'pki'), '--member', stranger, '--out', path.join(dir, 'nobody'));
  const before = providerRequests('dopa');
  const { body, signature, envelope } = signedEnvelope({ consentId, consumer: stranger });
  const res = await hubCall({ body, signature, cert: 'nobody', certDir: dir });
  assert.equal(res.json?.code, 'unknown_member', res.text);
  assert.equal(providerRequests('dopa'), before);
  assert.match(trail(), new RegExp(`rejected.*${envelope.requestId}.*unknown_member`));
});

test('the hub accepts a correctly signed direct request, then refuses its replay', async () => {
  const before = providerRequests('dopa');
  const { body, signature, envelope } = signedEnvelope({ consentId });
  const first = await hubCall({ body, signature });
  assert.equal(first.status, 200, first.text);
  assert.equal(providerRequests('dopa'), before + 1);
  const replay = await hubCall({ body, signature });
  assert.equal(replay.json?.code, 'replay', replay.text);
  assert.equal(providerRequests('dopa'), before + 1);
  assert.match(trail(), new RegExp(`rejected.*${envelope.requestId}.*replay`));
});

test('the hub refuses and logs a tampered request signature', async () => {
  const before = providerRequests('dopa');
  const { body, signature, envelope } = signedEnvelope({ consentId });
  const [h, , s] = signature.split('.');
  const raw = Buffer.from(s, 'base64url');
  raw[5] ^= 0x01;
  const res = await hubCall({ body, signature: `${h}..${b64url(raw)}` });
  assert.equal(res.status, 401);
  assert.equal(res.json.code, 'bad_signature');
  // The same signature over a changed body fails too.
  const changed = body.replace('"firstNameTh"', '"lastNameTh"');
  const res2 = await hubCall({ body: changed, signature });
  assert.equal(res2.json.code, 'bad_signature');
  assert.equal(providerRequests('dopa'), before);
  assert.match(trail(), new RegExp(`rejected.*${envelope.requestId}.*bad_signature`));
});

test('the hub refuses and logs a stale request', async () => {
  const old = new Date(Date.now() - 3600 * 1000).toISOString();
  const before = providerRequests('dopa');
  const { body, signature, envelope } = signedEnvelope({ consentId, issuedAt: old });
  const res = await hubCall({ body, signature });
  assert.equal(res.json?.code, 'stale_request', res.text);
  assert.equal(providerRequests('dopa'), before);
  assert.match(trail(), new RegExp(`rejected.*${envelope.requestId}.*stale_request`));
});

test('the hub answers oversized and malformed bodies with clear errors and keeps serving', async () => {
  const before = providerRequests('dopa');
  const big = await hubCall({ body: 'x'.repeat(2 << 20), signature: 'a..b' });
  assert.equal(big.status, 413);
  assert.equal(big.json.code, 'payload_too_large');
  const bad = await hubCall({ body: '{"requestId": [', signature: 'a..b' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 'malformed_body');
  const headers = await hubCall({ body: '{}', signature: 'a..b', headers: { 'X-Padding': 'p'.repeat(16 << 10) } });
  assert.equal(headers.status, 431, headers.text);
  assert.equal(headers.json.code, 'header_too_large');
  assert.equal(providerRequests('dopa'), before);
  const ok = await jfoQuery(PERSON, { subject: subjects[0], purpose: 'legal-aid-eligibility',
                                      lawfulBasis: 'consent', consentId, fields: ['firstNameTh'] });
  assert.equal(ok.status, 200);
});

test('a client that sends its request too slowly is cut off, and the hub keeps serving', async () => {
  const socket = tls.connect({ host: '127.0.0.1', port: base, ca: fs.readFileSync(pki('ca.crt')),
                               cert: fs.readFileSync(pki('jfo.crt')), key: fs.readFileSync(pki('jfo.key')),
                               minVersion: 'TLSv1.3', checkServerIdentity: () => undefined });
  await new Promise((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
  socket.on('error', () => {});
  socket.write('POST /v1/exchange HTTP/1.1\r\nHost: hub\r\nContent-Length: 100\r\n\r\n{"requ');
  const started = Date.now();
  const closed = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 15000);
    socket.once('close', () => { clearTimeout(timer); resolve(true); });
  });
  assert.ok(closed, 'the hub closes a request that does not arrive within its time limit');
  assert.ok(Date.now() - started >= 1000, 'not before the limit (2 s in this test)');
  socket.destroy();
  const ok = await jfoQuery(PERSON, { subject: subjects[0], purpose: 'legal-aid-eligibility',
                                      lawfulBasis: 'consent', consentId, fields: ['firstNameTh'] });
  assert.equal(ok.status, 200);
});

// ---------------------------------------------------------------- an independent JOSE check

test('jose verifies the signatures of a captured exchange and opens its answer with the consumer key', async () => {
  const { body, signature, replySecret } = signedEnvelope({ consentId, fields: ['firstNameTh', 'birthDate'] });
  const res = await hubCall({ body, signature });
  assert.equal(res.status, 200, res.text);
  // The hub's signature over its answer, with the key of the hub's own certificate (x5c).
  const hubSigned = await joseVerifyBy(res.headers['x-saphan-signature'], Buffer.from(res.text), HUB);
  assert.equal(hubSigned.protectedHeader.alg, 'EdDSA');
  // The provider's signature over the answer it made, with DOPA's key from DOPA's certificate:
  // the hub forwards no key, and a certificate naming the hub would not do.
  const answer = res.json;
  assert.equal(answer.providerKey, undefined);
  await joseVerifyBy(answer.providerSignature, Buffer.from(answer.providerBody), DOPA);
  await assert.rejects(joseVerifyBy(answer.providerSignature, Buffer.from(answer.providerBody + ' '), DOPA));
  await assert.rejects(joseVerifyBy(answer.providerSignature, Buffer.from(answer.providerBody), HUB));
  // The ciphertext opens with this request's reply key, and only the granted fields are inside.
  const provided = JSON.parse(answer.providerBody);
  const opened = await jose.compactDecrypt(provided.ciphertext, replySecret);
  assert.equal(opened.protectedHeader.alg, 'ECDH-ES');
  assert.equal(opened.protectedHeader.enc, 'A256GCM');
  const record = JSON.parse(new TextDecoder().decode(opened.plaintext));
  const stored = JSON.parse(sqlite('dopa.db', `select record from person where citizen_id='${subjects[0]}'`));
  assert.deepEqual(record.record ?? record, { firstNameTh: stored.firstNameTh, birthDate: stored.birthDate });
  // Any other key cannot open it.
  const other = crypto.generateKeyPairSync('x25519').privateKey;
  await assert.rejects(jose.compactDecrypt(provided.ciphertext, other));
  // A refusal is signed by the hub too.
  const replay = await hubCall({ body, signature });
  assert.equal(replay.json?.code, 'replay');
  await joseVerifyBy(replay.headers['x-saphan-signature'], Buffer.from(replay.text), HUB);
});

test('outcome entries carry the provider round trip and the total time', async () => {
  const res = await jfoQuery(PERSON, { subject: subjects[0], purpose: 'legal-aid-eligibility',
                                       lawfulBasis: 'consent', consentId, fields: ['firstNameTh'] });
  assert.equal(res.status, 200, res.text);
  const found = await hubCall({ method: 'GET',
    target: `/v1/log/search?requestId=${res.json.evidence.requestId}&kind=exchange.outcome` });
  assert.equal(found.status, 200, found.text);
  const outcome = found.json.entries[0].entry;
  assert.ok(outcome.providerMicros > 0, JSON.stringify(outcome));
  assert.ok(outcome.providerMicros <= outcome.totalMicros, JSON.stringify(outcome));
});

// ---------------------------------------------------------------- tampering on the way back

// A man in the middle between the JFO connector and the hub that flips one character of the
// provider's ciphertext in every answer. The connector must refuse the answer.
async function startTamperingProxy(listenPort) {
  const ca = fs.readFileSync(pki('ca.crt'));
  const server = tls.createServer({ cert: fs.readFileSync(pki('hub.crt')), key: fs.readFileSync(pki('hub.key')),
                                    ca, requestCert: true, minVersion: 'TLSv1.3' }, (client) => {
    const upstream = tls.connect({ host: '127.0.0.1', port: base, ca, minVersion: 'TLSv1.3',
                                   cert: fs.readFileSync(pki('jfo.crt')), key: fs.readFileSync(pki('jfo.key')),
                                   checkServerIdentity: () => undefined });
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      const text = pending.toString('latin1');
      const headerEnd = text.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number((/content-length:\s*(\d+)/i.exec(text) || [])[1] || 0);
      if (pending.length < headerEnd + 4 + length) return;
      const marker = text.indexOf('ciphertext', headerEnd);
      if (marker > 0) {
        const at = marker + 40;
        pending[at] = pending[at] === 0x41 ? 0x42 : 0x41;
      }
      client.write(pending);
      pending = Buffer.alloc(0);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  return server;
}

test('a tampered response ciphertext is refused by the consumer connector', async () => {
  const proxyPort = base + 12;
  const proxy = await startTamperingProxy(proxyPort);
  const configFile = path.join(demo, 'members', 'jfo', 'connector.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  config.hub = `https://127.0.0.1:${proxyPort}`;
  config.consumer.listen = '127.0.0.1:0';
  delete config.consumer.notifications;  // the JFO's own connector listens there
  const tampered = path.join(demo, 'members', 'jfo', 'connector-via-proxy.json');
  fs.writeFileSync(tampered, JSON.stringify(config));
  const child = await start('jfo-proxied', ['connector', '--config', tampered], /^connector /m);
  const port = Number(/consumer http:\/\/127\.0\.0\.1:(\d+)/.exec(child.log)[1]);
  try {
    const res = await query(port, PERSON, { subject: subjects[0], purpose: 'legal-aid-eligibility',
                                            lawfulBasis: 'consent', consentId, fields: ['firstNameTh'] });
    assert.equal(res.status, 502, res.text);
    assert.ok(['bad_signature', 'bad_encryption'].includes(res.json.code), res.text);
    assert.ok(!res.text.includes('firstNameTh":"'), 'no record may be returned');
    assert.match(child.log, /"event":"exchange.answer_refused"/, 'the refusal is logged');
  } finally {
    await stop('jfo-proxied');
    proxy.close();
  }
});

// ---------------------------------------------------------------- providers down and slow

test('a provider that is down gives provider_unreachable, and the hub keeps serving others', async () => {
  await stop('doe');
  const worker = sqlite('doe.db', 'select worker_id from foreign_worker limit 1');
  const res = await rtpQuery(WORKER, { subject: worker, purpose: 'law-enforcement', lawfulBasis: 'legal_obligation',
    legalInstrument: 'Royal Ordinance on Managing the Employment of Foreign Workers B.E. 2560',
    fields: ['workerId', 'nationality'] });
  assert.equal(res.status, 502, res.text);
  assert.equal(res.json.code, 'provider_unreachable');
  const ok = await jfoQuery(PERSON, { subject: subjects[0], purpose: 'legal-aid-eligibility',
                                      lawfulBasis: 'consent', consentId, fields: ['firstNameTh'] });
  assert.equal(ok.status, 200);
});

test('a provider that is too slow gives provider_timeout, while other exchanges go on', async () => {
  await stop('dbd');
  // A TLS server with DBD's certificate that accepts requests and never answers.
  const sockets = [];
  const silent = tls.createServer({ cert: fs.readFileSync(pki('dbd.crt')), key: fs.readFileSync(pki('dbd.key')),
                                    ca: fs.readFileSync(pki('ca.crt')), requestCert: true, minVersion: 'TLSv1.3' },
                                  (socket) => { sockets.push(socket); socket.on('error', () => {}); });
  await new Promise((resolve) => silent.listen(base + 2, '127.0.0.1', resolve));
  try {
    const juristic = sqlite('dbd.db', 'select juristic_id from juristic_person limit 1 offset 1');
    const started = Date.now();
    const slow = jfoQuery(JURISTIC, { subject: juristic, purpose: 'due-diligence', lawfulBasis: 'public_task',
      legalInstrument: 'Electronic Government Operations Act B.E. 2565', fields: ['nameTh'] });
    const meanwhile = await jfoQuery(PERSON, { subject: subjects[0], purpose: 'legal-aid-eligibility',
                                               lawfulBasis: 'consent', consentId, fields: ['firstNameTh'] });
    assert.equal(meanwhile.status, 200);
    assert.ok(Date.now() - started < 1500, 'the other exchange must not wait for the slow provider');
    const res = await slow;
    assert.equal(res.json?.code, 'provider_timeout', res.text);
    assert.equal(res.status, 504);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('over its limit of exchanges in flight the hub sheds with 503 and Retry-After, and logs it', async () => {
  // DBD's connector is down since the slow-provider test; a silent server in its place holds two
  // exchanges for the provider deadline (1.5 s), which fills the hub (maxExchangesInFlight 2).
  const sockets = [];
  const silent = tls.createServer({ cert: fs.readFileSync(pki('dbd.crt')), key: fs.readFileSync(pki('dbd.key')),
                                    ca: fs.readFileSync(pki('ca.crt')), requestCert: true, minVersion: 'TLSv1.3' },
                                  (socket) => { sockets.push(socket); socket.on('error', () => {}); });
  await new Promise((resolve) => silent.listen(base + 2, '127.0.0.1', resolve));
  try {
    const juristic = sqlite('dbd.db', 'select juristic_id from juristic_person limit 1 offset 2');
    const slowBody = { subject: juristic, purpose: 'due-diligence', lawfulBasis: 'public_task',
      legalInstrument: 'Electronic Government Operations Act B.E. 2565', fields: ['nameTh'] };
    const slow = [jfoQuery(JURISTIC, slowBody), jfoQuery(JURISTIC, slowBody)];
    let shed = null;
    for (let i = 0; i < 50 && !shed; i++) {  // until both slow ones are inside the hub
      await new Promise((resolve) => setTimeout(resolve, 20));
      const res = await jfoQuery(PERSON, { subject: subjects[0], purpose: 'legal-aid-eligibility',
                                           lawfulBasis: 'consent', consentId, fields: ['firstNameTh'] });
      if (res.status === 503) shed = res;
    }
    assert.ok(shed, 'a third exchange is shed while two are in flight');
    assert.equal(shed.json.code, 'overloaded', shed.text);
    assert.equal(shed.retryAfter, '1');
    await joseVerifyBy(shed.signature, Buffer.from(shed.text), HUB);
    for (const res of await Promise.all(slow)) assert.equal(res.json?.code, 'provider_timeout', res.text);
    assert.match(trail(), /rejected.*overloaded/);
    // Once the slow ones are done the hub takes exchanges again.
    const ok = await jfoQuery(PERSON, { subject: subjects[0], purpose: 'legal-aid-eligibility',
                                        lawfulBasis: 'consent', consentId, fields: ['firstNameTh'] });
    assert.equal(ok.status, 200, ok.text);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('every exchange and refusal is in the Merkle evidence log and proved in a signed head', async () => {
  // The hub signs a tree head at least every second while entries arrive.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const log = trail();
  assert.match(log, /every entry in a signed head is proved/);
  assert.match(log, /signature verified with the log key/);
  assert.doesNotMatch(log, /PROOF FAILS|NO PROOF/);
  assert.match(log, /provider_unreachable/);
  assert.match(log, /provider_timeout/);
  assert.match(log, /certificate_mismatch/);
});

test('tree heads are signed by the log key and timestamped by the TSA; openssl ts -verify accepts them', async () => {
  // The hub signs a head every second while entries arrive; the TSA stamps each one.
  let head = null;
  for (let i = 0; i < 100; i++) {
    const res = await hubCall({ method: 'GET', target: '/v1/log/checkpoint' });
    assert.equal(res.status, 200, res.text);
    if (res.json.timestampToken) { head = res.json; break; }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(head, 'a tree head got a timestamp token within 10 s');
  const cp = head.checkpoint;
  // The signed note, rebuilt here from its documented format, verifies with the public log key.
  const note = `${cp.origin}\n${cp.tree_size}\n${Buffer.from(cp.root_hash, 'base64url').toString('base64')}\n${cp.timestamp}\n`;
  const logKey = crypto.createPublicKey({ key: readJwk(path.join(demo, 'hub', 'keys', 'log-signing.pub.jwk')),
                                          format: 'jwk' });
  assert.ok(crypto.verify(null, Buffer.from(note), logKey, Buffer.from(cp.signature, 'base64url')),
            'checkpoint signature');
  const tokenFile = path.join(work, 'head.tst');
  fs.writeFileSync(tokenFile, Buffer.from(head.timestampToken, 'base64url'));
  const imprint = crypto.createHash('sha256').update(note).digest('hex');
  const out = execFileSync('openssl', ['ts', '-verify', '-digest', imprint, '-in', tokenFile, '-token_in',
                                       '-CAfile', pki('ca.crt'), '-untrusted', pki('tsa.crt')],
                           { encoding: 'utf8' });
  assert.match(out, /Verification: OK/);
  // A different imprint (another head) must not verify with this token.
  const wrong = crypto.createHash('sha256').update(note + 'x').digest('hex');
  assert.throws(() => execFileSync('openssl', ['ts', '-verify', '-digest', wrong, '-in', tokenFile, '-token_in',
                                               '-CAfile', pki('ca.crt'), '-untrusted', pki('tsa.crt')],
                                   { stdio: 'pipe' }));
});

test('the log API proves an exchange into the latest head', async () => {
  const res = await jfoQuery(PERSON, { subject: subjects[0], purpose: 'legal-aid-eligibility',
                                       lawfulBasis: 'consent', consentId, fields: ['firstNameTh'] });
  assert.equal(res.status, 200, res.text);
  // Signing a head on demand is for auditors; the hub signs one every second anyway.
  const refused = await hubCall({ method: 'POST', target: '/v1/log/checkpoint' });
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.json.code, 'forbidden');
  let made = null;
  for (let i = 0; i < 100; i++) {
    made = await hubCall({ method: 'GET', target: '/v1/log/checkpoint' });
    if (made.status === 200 && made.json.checkpoint.tree_size > res.json.evidence.outcomeIndex) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(made.status, 200, made.text);
  const size = made.json.checkpoint.tree_size;
  assert.ok(size > res.json.evidence.outcomeIndex);
  const index = res.json.evidence.decisionIndex;
  const proof = await hubCall({ method: 'GET', target: `/v1/log/proof/inclusion?index=${index}&size=${size}` });
  assert.equal(proof.status, 200, proof.text);
  const entries = await hubCall({ method: 'GET', target: `/v1/log/entries?start=${index}&end=${index + 1}` });
  assert.equal(entries.status, 200, entries.text);
  const entry = entries.json.entries[0];
  assert.equal(entry.index, index);
  assert.equal(entry.entry.requestId, res.json.evidence.requestId);
  // The DBD took no part: it gets the leaf hash and the proof, never the content, and a search
  // by the JFO or by the request id shows it nothing.
  const outsider = await hubCall({ method: 'GET', cert: 'dbd', target: `/v1/log/entries?start=${index}&end=${index + 1}` });
  assert.equal(outsider.status, 200, outsider.text);
  assert.deepEqual(Object.keys(outsider.json.entries[0]).sort(), ['index', 'leafHash']);
  assert.equal(outsider.json.entries[0].leafHash, proof.json.leafHash);
  const byMember = await hubCall({ method: 'GET', cert: 'dbd', target: '/v1/log/search?member=TH/GOV/JFO/legal-aid' });
  assert.equal(byMember.status, 403, byMember.text);
  const byRequest = await hubCall({ method: 'GET', cert: 'dbd', target: `/v1/log/search?requestId=${res.json.evidence.requestId}` });
  assert.equal(byRequest.status, 200, byRequest.text);
  assert.deepEqual(byRequest.json.entries, []);
  // RFC 9162 inclusion check, written here independently of the hub's code.
  const h = (...parts) => crypto.createHash('sha256').update(Buffer.concat(parts)).digest();
  const raw = await hubCall({ method: 'GET', target: `/v1/log/search?requestId=${res.json.evidence.requestId}&kind=exchange.decision` });
  assert.equal(raw.status, 200, raw.text);
  assert.equal(raw.json.entries.length, 1);
  assert.equal(raw.json.entries[0].index, index);
  // The exact stored bytes of the entry (the API re-serialises it as JSON).
  const leafBytes = execFileSync('sqlite3', [path.join(demo, 'hub', 'store.db'),
                                             `select entry from log_entries where idx = ${index}`]).subarray(0, -1);
  let node = h(Buffer.from([0]), leafBytes);
  assert.equal(node.toString('base64url'), proof.json.leafHash);
  let fn = index, sn = size - 1;
  for (const p of proof.json.path) {
    const sibling = Buffer.from(p, 'base64url');
    if (sn === 0) assert.fail('proof longer than the tree');
    if ((fn & 1) === 1 || fn === sn) {
      node = h(Buffer.from([1]), sibling, node);
      if ((fn & 1) === 0) { while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; } }
    } else {
      node = h(Buffer.from([1]), node, sibling);
    }
    fn >>= 1; sn >>= 1;
  }
  assert.equal(sn, 0);
  assert.equal(node.toString('base64url'), made.json.checkpoint.root_hash);
  // A member may not search by citizen ID without the auditor group.
  const forbidden = await hubCall({ method: 'GET', target: `/v1/log/search?subject=${subjects[0]}` });
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.json.code, 'forbidden');
});

test('a request seen before a hub restart is still refused as a replay after it', async () => {
  const { body, signature, envelope } = signedEnvelope({ consentId });
  const first = await hubCall({ body, signature });
  assert.equal(first.status, 200, first.text);
  await stop('hub');
  await start('hub', ['hub', '--dir', path.join(demo, 'hub')], /listening on/);
  const before = providerRequests('dopa');
  const again = await hubCall({ body, signature });
  assert.equal(again.json?.code, 'replay', again.text);
  assert.equal(providerRequests('dopa'), before);
  assert.match(trail(), new RegExp(`rejected.*${envelope.requestId}.*replay`));
  // The connectors reconnect to the restarted hub.
  const ok = await jfoQuery(PERSON, { subject: subjects[0], purpose: 'legal-aid-eligibility',
                                      lawfulBasis: 'consent', consentId, fields: ['firstNameTh'] });
  assert.equal(ok.status, 200, ok.text);
});
