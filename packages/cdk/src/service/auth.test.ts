// Issue 11 in the template: each auth mode sets exactly the gateway variables the gateway reads, keys only as a
// secret, the Cognito user pool serves machines only, and an open load balancer is acknowledged truthfully.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import {
  AUTH_KEYS_ARN,
  NO_AUTH,
  acknowledgements,
  containers,
  environmentOf,
  executionStatements,
  only,
  secretsOf,
  synthService,
} from '../../test/fixtures.js';

const AUTH_VARIABLES = ['AUTH_MODE', 'AUTH_KEYS', 'AUTH_HEADER', 'OAUTH_ISSUER', 'OAUTH_JWKS_URL', 'OAUTH_AUDIENCE', 'OAUTH_SCOPES', 'OAUTH_ALGORITHMS'];

function authVariables(template: Template): Record<string, unknown> {
  return Object.fromEntries(Object.entries(environmentOf(containers(template).mcp!)).filter(([name]) => AUTH_VARIABLES.includes(name)));
}

function outputs(template: Template): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(template.toJSON().Outputs as Record<string, { Value: unknown }>).map(([key, o]) => [key.replace(/[0-9A-F]{8}$/, ''), o.Value]),
  );
}

const keysCase = synthService(() => ({ auth: { mode: 'keys', keysSecret: { secret: AUTH_KEYS_ARN, jsonKey: 'keys' } }, allowedCidrs: [] }));
const headerCase = synthService(() => ({ auth: { mode: 'keys', keysSecret: { secret: 'prod/mcp-keys' }, header: 'X-Sema4ai-Auth' } }));
const issuerCase = synthService(() => ({
  auth: {
    mode: 'oauth',
    issuer: 'https://login.example.com/realms/agents',
    jwksUrl: 'https://login.example.com/keys',
    scopes: ['mcp:tools', 'mcp:read'],
    algorithms: ['ES256'],
  },
}));
const cognitoCase = synthService(() => ({ auth: { mode: 'oauth', cognito: { scopes: ['tools', 'resources'] } }, deletionProtection: false }));
const prefixCase = synthService(() => ({ auth: { mode: 'oauth', cognito: { domainPrefix: 'acme-mcp' } } }));
const noneCase = synthService(() => ({ auth: NO_AUTH, allowedCidrs: [], insecureHttpForTesting: true, certificate: undefined, domainName: undefined }));

