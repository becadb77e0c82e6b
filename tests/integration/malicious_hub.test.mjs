// A hub that lies, tested. A real consumer connector (the JFO's) and a real provider connector
// (DOPA's) run as separate processes; between them, on the hub's port, this file plays the hub
// with what a compromised hub holds: its TLS certificate and key, and its signing key with the
// CA's certificate for it (keys/hub-signing.*), but no member's key and not the CA's key.
// It forwards faithfully for the positive control and lies for every attack: each attempt must be
// refused by the connector it targets, with a stable code, and the harness must never hold the
// record in clear. Run by malicious_hub_test.sh.
//
// Then `jose` (an independent JOSE implementation, with its X.509 import) verifies the
// signatures of a captured request, a forwarded request and an answer with the key of the
// certificate in their x5c, chained to the demo CA; the forwarded request is captured from the
// real hub (started for that last test, with a wiretap between it and the provider).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

import { findBasePort, processes, query, tlsCall, useDemoTokens } from './lib.mjs';

const saphan = process.env.SAPHAN;
const source = process.env.SAPHAN_SOURCE;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'saphan-malicious-'));
const demo = path.join(work, 'demo');

const JFO = 'TH/GOV/JFO/legal-aid';
const DOPA = 'TH/GOV/DOPA/civil-registry';
const DBD = 'TH/GOV/DBD/juristic-registry';
const HUB = 'TH/GOV/SAPHAN/hub';
const PERSON = 'TH/GOV/DOPA/civil-registry/person@1.0';
const PURPOSE = 'legal-aid-eligibility';

// The independent JOSE implementation (npm `jose`, pinned in tests/interop/package-lock.json).
const jose = await import(path.join(source, 'tests', 'interop', 'node_modules', 'jose', 'dist', 'webapi', 'index.js'));

const procs = new processes(saphan);
const cli = (...args) => procs.cli(...args);
const pki = (name) => path.join(demo, 'pki', name);
const hubKeys = (name) => path.join(demo, 'hub', 'keys', name);
const b64url = (buf) => Buffer.from(buf).toString('base64url');
const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let base = 0;
let subjects = [];
let consentId = 'cns-none';  // the lying hub checks no consent; the real hub gets a real one
let lyingHub = null;
let stored = null;  // DOPA's record of subjects[0], as its database holds it

// ---------------------------------------------------------------- what the harness holds

// A signing identity: a private key for jose, and the certificate that goes in x5c.
async function identity(privateJwkOrPem, certificatePem, kid) {
  const key = typeof privateJwkOrPem === 'string'
    ? await jose.importPKCS8(privateJwkOrPem, 'EdDSA')
    : await jose.importJWK(privateJwkOrPem, 'EdDSA');
  const certificate = certificatePem ? new crypto.X509Certificate(certificatePem) : null;
  return { key, certificate, kid };
}

// A detached JWS (RFC 7515 appendix F) over `payload`, made with jose, x5c = [certificate].
async function signDetached(payload, signer) {
  const header = { alg: 'EdDSA', kid: signer.kid };
  if (signer.certificate) header.x5c = [signer.certificate.raw.toString('base64')];
  const jws = await new jose.FlattenedSign(new TextEncoder().encode(payload)).setProtectedHeader(header)
    .sign(signer.key);
  return `${jws.protected}..${jws.signature}`;
}

let hubSigner = null;      // the hub's real signing key and certificate (names the hub member)
let replyKey = null;       // an X25519 key pair of the harness's own, to have records encrypted to it
const forgers = {};        // identities the harness made: self-signed, other CA

// Every key the harness holds that could open a JWE: it must open none of the provider's answers.
async function assertHarnessCannotOpen(ciphertext) {
  const opened = await jose.compactDecrypt(ciphertext, replyKey.privateKey).then(
    ({ plaintext }) => new TextDecoder().decode(plaintext), () => null);
  assert.equal(opened, null, `the harness opened the answer: ${opened}`);
}

// ---------------------------------------------------------------- the lying hub

