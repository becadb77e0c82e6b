// Trust end to end, with real processes on loopback: the CA is a separate service whose key is
// not on the hub's machine; the hub accepts only registered, unrevoked client certificates of
// active members; every connection checks the member at the other end; a key's validity window
// holds in a real exchange; and a revocation is in force within seconds of the CRL arriving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { processes, query, signDetached, startDemo, tlsCall } from './lib.mjs';

const saphan = process.env.SAPHAN;
const source = process.env.SAPHAN_SOURCE;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'saphan-trust-'));
const demo = path.join(work, 'demo');
const caDir = path.join(work, 'ca');  // the trust service's own folder, apart from the hub's

const JFO = 'TH/GOV/JFO/legal-aid';
const DBD = 'TH/GOV/DBD/juristic-registry';
const PERSON = 'TH/GOV/DOPA/civil-registry/person@1.0';

const procs = new processes(saphan);
const cli = (...args) => procs.cli(...args);
let base = 0;
let subject = '';
let consentId = '';
let publishCrl = () => {};

const pki = (name) => path.join(demo, 'pki', name);
const hubDir = path.join(demo, 'hub');
const jfoQuery = (port = base + 10) => query(port, PERSON, {
  subject, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId, fields: ['firstNameTh'],
}, JFO);
const hubCall = (options) => tlsCall({ port: base, ca: pki('ca.crt'), cert: pki('jfo.crt'), key: pki('jfo.key'),
                                       ...options });

// An envelope signed by `keyFile` with `certificateFile` as its x5c, straight to the hub.
function signedEnvelope(keyFile, certificateFile) {
  const reply = crypto.generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
  const envelope = {
    requestId: crypto.randomBytes(12).toString('base64url'), issuedAt: new Date().toISOString(),
    consumer: JFO, dataset: PERSON, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent',
    consentId, subject, fields: ['firstNameTh'], replyKey: { ...reply, kid: 'reply-1' },
  };
  const body = JSON.stringify(envelope);
  return { body, signature: signDetached(body, keyFile, certificateFile) };
}

function logEntries() {
  return cli('demo', 'trail', '--dir', demo, '--limit', '100000');
}

before(async () => {
  // The CA leaves the hub's machine: its key and index go to the trust service's folder; the
  // demo keeps only what verifiers need (ca.crt and the CRL).
  ({ base, subject, consentId, publishCrl } =
    await startDemo(procs, { work, source, persons: 50, connectors: ['dopa', 'dbd', 'jfo'] }));
});

after(async () => {
  await procs.stopAll();
  fs.rmSync(work, { recursive: true, force: true });
});

test('the whole exchange runs with the CA key absent from the hub machine folder', async () => {
  assert.equal(fs.existsSync(pki('ca.key')), false);
  assert.equal(fs.readdirSync(demo, { recursive: true }).some((f) => String(f).endsWith('ca.key')), false);
  const res = await jfoQuery();
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json.record), ['firstNameTh']);
});

test('a client certificate of the CA that is not registered for the member is refused', async () => {
  cli('ca', 'issue', '--dir', caDir, '--member', JFO, '--out', path.join(work, 'jfo-2'), '--days', '30');
  const options = { method: 'GET', target: '/v1/catalog', cert: path.join(work, 'jfo-2.crt'), key: path.join(work, 'jfo-2.key') };
  const refused = await hubCall(options);
  assert.equal(refused.status, 401, refused.text);
  assert.equal(refused.json.code, 'unauthenticated');
  assert.match(refused.json.detail, /not one registered/);
  assert.match(logEntries(), /access\.refused.*unauthenticated/);
  // Registered, it is accepted (a rotation registers the new certificate before using it).
  cli('admin', 'add-key', '--dir', hubDir, '--member', JFO, '--use', 'tls', '--file', path.join(work, 'jfo-2.crt'));
  const accepted = await hubCall(options);
  assert.equal(accepted.status, 200, accepted.text);
});

test("a signing key outside its registered validity window is refused in a real exchange", async () => {
  // Two new keys of the JFO, each certified by the CA, registered with windows that do not hold.
  const windows = { 'jfo-sig-old': ['2020-01-01T00:00:00Z', '2021-01-01T00:00:00Z'],
                    'jfo-sig-next': ['2099-01-01T00:00:00Z', '2100-01-01T00:00:00Z'] };
  for (const [kid, [from, to]] of Object.entries(windows)) {
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid };
    const { d, ...pub } = jwk;
    fs.writeFileSync(path.join(work, `${kid}.jwk`), JSON.stringify(jwk));
    fs.writeFileSync(path.join(work, `${kid}.pub.jwk`), JSON.stringify(pub));
    cli('ca', 'issue', '--dir', caDir, '--member', JFO, '--signing-key', path.join(work, `${kid}.pub.jwk`),
        '--out', path.join(work, kid));
    cli('admin', 'add-key', '--dir', hubDir, '--member', JFO, '--use', 'signing', '--file',
        path.join(work, `${kid}.pub.jwk`), '--not-before', from, '--not-after', to);
    const { body, signature } = signedEnvelope(path.join(work, `${kid}.jwk`), path.join(work, `${kid}.crt`));
    const res = await hubCall({ body, signature });
    assert.equal(res.status, 401, `${kid}: ${res.text}`);
    assert.equal(res.json.code, 'bad_signature');
    assert.match(res.json.detail, new RegExp(`no valid signing key '${kid}'`));
  }
  // The registered, current key still works on the same path.
  const ok = signedEnvelope(path.join(demo, 'members', 'jfo', 'keys', 'signing.jwk'),
                            path.join(demo, 'members', 'jfo', 'keys', 'signing.crt'));
  const res = await hubCall(ok);
  assert.equal(res.status, 200, res.text);
});

