import { RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';
import { DEFAULTS, LIMITS } from './defaults.js';
import { validateInteger, validateRepositoryName } from './validation.js';

export interface McpImageRepositoryProps {
  /**
   * Name of the repository.
   * @default - a name CloudFormation generates
   */
  readonly repositoryName?: string;

  /**
   * How many images the lifecycle rule keeps; older ones are expired so the repository does not grow without bound.
   * Keep enough to roll back to.
   * @default 20
   */
  readonly keepImages?: number;

  /**
   * What happens to the repository (and its images) when it leaves the stack.
   * @default RemovalPolicy.RETAIN - images of running services are never deleted by a stack operation
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** An ECR repository for the MCP image: immutable tags, scan on push, and a lifecycle rule. */
export class McpImageRepository extends Construct {
  readonly repository: ecr.Repository;

  constructor(scope: Construct, id: string, props: McpImageRepositoryProps = {}) {
    super(scope, id);
    const keepImages = props.keepImages ?? DEFAULTS.keepImages;
    validateInteger(`[${this.node.path}] keepImages`, keepImages, LIMITS.keepImages);
    if (props.repositoryName !== undefined) {
      validateRepositoryName(`[${this.node.path}] repositoryName`, props.repositoryName);
    }

    this.repository = new ecr.Repository(this, 'Repository', {
      repositoryName: props.repositoryName,
      // An immutable tag can never be repointed, so a digest and its tag always agree.
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      imageScanOnPush: true,
      encryption: ecr.RepositoryEncryption.AES_256,
      lifecycleRules: [{ description: `Keep the last ${keepImages} images`, maxImageCount: keepImages }],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      emptyOnDelete: false,
    });
  }
}
