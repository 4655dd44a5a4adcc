import { Duration, RemovalPolicy } from 'aws-cdk-lib';
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
   * How many tagged images the lifecycle rule keeps; older ones are expired so the repository does not grow without
   * bound. Keep enough to roll back to: a task that must pull an expired image cannot start.
   * @default 100
   */
  readonly keepImages?: number;

  /**
   * What happens to the repository (and its images) when it leaves the stack.
   * @default RemovalPolicy.RETAIN - images of running services are never deleted by a stack operation
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An ECR repository for the MCP image: immutable tags, scan on push, and a lifecycle policy that expires untagged
 * images 14 days after they were pushed and keeps the last `keepImages` tagged ones. Counting every image would count
 * the untagged manifests and attestations a buildx push adds, and expire the release a service runs sooner than
 * `keepImages` releases suggest.
 */
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
      lifecycleRules: [
        {
          rulePriority: 1,
          description: `Expire untagged images ${DEFAULTS.untaggedImageExpiryDays} days after they were pushed`,
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: Duration.days(DEFAULTS.untaggedImageExpiryDays),
        },
        {
          rulePriority: 2,
          description: `Keep the last ${keepImages} tagged images`,
          tagStatus: ecr.TagStatus.TAGGED,
          tagPatternList: ['*'],
          maxImageCount: keepImages,
        },
      ],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      emptyOnDelete: false,
    });
  }
}
