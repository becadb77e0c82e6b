// Rotation without downtime, with real processes on loopback: while consented exchanges run
// without pause, the consumer's (JFO), the provider's (DOPA) and the hub's signing and TLS
// certificates are replaced in turn (new key, certified by the CA, registered at the hub, put in
// place, SIGHUP) and the old ones revoked. No exchange may fail, and afterwards every old
// certificate is refused by whoever checks it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { processes, putInPlace, query, signDetached, startDemo, tlsCall } from './lib.mjs';

const saphan = process.env.SAPHAN;
const source = process.env.SAPHAN_SOURCE;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'saphan-rotation-'));
const demo = path.join(work, 'demo');
const caDir = path.join(work, 'ca');  // the trust service's folder, apart from the hub's
const oldDir = path.join(work, 'old');  // copies of the certificates and keys that were replaced

const HUB = 'TH/GOV/SAPHAN/hub';
const JFO = 'TH/GOV/JFO/legal-aid';
const DOPA = 'TH/GOV/DOPA/civil-registry';
const PERSON = 'TH/GOV/DOPA/civil-registry/person@1.0';

const procs = new processes(saphan);
const cli = (...args) => procs.cli(...args);
let base = 0;
let subject = '';
let consentId = '';
let publishCrl = () => {};

const pki = (name) => path.join(demo, 'pki', name);
const hubDir = path.join(demo, 'hub');

// Where each party's credentials live, as its config names them.
const parties = {
  jfo: { member: JFO, proc: 'jfo', tls: 'jfo', signing: path.join(demo, 'members', 'jfo', 'keys', 'signing') },
  dopa: { member: DOPA, proc: 'dopa', tls: 'dopa', signing: path.join(demo, 'members', 'dopa', 'keys', 'signing') },
  hub: { member: HUB, proc: 'hub', tls: 'hub', signing: path.join(hubDir, 'keys', 'hub-signing') },
};

const serialOf = (pemFile) => new crypto.X509Certificate(fs.readFileSync(pemFile)).serialNumber.toUpperCase();

// An exchange envelope of `consumer` signed by `keyFile` with `certificateFile` as its x5c.
function signedEnvelope(consumer, keyFile, certificateFile) {
  const reply = crypto.generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
  const body = JSON.stringify({
    requestId: crypto.randomBytes(12).toString('base64url'), issuedAt: new Date().toISOString(),
    consumer, dataset: PERSON, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent',
    consentId, subject, fields: ['firstNameTh'], replyKey: { ...reply, kid: 'reply-1' },
  });
  return { body, signature: signDetached(body, keyFile, certificateFile) };
}

// Consented exchanges, two at a time, until stopped; every answer is kept.
function steadyLoad() {
  const outcomes = [];
  let running = true;
  const worker = async () => {
    while (running) {
      const res = await query(base + 10, PERSON, {
        subject, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId, fields: ['firstNameTh'],
      }, JFO).catch((e) => ({ status: 0, text: String(e) }));
      outcomes.push({ status: res.status, text: res.text, at: Date.now() });
      await new Promise((r) => setTimeout(r, 20));  // well inside the policy's rate limit
    }
  };
  const workers = [worker(), worker()];
  return {
    outcomes,
    async stop() { running = false; await Promise.all(workers); return outcomes; },
  };
}

function reloads(name) {
  return (procs.log(name).match(/"event":"credentials\.reloaded","part":"signer"/g) ?? []).length;
}

async function until(what, condition, ms = 10000) {
  const give_up = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > give_up) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The whole rotation of one party, as its operator and the CA's would do it.
async function rotate(name) {
  const party = parties[name];
  const next = path.join(work, `${name}-2`);
  fs.mkdirSync(path.join(oldDir, name), { recursive: true });
  const kept = (f) => path.join(oldDir, name, f);
  // 1. A new signing key, certified by the CA; a new TLS key and certificate.
  cli('keygen', '--out', `${next}-sig`, '--kid', `${name}-sig-2`);
  cli('ca', 'issue', '--dir', caDir, '--member', party.member, '--out', `${next}-sig`,
      '--signing-key', `${next}-sig.pub.jwk`, '--days', '30');
  cli('ca', 'issue', '--dir', caDir, '--member', party.member, '--out', `${next}-tls`, '--days', '30');
  // 2. The hub registers the member's new key and certificate before they are used (the hub's
  //    own are checked by the members against the CA alone).
  if (name !== 'hub') {
    cli('admin', 'add-key', '--dir', hubDir, '--member', party.member, '--use', 'signing', '--file', `${next}-sig.pub.jwk`);
    cli('admin', 'add-key', '--dir', hubDir, '--member', party.member, '--use', 'tls', '--file', `${next}-tls.crt`);
  }
  // 3. The old files are kept aside (to show they are refused later), the new ones put in place.
  const tlsCrt = pki(`${party.tls}.crt`);
  const tlsKey = pki(`${party.tls}.key`);
  for (const [from, to] of [[tlsCrt, 'tls.crt'], [tlsKey, 'tls.key'], [`${party.signing}.crt`, 'signing.crt'],
                            [`${party.signing}.jwk`, 'signing.jwk']]) fs.copyFileSync(from, kept(to));
  const oldSerials = [serialOf(tlsCrt), serialOf(`${party.signing}.crt`)];
  putInPlace(`${next}-sig.jwk`, `${party.signing}.jwk`);
  putInPlace(`${next}-sig.crt`, `${party.signing}.crt`);
  putInPlace(`${next}-tls.key`, tlsKey);
  putInPlace(`${next}-tls.crt`, tlsCrt);
  // 4. SIGHUP: the process reloads them; connections in flight finish with the old ones.
  const before = reloads(party.proc);
  procs.children.get(party.proc).proc.kill('SIGHUP');
  await until(`${name} to reload`, () => reloads(party.proc) > before);
  assert.doesNotMatch(procs.log(party.proc), /credentials\.reload_failed/);
  await sleep(500);  // exchanges that began before the reload end meanwhile
  // 5. The CA revokes the old certificates; the CRL reaches every party within its reload.
  cli('ca', 'revoke', '--dir', caDir, ...oldSerials.flatMap((s) => ['--serial', s]));
  publishCrl();
  await sleep(2500);
  return kept;
}

