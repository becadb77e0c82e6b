// The auditor console and the citizen portal as people use them, in Chromium: a real hub, TSA
// and connectors (tests/integration/lib.mjs), the demo OpenID provider (tools/oidc-demo) and two
// `saphan console` processes. Each page is saved as a screenshot under SCREENSHOT_DIR.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { compactVerify, decodeProtectedHeader, importX509 } from 'jose';

import { consumerAuthorization, processes, query, startDemo } from '../integration/lib.mjs';
import { launchBrowser, waitForLine } from './lib.mjs';

const saphan = process.env.SAPHAN;
const source = process.env.SAPHAN_SOURCE;
const shots = process.env.SCREENSHOT_DIR ?? os.tmpdir();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'saphan-console-'));
const JFO = 'TH/GOV/JFO/legal-aid';
const PERSON = 'TH/GOV/DOPA/civil-registry/person@1.0';
const XSS = '<script>window.pwned=1</script><img src=x onerror=window.pwned=2>';
const PURPOSE = 'legal-aid-eligibility';

const procs = new processes(saphan);
let demo;
let users;
let browser;
let auditorUrl;
let portalUrl;
const extra = [];  // node processes (the OpenID provider)
let webhook;  // the agency's system: takes the JFO connector's notifications
const notes = [];

function startNode(args, pattern) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  extra.push(child);
  return waitForLine(child, pattern, 60000);  // oidc-provider loads slowly on a busy machine
}

async function signIn(context, url, user) {
  const page = await context.newPage();
  page.on('pageerror', (e) => { page.errors = [...(page.errors ?? []), e.message]; });
  await page.goto(`${url}/`);
  await page.click('a.button');
  await page.fill('input[name=login]', user.login);
  await page.fill('input[name=password]', user.password);
  await page.click('button:has-text("Sign in")');
  await page.waitForURL(`${url}/**`);
  return page;
}

const shot = (page, name) => page.screenshot({ path: path.join(shots, `console-${name}.png`), fullPage: true });

// Waits (at most `ms`) for the agency's webhook to have taken a notification matching `match`.
async function notified(match, ms = 20000) {
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    const found = notes.find(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no notification matched within ${ms} ms; got ${JSON.stringify(notes)}`);
}

// The JFO's own connector API, as the agency's system calls it.
async function connectorCall(method, target, body) {
  const res = await fetch(`http://127.0.0.1:${demo.base + 10}${target}`, {
    method, body: body && JSON.stringify(body), signal: AbortSignal.timeout(15000),
    headers: { 'Content-Type': 'application/json', 'X-Road-Client': JFO, ...consumerAuthorization(JFO) },
  });
  const text = await res.text();
  return { status: res.status, text, json: text.startsWith('{') ? JSON.parse(text) : null };
}

// A receipt's payload once its signature checks with the key of its x5c certificate, and that
// certificate was issued by the demo CA to the hub (the certificate decides, not the header).
async function verifyReceipt(jws) {
  const header = decodeProtectedHeader(jws);
  assert.equal(header.typ, 'saphan-consent-receipt+json');
  assert.equal(header.alg, 'EdDSA');
  const ca = new crypto.X509Certificate(fs.readFileSync(demo.pki('ca.crt')));
  const cert = new crypto.X509Certificate(Buffer.from(header.x5c[0], 'base64'));
  assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), 'x5c chains to the demo CA');
  assert.match(`${cert.subject}\n${cert.subjectAltName ?? ''}`, /SAPHAN/);
  const { payload } = await compactVerify(jws, await importX509(cert.toString(), 'EdDSA'));
  return JSON.parse(new TextDecoder().decode(payload));
}