// The hub's leg to the provider (DOPA's connector): mutual TLS with the hub's own certificate.
function provide({ body, signature }) {
  return tlsCall({ port: base + 1, target: '/v1/provide', body, signature, cert: pki('hub.crt'),
                   key: pki('hub.key'), ca: pki('ca.crt') }).then((res) => {
    if (res.status === 200) {
      res.answer = JSON.parse(res.text);
      res.signature = res.headers['x-saphan-signature'];
    }
    return res;
  });
}

function grantFor(envelopeBytes, overrides = {}) {
  const envelope = JSON.parse(envelopeBytes);
  return { requestId: envelope.requestId, requestHash: sha256(envelopeBytes), fields: envelope.fields,
           pseudonymiseSubject: false, purpose: envelope.purpose, logIndex: 1,
           grantedAt: new Date().toISOString(), ...overrides };
}

// A forwarded request as the hub makes one (exchange/envelope.hpp): the consumer's envelope bytes,
// its signature, the grant; signed by the hub over the exact body.
async function forwardOf(envelopeBytes, consumerSignature, grantOverrides = {}) {
  const body = JSON.stringify({ request: envelopeBytes, consumerSignature,
                                grant: grantFor(envelopeBytes, grantOverrides) });
  return { body, signature: await signDetached(body, hubSigner) };
}

// The hub's answer to the consumer: the provider's signed answer and the evidence, signed.
async function hubAnswer(envelopeBytes, providerBody, providerSignature, overrides = {}) {
  const envelope = JSON.parse(envelopeBytes);
  const provided = JSON.parse(providerBody);
  const body = JSON.stringify({
    requestId: envelope.requestId, providerBody, providerSignature,
    evidence: { decisionIndex: 1, outcomeIndex: 2, requestHash: sha256(envelopeBytes),
                ciphertextHash: sha256(provided.ciphertext), grantedFields: envelope.fields, pseudonymised: false },
    ...overrides,
  });
  return { status: 200, type: 'application/json', body, signature: await signDetached(body, hubSigner) };
}

// A refusal from the provider, passed on as the real hub does: its status and problem, hub-signed.
async function relayed(res) {
  return { status: res.status, type: 'application/problem+json', body: res.text,
           signature: await signDetached(res.text, hubSigner) };
}

// The faithful hub: forwards the consumer's exact envelope and signature with a grant of what it
// asked, relays the provider's answer. Every lie below is a variation of it.
async function honest(exchange, { grant = {}, answer = null } = {}) {
  const forwarded = await forwardOf(exchange.body, exchange.signature, grant);
  const res = await provide(forwarded);
  exchange.forwarded = forwarded;
  exchange.provided = res;
  if (res.status !== 200) return relayed(res);
  if (answer) return answer(exchange, res);
  return hubAnswer(exchange.body, res.text, res.signature);
}

async function startLyingHub(port) {
  const state = { exchanges: [], behaviour: honest };
  const catalogEntry = JSON.stringify({
    id: PERSON, subjectField: 'citizenId',
    schemaText: fs.readFileSync(path.join(source, 'schemas', 'dopa-person.schema.json'), 'utf8'),
  });
  const server = https.createServer({ cert: fs.readFileSync(pki('hub.crt')), key: fs.readFileSync(pki('hub.key')),
                                      ca: fs.readFileSync(pki('ca.crt')), requestCert: true,
                                      rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', async () => {
      try {
        let out = null;
        if (req.method === 'GET' && req.url === `/v1/catalog/${PERSON}`) {
          out = { status: 200, type: 'application/json', body: catalogEntry };
        } else if (req.method === 'POST' && req.url === '/v1/exchange') {
          const exchange = { body, signature: req.headers['x-saphan-signature'],
                             client: req.socket.getPeerCertificate().subjectaltname };
          state.exchanges.push(exchange);
          out = await state.behaviour(exchange);
        } else {
          out = { status: 404, type: 'application/problem+json', body: JSON.stringify({ code: 'not_found' }) };
        }
        const headers = { 'Content-Type': out.type, 'Content-Length': Buffer.byteLength(out.body) };
        if (out.signature) headers['X-Saphan-Signature'] = out.signature;
        res.writeHead(out.status, headers);
        res.end(out.body);
      } catch (e) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(e?.stack ?? e));
      }
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  state.server = server;
  state.last = () => state.exchanges[state.exchanges.length - 1];
  return state;
}

