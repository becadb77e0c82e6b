// The demo OpenID provider (tools/oidc-demo) as any relying party sees it: a person signs in
// through its page in Chromium, the relying party (here, a few lines of this test) swaps the
// code for tokens with PKCE and its client secret, and checks the ID token with the provider's
// JWKS using npm jose. Also: a wrong password is refused on the page, PKCE is required, a
// wrong verifier gets no token, and the pages load nothing from outside.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { importJWK, jwtVerify } from 'jose';

import { freePort, launchBrowser, waitForLine } from './lib.mjs';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'saphan-oidc-'));
const clientSecret = crypto.randomBytes(32).toString('base64url');
let op;
let issuer;
let rp;
let rpUrl;
let browser;
const callbacks = [];  // the query strings the relying party received

function makeCertificate() {
  const ca = path.join(work, 'ca');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '1', '-subj', '/CN=test CA'],
  { stdio: 'ignore' });
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', path.join(work, 'web.key'), '-out', path.join(work, 'web.csr'),
    '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  fs.writeFileSync(path.join(work, 'ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  execFileSync('openssl', ['x509', '-req', '-in', path.join(work, 'web.csr'), '-CA', `${ca}.crt`,
    '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', path.join(work, 'web.crt'), '-days', '1',
    '-extfile', path.join(work, 'ext')], { stdio: 'ignore' });
  return fs.readFileSync(`${ca}.crt`);
}

function base64url(bytes) {
  return Buffer.from(bytes).toString('base64url');
}

// A POST to the token endpoint with the client's secret (client_secret_basic).
function tokenRequest(endpoint, form, caPem) {
  const body = new URLSearchParams(form).toString();
  const basic = Buffer.from(`${encodeURIComponent('test-console')}:${encodeURIComponent(clientSecret)}`)
    .toString('base64');
  return new Promise((resolve, reject) => {
    const req = https.request(endpoint, {
      method: 'POST', ca: caPem,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${basic}` },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function getJson(url, caPem) {
  return new Promise((resolve, reject) => {
    https.get(url, { ca: caPem }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve(JSON.parse(text)));
    }).on('error', reject);
  });
}

let caPem;
before(async () => {
  caPem = makeCertificate();
  const rpPort = await freePort();
  rpUrl = `https://127.0.0.1:${rpPort}`;
  rp = https.createServer({
    cert: fs.readFileSync(path.join(work, 'web.crt')),
    key: fs.readFileSync(path.join(work, 'web.key')),
  }, (req, res) => {
    const url = new URL(req.url, rpUrl);
    if (url.pathname === '/auth/callback') callbacks.push(url.searchParams);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('callback received');
  });
  await new Promise((resolve) => rp.listen(rpPort, '127.0.0.1', resolve));

  const dir = path.join(work, 'oidc');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'clients.json'), JSON.stringify({
    clients: [{ client_id: 'test-console', client_secret: clientSecret,
      redirect_uris: [`${rpUrl}/auth/callback`], post_logout_redirect_uris: [`${rpUrl}/`] }],
  }));
  fs.writeFileSync(path.join(dir, 'users.json'), JSON.stringify({
    users: [
      { login: 'somchai', password: 'demo-citizen', sub: 'citizen-1', name: 'สมชาย ใจดี',
        citizen_id: '1101700230708' },
      { login: 'auditor1', password: 'demo-auditor', sub: 'auditor-1', name: 'Auditor One',
        roles: ['auditor'] },
    ],
  }));
  const port = await freePort();
  op = spawn('node', [path.join(repo, 'tools/oidc-demo/server.mjs'), '--dir', dir, '--port',
    String(port), '--cert', path.join(work, 'web.crt'), '--key', path.join(work, 'web.key')],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  issuer = (await waitForLine(op, /oidc ready (\S+)/, 15000))[1];
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  op?.kill('SIGTERM');
  rp?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

// Starts an authorization request in a fresh browser context and signs in on the provider's
// page; returns the page and the PKCE verifier, state and nonce used.
async function signIn(login, password, { pkce = true } = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(issuer) && !r.url().startsWith(rpUrl)) outside.push(r.url()); });
  const verifier = base64url(crypto.randomBytes(32));
  const state = base64url(crypto.randomBytes(16));
  const nonce = base64url(crypto.randomBytes(16));
  const discovery = await getJson(`${issuer}/.well-known/openid-configuration`, caPem);
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: 'test-console', response_type: 'code', scope: 'openid profile saphan',
    redirect_uri: `${rpUrl}/auth/callback`, state, nonce,
    ...(pkce ? { code_challenge: base64url(crypto.createHash('sha256').update(verifier).digest()),
      code_challenge_method: 'S256' } : {}),
  }).toString();
  await page.goto(url.toString());
  if (await page.getByLabel(/Sign-in name/).count() > 0) {
    await page.getByLabel(/Sign-in name/).fill(login);
    await page.getByLabel(/Password/).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState('load');
  }
  return { context, page, verifier, state, nonce, discovery, outside };
}