describe('issue 11: auth', () => {
  test('GIVEN keys THEN AUTH_MODE=keys and AUTH_HEADER=authorization (Bearer), AUTH_KEYS only a secret the execution role alone may read', () => {
    const mcp = containers(keysCase.template).mcp!;
    assert.deepEqual(authVariables(keysCase.template), { AUTH_MODE: 'keys', AUTH_HEADER: 'authorization' });
    assert.deepEqual(secretsOf(mcp), { AUTH_KEYS: `${AUTH_KEYS_ARN}:keys::` });
    const read = executionStatements(keysCase.template).find((s) => s.Action === 'secretsmanager:GetSecretValue');
    assert.deepEqual(read?.Resource, AUTH_KEYS_ARN);
    assert.doesNotMatch(JSON.stringify(keysCase.template.findResources('AWS::IAM::Policy')), /TaskRole[^"]*DefaultPolicy/);
  });

  test('GIVEN keys in another header THEN AUTH_HEADER names it, lowercased (header names are case-insensitive)', () => {
    assert.deepEqual(authVariables(headerCase.template), { AUTH_MODE: 'keys', AUTH_HEADER: 'x-sema4ai-auth' });
    assert.match(String(secretsOf(containers(headerCase.template).mcp!).AUTH_KEYS), /secret:prod\/mcp-keys$/);
  });

  test('GIVEN oauth with an external issuer THEN the issuer, JWKS URL, the MCP URL as audience, scopes and algorithms', () => {
    assert.deepEqual(authVariables(issuerCase.template), {
      AUTH_MODE: 'oauth',
      OAUTH_ISSUER: 'https://login.example.com/realms/agents',
      OAUTH_JWKS_URL: 'https://login.example.com/keys',
      OAUTH_AUDIENCE: 'https://mcp.example.com/mcp',
      OAUTH_SCOPES: 'mcp:tools mcp:read',
      OAUTH_ALGORITHMS: 'ES256',
    });
    issuerCase.template.resourceCountIs('AWS::Cognito::UserPool', 0);
  });

  describe('GIVEN oauth with a Cognito user pool the construct creates', () => {
    const t = cognitoCase.template;
    const [poolId] = Object.keys(t.findResources('AWS::Cognito::UserPool'));
    const issuer = { 'Fn::Join': ['', ['https://cognito-idp.eu-west-1.amazonaws.com/', { Ref: poolId }]] };

    test('THEN the pool has no sign-up, no users to recover, MFA and a strong password policy should anyone add users', () => {
      const pool = only(t, 'AWS::Cognito::UserPool');
      assert.equal(pool.Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly, true);
      assert.deepEqual(pool.Properties.AccountRecoverySetting, { RecoveryMechanisms: [{ Name: 'admin_only', Priority: 1 }] });
      assert.equal(pool.Properties.MfaConfiguration, 'ON');
      assert.deepEqual(pool.Properties.Policies.PasswordPolicy, {
        MinimumLength: 12,
        RequireLowercase: true,
        RequireNumbers: true,
        RequireSymbols: true,
        RequireUppercase: true,
      });
      // deletionProtection: false (a stack to destroy) lets the pool go with it; the default keeps it.
      assert.deepEqual([pool.Properties.DeletionProtection, pool.DeletionPolicy], ['INACTIVE', 'Delete']);
      const kept = only(prefixCase.template, 'AWS::Cognito::UserPool');
      assert.deepEqual([kept.Properties.DeletionProtection, kept.DeletionPolicy], ['ACTIVE', 'Retain']);
    });

    test('THEN the resource server is the MCP URL with the scopes, and the one app client is confidential, client credentials only', () => {
      const server = only(t, 'AWS::Cognito::UserPoolResourceServer').Properties;
      assert.equal(server.Identifier, 'https://mcp.example.com/mcp');
      assert.deepEqual(
        server.Scopes.map((s: { ScopeName: string }) => s.ScopeName),
        ['tools', 'resources'],
      );
      const client = only(t, 'AWS::Cognito::UserPoolClient').Properties;
      assert.deepEqual([client.GenerateSecret, client.AllowedOAuthFlows, client.AllowedOAuthFlowsUserPoolClient], [true, ['client_credentials'], true]);
      assert.deepEqual(client.ExplicitAuthFlows, ['ALLOW_REFRESH_TOKEN_AUTH']);
      assert.equal(client.AllowedOAuthScopes.length, 2);
      assert.match(JSON.stringify(client.AllowedOAuthScopes), /"\/tools"\]\]\}.*"\/resources"\]\]\}/);
    });

    test('THEN the hosted domain prefix is the stack id (unique across accounts), or the one given', () => {
      const domain = only(t, 'AWS::Cognito::UserPoolDomain').Properties.Domain;
      assert.deepEqual(domain, { 'Fn::Join': ['-', ['mcp', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }]] });
      assert.equal(only(prefixCase.template, 'AWS::Cognito::UserPoolDomain').Properties.Domain, 'acme-mcp');
    });

    test("THEN the gateway gets the pool's issuer and JWKS URL, the MCP URL as audience, the full scope names and RS256", () => {
      assert.deepEqual(authVariables(t), {
        AUTH_MODE: 'oauth',
        OAUTH_AUDIENCE: 'https://mcp.example.com/mcp',
        OAUTH_SCOPES: 'https://mcp.example.com/mcp/tools https://mcp.example.com/mcp/resources',
        OAUTH_ALGORITHMS: 'RS256',
        OAUTH_ISSUER: issuer,
        OAUTH_JWKS_URL: { 'Fn::Join': ['', ['https://cognito-idp.eu-west-1.amazonaws.com/', { Ref: poolId }, '/.well-known/jwks.json']] },
      });
      assert.deepEqual(secretsOf(containers(t).mcp!), {});
      assert.equal(only(prefixCase.template, 'AWS::Cognito::UserPoolResourceServer').Properties.Scopes[0].ScopeName, 'access');
    });

    test('THEN the outputs name the issuer, the token endpoint and the client id, and never the client secret', () => {
      const o = outputs(t);
      assert.deepEqual(o.McpOAuthIssuer, issuer);
      assert.match(JSON.stringify(o.McpOAuthTokenUrl), /\.auth\.eu-west-1\.amazoncognito\.com\/oauth2\/token"/);
      assert.deepEqual(o.McpOAuthClientId, { Ref: Object.keys(t.findResources('AWS::Cognito::UserPoolClient'))[0] });
      assert.doesNotMatch(JSON.stringify(t.toJSON()), /ClientSecret/);
    });

    test('THEN the Plus-plan finding is acknowledged on the pool, for a pool no user signs in to', () => {
      const acks = acknowledgements(cognitoCase.mcp).filter((a) => a.id === 'AwsSolutions::AwsSolutions-COG8');
      assert.deepEqual(
        acks.map((a) => a.path),
        ['Stack/Mcp/AuthUserPool'],
      );
    });
  });

  describe('GIVEN an internet-facing load balancer open to every address', () => {
    const ec23 = (mcp: typeof keysCase.mcp) => acknowledgements(mcp).find((a) => a.id === 'AwsSolutions::AwsSolutions-EC23')?.reason ?? '';

    test('WHEN auth is on THEN the acknowledgement says the gateway authenticates every MCP request', () => {
      assert.match(ec23(keysCase.mcp), /^With auth keys \(AUTH_MODE=keys\), port 443 .* is open to every IPv4 address/);
      assert.match(ec23(keysCase.mcp), /the gateway authenticates every request/);
    });

    test('WHEN auth is none THEN it quotes the acknowledgement of the owner, and AUTH_MODE is none', () => {
      assert.deepEqual(authVariables(noneCase.template), { AUTH_MODE: 'none' });
      assert.match(ec23(noneCase.mcp), /^With auth none, port 80 .*anyone who finds the URL can call the MCP/);
      assert.ok(ec23(noneCase.mcp).includes(`"${NO_AUTH.acknowledgeNoAuth}"`));
    });

    test('WHEN it is allowlisted THEN nothing is acknowledged: nothing is open to everyone', () => {
      assert.equal(ec23(headerCase.mcp), '');
    });
  });
});