// ---------------------------------------------------------------- the members' side

const jfoQuery = (fields = ['firstNameTh'], port = base + 10) => query(port, PERSON, {
  subject: subjects[0], purpose: PURPOSE, lawfulBasis: 'consent', consentId, fields }, JFO);

function providerLog() { return procs.log('dopa'); }
function providerRefusals(code) {
  return (providerLog().match(new RegExp(`"event":"provide.refused".*"code":"${code}"`, 'g')) || []).length;
}
function consumerRefusals(code) {
  return (procs.log('jfo').match(new RegExp(`"event":"exchange.answer_refused".*"code":"${code}"`, 'g')) || []).length;
}

// The provider refused what the harness forwarded, with `code`, and gave out no ciphertext.
function assertProviderRefused(res, code) {
  assert.equal(res.json?.code, code, `expected ${code}, got ${res.status} ${res.text}`);
  assert.equal(res.headers['content-type'], 'application/problem+json');
  assert.ok(!res.text.includes('ciphertext'), 'a refusal carries no ciphertext');
}

// The consumer connector refused the harness's answer with `code`, and returned no record.
function assertConsumerRefused(res, code) {
  assert.equal(res.status, 502, res.text);
  assert.equal(res.json?.code, code, res.text);
  assert.equal(res.json.record, undefined);
  assert.ok(!res.text.includes(stored.firstNameTh), 'no part of the record may come back');
}

// An envelope the harness makes up: the JFO asking for subjects[0], encrypted to the harness.
function forgedEnvelope(overrides = {}) {
  return JSON.stringify({
    requestId: crypto.randomBytes(12).toString('base64url'), issuedAt: new Date().toISOString(),
    consumer: JFO, dataset: PERSON, purpose: PURPOSE, lawfulBasis: 'consent', consentId: 'cns-made-up',
    subject: subjects[0], fields: ['firstNameTh', 'lastNameTh'],
    replyKey: { ...replyKey.publicKey.export({ format: 'jwk' }), kid: 'reply-harness' }, ...overrides,
  });
}

// ---------------------------------------------------------------- fixtures

before(async () => {
  base = await findBasePort();
  execFileSync(saphan, ['demo', 'init', '--dir', demo, '--persons', '20', '--base-port', String(base),
                        '--config', path.join(source, 'config'), '--schemas', path.join(source, 'schemas')],
               { encoding: 'utf8' });
  useDemoTokens(demo);
  subjects = execFileSync('sqlite3', [path.join(demo, 'data', 'dopa.db'),
                                      'select citizen_id from person order by citizen_id limit 3'],
                          { encoding: 'utf8' }).trim().split('\n');
  stored = JSON.parse(execFileSync('sqlite3', [path.join(demo, 'data', 'dopa.db'),
    `select record from person where citizen_id='${subjects[0]}'`], { encoding: 'utf8' }));

  // What the compromised hub holds: its own signing key and the CA's certificate for it.
  const hubJwk = JSON.parse(fs.readFileSync(hubKeys('hub-signing.jwk'), 'utf8'));
  hubSigner = await identity(hubJwk, fs.readFileSync(hubKeys('hub-signing.crt')), hubJwk.kid);
  replyKey = crypto.generateKeyPairSync('x25519');

  // Identities the harness can make for itself: a self-signed certificate naming the JFO, and a
  // CA of its own certifying keys in the JFO's, DBD's and DOPA's names.
  const forge = path.join(work, 'forge');
  fs.mkdirSync(forge);
  for (const [name, member] of [['jfo', JFO], ['dopa', DOPA]]) {
    const stem = path.join(forge, `${name}-self`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
                             '-keyout', `${stem}.key`, '-out', `${stem}.crt`,
                             '-addext', `subjectAltName=URI:urn:saphan:member:${member}`,
                             '-addext', 'basicConstraints=critical,CA:FALSE',
                             '-addext', 'keyUsage=critical,digitalSignature'], { stdio: 'pipe' });
    forgers[`${name}SelfSigned`] = await identity(fs.readFileSync(`${stem}.key`, 'utf8'), fs.readFileSync(`${stem}.crt`),
                                                  `${name}-self`);
  }
  const otherCa = path.join(forge, 'other-ca');
  cli('ca', 'init', '--dir', otherCa);
  for (const [name, member] of [['jfo', JFO], ['dbd', DBD], ['dopa', DOPA]]) {
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `${name}-other` };
    const { d, ...pub } = jwk;
    fs.writeFileSync(path.join(forge, `${name}.pub.jwk`), JSON.stringify(pub));
    cli('ca', 'issue', '--dir', otherCa, '--member', member, '--signing-key', path.join(forge, `${name}.pub.jwk`),
        '--out', path.join(forge, `${name}-other`));
    forgers[`${name}OtherCa`] = await identity(jwk, fs.readFileSync(path.join(forge, `${name}-other.crt`)), jwk.kid);
  }
  // A key of its own under the JFO's real certificate (the certificate is public; its key is not).
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  forgers.jfoCertificateOwnKey = await identity(privateKey.export({ format: 'jwk' }),
    fs.readFileSync(path.join(demo, 'members', 'jfo', 'keys', 'signing.crt')), 'jfo-sig-1');

  lyingHub = await startLyingHub(base);
  for (const m of ['dopa', 'jfo']) {
    await procs.start(m, ['connector', '--config', path.join(demo, 'members', m, 'connector.json')], /^connector /m);
  }
});

