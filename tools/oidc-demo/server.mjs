// The demo's OpenID provider: npm oidc-provider (a certified implementation) with the synthetic
// citizens and auditors `saphan demo init` wrote, so that the auditor console and the citizen
// portal sign people in exactly as they would against a national digital ID or an agency's
// identity provider. Only the pages a person sees (sign-in, sign-out) and the account lookup
// are ours; every protocol rule is the library's.
//
//   node tools/oidc-demo/server.mjs --dir DEMO/oidc --port P --cert DEMO/pki/web.crt
//        --key DEMO/pki/web.key [--host 127.0.0.1]
//
// DIR/clients.json  {"clients":[{"client_id","client_secret","redirect_uris",
//                                "post_logout_redirect_uris"}]}
// DIR/users.json    {"users":[{"login","password","sub","name","citizen_id"?,"roles"?}]}
// DIR/jwks.json     the ID token signing key (RS256), made on the first start, mode 0600
//
// Prints "oidc ready https://HOST:P" once it listens; the issuer is exactly that URL.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import Provider from 'oidc-provider';

import { loginPage, logoutPage, signedOutPage, errorPage } from './pages.mjs';

const maxFormBytes = 4096;
const scopes = ['openid', 'profile', 'saphan'];
const claimsByScope = { openid: ['sub'], profile: ['name'], saphan: ['citizen_id', 'saphan_roles'] };

function fail(message) {
  console.error(`oidc-demo: ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  const known = new Set(['--dir', '--port', '--cert', '--key', '--host']);
  const args = { host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i += 2) {
    if (!known.has(argv[i]) || argv[i + 1] === undefined) fail(`unknown or incomplete option ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const required of ['dir', 'port', 'cert', 'key']) {
    if (!args[required]) fail(`--${required} is required`);
  }
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port ${args.port}: not a port`);
  args.port = port;
  return args;
}

function readJson(file, what) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    fail(`${file}: ${e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`${file}: not JSON (${what}): ${e.message}`);
  }
}

function isStringList(value) {
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v);
}

function loadClients(dir) {
  const file = path.join(dir, 'clients.json');
  const { clients } = readJson(file, 'clients');
  if (!Array.isArray(clients) || clients.length === 0) fail(`${file}: "clients" must be a non-empty array`);
  return clients.map((c, i) => {
    const where = `${file}: clients[${i}]`;
    if (typeof c.client_id !== 'string' || !c.client_id) fail(`${where}.client_id must be a string`);
    if (typeof c.client_secret !== 'string' || c.client_secret.length < 32) {
      fail(`${where}.client_secret must be a string of at least 32 characters`);
    }
    if (!isStringList(c.redirect_uris)) fail(`${where}.redirect_uris must list URLs`);
    return {
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      post_logout_redirect_uris: c.post_logout_redirect_uris ?? [],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    };
  });
}

function loadUsers(dir) {
  const file = path.join(dir, 'users.json');
  const { users } = readJson(file, 'users');
  if (!Array.isArray(users) || users.length === 0) fail(`${file}: "users" must be a non-empty array`);
  const bySub = new Map();
  const byLogin = new Map();
  users.forEach((u, i) => {
    const where = `${file}: users[${i}]`;
    for (const member of ['login', 'password', 'sub', 'name']) {
      if (typeof u[member] !== 'string' || !u[member]) fail(`${where}.${member} must be a string`);
    }
    if (u.citizen_id !== undefined && !/^[0-9]{13}$/.test(u.citizen_id)) {
      fail(`${where}.citizen_id must be 13 digits`);
    }
    if (u.roles !== undefined && !isStringList(u.roles)) fail(`${where}.roles must list names`);
    if (bySub.has(u.sub) || byLogin.has(u.login)) fail(`${where}: sub or login repeated`);
    bySub.set(u.sub, u);
    byLogin.set(u.login, u);
  });
  return { bySub, byLogin, list: users };
}

