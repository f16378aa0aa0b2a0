// Prints template.yaml as the SAM transform receives it, after AWS::LanguageExtensions has
// resolved the template's parameters (given as K=V, the others at their defaults), as JSON:
//   npx tsx scripts/sam-template.ts Authorizer=LambdaAuthorizer > /tmp/template.json
// For checks that read SAM resources as SAM's own schema describes them (the schema check in
// .ci/run): `DefaultAuthorizer: !Ref Authorizer` is a name only after that transform.
import { loadTemplate } from '../local/template';
import { resolveLanguageExtensions } from './guard';

const parameters = Object.fromEntries(
  process.argv.slice(2).map((pair) => {
    const [key, ...value] = pair.split('=');
    if (!key || value.length === 0) throw new Error(`Expected K=V, not "${pair}"`);
    return [key, value.join('=')];
  }),
);
const template = loadTemplate();
const unknown = Object.keys(parameters).filter((key) => !(key in (template.Parameters ?? {})));
if (unknown.length > 0) throw new Error(`template.yaml has no parameter ${unknown.join(', ')}`);
console.log(JSON.stringify(resolveLanguageExtensions(template, parameters), null, 2));
