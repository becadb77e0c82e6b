// A full disk under the hub's evidence log, for real: the hub's folder (its SQLite store, WAL and
// keys) lives on a tmpfs of 16 MiB, which the test fills to the last byte with a file while the
// JFO queries DOPA, then frees. What must hold: every exchange answered 200 has its decision and
// outcome entries; the others are refused with evidence_unavailable and spend no consent use
// beyond the decisions that were committed; the hub stays up, /readyz fails while it cannot
// write and passes again within seconds of the room coming back, and exchanges then succeed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { processes, query, startDemo, tlsCall } from './lib.mjs';

const saphan = process.env.SAPHAN;
const source = process.env.SAPHAN_SOURCE;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'saphan-disk-full-'));
const JFO = 'TH/GOV/JFO/legal-aid';
const PERSON = 'TH/GOV/DOPA/civil-registry/person@1.0';

const procs = new processes(saphan);
let demo = null;
let mounted = null;

// A tmpfs needs the right to mount (root, or a container that grants it); without it the test
// says so and is skipped rather than passing without having run.
function mountTmpfs(dir) {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return `cannot mount a tmpfs here (${String(e.stderr || e.message).trim()})`;
  }
}

let skipReason = process.getuid?.() === 0 ? null : 'mounting a tmpfs needs root';
if (!skipReason) {
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'saphan-mount-probe-'));
  skipReason = mountTmpfs(probe);
  if (!skipReason) execFileSync('umount', [probe]);
  fs.rmdirSync(probe);
}

// The hub's folder moved onto the tmpfs before the hub first opens it.
function hubOnTmpfs(hubDir) {
  const copy = `${hubDir}.orig`;
  fs.renameSync(hubDir, copy);
  fs.mkdirSync(hubDir, { mode: 0o700 });
  const failed = mountTmpfs(hubDir);
  if (failed) throw new Error(failed);
  mounted = hubDir;
  execFileSync('cp', ['-a', `${copy}/.`, `${hubDir}/`]);
}

// Writes a file until the file system has not a byte left.
function fillUp(dir) {
  const file = path.join(dir, 'filler');
  const fd = fs.openSync(file, 'w');
  for (const size of [1 << 20, 64 << 10, 4 << 10, 512]) {
    const chunk = Buffer.alloc(size, 0x5a);
    try {
      for (;;) fs.writeSync(fd, chunk);
    } catch (e) {
      if (e.code !== 'ENOSPC') throw e;
    }
  }
  fs.closeSync(fd);
  return file;
}

const sqlite = (sql) => execFileSync('sqlite3', ['-readonly', path.join(demo.hubDir, 'store.db'), sql],
                                     { encoding: 'utf8' }).trim();
const consentUses = () => Number(sqlite(`select json_extract(doc, '$.uses') from consents where id = '${demo.consentId}'`));
const allowedDecisions = () => Number(sqlite(
  "select count(*) from log_entries where kind = 'exchange.decision' and status = 'allow'"));
const hubCall = (target) => tlsCall({ port: demo.base, method: 'GET', target, ca: demo.pki('ca.crt'),
                                      cert: demo.pki('jfo.crt'), key: demo.pki('jfo.key') });
const jfoQuery = () => query(demo.base + 10, PERSON, {
  subject: demo.subject, purpose: 'legal-aid-eligibility', lawfulBasis: 'consent', consentId: demo.consentId,
  fields: ['firstNameTh'],
}, JFO);

before(async () => {
  if (skipReason) return;
  demo = await startDemo(procs, { work, source, prepareHub: hubOnTmpfs });
});

after(async () => {
  await procs.stopAll();
  if (mounted) execFileSync('umount', [mounted]);
  fs.rmSync(work, { recursive: true, force: true });
});

test('a full disk refuses whole batches, the hub stays up, and it recovers when there is room',
     { skip: skipReason ?? false, timeout: 200000 }, async () => {
  assert.equal((await jfoQuery()).status, 200, 'an exchange before the disk fills');
  const usesBefore = consentUses();
  const allowedBefore = allowedDecisions();
  const filler = fillUp(demo.hubDir);

  // Exchanges until the log cannot grow (the WAL has some room of its own at first), bounded.
  const answered = [];
  let refused = 0;
  const deadline = Date.now() + 90000;
  while (refused < 5 && answered.length < 5000 && Date.now() < deadline) {
    const res = await jfoQuery();
    if (res.status === 200) {
      answered.push(res.json.evidence.requestId);
    } else {
      assert.equal(res.json?.code, 'evidence_unavailable', `${res.status} ${res.text}`);
      refused += 1;
    }
  }
  assert.equal(refused, 5, `no refusal after ${answered.length} exchanges on a full disk`);
  console.log(`full disk: ${answered.length} exchanges answered 200, then ${refused} refused`);

  const ready = await hubCall('/readyz');
  assert.equal(ready.status, 503, ready.text);
  assert.equal(ready.json?.code, 'evidence_unavailable');
  assert.match(ready.json?.detail ?? '', /evidence log cannot be written/);
  assert.equal((await hubCall('/healthz')).status, 200, 'the hub stays up');
  const metrics = await hubCall('/metrics');
  assert.match(metrics.text, /^saphan_log_writable 0$/m);
  assert.match(metrics.text, /^saphan_log_failed_batches_total [1-9]/m);

  // Room again: within seconds the writer's probe finds it and the hub is ready.
  fs.rmSync(filler);
  const readyBy = Date.now() + 15000;
  let again = await hubCall('/readyz');
  while (again.status !== 200 && Date.now() < readyBy) {
    await new Promise((r) => setTimeout(r, 200));
    again = await hubCall('/readyz');
  }
  assert.equal(again.status, 200, again.text);
  const after = await jfoQuery();
  assert.equal(after.status, 200, after.text);
  answered.push(after.json.evidence.requestId);

  // Every 200 has its decision and its outcome in the log.
  for (const id of answered) {
    const kinds = sqlite(`select kind || ':' || status from log_entries where request_id = '${id}' order by idx`);
    assert.deepEqual(kinds.split('\n'), ['exchange.decision:allow', 'exchange.outcome:ok'], `request ${id}`);
  }
  // A use is spent exactly by each committed allow decision; the refused batches spent none.
  assert.equal(consentUses() - usesBefore, allowedDecisions() - allowedBefore);
  assert.ok(allowedDecisions() - allowedBefore >= answered.length);
});
