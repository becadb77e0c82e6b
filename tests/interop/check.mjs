// Independent JOSE check: the `jose` package (npm, pinned in package.json) verifies a detached
// JWS and opens a JWE that Saphan made, then makes its own for Saphan to check in reverse.
// Usage: node check.mjs <directory written by `saphan_jose_vectors make`>
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CompactEncrypt, CompactSign, base64url, compactDecrypt, compactVerify, exportJWK,
  flattenedVerify, generateKeyPair, importJWK,
} from 'jose';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node check.mjs <directory>');
  process.exit(2);
}

const bytes = (name) => readFile(join(dir, name));
const text = async (name) => (await readFile(join(dir, name), 'utf8')).trimEnd();
const json = async (name) => JSON.parse(await text(name));
const decoder = new TextDecoder('utf-8', { fatal: true });

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
  console.log(`ok   ${what}`);
}

async function refuses(promise, what) {
  try {
    await promise;
  } catch {
    console.log(`ok   ${what}`);
    return;
  }
  throw new Error(`check failed: ${what} (it was accepted)`);
}

const binding = await json('binding.json');

async function verifySaphanSignature() {
  const jwk = await json('signer.pub.jwk');
  const key = await importJWK(jwk, 'EdDSA');
  const payload = await bytes('payload.json');
  const jws = await text('payload.jws');
  const [header, middle, signature] = jws.split('.');
  check(middle === '', 'Saphan JWS has a detached (empty) payload part');

  const flat = await flattenedVerify(
    { protected: header, payload: base64url.encode(payload), signature }, key,
    { algorithms: ['EdDSA'] });
  check(flat.protectedHeader.alg === 'EdDSA', 'jose flattenedVerify accepts the Saphan JWS');
  check(flat.protectedHeader.kid === jwk.kid, 'JWS kid names the signing key');
  check(flat.protectedHeader.rid === binding.rid, 'JWS carries the request id');

  const compact = await compactVerify(`${header}.${base64url.encode(payload)}.${signature}`, key,
    { algorithms: ['EdDSA'] });
  check(Buffer.from(compact.payload).equals(payload), 'jose compactVerify with the payload put back');

  await refuses(flattenedVerify(
    { protected: header, payload: base64url.encode(Buffer.concat([payload, Buffer.from(' ')])), signature },
    key, { algorithms: ['EdDSA'] }), 'jose refuses the Saphan JWS over a changed payload');
}

async function openSaphanResponse() {
  const jwk = await json('consumer.jwk');
  check(typeof jwk.d === 'string' && jwk.crv === 'X25519', 'consumer key is a private X25519 JWK');
  const key = await importJWK(jwk, 'ECDH-ES');
  const jwe = await text('response.jwe');
  const { plaintext, protectedHeader } = await compactDecrypt(jwe, key, {
    keyManagementAlgorithms: ['ECDH-ES'], contentEncryptionAlgorithms: ['A256GCM'] });
  const expected = await bytes('plaintext.json');
  check(Buffer.from(plaintext).equals(expected), 'jose compactDecrypt opens the Saphan JWE');
  check(decoder.decode(plaintext).includes('สมชาย'), 'plaintext keeps its UTF-8 (Thai) text');
  check(protectedHeader.alg === 'ECDH-ES' && protectedHeader.enc === 'A256GCM',
    'JWE uses ECDH-ES with A256GCM');
  check(protectedHeader.epk?.kty === 'OKP' && protectedHeader.epk?.crv === 'X25519' &&
    protectedHeader.epk?.d === undefined, 'epk is a public X25519 OKP key');
  check(protectedHeader.kid === jwk.kid, 'JWE kid names the consumer key');
  for (const [name, value] of Object.entries(binding)) {
    check(protectedHeader[name] === value, `JWE binds ${name} = ${value}`);
  }
  const other = await generateKeyPair('ECDH-ES', { crv: 'X25519', extractable: true });
  await refuses(compactDecrypt(jwe, other.privateKey), 'jose refuses the Saphan JWE with another key');
}

async function makeNodeSignature() {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = 'node-jose#sig-1';
  const payload = Buffer.from(JSON.stringify({ request_id: binding.rid, from: 'node jose' }));
  const attached = await new CompactSign(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid, rid: binding.rid })
    .sign(privateKey);
  const [header, , signature] = attached.split('.');
  await writeFile(join(dir, 'node_signer.pub.jwk'), JSON.stringify({ ...(await exportJWK(publicKey)), kid }));
  await writeFile(join(dir, 'node_payload.json'), payload);
  await writeFile(join(dir, 'node_payload.jws'), `${header}..${signature}`);
  console.log('ok   node jose wrote a detached JWS for Saphan');
}

async function makeNodeResponse() {
  const consumer = await json('consumer.pub.jwk');
  check(consumer.d === undefined, 'consumer public JWK carries no private key');
  const key = await importJWK(consumer, 'ECDH-ES');
  const plaintext = Buffer.from(JSON.stringify({ citizen_id: '3100600123457', name: 'มานี มีนา', from: 'node jose' }));
  const jwe = await new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', kid: consumer.kid, ...binding })
    .encrypt(key);
  await writeFile(join(dir, 'node_plaintext.json'), plaintext);
  await writeFile(join(dir, 'node_response.jwe'), jwe);
  console.log('ok   node jose wrote a JWE to the consumer key for Saphan');
}

try {
  await verifySaphanSignature();
  await openSaphanResponse();
  await makeNodeSignature();
  await makeNodeResponse();
} catch (err) {
  console.error(`FAIL ${err.message}`);
  process.exit(1);
}
