// The consent flow with real processes on loopback: the JFO requests consent through its
// connector's POST /consents, the citizen portal's member (the DGA) approves it through the
// hub's citizen API, the hub notifies the JFO's connector over mutual TLS, which checks the
// hub's signature and passes it to the agency's webhook (a small HTTP server here), and the next
// query succeeds; withdrawal is notified and refuses the next query; a notification waits in the
// hub's outbox across a hub restart while the connector is down; receipts verify with npm jose
// against the CA; other parties' consents are not_found; malformed bodies get stable codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { consumerAuthorization, processes, query, startDemo, tlsCall } from './lib.mjs';

const saphan = process.env.SAPHAN;
const source = process.env.SAPHAN_SOURCE;
const jose = await import(pathToFileURL(path.resolve(source, 'tests/interop/node_modules/jose/dist/webapi/index.js')).href);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'saphan-consent-'));
const JFO = 'TH/GOV/JFO/legal-aid';
const HUB = 'TH/GOV/SAPHAN/hub';
const PERSON = 'TH/GOV/DOPA/civil-registry/person@1.0';
const PURPOSE = 'legal-aid-eligibility';

const procs = new processes(saphan);
let demo = null;
let webhook = null;
const received = [];  // what the webhook took: { body, json, signature }

// A valid Thai citizen id other than the demo subject (mod-11 check digit).
function otherCitizen() {
  const digits = '110370099999'.split('').map(Number);
  const sum = digits.reduce((s, d, i) => s + d * (13 - i), 0);
  return digits.join('') + String((11 - (sum % 11)) % 10);
}