after(async () => {
  await procs.stopAll();
  lyingHub?.server.close();
  lyingHub?.server.closeAllConnections?.();
  tap?.close();
  tap?.closeAllConnections?.();
  fs.rmSync(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------- the positive control

let honestExchange = null;  // the first exchange, kept for the replays and the jose checks

test('positive control: the honest path through the harness returns the record', async () => {
  lyingHub.behaviour = honest;
  const fields = ['firstNameTh', 'birthDate'];
  const res = await jfoQuery(fields);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.record, { firstNameTh: stored.firstNameTh, birthDate: stored.birthDate });
  honestExchange = lyingHub.last();
  assert.match(honestExchange.client, new RegExp(`URI:urn:saphan:member:${JFO}`));
  assert.equal(honestExchange.provided.status, 200);
  // The harness saw every byte and still holds nothing it can open the answer with.
  await assertHarnessCannotOpen(honestExchange.provided.answer.ciphertext);
  assert.ok(!JSON.stringify(honestExchange).includes(stored.firstNameTh), 'the record never passes in clear');
});

// ---------------------------------------------------------------- toward the provider

test("attack: the reply key in the consumer's envelope swapped for the harness's", async () => {
  const before = providerRefusals('bad_signature');
  lyingHub.behaviour = async (exchange) => {
    const envelope = JSON.parse(exchange.body);
    envelope.replyKey = { ...replyKey.publicKey.export({ format: 'jwk' }), kid: envelope.replyKey.kid };
    const swapped = JSON.stringify(envelope);
    const forwarded = await forwardOf(swapped, exchange.signature);
    exchange.provided = await provide(forwarded);
    return exchange.provided.status === 200 ? hubAnswer(swapped, exchange.provided.text, exchange.provided.signature)
                                            : relayed(exchange.provided);
  };
  const res = await jfoQuery();
  const provided = lyingHub.last().provided;
  if (provided.status === 200) await assertHarnessCannotOpen(provided.answer.ciphertext);
  assertProviderRefused(provided, 'bad_signature');
  assert.match(provided.json.detail, /consumer signature/);
  assert.equal(providerRefusals('bad_signature'), before + 1);
  // The consumer's agency sees the provider's refusal, relayed.
  assert.equal(res.json?.code, 'bad_signature', res.text);
});

// Forwards an envelope the harness made up and signed, with a valid hub grant and signature.
async function forwardForged(envelopeBytes, signer) {
  const consumerSignature = signer ? await signDetached(envelopeBytes, signer) : '';
  const forwarded = await forwardOf(envelopeBytes, consumerSignature);
  const res = await provide(forwarded);
  if (res.status === 200) await assertHarnessCannotOpen(res.answer.ciphertext);
  return res;
}

test('attack: an envelope signed by a key of its own, with a self-signed x5c naming the consumer', async () => {
  const res = await forwardForged(forgedEnvelope(), forgers.jfoSelfSigned);
  assertProviderRefused(res, 'bad_signature');
  assert.match(res.json.detail, /consumer signature: x5c: does not verify against the pinned CA/);
});

test('attack: an envelope signed by a key of its own, certified for the consumer by another CA', async () => {
  const res = await forwardForged(forgedEnvelope(), forgers.jfoOtherCa);
  assertProviderRefused(res, 'bad_signature');
  assert.match(res.json.detail, /consumer signature: x5c: does not verify against the pinned CA/);
});

test("attack: an envelope signed by a key of its own under the consumer's real certificate", async () => {
  const res = await forwardForged(forgedEnvelope(), forgers.jfoCertificateOwnKey);
  assertProviderRefused(res, 'bad_signature');
  assert.match(res.json.detail, /consumer signature: jws: signature does not verify/);
});

test('attack: an envelope without a certificate in its signature, or with no signature', async () => {
  const bare = await forwardForged(forgedEnvelope(), { ...forgers.jfoCertificateOwnKey, certificate: null });
  assertProviderRefused(bare, 'bad_signature');
  assert.match(bare.json.detail, /no x5c certificate/);
  const unsigned = await forwardForged(forgedEnvelope(), null);
  assertProviderRefused(unsigned, 'bad_signature');
});

test('attack: an envelope naming the consumer, signed as another member (the hub; DBD by another CA)', async () => {
  const asHub = await forwardForged(forgedEnvelope(), hubSigner);
  assertProviderRefused(asHub, 'certificate_mismatch');
  assert.match(asHub.json.detail, new RegExp(`consumer signature: x5c: the certificate names ${HUB}, not ${JFO}`));
  const asDbd = await forwardForged(forgedEnvelope(), forgers.dbdOtherCa);
  assertProviderRefused(asDbd, 'bad_signature');
});

test('attack: an envelope in the hub\'s own name, signed with its own certified key', async () => {
  // The hub's signing certificate is real and names the hub: were the hub a consumer like any
  // other, the provider would encrypt the record to a key the hub chose.
  const res = await forwardForged(forgedEnvelope({ consumer: HUB }), hubSigner);
  assertProviderRefused(res, 'consumer_not_allowed');
  assert.match(res.json.detail, /the hub/);
});

test('attack: an earlier forwarded request replayed to the provider, as it was and with a new grant', async () => {
  assert.ok(honestExchange, 'the positive control ran');
  const before = providerRefusals('replay');
  const again = await provide(honestExchange.forwarded);
  assertProviderRefused(again, 'replay');
  // The consumer's envelope and signature with a grant the hub signs anew: still the same request.
  const regranted = await provide(await forwardOf(honestExchange.body, honestExchange.signature, { logIndex: 99 }));
  assertProviderRefused(regranted, 'replay');
  assert.equal(providerRefusals('replay'), before + 2);
});

test('attack: a forwarded request replayed to the provider after the provider restarted', async () => {
  // A request served just before a restart is still within the freshness window after it.
  lyingHub.behaviour = honest;
  const served = await jfoQuery();
  assert.equal(served.status, 200, served.text);
  const earlier = lyingHub.last().forwarded;
  await procs.stop('dopa');
  await procs.start('dopa', ['connector', '--config', path.join(demo, 'members', 'dopa', 'connector.json')],
                    /^connector /m);
  const res = await provide(earlier);
  if (res.status === 200) await assertHarnessCannotOpen(res.answer.ciphertext);
  // The restarted guard cannot know it served this one: a request issued before its start is
  // outside the window this provider accepts.
  assertProviderRefused(res, 'stale_request');
  assert.match(res.json.detail, /before this provider started/);
  // Requests issued after the restart are served as before.
  const fresh = await jfoQuery();
  assert.equal(fresh.status, 200, fresh.text);
});

test('attack: a grant wider than the envelope asked, or for another request', async () => {
  const wider = ['birthDate', 'firstNameTh', 'lastNameTh', 'nationality'];
  lyingHub.behaviour = (exchange) => honest(exchange, { grant: { fields: wider } });
  const res = await jfoQuery(['firstNameTh']);
  assertProviderRefused(lyingHub.last().provided, 'field_not_allowed');
  assert.match(lyingHub.last().provided.json.detail, /grant\.fields: .* was not requested/);
  assert.equal(res.json?.code, 'field_not_allowed', res.text);

  lyingHub.behaviour = (exchange) => honest(exchange, { grant: { requestId: 'another-request-0001' } });
  await jfoQuery();
  assertProviderRefused(lyingHub.last().provided, 'bad_signature');
  lyingHub.behaviour = (exchange) => honest(exchange, { grant: { requestHash: sha256('another request') } });
  await jfoQuery();
  assertProviderRefused(lyingHub.last().provided, 'bad_signature');
  // The grant is signed by the hub: one signed with another key is not the hub's.
  const forwarded = await forwardOf(honestExchange.body, honestExchange.signature);
  const byOther = await provide({ body: forwarded.body, signature: await signDetached(forwarded.body, forgers.jfoOtherCa) });
  assertProviderRefused(byOther, 'bad_signature');
});

// ---------------------------------------------------------------- toward the consumer

// The honest forward, then the answer to the consumer altered by `alter(exchange, provided)`.
function lyingAnswer(alter) {
  lyingHub.behaviour = (exchange) => honest(exchange, { answer: alter });
}

function flipCharacter(text, at) {
  return text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
}

test('attack: the provider\'s ciphertext tampered with', async () => {
  lyingAnswer((exchange, provided) => {
    const answer = { ...provided.answer };
    answer.ciphertext = flipCharacter(answer.ciphertext, answer.ciphertext.length - 30);
    return hubAnswer(exchange.body, JSON.stringify(answer), provided.signature);
  });
  const before = consumerRefusals('bad_signature');
  const res = await jfoQuery();
  assertConsumerRefused(res, 'bad_signature');
  assert.match(res.json.detail, /provider answer: jws: signature does not verify/);
  assert.equal(consumerRefusals('bad_signature'), before + 1);
});

test("attack: the provider's signature altered", async () => {
  lyingAnswer((exchange, provided) => {
    const [h, , s] = provided.signature.split('.');
    const raw = Buffer.from(s, 'base64url');
    raw[10] ^= 0x01;
    return hubAnswer(exchange.body, provided.text, `${h}..${b64url(raw)}`);
  });
  const res = await jfoQuery();
  assertConsumerRefused(res, 'bad_signature');
  assert.match(res.json.detail, /provider answer: jws: signature does not verify/);
});

// A made-up record, encrypted to the consumer's own reply key with the binding of its request:
// everything right but the signer.
async function madeUpAnswer(exchange) {
  const envelope = JSON.parse(exchange.body);
  const replyPublic = await jose.importJWK(envelope.replyKey, 'ECDH-ES');
  const ciphertext = await new jose.CompactEncrypt(new TextEncoder().encode(JSON.stringify({ firstNameTh: 'ปลอม' })))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', kid: envelope.replyKey.kid, rid: envelope.requestId,
                          cns: envelope.consumer, prv: DOPA, dst: envelope.dataset })
    .encrypt(replyPublic);
  return JSON.stringify({ requestId: envelope.requestId, requestHash: sha256(exchange.body), ciphertext });
}

