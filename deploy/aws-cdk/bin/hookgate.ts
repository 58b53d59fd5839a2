#!/usr/bin/env node
// `cdk synth` / `cdk deploy` entry (cdk.json). Settings come from context: see lib/props.ts
// and deploy/README.md. cdk-nag's AwsSolutions pack runs on every synth as a CDK
// validation plugin; an unacknowledged finding fails the synth.
import * as cdk from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HookgateStack } from '../lib/hookgate-stack';
import { propsFromContext } from '../lib/props';

const app = new cdk.App();
const props = propsFromContext((key) => app.node.tryGetContext(key));
const stackName = (app.node.tryGetContext('stackName') as string | undefined) ?? 'Hookgate';
new HookgateStack(app, stackName, props, { description: 'hookgate webhook gateway on ECS/Fargate' });
cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
