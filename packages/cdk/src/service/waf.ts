import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';

/** AWS WAF on the load balancer: `true` for the defaults, or the rate limit per client address. */
export type McpWaf =
  | boolean
  | {
      /**
       * Requests one client IP address may send in any 5 minutes before WAF blocks it (until its rate falls again).
       * @default 10000 - generous: an agent platform sends many users' calls from a few egress addresses
       */
      readonly rateLimitPer5Minutes?: number;
    };

/** The AWS managed rule groups the web ACL runs, in order after the rate limit. */
export const WAF_MANAGED_RULE_GROUPS = ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet'] as const;

/**
 * A regional web ACL on the load balancer: a rate-based rule per client IP, then the AWS managed common and
 * known-bad-inputs rule groups; everything else is allowed. The common group's body size rule only counts: it blocks
 * bodies over 8 KB, and MCP tool calls routinely carry more (the gateway limits bodies itself, MAX_BODY_BYTES).
 */
export function createWebAcl(scope: Construct, loadBalancer: elbv2.ApplicationLoadBalancer, rateLimitPer5Minutes: number): wafv2.CfnWebACL {
  const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
  const managed = WAF_MANAGED_RULE_GROUPS.map(
    (name, i): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority: i + 1,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ...(name === 'AWSManagedRulesCommonRuleSet' ? { ruleActionOverrides: [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }] } : {}),
        },
      },
      visibilityConfig: visibility(`mcp-${name}`),
    }),
  );
  const webAcl = new wafv2.CfnWebACL(scope, 'WebAcl', {
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    // WAF descriptions allow letters, digits, spaces and +=:#@/-,. only.
    description: 'MCP load balancer: a rate limit per client IP, then the AWS managed common and known-bad-inputs rules, by mcp-fargate',
    visibilityConfig: visibility('mcp-web-acl'),
    rules: [
      {
        name: 'RateLimitPerIp',
        priority: 0,
        action: { block: {} },
        statement: { rateBasedStatement: { aggregateKeyType: 'IP', limit: rateLimitPer5Minutes, evaluationWindowSec: 300 } },
        visibilityConfig: visibility('mcp-rate-limit-per-ip'),
      },
      ...managed,
    ],
  });
  new wafv2.CfnWebACLAssociation(scope, 'WebAclAssociation', { resourceArn: loadBalancer.loadBalancerArn, webAclArn: webAcl.attrArn });
  return webAcl;
}