test("attack: an answer signed with the hub's key instead of the provider's", async () => {
  // A record the hub made up, and the provider's own answer, each signed by the hub.
  lyingAnswer(async (exchange) => {
    const madeUp = await madeUpAnswer(exchange);
    return hubAnswer(exchange.body, madeUp, await signDetached(madeUp, hubSigner));
  });
  const madeUp = await jfoQuery();
  assertConsumerRefused(madeUp, 'certificate_mismatch');
  assert.match(madeUp.json.detail, new RegExp(`provider answer: x5c: the certificate names ${HUB}, not ${DOPA}`));
  lyingAnswer(async (exchange, provided) =>
    hubAnswer(exchange.body, provided.text, await signDetached(provided.text, hubSigner)));
  const resigned = await jfoQuery();
  assertConsumerRefused(resigned, 'certificate_mismatch');
});

test('attack: a made-up answer signed by a key of its own (self-signed, another CA, another member)', async () => {
  for (const [signer, code, detail] of [
    [forgers.dopaSelfSigned, 'bad_signature', /provider answer: x5c: does not verify against the pinned CA/],
    [forgers.dopaOtherCa, 'bad_signature', /provider answer: x5c: does not verify against the pinned CA/],
    [forgers.jfoCertificateOwnKey, 'certificate_mismatch', new RegExp(`the certificate names ${JFO}, not ${DOPA}`)]]) {
    lyingAnswer(async (exchange) => {
      const madeUp = await madeUpAnswer(exchange);
      return hubAnswer(exchange.body, madeUp, await signDetached(madeUp, signer));
    });
    const res = await jfoQuery();
    assertConsumerRefused(res, code);
    assert.match(res.json.detail, detail);
  }
});

