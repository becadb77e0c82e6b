// The pages of the demo OpenID provider, in Thai and English. Everything that comes from a
// request or a file is escaped; no script, and the only style sheet is served by the provider.
const escapes = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => escapes[c]);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="th">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/pages.css">
</head>
<body>
<main>
<p class="brand">Saphan demo identity provider · ผู้ให้บริการยืนยันตัวตน (สาธิต)</p>
${body}
</main>
</body>
</html>`;
}

function demoAccounts(users) {
  const rows = users.map((u) => {
    const role = u.roles?.includes('auditor') ? 'auditor · ผู้ตรวจสอบ' : 'citizen · ประชาชน';
    return `<tr><td><code>${escapeHtml(u.login)}</code></td><td><code>${escapeHtml(u.password)}</code></td>`
      + `<td>${escapeHtml(u.name)}</td><td>${escapeHtml(role)}</td></tr>`;
  }).join('\n');
  return `<details>
<summary>Demo accounts · บัญชีสาธิต (synthetic people, not real)</summary>
<table>
<thead><tr><th scope="col">Sign-in name</th><th scope="col">Password</th><th scope="col">Name</th><th scope="col">Role</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</details>`;
}

export function loginPage(uid, clientId, problem, users, login = '') {
  const error = problem === 'wrong'
    ? '<p class="error" role="alert">Wrong sign-in name or password · ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง</p>'
    : '';
  return page('Sign in · เข้าสู่ระบบ', `<h1>Sign in · เข้าสู่ระบบ</h1>
<p>to <strong>${escapeHtml(clientId)}</strong></p>
${error}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="login">Sign-in name · ชื่อผู้ใช้</label>
<input id="login" name="login" required autofocus value="${escapeHtml(login)}">
<label for="password">Password · รหัสผ่าน</label>
<input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>
${demoAccounts(users)}`);
}

export function logoutPage(form) {
  // `form` is the library's own hidden form (its id "op.logoutForm", with its CSRF token).
  return page('Sign out · ออกจากระบบ', `<h1>Sign out · ออกจากระบบ</h1>
<p>Do you want to sign out of the demo identity provider? · ต้องการออกจากระบบหรือไม่</p>
${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out · ออกจากระบบ</button>
<button type="submit" form="op.logoutForm" class="secondary">No, stay signed in · ยังไม่ออก</button>`);
}

export function signedOutPage() {
  return page('Signed out · ออกจากระบบแล้ว', `<h1>Signed out · ออกจากระบบแล้ว</h1>
<p>You have signed out. · คุณออกจากระบบเรียบร้อยแล้ว</p>`);
}

export function errorPage(code, description) {
  return page('Error · ข้อผิดพลาด', `<h1>Sign-in error · เกิดข้อผิดพลาด</h1>
<p role="alert"><code>${escapeHtml(code)}</code> ${escapeHtml(description ?? '')}</p>`);
}