test('a suspended member is refused at every endpoint, and both steps are in the log', async () => {
  cli('admin', 'suspend-member', '--dir', hubDir, '--member', JFO);
  const exchange = await jfoQuery();
  assert.equal(exchange.json?.code, 'member_suspended', exchange.text);
  for (const target of ['/v1/catalog', '/v1/log/checkpoint', '/v1/log/entries?start=0&end=1', '/metrics']) {
    const res = await hubCall({ method: 'GET', target });
    assert.equal(res.status, 403, `${target}: ${res.text}`);
    assert.equal(res.json.code, 'member_suspended');
  }
  const checkpoint = await hubCall({ method: 'POST', target: '/v1/log/checkpoint' });
  assert.equal(checkpoint.json?.code, 'member_suspended');
  cli('admin', 'resume-member', '--dir', hubDir, '--member', JFO);
  const again = await jfoQuery();
  assert.equal(again.status, 200, again.text);
  const trail = logEntries();
  assert.match(trail, /member\.suspended/);
  assert.match(trail, /member\.resumed/);
  assert.match(trail, /exchange\.rejected.*member_suspended/);
  assert.match(trail, /access\.refused.*member_suspended/);
});

test('a connector accepts only the hub it is configured for on its connection to the hub', async () => {
  // A second JFO connector pointed at the DBD provider: a valid certificate of the same CA, but
  // not the hub's member.
  const config = JSON.parse(fs.readFileSync(path.join(demo, 'members', 'jfo', 'connector.json'), 'utf8'));
  config.hub = `https://127.0.0.1:${base + 2}`;
  config.consumer.listen = `127.0.0.1:${base + 17}`;  // base+15 is the JFO's notification listener
  delete config.consumer.notifications;  // the JFO's own connector listens there
  const file = path.join(demo, 'members', 'jfo', 'connector-misdirected.json');
  fs.writeFileSync(file, JSON.stringify(config));
  await procs.start('jfo-misdirected', ['connector', '--config', file], /^connector /m);
  const res = await jfoQuery(base + 17);
  assert.equal(res.json?.code, 'certificate_mismatch', res.text);
  assert.match(res.json.detail, /DBD/);
  assert.equal((procs.log('dbd').match(/"event":"provide.received"/g) || []).length, 0);
  await procs.stop('jfo-misdirected');
});

test("the hub accepts only the dataset owner's certificate on its connection to a provider", async () => {
  await procs.stop('hub');
  const hubJson = path.join(hubDir, 'hub.json');
  const original = fs.readFileSync(hubJson, 'utf8');
  const config = JSON.parse(original);
  config.providers['TH/GOV/DOPA/civil-registry'] = `https://127.0.0.1:${base + 2}`;  // DBD's connector
  fs.writeFileSync(hubJson, JSON.stringify(config));
  try {
    await procs.start('hub', ['hub', '--dir', hubDir], /listening on/);
    const res = await jfoQuery();
    assert.equal(res.json?.code, 'certificate_mismatch', res.text);
    assert.equal((procs.log('dbd').match(/"event":"provide.received"/g) || []).length, 0);
  } finally {
    await procs.stop('hub');
    fs.writeFileSync(hubJson, original);
    await procs.start('hub', ['hub', '--dir', hubDir], /listening on/);
  }
  const ok = await jfoQuery();
  assert.equal(ok.status, 200, ok.text);
});

test('a revoked member is refused within 5 s of the CRL arriving, its TLS and signing certificates both', async () => {
  assert.equal((await jfoQuery()).status, 200);
  cli('ca', 'revoke', '--dir', caDir, '--member', JFO);
  publishCrl();
  const started = Date.now();
  let res = null;
  while (Date.now() - started < 10000) {
    res = await jfoQuery();
    if (res.json?.code === 'certificate_revoked') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const elapsed = Date.now() - started;
  console.log(`revocation in force after ${elapsed} ms`);
  assert.equal(res.json?.code, 'certificate_revoked', res.text);
  assert.ok(elapsed < 5000, `refused after ${elapsed} ms`);
  // The JFO's signing certificate is revoked too: with a TLS certificate still good, its
  // signature is refused.
  cli('ca', 'issue', '--dir', caDir, '--member', JFO, '--out', path.join(work, 'jfo-3'), '--days', '30');
  cli('admin', 'add-key', '--dir', hubDir, '--member', JFO, '--use', 'tls', '--file', path.join(work, 'jfo-3.crt'));
  const signed = signedEnvelope(path.join(demo, 'members', 'jfo', 'keys', 'signing.jwk'),
                                path.join(demo, 'members', 'jfo', 'keys', 'signing.crt'));
  const direct = await hubCall({ ...signed, cert: path.join(work, 'jfo-3.crt'), key: path.join(work, 'jfo-3.key') });
  assert.equal(direct.json?.code, 'certificate_revoked', direct.text);
});