test("attack: an answer with another request's ciphertext (a real earlier answer replayed)", async () => {
  // The provider's real, signed answer to the positive control, as the answer to a new request.
  const earlier = honestExchange.provided;
  lyingHub.behaviour = (exchange) => hubAnswer(exchange.body, earlier.text, earlier.signature);
  const res = await jfoQuery(['firstNameTh', 'birthDate']);
  assertConsumerRefused(res, 'bad_signature');
  assert.match(res.json.detail, /requestId does not match the request sent/);
  // The same with the ids rewritten to the new request: the provider's signature breaks.
  lyingHub.behaviour = (exchange) => {
    const envelope = JSON.parse(exchange.body);
    const rewritten = JSON.stringify({ ...earlier.answer, requestId: envelope.requestId, requestHash: sha256(exchange.body) });
    return hubAnswer(exchange.body, rewritten, earlier.signature);
  };
  const rewritten = await jfoQuery(['firstNameTh', 'birthDate']);
  assertConsumerRefused(rewritten, 'bad_signature');
  assert.match(rewritten.json.detail, /provider answer: jws: signature does not verify/);
});

test('after every attack the honest path still works (the refusals were the lies, not the harness)', async () => {
  lyingHub.behaviour = honest;
  const res = await jfoQuery(['firstNameTh']);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.record, { firstNameTh: stored.firstNameTh });
});

