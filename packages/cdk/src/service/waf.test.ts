// Issue 11, optional WAF, in the template: a regional web ACL on the load balancer, with a rate limit per client IP
// and the AWS managed common and known-bad-inputs rule groups.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { only, synthService } from '../../test/fixtures.js';

const defaultCase = synthService(() => ({ waf: true }));
const limitCase = synthService(() => ({ waf: { rateLimitPer5Minutes: 2000 } }));
const noneCase = synthService(() => ({}));

describe('issue 11: WAF', () => {
  const acl = only(defaultCase.template, 'AWS::WAFv2::WebACL').Properties;

  test('GIVEN waf true THEN a regional web ACL allows by default and runs the rate limit, then the two AWS managed groups', () => {
    assert.deepEqual([acl.Scope, acl.DefaultAction], ['REGIONAL', { Allow: {} }]);
    assert.deepEqual(
      acl.Rules.map((r: { Name: string; Priority: number }) => [r.Priority, r.Name]),
      [
        [0, 'RateLimitPerIp'],
        [1, 'AWSManagedRulesCommonRuleSet'],
        [2, 'AWSManagedRulesKnownBadInputsRuleSet'],
      ],
    );
    for (const rule of acl.Rules.slice(1)) {
      assert.deepEqual(rule.Statement.ManagedRuleGroupStatement.VendorName, 'AWS');
      assert.deepEqual(rule.OverrideAction, { None: {} });
    }
    for (const rule of [acl, ...acl.Rules]) assert.equal(rule.VisibilityConfig.CloudWatchMetricsEnabled, true);
  });

  test('THEN the rate-based rule blocks a client IP past 10000 requests in 5 minutes, or the limit given', () => {
    const rate = acl.Rules[0];
    assert.deepEqual(rate.Action, { Block: {} });
    assert.deepEqual(rate.Statement.RateBasedStatement, { AggregateKeyType: 'IP', EvaluationWindowSec: 300, Limit: 10000 });
    assert.equal(only(limitCase.template, 'AWS::WAFv2::WebACL').Properties.Rules[0].Statement.RateBasedStatement.Limit, 2000);
  });

  test('THEN the common group only counts bodies over 8 KB: MCP tool calls carry more, and the gateway limits bodies itself', () => {
    assert.deepEqual(acl.Rules[1].Statement.ManagedRuleGroupStatement.RuleActionOverrides, [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
  });

  test('THEN the web ACL is associated with the load balancer', () => {
    const [lbId] = Object.keys(defaultCase.template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
    const [aclId] = Object.keys(defaultCase.template.findResources('AWS::WAFv2::WebACL'));
    const association = only(defaultCase.template, 'AWS::WAFv2::WebACLAssociation').Properties;
    assert.deepEqual(association, { ResourceArn: { Ref: lbId }, WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] } });
    assert.equal(defaultCase.mcp.webAcl?.node.path, 'Stack/Mcp/WebAcl');
  });

  test('GIVEN no waf THEN there is no web ACL', () => {
    noneCase.template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    noneCase.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });
});
