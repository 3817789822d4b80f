/**
 * The packaged CloudFormation template (`serverless package`, offline) against CloudFormation's
 * real resource schemas and IAM's real action list: nothing here can deploy to AWS, so this is
 * where a misspelt property, a wrong type, a missing required property or an action that does not
 * exist is caught (see cloudformation-check.ts). The first block proves each check bites.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../scripts/build';
import { type CfnTemplate, type Finding, checkIamActions, checkTemplate, checkTemplateResources, formatFinding, loadSchemas, packagedTemplate, policyDocuments } from './cloudformation-check';

const lines = (findings: Finding[]) => findings.map(formatFinding);

/** A minimal valid stack: a queue, its dead-letter queue, a role with an inline policy, a function. */
function template(): CfnTemplate {
  return {
    Resources: {
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          VisibilityTimeout: 180,
          SqsManagedSseEnabled: true,
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['DLQ', 'Arn'] }, maxReceiveCount: 5 },
        },
      },
      DLQ: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1209600 } },
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          },
          Policies: [
            {
              PolicyName: 'send',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [{ 'Fn::GetAtt': ['Queue', 'Arn'] }] }],
              },
            },
          ],
        },
      },
      Function: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Code: { ZipFile: 'exports.handler = async () => {};' },
          Handler: 'index.handler',
          Runtime: 'nodejs22.x',
          Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
          Environment: { Variables: { QUEUE_URL: { Ref: 'Queue' } } },
        },
      },
    },
  };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The sample template with one change made by `edit`. */
function withChange(edit: (resources: Resources) => void): CfnTemplate {
  const t = template();
  edit(t.Resources as Resources);
  return t;
}