const connectorCall = async (method, target, body, extra = {}) => {
  const res = await fetch(`http://127.0.0.1:${demo.base + 10}${target}`, {
    method, body: typeof body === 'string' ? body : body && JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', 'X-Road-Client': JFO, ...consumerAuthorization(JFO), ...extra },
    signal: AbortSignal.timeout(15000),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
};

const as = (member) => (method, target, body) => tlsCall({
  port: demo.base, ca: demo.pki('ca.crt'), cert: demo.pki(`${member}.crt`), key: demo.pki(`${member}.key`),
  method, target, body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
});
const portal = as('dga');
const rtp = as('rtp');
const jfoTls = as('jfo');

const request = (extra = {}) => ({
  subject: demo.subject, datasets: [PERSON], purpose: PURPOSE, fields: ['firstNameTh'],
  validUntil: new Date(Date.now() + 30 * 86400e3).toISOString(), maxUses: 5,
  reason: 'ตรวจสอบสิทธิ์ความช่วยเหลือทางกฎหมาย / legal aid eligibility', ...extra,
});

const decide = (consentId, action, receiptSubject = 'pseudonym', citizen = demo.subject) =>
  portal('POST', `/v1/citizen/${citizen}/consents/${consentId}`, { action, receiptSubject });

const jfoQuery = (consentId) => query(demo.base + 10, PERSON, {
  subject: demo.subject, purpose: PURPOSE, lawfulBasis: 'consent', consentId, fields: ['firstNameTh'],
}, JFO);

// Waits (at most `ms`) for the webhook to have taken a notification matching `match`.
async function notified(match, ms = 20000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const found = received.find((r) => match(r.json));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no notification matched within ${ms} ms; got ${JSON.stringify(received.map((r) => r.json))}`);
}

// The key of a JWS's x5c certificate once that certificate checks against the demo CA and names
// the hub; the certificate's own checks, not the key a header hands over.
async function hubKeyOf(protectedHeader) {
  const ca = new crypto.X509Certificate(fs.readFileSync(demo.pki('ca.crt')));
  const der = Buffer.from(protectedHeader.x5c[0], 'base64');
  const certificate = new crypto.X509Certificate(der);
  assert.ok(certificate.checkIssued(ca) && certificate.verify(ca.publicKey), 'x5c chains to the demo CA');
  assert.match(certificate.subject + '\n' + (certificate.subjectAltName ?? ''), /SAPHAN/);
  return jose.importX509(certificate.toString(), 'EdDSA');
}

async function verifyReceipt(jws) {
  const header = jose.decodeProtectedHeader(jws);
  assert.equal(header.typ, 'saphan-consent-receipt+json');
  assert.equal(header.alg, 'EdDSA');
  const { payload } = await jose.compactVerify(jws, await hubKeyOf(header));
  return JSON.parse(new TextDecoder().decode(payload));
}

before(async () => {
  webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      received.push({ body, json: JSON.parse(body), signature: req.headers['x-saphan-signature'] });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  demo = await startDemo(procs, { work, source, connectors: ['dopa'], hubConfig: (c) => {
    c.consentExpiryIntervalMs = 300;
  } });
  const file = path.join(demo.demo, 'members', 'jfo', 'connector.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(config.consumer.notifications.listen, `127.0.0.1:${demo.base + 15}`);
  config.consumer.notifications.webhook = `http://127.0.0.1:${webhook.address().port}/agency/consents`;
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  await startJfo();
});

const startJfo = () => procs.start('jfo', ['connector', '--config', path.join(demo.demo, 'members', 'jfo', 'connector.json')],
                                   /^connector .* notifications https:/m);

after(async () => {
  await procs.stopAll();
  await new Promise((resolve) => webhook.close(resolve));
  fs.rmSync(work, { recursive: true, force: true });
});

let consentId = null;
let approval = null;

test('the agency requests consent through its connector and reads it back', async () => {
  const asked = await connectorCall('POST', '/consents', request());
  assert.equal(asked.status, 201, asked.text);
  assert.match(asked.json.consentId, /^cns-/);
  assert.equal(asked.json.status, 'requested');
  assert.equal(typeof asked.json.logIndex, 'number');
  consentId = asked.json.consentId;

  const read = await connectorCall('GET', `/consents/${consentId}`);
  assert.equal(read.status, 200, read.text);
  assert.equal(read.json.status, 'requested');
  assert.equal(read.json.reason, request().reason);
  assert.equal(read.json.consumer, JFO);
  assert.equal(read.json.events[0].type, 'requested');

  const early = await jfoQuery(consentId);
  assert.equal(early.status, 403);
  assert.equal(early.json.code, 'consent_not_active');

  const listed = await portal('GET', `/v1/citizen/${demo.subject}/consents?status=requested`);
  assert.equal(listed.status, 200, listed.text);
  const mine = listed.json.consents.find((c) => c.consentId === consentId);
  assert.ok(mine, listed.text);
  assert.equal(mine.reason, request().reason);
  assert.equal(mine.consumerName.length > 0, true);
});

test('the citizen approves through the portal; the webhook is told, verified; the query succeeds', async () => {
  approval = await decide(consentId, 'approve', 'id');
  assert.equal(approval.status, 200, approval.text);
  assert.equal(approval.json.consent.status, 'active');
  assert.equal(approval.json.consent.events.at(-1).type, 'granted');

  const note = await notified((n) => n.consentId === consentId && n.event === 'granted');
  assert.equal(note.json.consumer, JFO);
  assert.equal(note.json.logIndex, approval.json.logIndex);
  // The hub's detached signature came along: the agency can check it too.
  const [encoded, , signature] = note.signature.split('.');
  const header = JSON.parse(Buffer.from(encoded, 'base64url').toString());
  await jose.flattenedVerify({ protected: encoded, payload: Buffer.from(note.body).toString('base64url'), signature },
                             await hubKeyOf(header));

  const answer = await jfoQuery(consentId);
  assert.equal(answer.status, 200, answer.text);
  assert.ok(answer.json.record.firstNameTh);

  const polled = await connectorCall('GET', `/consents/${consentId}`);
  assert.equal(polled.json.status, 'active');
  assert.equal(polled.json.uses, 1);
});

test('the receipt verifies with jose against the CA-chained x5c and says what was agreed', async () => {
  const payload = await verifyReceipt(approval.json.receipt);
  assert.equal(payload.schema, 'saphan-consent-receipt/1');
  assert.equal(payload.consentId, consentId);
  assert.equal(payload.piiPrincipalId, demo.subject);
  assert.equal(payload.piiPrincipalIdType, 'citizen-id');
  assert.equal(payload.piiController, JFO);
  assert.deepEqual(payload.datasets, [PERSON]);
  assert.deepEqual(payload.piiCategories, ['firstNameTh']);
  assert.equal(payload.maxUses, 5);
  assert.equal(payload.event, 'granted');
  assert.equal(payload.logIndex, approval.json.logIndex);
  assert.equal(payload.log, `saphan/${HUB}`);
  // The evidence entry at that index is this consent's grant.
  const entries = await portal('GET', `/v1/log/entries?start=${payload.logIndex}&end=${payload.logIndex + 1}`);
  assert.equal(entries.status, 200, entries.text);

  const tampered = approval.json.receipt.split('.');
  tampered[1] = Buffer.from(JSON.stringify({ ...payload, maxUses: 500 })).toString('base64url');
  await assert.rejects(verifyReceipt(tampered.join('.')));

  const receipts = await portal('GET', `/v1/citizen/${demo.subject}/consents/${consentId}/receipts`);
  assert.equal(receipts.status, 200, receipts.text);
  assert.equal(receipts.json.receipts.length, 1);
  assert.equal(receipts.json.receipts[0].jws, approval.json.receipt);
  assert.equal(receipts.json.receipts[0].event, 'granted');
});

test('the citizen withdraws; the webhook is told; the next query is consent_revoked', async () => {
  const withdrawn = await decide(consentId, 'withdraw');
  assert.equal(withdrawn.status, 200, withdrawn.text);
  assert.equal(withdrawn.json.consent.status, 'revoked');
  const payload = await verifyReceipt(withdrawn.json.receipt);
  assert.equal(payload.event, 'revoked');
  assert.equal(payload.piiPrincipalIdType, 'pseudonym');
  assert.notEqual(payload.piiPrincipalId, demo.subject);
  await notified((n) => n.consentId === consentId && n.event === 'revoked');

  const refused = await jfoQuery(consentId);
  assert.equal(refused.status, 403);
  assert.equal(refused.json.code, 'consent_revoked');

  const again = await decide(consentId, 'withdraw');
  assert.equal(again.status, 409);
  assert.equal(again.json.code, 'illegal_transition');
});

test('a notification survives a hub restart while the connector is down', async () => {
  const asked = await connectorCall('POST', '/consents', request());
  assert.equal(asked.status, 201, asked.text);
  const id = asked.json.consentId;
  await procs.stop('jfo');
  const approved = await decide(id, 'approve');
  assert.equal(approved.status, 200, approved.text);
  await new Promise((r) => setTimeout(r, 1500));  // the hub tries, and fails, meanwhile
  assert.equal(received.some((n) => n.json.consentId === id), false);
  await procs.stop('hub');
  await procs.start('hub', ['hub', '--dir', demo.hubDir], /listening on/);
  await startJfo();
  const note = await notified((n) => n.consentId === id && n.event === 'granted', 70000);
  assert.equal(note.json.logIndex, approved.json.logIndex);
});

test('a consent that runs out is notified as expired', async () => {
  const asked = await connectorCall('POST', '/consents',
                                    request({ validUntil: new Date(Date.now() + 3000).toISOString() }));
  assert.equal(asked.status, 201, asked.text);
  const id = asked.json.consentId;
  assert.equal((await decide(id, 'approve')).status, 200);
  await notified((n) => n.consentId === id && n.event === 'expired', 20000);
  const read = await connectorCall('GET', `/consents/${id}`);
  assert.equal(read.json.status, 'expired');
});

test('other parties\' consents are not_found, and the portal acts only on the citizen path', async () => {
  const other = otherCitizen();
  for (const res of [await decide(consentId, 'approve', 'pseudonym', other),
                     await portal('GET', `/v1/citizen/${other}/consents/${consentId}/receipts`),
                     await rtp('GET', `/v1/consents/${consentId}`),
                     await jfoTls('GET', '/v1/consents/cns-doesnotexist')]) {
    assert.equal(res.status, 404, res.text);
    assert.equal(res.json.code, 'not_found');
  }
  const listed = await portal('GET', `/v1/citizen/${other}/consents`);
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.json.consents, []);
  const byConsumer = await jfoTls('GET', `/v1/citizen/${demo.subject}/consents`);
  assert.equal(byConsumer.status, 403);
  assert.equal(byConsumer.json.code, 'forbidden');
  const portalAsks = await portal('POST', '/v1/consents', request());
  assert.equal(portalAsks.status, 403);
  assert.equal(portalAsks.json.code, 'forbidden');
});

