// Checks, in this browser, that the entry on this page is in the evidence log: its leaf hash
// (SHA-256 of 0x00 || the entry's bytes, RFC 9162), the inclusion proof the console fetches from
// the hub up to the latest signed tree head, and that head's Ed25519 signature with the log key
// the auditor pinned in the console's configuration. Results are written as text only.
'use strict';

(function () {
  const box = document.getElementById('verify');
  if (!box) return;
  const data = box.dataset;
  const status = document.getElementById('verify-status');
  const steps = document.getElementById('verify-steps');

  const fromB64url = (s) => {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  };
  const toB64 = (bytes) => btoa(String.fromCharCode(...bytes));
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const sha256 = async (...parts) => new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
  const equal = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

  function step(label, ok, detail) {
    const li = document.createElement('li');
    li.className = ok ? 'ok' : 'bad';
    li.textContent = `${ok ? '✓' : '✗'} ${label}${detail ? ': ' + detail : ''}`;
    steps.appendChild(li);
    if (!ok) throw new Error(`${label}${detail ? ': ' + detail : ''}`);
  }

  async function getJson(url) {
    const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return res.json();
  }

  // RFC 9162 2.1.3.2: the root the audit path leads to from the leaf.
  async function rootFromPath(index, size, leaf, path) {
    if (index >= size) throw new Error('index beyond the tree');
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const p of path) {
      if (sn === 0) throw new Error('path longer than the tree');
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(new Uint8Array([1]), p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await sha256(new Uint8Array([1]), r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error('path shorter than the tree');
    return r;
  }

  async function verify() {
    const index = Number(data.index);
    const entry = fromB64url(data.entry);
    const head = await getJson('/api/checkpoint');
    const cp = head.checkpoint;
    if (!(index < cp.tree_size)) throw new Error(`entry ${index} is not yet under the latest signed head (size ${cp.tree_size})`);
    const proof = await getJson(`/api/proof?index=${index}&size=${cp.tree_size}`);
    const leaf = await sha256(new Uint8Array([0]), entry);
    step(data.textLeaf, equal(leaf, fromB64url(proof.leafHash)) && proof.index === index,
         equal(leaf, fromB64url(proof.leafHash)) ? '' : 'the proof is for other bytes');
    const root = await rootFromPath(index, cp.tree_size, leaf, proof.path.map(fromB64url));
    step(data.textRoot, equal(root, fromB64url(cp.root_hash)) && proof.treeSize === cp.tree_size,
         equal(root, fromB64url(cp.root_hash)) ? `size ${cp.tree_size}` : 'the path does not lead to the signed root');
    if (cp.key_id !== data.logKid) step(data.textSignature, false, `signed by key ${cp.key_id}, pinned ${data.logKid}`);
    const note = `${cp.origin}\n${cp.tree_size}\n${toB64(fromB64url(cp.root_hash))}\n${cp.timestamp}\n`;
    const key = await crypto.subtle.importKey('raw', fromB64url(data.logKey), { name: 'Ed25519' }, false, ['verify']);
    const good = await crypto.subtle.verify({ name: 'Ed25519' }, key, fromB64url(cp.signature), new TextEncoder().encode(note));
    step(data.textSignature, good, good ? `${cp.key_id}, ${cp.timestamp}` : 'does not verify with the pinned log key');
  }

  verify().then(() => {
    status.className = 'verified';
    status.textContent = data.textVerified;
    box.dataset.result = 'verified';
  }, (e) => {
    status.className = 'failed';
    status.textContent = `${data.textFailed}: ${e.message}`;
    box.dataset.result = 'failed';
  });
})();