test('a citizen signs in, and the ID token verifies with the JWKS and carries the citizen id', async () => {
  const before = callbacks.length;
  const { context, page, verifier, state, nonce, discovery, outside } =
    await signIn('somchai', 'demo-citizen');
  assert.match(page.url(), /\/auth\/callback\?/);
  assert.equal(callbacks.length, before + 1);
  const params = callbacks.at(-1);
  assert.equal(params.get('state'), state);
  const tokens = await tokenRequest(discovery.token_endpoint, {
    grant_type: 'authorization_code', code: params.get('code'),
    redirect_uri: `${rpUrl}/auth/callback`, code_verifier: verifier,
  }, caPem);
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  const keys = await getJson(discovery.jwks_uri, caPem);
  const { payload, protectedHeader } = await jwtVerify(tokens.body.id_token,
    (header) => importJWK(keys.keys.find((k) => k.kid === header.kid), header.alg),
    { issuer, audience: 'test-console' });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(payload.nonce, nonce);
  assert.equal(payload.sub, 'citizen-1');
  assert.equal(payload.citizen_id, '1101700230708');
  assert.equal(payload.name, 'สมชาย ใจดี');
  assert.ok(payload.exp > Date.now() / 1000);
  assert.deepEqual(outside, []);
  // The code is spent: a second exchange of it is refused.
  const again = await tokenRequest(discovery.token_endpoint, {
    grant_type: 'authorization_code', code: params.get('code'),
    redirect_uri: `${rpUrl}/auth/callback`, code_verifier: verifier,
  }, caPem);
  assert.equal(again.status, 400);
  assert.equal(again.body.error, 'invalid_grant');
  await context.close();
});

test('an auditor\'s ID token carries the auditor role', async () => {
  const { context, verifier, discovery } = await signIn('auditor1', 'demo-auditor');
  const params = callbacks.at(-1);
  const tokens = await tokenRequest(discovery.token_endpoint, {
    grant_type: 'authorization_code', code: params.get('code'),
    redirect_uri: `${rpUrl}/auth/callback`, code_verifier: verifier,
  }, caPem);
  assert.equal(tokens.status, 200);
  const claims = JSON.parse(Buffer.from(tokens.body.id_token.split('.')[1], 'base64url'));
  assert.deepEqual(claims.saphan_roles, ['auditor']);
  assert.equal(claims.citizen_id, undefined);
  await context.close();
});

test('a wrong password is refused on the page and no code is issued', async () => {
  const before = callbacks.length;
  const { context, page } = await signIn('somchai', 'not-the-password');
  assert.equal(callbacks.length, before);
  await assert.doesNotReject(page.getByRole('alert').waitFor());
  assert.match(await page.getByRole('alert').textContent(), /Wrong sign-in name or password/);
  await page.screenshot({ path: path.join(process.env.SCREENSHOT_DIR ?? work, 'oidc-login-wrong.png') });
  await context.close();
});

test('a wrong PKCE verifier gets no token, and a request without PKCE is refused', async () => {
  const { context, discovery } = await signIn('somchai', 'demo-citizen');
  const params = callbacks.at(-1);
  const tokens = await tokenRequest(discovery.token_endpoint, {
    grant_type: 'authorization_code', code: params.get('code'),
    redirect_uri: `${rpUrl}/auth/callback`, code_verifier: base64url(crypto.randomBytes(32)),
  }, caPem);
  assert.equal(tokens.status, 400);
  assert.equal(tokens.body.error, 'invalid_grant');
  await context.close();

  const before = callbacks.length;
  const without = await signIn('somchai', 'demo-citizen', { pkce: false });
  // The provider sends the error back to the relying party, not a code.
  assert.equal(callbacks.length, before + 1);
  assert.equal(callbacks.at(-1).get('code'), null);
  assert.equal(callbacks.at(-1).get('error'), 'invalid_request');
  await without.context.close();
});