before(async () => {
  webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => { notes.push(JSON.parse(body)); res.writeHead(204).end(); });
  });
  await new Promise((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  demo = await startDemo(procs, { work, source, persons: 20, connectors: ['dopa'] });
  // The JFO's connector passes the hub's notifications on to the agency's webhook.
  const jfoConfig = path.join(demo.demo, 'members', 'jfo', 'connector.json');
  const config = JSON.parse(fs.readFileSync(jfoConfig, 'utf8'));
  config.consumer.notifications.webhook = `http://127.0.0.1:${webhook.address().port}/agency/consents`;
  fs.writeFileSync(jfoConfig, JSON.stringify(config, null, 2));
  await procs.start('jfo', ['connector', '--config', jfoConfig], /^connector .* notifications https:/m);
  users = JSON.parse(fs.readFileSync(path.join(demo.demo, 'oidc', 'users.json'), 'utf8')).users;
  // The demo's own subject (demo.env; the first citizen who can sign in), with a consent.
  demo.subject = fs.readFileSync(path.join(demo.demo, 'demo.env'), 'utf8').match(/SAPHAN_DEMO_SUBJECT=(\d+)/)[1];
  demo.consentId = procs.cli('consent', 'request', '--dir', demo.hubDir, '--subject', demo.subject, '--consumer', JFO,
    '--dataset', PERSON, '--purpose', PURPOSE, '--fields', 'firstNameTh', '--days', '30');
  procs.cli('consent', 'grant', '--dir', demo.hubDir, '--id', demo.consentId);
  await startNode([path.join(source, 'tools/oidc-demo/server.mjs'), '--dir', path.join(demo.demo, 'oidc'),
    '--port', String(demo.base + 14), '--cert', demo.pki('web.crt'), '--key', demo.pki('web.key')], /oidc ready/);
  await procs.start('auditor', ['console', '--config', path.join(demo.demo, 'console', 'auditor.json')], /^console /m);
  await procs.start('portal', ['console', '--config', path.join(demo.demo, 'console', 'portal.json')], /^console /m);
  auditorUrl = `https://127.0.0.1:${demo.base + 12}`;
  portalUrl = `https://127.0.0.1:${demo.base + 13}`;
  // Exchanges for the demo subject: one served, one denied with hostile text in its legal
  // instrument (the log keeps what the agency sent; the pages must show it as text).
  const ok = await query(demo.base + 10, PERSON, { subject: demo.subject, purpose: PURPOSE,
    lawfulBasis: 'consent', consentId: demo.consentId, fields: ['firstNameTh'] }, JFO);
  assert.equal(ok.status, 200, ok.text);
  const denied = await query(demo.base + 10, PERSON, { subject: demo.subject, purpose: PURPOSE,
    lawfulBasis: 'legal_obligation', legalInstrument: XSS, fields: ['firstNameTh'] }, JFO);
  assert.equal(denied.status, 403, denied.text);
  await new Promise((r) => setTimeout(r, 2500));  // a signed tree head covering them
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const child of extra) child.kill('SIGTERM');
  await procs.stopAll();
  await new Promise((resolve) => webhook?.close(resolve));
  fs.rmSync(work, { recursive: true, force: true });
});

const auditor = () => users.find((u) => u.login === 'auditor1');
const citizen = (n) => users.find((u) => u.login === `citizen${n}`);

test('demo sign-ins: two auditors and three citizens, the first the demo subject', () => {
  assert.equal(users.filter((u) => u.roles?.includes('auditor')).length, 2);
  assert.equal(users.filter((u) => u.citizen_id).length, 3);
  assert.equal(citizen(1).citizen_id, demo.subject);
});

test('an auditor signs in; the overview draws its chart; the session cookie has its flags', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await signIn(context, auditorUrl, auditor());
  await page.waitForSelector('#chart[data-drawn="4"]');
  assert.match(await page.textContent('h1'), /Overview/);
  assert.match(await page.textContent('#head-size'), /^\d+$/);
  // The TSA backlog: the demo's TSA answers, so no head waits long.
  assert.match(await page.textContent('#tsa-oldest-waiting'), /^\d+$/);
  await shot(page, 'auditor-overview');
  const [cookie] = (await context.cookies()).filter((c) => c.name === 'saphan_session');
  assert.ok(cookie);
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.secure, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/');
  const res = await page.request.get(`${auditorUrl}/`);
  const csp = res.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(res.headers()['x-content-type-options'], 'nosniff');
  assert.equal(res.headers()['referrer-policy'], 'same-origin');
  assert.match(res.headers()['strict-transport-security'], /max-age=/);
  // Thai, by the language switch.
  await page.click('a[lang=th]');
  assert.match(await page.textContent('h1'), /ภาพรวม/);
  await shot(page, 'auditor-overview-th');
  await page.click('a[lang=en]');
  await context.close();
});

test('search by citizen, open an entry: the proof is verified in the browser; hostile text shows as text', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await signIn(context, auditorUrl, auditor());
  await page.goto(`${auditorUrl}/search`);
  await page.fill('#f-subject', demo.subject);
  await page.fill('#f-kind', 'exchange.decision');
  await page.click('form.search button');
  await page.waitForSelector('#results');
  await shot(page, 'auditor-search');
  const rows = await page.$$('#results tbody tr');
  assert.ok(rows.length >= 2, `${rows.length} decisions`);
  // The denied one, with the legal instrument as sent.
  await page.click('#results tbody tr:has-text("lawful_basis_not_allowed") a');
  await page.waitForSelector('#verify[data-result]');
  assert.equal(await page.getAttribute('#verify', 'data-result'), 'verified', await page.textContent('#verify'));
  assert.ok((await page.textContent('main')).includes(XSS));
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.equal(await page.$$eval('main img', (imgs) => imgs.length), 0);
  assert.deepEqual(page.errors ?? [], []);
  await shot(page, 'auditor-entry');
  // The allowed one links its outcome, which has the timings.
  await page.goBack();
  await page.click('#results tbody tr:has(td:text-is("allow")) a');
  await page.click('#outcome-link');
  await page.waitForSelector('#verify[data-result="verified"]');
  assert.match(await page.textContent('main'), /Total \(ms\)/);
  await shot(page, 'auditor-outcome');
  await context.close();
});