// The signing key survives restarts, so ID tokens issued before one still verify after it.
function loadOrMakeKeys(dir) {
  const file = path.join(dir, 'jwks.json');
  if (fs.existsSync(file)) return readJson(file, 'signing keys');
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const kid = crypto.createHash('sha256').update(jwk.n).digest('base64url').slice(0, 16);
  const jwks = { keys: [{ ...jwk, kid, use: 'sig', alg: 'RS256' }] };
  fs.writeFileSync(file, JSON.stringify(jwks), { mode: 0o600 });
  return jwks;
}

// Compares in constant time, so a wrong password takes as long as a nearly right one.
function samePassword(given, expected) {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > maxFormBytes) {
        reject(new Error('form too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function send(res, status, html) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': "default-src 'none'; style-src 'self'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  res.end(html);
}

function makeProvider(issuer, clients, users, jwks) {
  return new Provider(issuer, {
    clients,
    jwks,
    scopes,
    claims: claimsByScope,
    // The consoles read who signed in from the ID token alone (no userinfo round trip).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => { ctx.body = logoutPage(form); },
        postLogoutSuccessSource: async (ctx) => { ctx.body = signedOutPage(); },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // The consoles are first-party applications of the agencies that run this provider: their
    // scopes are granted without a consent screen.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        const found = await ctx.oidc.provider.Grant.find(grantId);
        if (found) return found;
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(scopes.join(' '));
      grant.addOIDCClaims(Object.values(claimsByScope).flat());
      await grant.save();
      return grant;
    },
    async findAccount(_ctx, sub) {
      const user = users.bySub.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          const claims = { sub, name: user.name };
          if (user.citizen_id) claims.citizen_id = user.citizen_id;
          if (user.roles) claims.saphan_roles = user.roles;
          return claims;
        },
      };
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(out.error, out.error_description);
    },
    ttl: {
      AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600,
      Session: 3600, Grant: 3600,
    },
  });
}

// GET /interaction/<uid>: the sign-in form; POST /interaction/<uid>/login: its answer.
async function interaction(provider, users, req, res) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    send(res, 400, errorPage('invalid_request', 'This sign-in has expired. Start again from the console.'));
    return;
  }
  const url = new URL(req.url, 'https://host');
  if (req.method === 'GET') {
    send(res, 200, loginPage(details.uid, details.params.client_id, '', users.list));
    return;
  }
  if (req.method !== 'POST' || url.pathname !== `/interaction/${details.uid}/login`) {
    send(res, 405, errorPage('invalid_request', 'Method not allowed'));
    return;
  }
  let form;
  try {
    form = await readForm(req);
  } catch {
    send(res, 413, errorPage('invalid_request', 'The form is too large'));
    return;
  }
  const login = form.get('login') ?? '';
  const user = users.byLogin.get(login);
  if (!user || !samePassword(form.get('password') ?? '', user.password)) {
    send(res, 401, loginPage(details.uid, details.params.client_id, 'wrong', users.list, login));
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: user.sub } },
    { mergeWithLastSubmission: false });
}

const args = parseArgs(process.argv.slice(2));
const issuer = `https://${args.host}:${args.port}`;
const users = loadUsers(args.dir);
const provider = makeProvider(issuer, loadClients(args.dir), users, loadOrMakeKeys(args.dir));
provider.on('server_error', (_ctx, err) => console.error(`oidc-demo: ${err.stack}`));
const handle = provider.callback();
const css = fs.readFileSync(new URL('./pages.css', import.meta.url));

const server = https.createServer({
  cert: fs.readFileSync(args.cert),
  key: fs.readFileSync(args.key),
}, (req, res) => {
  const pathname = new URL(req.url, 'https://host').pathname;
  if (pathname === '/pages.css') {
    res.writeHead(200, { 'Content-Type': 'text/css', 'Cache-Control': 'max-age=3600' });
    res.end(css);
  } else if (pathname.startsWith('/interaction/')) {
    interaction(provider, users, req, res).catch((e) => {
      console.error(`oidc-demo: ${e.stack}`);
      if (!res.headersSent) send(res, 500, errorPage('server_error', 'Something went wrong'));
    });
  } else {
    handle(req, res);
  }
});
server.headersTimeout = 10000;
server.requestTimeout = 15000;
server.listen(args.port, args.host, () => console.log(`oidc ready ${issuer}`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