// ---------------------------------------------------------------- an independent JOSE check

// The certificate in a JWS's x5c, checked as any verifier must before using its key: it chains to
// the CA this test pins (signature and issuer), and its member URI names the member expected.
// Returns jose's own import of it.
async function certifiedKey(jws, member) {
  const header = JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString('utf8'));
  assert.ok(Array.isArray(header.x5c) && header.x5c.length === 1, 'x5c carries the signer certificate');
  const certificate = new crypto.X509Certificate(Buffer.from(header.x5c[0], 'base64'));
  const ca = new crypto.X509Certificate(fs.readFileSync(pki('ca.crt')));
  assert.ok(certificate.checkIssued(ca), 'the signer certificate is issued by the pinned CA');
  assert.ok(certificate.verify(ca.publicKey), 'the signer certificate carries the CA signature');
  assert.ok(new Date(certificate.validFrom) <= new Date() && new Date() <= new Date(certificate.validTo));
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

// A wiretap between the real hub and the provider: it presents DOPA's TLS certificate to the hub
// (the demo's file; the tap is the test's instrument, not the attacker) and passes every request
// on to the provider connector, keeping a copy of both directions.
let tap = null;
async function startTap(port, captured) {
  tap = https.createServer({ cert: fs.readFileSync(pki('dopa.crt')), key: fs.readFileSync(pki('dopa.key')),
                             ca: fs.readFileSync(pki('ca.crt')), requestCert: true, minVersion: 'TLSv1.3' },
                           (req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', async () => {
      const answer = await provide({ body, signature: req.headers['x-saphan-signature'] });
      captured.push({ body, signature: req.headers['x-saphan-signature'], answer });
      const headers = { 'Content-Type': answer.headers['content-type'] };
      if (answer.headers['x-saphan-signature']) headers['X-Saphan-Signature'] = answer.headers['x-saphan-signature'];
      res.writeHead(answer.status, headers);
      res.end(answer.text);
    });
  });
  await new Promise((resolve) => tap.listen(port, '127.0.0.1', resolve));
}