test('a tampered proof is shown as failed', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await signIn(context, auditorUrl, auditor());
  // A test double between the page and the console: the proof's first hash has a flipped bit.
  await page.route('**/api/proof?*', async (route) => {
    const res = await route.fetch();
    const proof = await res.json();
    const leaf = Buffer.from(proof.leafHash, 'base64url');
    leaf[0] ^= 1;
    proof.leafHash = leaf.toString('base64url');
    await route.fulfill({ response: res, json: proof });
  });
  await page.goto(`${auditorUrl}/entry/1`);
  await page.waitForSelector('#verify[data-result]');
  assert.equal(await page.getAttribute('#verify', 'data-result'), 'failed');
  assert.match(await page.textContent('#verify-status'), /FAILED/);
  await shot(page, 'auditor-entry-tampered');
  await context.close();
});

test('a POST without the CSRF token is refused; sign-out ends the session', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await signIn(context, auditorUrl, auditor());
  const refused = await page.request.post(`${auditorUrl}/export`, { form: { nothing: '1' } });
  assert.equal(refused.status(), 403);
  assert.match(await refused.text(), /csrf_rejected/);
  const wrong = await page.request.post(`${auditorUrl}/logout`, { form: { csrf: 'not-the-token' } });
  assert.equal(wrong.status(), 403);
  // The export, with progress, through the page's own form (which carries the token).
  await page.goto(`${auditorUrl}/export`);
  await page.click('main form button');
  await page.waitForSelector('#export[data-result]');
  assert.equal(await page.getAttribute('#export', 'data-result'), 'ready', await page.textContent('#export'));
  await shot(page, 'auditor-export');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-link')]);
  const file = path.join(work, 'export.jsonl');
  await download.saveAs(file);
  const header = JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]);
  assert.equal(header.format, 'saphan-evidence-export/1');
  procs.cli('audit', 'verify', file, '--log-key', path.join(demo.hubDir, 'keys', 'log-signing.pub.jwk'));
  // Sign out: the old cookie no longer opens a page.
  const [cookie] = (await context.cookies()).filter((c) => c.name === 'saphan_session');
  await page.goto(`${auditorUrl}/`);
  await page.click('header form button');
  // The provider asks before it ends its own session, then sends the browser back here.
  await page.waitForSelector('button[name=logout]');
  await shot(page, 'auditor-signout-provider');
  await page.click('button[name=logout]');
  await page.waitForURL(`${auditorUrl}/**`);
  assert.match(await page.textContent('main'), /Sign in/);
  const replay = await browser.newContext({ ignoreHTTPSErrors: true });
  await replay.addCookies([cookie]);
  const again = await replay.request.get(`${auditorUrl}/search`);
  assert.equal(again.status(), 401);
  await replay.close();
  await context.close();
});

test('a citizen sees exactly their own accesses; another citizen ID is refused', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await signIn(context, portalUrl, citizen(1));
  await page.waitForSelector('#accesses');
  const shown = await page.$$eval('#accesses tbody tr', (rows) => rows.length);
  const expected = procs.cli('audit', 'search', '--hub-dir', demo.hubDir, '--subject', demo.subject,
    '--kind', 'exchange.decision').split('\n').filter(Boolean).length;
  assert.equal(shown, expected);
  await shot(page, 'portal-accesses');
  const other = citizen(2).citizen_id;
  for (const url of [`/citizen/${other}/accesses`, `/accesses?citizen=${other}`]) {
    const res = await page.goto(`${portalUrl}${url}`);
    assert.equal(res.status(), 403, url);
  }
  await shot(page, 'portal-refused');
  await page.goto(`${portalUrl}/consents`);
  await shot(page, 'portal-consents');
  await context.close();
});

