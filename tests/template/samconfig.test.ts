import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { LOCAL_CLIENT_ID } from '../../local/cognito/issuer';
import { DEFAULT_PORTS } from '../../local/stack';
import { loadTemplate, ROOT } from '../../local/template';
import { refusedBy } from './rules';

// biome-ignore lint/suspicious/noExplicitAny: samconfig.toml is untyped TOML.
type Section = Record<string, any>;

const template = loadTemplate();
const config = parse(readFileSync(join(ROOT, 'samconfig.toml'), 'utf8')) as Record<string, Section>;
/** The config environments (`default`, `prod`) and their command sections. */
const environments = Object.entries(config).filter(([name]) => name !== 'version') as Array<
  [string, Section]
>;
const parametersOf = (env: Section, command: string): Section => env[command]?.parameters ?? {};

/** `parameter_overrides` as SAM CLI reads it: `Key=Value` pairs, values optionally quoted. */
function overrides(text: string | undefined): Record<string, string> {
  const pairs = [...(text ?? '').matchAll(/(\w+)=("[^"]*"|'[^']*'|\S*)/g)];
  return Object.fromEntries(
    pairs.map(([, key, value]) => [key, String(value).replace(/^["']|["']$/g, '')]),
  );
}

/** Overrides that name undeclared parameters or values outside AllowedValues. */
function undeclared(values: Record<string, string>): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const parameter = template.Parameters?.[key];
    if (!parameter) return [`${key} is not a parameter of template.yaml`];
    const allowed = parameter.AllowedValues?.map(String);
    return allowed && !allowed.includes(value) ? [`${key}=${value} is not one of ${allowed}`] : [];
  });
}

describe('samconfig.toml', () => {
  const builds = environments.filter(([, env]) => env.build);
  const deploys = environments.filter(([, env]) => env.deploy);

  it('has a build and a deploy section for dev and prod', () => {
    expect(builds.map(([name]) => name).sort()).toEqual(['default', 'prod']);
    expect(deploys.map(([name]) => name).sort()).toEqual(['default', 'prod']);
  });

  // SAM's esbuild builder looks for esbuild on PATH and in its scratch copy of the code only:
  // a plain `sam build` after `npm ci` fails "Cannot find esbuild". In the source tree it finds
  // the project's node_modules/.bin/esbuild.
  it.each(builds)('builds %s in the source tree, where SAM finds the project esbuild', (_, env) => {
    expect(parametersOf(env, 'build').build_in_source).toBe(true);
  });

  // SAM keys a makefile layer's cache on its CodeUri only: a dependency upgraded in the root
  // package-lock.json would not rebuild the layer, and the old one would deploy.
  it.each(builds)('never reuses a cached build in %s', (_, env) => {
    expect(parametersOf(env, 'build').cached).not.toBe(true);
  });

  it('validates and lints with AWS::LanguageExtensions run locally, as at deploy', () => {
    const validate = parametersOf(config.default as Section, 'validate');
    expect(validate).toMatchObject({ lint: true, language_extensions: true });
  });

  // The template has a transform besides SAM's (AWS::LanguageExtensions), which CloudFormation
  // expands only with this capability acknowledged.
  it.each(deploys)('acknowledges the template transforms when it deploys %s', (_, env) => {
    expect(String(parametersOf(env, 'deploy').capabilities).split(' ')).toContain(
      'CAPABILITY_AUTO_EXPAND',
    );
  });

  it.each(deploys)(
    'deploys %s with parameters the template declares and its Rules accept',
    (_, env) => {
      const values = overrides(parametersOf(env, 'deploy').parameter_overrides);
      expect(undeclared(values)).toEqual([]);
      expect(refusedBy(template, values)).toEqual([]);
    },
  );

  it('gives prod its own CORS origin, which the template requires of prod', () => {
    const values = overrides(parametersOf(config.prod as Section, 'deploy').parameter_overrides);
    expect(values).toMatchObject({ Stage: 'prod' });
    expect(values.CorsAllowedOrigin).toMatch(/^https:\/\//);
    const { CorsAllowedOrigin: _, ...withoutOrigin } = values;
    expect(refusedBy(template, withoutOrigin)).toEqual([
      expect.stringContaining('CorsAllowedOrigin'),
    ]);
  });

  it('runs sam local start-api with the Lambda authorizer, trusting the issuer npm run issuer runs', () => {
    const startApi = parametersOf(config.default as Section, 'local_start_api');
    expect(startApi.language_extensions).toBe(true);
    const values = overrides(startApi.parameter_overrides);
    expect(values).toEqual({
      Authorizer: 'LambdaAuthorizer',
      JwtIssuer: `http://host.docker.internal:${DEFAULT_PORTS.issuer}`,
      JwtAudience: LOCAL_CLIENT_ID,
    });
    expect(undeclared(values)).toEqual([]);
    expect(refusedBy(template, values)).toEqual([]);
    // On Linux, Docker resolves host.docker.internal only when told to.
    expect(startApi.add_host).toContain('host.docker.internal:host-gateway');
  });
});