test('malformed requests are refused with stable codes and change nothing', async () => {
  const before = (await portal('GET', `/v1/citizen/${demo.subject}/consents`)).json.consents.length;
  const cases = [
    [await connectorCall('POST', '/consents', '{'), 400, 'malformed_json'],
    [await connectorCall('POST', '/consents', request({ maxUse: 3 })), 400, 'malformed_body'],
    [await connectorCall('POST', '/consents', { ...request(), reason: undefined }), 400, 'malformed_body'],
    [await connectorCall('POST', '/consents', request({ reason: 'x'.repeat(501) })), 400, 'invalid_argument'],
    [await connectorCall('POST', '/consents', request({ subject: '1234567890123' })), 400, 'invalid_citizen_id'],
    [await connectorCall('POST', '/consents', request({ datasets: ['TH/GOV/DOPA/civil-registry/nothing@1.0'] })), 404, 'unknown_dataset'],
    [await connectorCall('POST', '/consents', request({ fields: ['noSuchField'] })), 400, 'invalid_argument'],
    [await connectorCall('POST', '/consents', request({ validUntil: '2020-01-01T00:00:00Z' })), 400, 'invalid_argument'],
    [await connectorCall('POST', '/consents', request(), { 'X-Road-Client': 'TH/GOV/RTP/criminal-records' }), 403, 'unknown_member'],
    [await connectorCall('GET', '/consents/bad id'), 404, 'not_found'],
    [await decide(consentId, 'grant'), 400, 'malformed_body'],
    [await portal('POST', `/v1/citizen/${demo.subject}/consents/${consentId}`, '{"action":'), 400, 'malformed_json'],
    [await portal('GET', '/v1/citizen/12345/consents'), 400, 'invalid_citizen_id'],
    [await portal('GET', `/v1/citizen/${demo.subject}/consents?limit=0`), 400, 'invalid_argument'],
  ];
  for (const [res, status, code] of cases) {
    assert.equal(res.status, status, res.text);
    assert.equal(res.json?.code, code, res.text);
  }
  const after = (await portal('GET', `/v1/citizen/${demo.subject}/consents`)).json.consents.length;
  assert.equal(after, before);
});

test('the PDPA export holds the citizen\'s accesses, consents and receipts', async () => {
  const exported = await portal('GET', `/v1/citizen/${demo.subject}/export`);
  assert.equal(exported.status, 200, exported.text);
  assert.equal(exported.json.format, 'saphan-pdpa-export/1');
  assert.match(exported.json.subject.pseudonym, /^[0-9a-f]{64}$/);
  assert.ok(exported.json.accesses.length >= 2);
  assert.ok(exported.json.consents.some((c) => c.consentId === consentId && c.status === 'revoked'));
  const ours = exported.json.receipts.filter((r) => r.consentId === consentId);
  assert.deepEqual(ours.map((r) => r.event), ['granted', 'revoked']);
  for (const r of ours) await verifyReceipt(r.jws);
});