describe('the CloudFormation template checker', () => {
  beforeAll(async () => {
    await loadSchemas();
  }, 60_000);

  it('passes a valid template (SqsManagedSseEnabled, a RedrivePolicy object, intrinsics in typed slots)', async () => {
    expect(lines(await checkTemplate(template()))).toEqual([]);
  });

  it('reports an unknown property (wrong case), naming the resource and the property path', async () => {
    const findings = await checkTemplate(withChange((r) => (r.Queue!.Properties.VisibilityTimeOut = 30)));
    expect(lines(findings)).toEqual(['Queue Properties.VisibilityTimeOut: unknown property of AWS::SQS::Queue (did you mean VisibilityTimeout?)']);
  });

  it('reports an unknown property of a nested property type', async () => {
    const findings = await checkTemplate(withChange((r) => (r.Function!.Properties.Environment = { Variable: { A: 'b' } })));
    expect(lines(findings)).toEqual(['Function Properties.Environment.Variable: unknown property of Environment (did you mean Variables?)']);
  });

  it('reports a wrong type: a list where an integer is expected', async () => {
    const findings = await checkTemplate(withChange((r) => (r.DLQ!.Properties.MessageRetentionPeriod = [1])));
    expect(lines(findings)).toEqual(['DLQ Properties.MessageRetentionPeriod: expected integer, got list [1]']);
  });

  it('reports wrong types of strings, booleans, lists, maps and objects, at any depth', async () => {
    const findings = await checkTemplate(
      withChange((r) => {
        r.Queue!.Properties.SqsManagedSseEnabled = 'yes';
        r.Function!.Properties.Handler = 42;
        r.Function!.Properties.Environment = { Variables: { A: { B: 'c' } } };
        r.Function!.Properties.Architectures = 'arm64';
        r.Function!.Properties.Code = 'index.js';
      }),
    );
    expect(lines(findings)).toEqual([
      'Queue Properties.SqsManagedSseEnabled: expected boolean, got string "yes"',
      'Function Properties.Code: expected object Code, got string "index.js"',
      'Function Properties.Handler: expected string, got number 42',
      'Function Properties.Environment.Variables.A: expected string, got object {"B":"c"}',
      'Function Properties.Architectures: expected list of string, got string "arm64"',
    ]);
  });

  it('reports a value outside the schema’s allowed values', async () => {
    const findings = await checkTemplate(withChange((r) => (r.Function!.Properties.PackageType = 'zip')));
    expect(lines(findings)).toEqual(['Function Properties.PackageType: "zip" is not one of Image, Zip']);
  });

  it('reports a missing required property', async () => {
    const findings = await checkTemplate(withChange((r) => delete r.Function!.Properties.Role));
    expect(lines(findings)).toEqual(['Function Properties.Role: missing required property of AWS::Lambda::Function']);
  });

  it('reports an unknown resource type and an unknown resource attribute', async () => {
    const findings = await checkTemplate(
      withChange((r) => {
        r.DLQ!.Type = 'AWS::SQS::Queues';
        (r.Queue as Record<string, unknown>).DeletionPolicy = 'Keep';
        (r.Queue as Record<string, unknown>).DependOn = 'DLQ';
      }),
    );
    expect(lines(findings)).toEqual([
      'Queue DependOn: unknown resource attribute',
      'Queue DeletionPolicy: "Keep" is not one of Delete, Retain, RetainExceptOnCreate, Snapshot',
      'DLQ Type: unknown resource type AWS::SQS::Queues',
    ]);
  });

  it('reports references to missing resources and attributes', async () => {
    const findings = await checkTemplate(
      withChange((r) => {
        r.Function!.Properties.Role = { 'Fn::GetAtt': ['Role', 'RoleArn'] };
        r.Function!.Properties.Environment = { Variables: { Q: { Ref: 'Queues' }, S: { 'Fn::Sub': '${DLQ.Url} ${AWS::Region} ${!Literal}' } } };
      }),
    );
    expect(lines(findings)).toEqual([
      'Function Properties.Role.Fn::GetAtt: Fn::GetAtt Role.RoleArn: AWS::IAM::Role has no attribute RoleArn (it has Arn, RoleId)',
      'Function Properties.Environment.Variables.Q.Ref: Ref to Queues, which is not a resource, parameter or pseudo parameter',
      'Function Properties.Environment.Variables.S.Fn::Sub: Fn::GetAtt DLQ.Url: AWS::SQS::Queue has no attribute Url (it has Arn, QueueName, QueueUrl)',
    ]);
  });

  it('reports an IAM action that does not exist, and a service prefix that does not exist', async () => {
    const findings = await checkTemplate(
      withChange((r) => {
        const policies = r.Role!.Properties.Policies as Array<{ PolicyDocument: { Statement: Array<{ Action: string[] }> } }>;
        policies[0]!.PolicyDocument.Statement[0]!.Action = ['sqs:SendMessage', 'sqs:SendMessages', 'sqqs:SendMessage'];
      }),
    );
    expect(lines(findings)).toEqual([
      'Role Properties.Policies[0].PolicyDocument.Statement[0].Action[1]: sqs:SendMessages: sqs has no action SendMessages',
      'Role Properties.Policies[0].PolicyDocument.Statement[0].Action[2]: sqqs:SendMessage: IAM has no service prefix "sqqs"',
    ]);
  });

  it('reports wildcard actions in Allow statements; in Deny statements a wildcard must match some action', async () => {
    const t = withChange((r) => {
      r.Policy = {
        Type: 'AWS::SQS::QueuePolicy',
        Properties: {
          Queues: [{ Ref: 'Queue' }],
          PolicyDocument: {
            Statement: [
              { Effect: 'Allow', Principal: { AWS: '123456789012' }, Action: 'sqs:Send*', Resource: '*' },
              { Effect: 'Allow', Principal: { AWS: '123456789012' }, Action: '*', Resource: '*' },
              { Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: '*' },
              { Effect: 'Deny', Principal: '*', Action: ['sqs:Nothing*'], Resource: '*' },
            ],
          },
        },
      };
    });
    expect(lines(await checkIamActions(t))).toEqual([
      'Policy Properties.PolicyDocument.Statement[0].Action: wildcard action sqs:Send* (name each action)',
      'Policy Properties.PolicyDocument.Statement[1].Action: wildcard action "*"',
      'Policy Properties.PolicyDocument.Statement[3].Action[0]: sqs:Nothing* matches no action of sqs',
    ]);
  });

  it('checks the action of an AWS::Lambda::Permission', async () => {
    const t = withChange((r) => {
      r.Permission = { Type: 'AWS::Lambda::Permission', Properties: { FunctionName: { Ref: 'Function' }, Principal: 'events.amazonaws.com', Action: 'lambda:Invoke' } };
    });
    expect(lines(await checkTemplate(t))).toEqual(['Permission Properties.Action: lambda:Invoke: lambda has no action Invoke']);
  });
});

describe('the packaged template (serverless package)', () => {
  let packaged: CfnTemplate;

  beforeAll(async () => {
    [packaged] = await Promise.all([packagedTemplate(FUNCTIONS.map((f) => f.name)), loadSchemas()]);
  }, 120_000);

  it('has the resources of serverless.yml and those the framework generates', () => {
    const types = new Set(Object.values(packaged.Resources).map((r) => r.Type));
    for (const type of ['AWS::Lambda::Function', 'AWS::IAM::Role', 'AWS::SQS::Queue', 'AWS::DynamoDB::Table', 'AWS::ApiGatewayV2::Route', 'AWS::Events::Rule', 'AWS::Lambda::EventSourceMapping']) {
      expect(types, type).toContain(type);
    }
    expect(Object.values(packaged.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(FUNCTIONS.length);
  });

  it('has a known type, known properties of the right types and every required property, in every resource', async () => {
    const schemas = await loadSchemas();
    for (const resource of Object.values(packaged.Resources)) expect(schemas.resource(String(resource.Type)), String(resource.Type)).toBeDefined();
    expect(lines(checkTemplateResources(packaged, schemas))).toEqual([]);
  });

  it('names only IAM actions that exist, and no wildcard action in an Allow statement', async () => {
    // Sanity check of the policy finder: each function role's inline policy and trust policy.
    expect(policyDocuments(packaged).length).toBeGreaterThanOrEqual(2 * FUNCTIONS.length);
    expect(lines(await checkIamActions(packaged))).toEqual([]);
  });
});
