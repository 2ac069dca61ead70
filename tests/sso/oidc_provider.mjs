// A real OpenID provider for the tests (the npm package oidc-provider, a certified
// implementation), on 127.0.0.1 at a free port. The tests start it (tests/sso/conftest.py)
// and read its first line of output: {"issuer": "http://127.0.0.1:PORT"}.
//
// Settings come as one JSON argument: client_id, client_secret, redirect_uris,
// post_logout_redirect_uris, and accounts: {login: {claims}} (any other login signs in
// as LOGIN@example.org, verified). Sign-in is oidc-provider's development interaction:
// a form with "login" and "password" (any password), then a consent page.
import http from 'node:http';
import Provider from 'oidc-provider';

const settings = JSON.parse(process.argv[2] || '{}');
const accounts = settings.accounts || {};

function claimsOf(login) {
  return {
    sub: login,
    email: `${login}@example.org`,
    email_verified: true,
    name: login,
    ...(accounts[login] || {}),
  };
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: settings.client_id,
      client_secret: settings.client_secret,
      redirect_uris: settings.redirect_uris,
      post_logout_redirect_uris: settings.post_logout_redirect_uris || [],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'groups', 'unit'],
    },
    // The claims of the scopes go into the ID token (the service reads no userinfo).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    cookies: { keys: ['tests-only-cookie-key'] },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return claimsOf(id); } };
    },
  });
  provider.on('server_error', (ctx, error) => { console.error('server_error', error); });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => { server.close(); process.exit(0); });