test('jose verifies a captured request, a forwarded request and an answer from their x5c, chained to the CA', async () => {
  // The consumer connector's request, as the harness received it.
  const request = await joseVerifyBy(honestExchange.signature, Buffer.from(honestExchange.body), JFO);
  assert.equal(request.protectedHeader.alg, 'EdDSA');
  const envelope = JSON.parse(honestExchange.body);
  assert.equal(envelope.replyKey.crv, 'X25519');
  assert.equal(envelope.replyKey.d, undefined, 'the reply key is the public half only');
  await assert.rejects(joseVerifyBy(honestExchange.signature, Buffer.from(honestExchange.body), HUB));
  // The provider's answer to it, as the harness received it.
  await joseVerifyBy(honestExchange.provided.signature, Buffer.from(honestExchange.provided.text), DOPA);
  // What the harness forged does not pass the same check.
  const forged = forgedEnvelope();
  for (const signer of [forgers.jfoSelfSigned, forgers.jfoOtherCa]) {
    await assert.rejects(joseVerifyBy(await signDetached(forged, signer), Buffer.from(forged), JFO));
  }

  // A forwarded request signed by the real hub: the hub on a port of its own, its route to DOPA
  // through the tap, and a second JFO connector pointed at it.
  const captured = [];
  await startTap(base + 17, captured);
  const hubJson = path.join(demo, 'hub', 'hub.json');
  const hubConfig = JSON.parse(fs.readFileSync(hubJson, 'utf8'));
  hubConfig.listen = `127.0.0.1:${base + 18}`;
  hubConfig.providers[DOPA] = `https://127.0.0.1:${base + 17}`;
  fs.writeFileSync(hubJson, JSON.stringify(hubConfig));
  const jfoJson = JSON.parse(fs.readFileSync(path.join(demo, 'members', 'jfo', 'connector.json'), 'utf8'));
  jfoJson.hub = `https://127.0.0.1:${base + 18}`;
  jfoJson.consumer.listen = `127.0.0.1:${base + 16}`;
  delete jfoJson.consumer.notifications;  // not what this test is about, and its port is taken
  const jfoRealHub = path.join(demo, 'members', 'jfo', 'connector-real-hub.json');
  fs.writeFileSync(jfoRealHub, JSON.stringify(jfoJson));
  await procs.start('tsa', ['tsa', 'serve', '--dir', path.join(demo, 'pki'), '--listen', `127.0.0.1:${base + 20}`],
                    /tsa listening/);
  await procs.start('hub', ['hub', '--dir', path.join(demo, 'hub')], /listening on/);
  await procs.start('jfo-real-hub', ['connector', '--config', jfoRealHub], /^connector /m);
  consentId = cli('consent', 'request', '--dir', path.join(demo, 'hub'), '--subject', subjects[0], '--consumer', JFO,
                  '--dataset', PERSON, '--purpose', PURPOSE, '--fields', 'firstNameTh,birthDate', '--days', '30');
  cli('consent', 'grant', '--dir', path.join(demo, 'hub'), '--id', consentId);
  const res = await jfoQuery(['firstNameTh', 'birthDate'], base + 16);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.record, { firstNameTh: stored.firstNameTh, birthDate: stored.birthDate });
  assert.equal(captured.length, 1);
  const [forwarded] = captured;

  // The hub's signature over the forwarded request, then the consumer's inside it.
  const byHub = await joseVerifyBy(forwarded.signature, Buffer.from(forwarded.body), HUB);
  assert.equal(byHub.protectedHeader.alg, 'EdDSA');
  await assert.rejects(joseVerifyBy(forwarded.signature, Buffer.from(forwarded.body + ' '), HUB));
  const inside = JSON.parse(forwarded.body);
  await joseVerifyBy(inside.consumerSignature, Buffer.from(inside.request), JFO);
  assert.equal(inside.grant.requestHash, sha256(inside.request));
  assert.deepEqual([...inside.grant.fields].sort(), ['birthDate', 'firstNameTh']);
  // The provider's answer to the real hub.
  await joseVerifyBy(forwarded.answer.headers['x-saphan-signature'], Buffer.from(forwarded.answer.text), DOPA);
  await assertHarnessCannotOpen(JSON.parse(forwarded.answer.text).ciphertext);
});