test('the agency asks, the citizen approves in the portal and withdraws in one step; the agency is told each time; receipts verify', async () => {
  const reason = 'ตรวจสอบสิทธิ์ความช่วยเหลือทางกฎหมาย / legal aid eligibility <b>check</b>';
  const asked = await connectorCall('POST', '/consents', {
    subject: demo.subject, datasets: [PERSON], purpose: PURPOSE, fields: ['firstNameTh'], maxUses: 3, reason,
    validUntil: new Date(Date.now() + 30 * 86400e3).toISOString() });
  assert.equal(asked.status, 201, asked.text);
  const id = asked.json.consentId;
  const ask = (extra = {}) => query(demo.base + 10, PERSON, { subject: demo.subject, purpose: PURPOSE,
    lawfulBasis: 'consent', consentId: id, fields: ['firstNameTh'], ...extra }, JFO);
  assert.equal((await ask()).status, 403);  // not yet given

  const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true });
  const page = await signIn(context, portalUrl, citizen(1));
  await page.goto(`${portalUrl}/consents`);
  const pending = page.locator(`#pending article[data-consent="${id}"]`);
  assert.ok((await pending.textContent()).includes(reason), 'the reason, as text');
  await shot(page, 'portal-consent-pending');
  await pending.getByLabel('my citizen ID').check();  // this receipt names the citizen
  await pending.locator('button[value=approve]').click();
  await page.waitForSelector('#receipt', { state: 'attached' });  // folded in a <details>
  const statusOf = () => page.textContent(`article[data-consent="${id}"] .status`);
  assert.equal(await statusOf(), 'active');
  await shot(page, 'portal-consent-approved');
  const granted = await verifyReceipt((await page.textContent('#receipt')).trim());
  assert.equal(granted.event, 'granted');
  assert.equal(granted.consentId, id);
  assert.equal(granted.piiPrincipalId, demo.subject);
  assert.equal(granted.piiPrincipalIdType, 'citizen-id');
  assert.equal(granted.piiController, JFO);
  assert.deepEqual(granted.piiCategories, ['firstNameTh']);
  assert.equal(granted.maxUses, 3);
  const grantNote = await notified((n) => n.consentId === id && n.event === 'granted');
  assert.equal(grantNote.logIndex, granted.logIndex);
  const served = await ask();
  assert.equal(served.status, 200, served.text);
  assert.ok(served.json.record.firstNameTh);
  assert.equal((await connectorCall('GET', `/consents/${id}`)).json.status, 'active');

  // Withdrawal: one button on the active consent, no second question.
  await page.goto(`${portalUrl}/consents`);
  const active = page.locator(`#active article[data-consent="${id}"]`);
  assert.match(await active.textContent(), /Used\s*1/);
  await shot(page, 'portal-consent-active');
  await active.locator('button[value=withdraw]').click();
  await page.waitForSelector('#receipt', { state: 'attached' });  // folded in a <details>
  assert.equal(await statusOf(), 'withdrawn');
  await shot(page, 'portal-consent-withdrawn');
  const revoked = await verifyReceipt((await page.textContent('#receipt')).trim());
  assert.equal(revoked.event, 'revoked');
  assert.equal(revoked.piiPrincipalIdType, 'pseudonym');
  assert.notEqual(revoked.piiPrincipalId, demo.subject);
  await notified((n) => n.consentId === id && n.event === 'revoked');
  const refused = await ask();
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.json.code, 'consent_revoked');

  // History, the receipts page and each receipt as a file.
  await page.goto(`${portalUrl}/consents`);
  await page.click(`#history article[data-consent="${id}"] a[href$="/receipts"]`);
  await page.waitForSelector('#receipts');
  await shot(page, 'portal-receipts');
  const links = page.locator('#receipts a[download]');
  assert.equal(await links.count(), 2);
  const files = [];
  for (let i = 0; i < 2; ++i) {
    const [download] = await Promise.all([page.waitForEvent('download'), links.nth(i).click()]);
    const file = path.join(work, `receipt-${i}.jws`);
    await download.saveAs(file);
    files.push(await verifyReceipt(fs.readFileSync(file, 'utf8').trim()));
  }
  assert.deepEqual(files.map((f) => f.event), ['granted', 'revoked']);
  assert.deepEqual(files.map((f) => f.logIndex), [granted.logIndex, revoked.logIndex]);

  // The PDPA section 30 export holds this consent and both receipts.
  await page.goto(`${portalUrl}/pdpa`);
  await shot(page, 'portal-pdpa');
  const [pdpa] = await Promise.all([page.waitForEvent('download'), page.click('#pdpa-download')]);
  const exported = JSON.parse(fs.readFileSync(await pdpa.path(), 'utf8'));
  assert.equal(exported.format, 'saphan-pdpa-export/1');
  assert.ok(exported.subject.pseudonym);
  assert.equal(exported.consents.find((c) => c.consentId === id).status, 'revoked');
  assert.equal(exported.receipts.filter((r) => r.consentId === id).length, 2);
  const decisions = procs.cli('audit', 'search', '--hub-dir', demo.hubDir, '--subject', demo.subject,
    '--kind', 'exchange.decision').split('\n').filter(Boolean);
  assert.equal(exported.accesses.length, decisions.length);
  assert.deepEqual(page.errors ?? [], []);
  await context.close();
});