before(async () => {
  ({ base, subject, consentId, publishCrl } = await startDemo(procs, { work, source }));
});

after(async () => {
  await procs.stopAll();
  fs.rmSync(work, { recursive: true, force: true });
});

test('consumer, provider and hub rotate their certificates under load: no exchange fails, the old ones are refused', async (t) => {
  const load = steadyLoad();
  await sleep(1000);
  const old = {};
  for (const name of ['jfo', 'dopa', 'hub']) old[name] = await rotate(name);
  await sleep(1000);
  const outcomes = await load.stop();

  const failed = outcomes.filter((o) => o.status !== 200);
  t.diagnostic(`${outcomes.length} exchanges during the rotations, ${failed.length} failed`);
  assert.deepEqual(failed, [], `${failed.length} of ${outcomes.length} exchanges failed`);
  assert.ok(outcomes.length >= 100, `only ${outcomes.length} exchanges ran`);
  for (const name of ['jfo', 'dopa', 'hub']) {
    assert.equal(reloads(parties[name].proc), 1, `${name} reloaded its signer once`);
  }

  const hubCall = (options) => tlsCall({ port: base, ca: pki('ca.crt'), ...options });
  // The JFO's and DOPA's old TLS certificates: the hub refuses them at once.
  for (const name of ['jfo', 'dopa']) {
    const refused = await hubCall({ method: 'GET', target: '/v1/catalog', cert: old[name]('tls.crt'), key: old[name]('tls.key') });
    assert.equal(refused.json?.code, 'certificate_revoked', `${name}: ${refused.text}`);
  }
  // Their old signing certificates: an envelope signed with one is refused, over a valid connection.
  for (const [name, member] of [['jfo', JFO], ['dopa', DOPA]]) {
    const { body, signature } = signedEnvelope(member, old[name]('signing.jwk'), old[name]('signing.crt'));
    const refused = await hubCall({ body, signature, cert: pki(`${name}.crt`), key: pki(`${name}.key`) });
    assert.equal(refused.json?.code, 'certificate_revoked', `${name}: ${refused.text}`);
  }
  // The hub's old TLS certificate and its old signing certificate: the provider refuses both.
  const providerCall = (options) => tlsCall({ port: base + 1, ca: pki('ca.crt'), target: '/v1/provide', ...options });
  const oldTls = await providerCall({ body: '{}', cert: old.hub('tls.crt'), key: old.hub('tls.key') });
  assert.equal(oldTls.json?.code, 'certificate_revoked', oldTls.text);
  const oldSigning = await providerCall({ body: '{}', signature: signDetached('{}', old.hub('signing.jwk'), old.hub('signing.crt')),
                                          cert: pki('hub.crt'), key: pki('hub.key') });
  assert.equal(oldSigning.json?.code, 'certificate_revoked', oldSigning.text);
  // And the new ones carry on: one more exchange after everything.
  const last = await query(base + 10, PERSON, {
    subject, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId, fields: ['firstNameTh'],
  }, JFO);
  assert.equal(last.status, 200, last.text);
});

test('a reload whose files do not match keeps the credentials in use, and says so', async () => {
  // A key replaced without its certificate (a deployment caught half way).
  const signing = parties.jfo.signing;
  fs.copyFileSync(`${signing}.jwk`, path.join(work, 'jfo-keep.jwk'));
  cli('keygen', '--out', path.join(work, 'stray'), '--kid', 'stray-1');
  putInPlace(path.join(work, 'stray.jwk'), `${signing}.jwk`);
  procs.children.get('jfo').proc.kill('SIGHUP');
  await until('the refused reload', () => /credentials\.reload_failed.*"part":"signer"/.test(procs.log('jfo')));
  const res = await query(base + 10, PERSON, {
    subject, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId, fields: ['firstNameTh'],
  }, JFO);
  assert.equal(res.status, 200, res.text);
  putInPlace(path.join(work, 'jfo-keep.jwk'), `${signing}.jwk`);
});
