import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../../local/template';

/**
 * Which AWS calls each function's code can make, found by reading the code with the TypeScript
 * compiler, so that the IAM test compares the template with what the code does rather than with
 * a hand-kept list that can drift.
 *
 * Why static analysis: a function needs a permission for every call it *can* make, not just the
 * calls one test run happens to make; running handlers against recording fakes would miss the
 * branches no scenario takes (the idempotent retry, a compensation). The analysis follows the
 * layers of the code:
 *
 * 1. From the function's index.ts it walks every function it reaches in the shared layer (any of
 *    its entry points: handlers, use cases, their helpers), and records each port method called
 *    on the way (`orders.get`, `ledger.reserve`: members of the interfaces in ports.ts).
 * 2. The adapter factories index.ts calls bind each port to an adapter, and each parameter of the
 *    factory to what index.ts passed: `requireEnv('ORDERS_TABLE')`, or an object of such values
 *    (`dynamoOrderLedger(client, { orders: requireEnv('ORDERS_TABLE'), ... })`).
 * 3. In the adapter, it walks the bound method (and the adapter helpers it calls) for the AWS
 *    requests it builds: each `new XxxCommand({...})` and each transaction item
 *    (`{ Update: { TableName, ... } }`), each mapped to its IAM action. The property of the
 *    request that names the resource (`TableName`, the table names keying `RequestItems`,
 *    `stateMachineArn`, `executionArn`) leads back, through the adapter's local helpers, to the
 *    factory parameters it uses (`tables.orders`), hence to environment variables.
 *
 * Reachable, not executed: a call in any branch counts. A command missing from SDK_COMMANDS, a
 * `TableName` outside a known request, or a resource that does not lead to a `requireEnv` value
 * stops the analysis with an error rather than guessing.
 */

/** One AWS action a function can take, on the resource an environment variable names. */
export interface Access {
  action: string;
  /** The environment variable holding the resource's name or ARN (a table, a state machine). */
  envVar: string;
  /** The index a Query reads, if not the table itself. */
  index?: string;
  /** The action is on the state machine's executions (`...:execution:<name>:*`). */
  executions?: true;
}

/** An AWS request: the IAM action it needs, and the property of its input naming the resource. */
interface Request {
  action: string;
  on: 'TableName' | 'RequestItems' | 'stateMachineArn' | 'executionArn';
}

/**
 * The AWS SDK commands the code may send. TransactWriteItems has no IAM action of its own: each
 * of its items needs the action of the single-item request it stands for (TRANSACTION_ITEMS).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
 */
export const SDK_COMMANDS: Record<string, Request | null> = {
  GetCommand: { action: 'dynamodb:GetItem', on: 'TableName' },
  PutCommand: { action: 'dynamodb:PutItem', on: 'TableName' },
  UpdateCommand: { action: 'dynamodb:UpdateItem', on: 'TableName' },
  DeleteCommand: { action: 'dynamodb:DeleteItem', on: 'TableName' },
  QueryCommand: { action: 'dynamodb:Query', on: 'TableName' },
  BatchGetCommand: { action: 'dynamodb:BatchGetItem', on: 'RequestItems' },
  TransactWriteCommand: null,
  StartExecutionCommand: { action: 'states:StartExecution', on: 'stateMachineArn' },
  DescribeExecutionCommand: { action: 'states:DescribeExecution', on: 'executionArn' },
  RedriveExecutionCommand: { action: 'states:RedriveExecution', on: 'executionArn' },
};

/** The items of a TransactWriteItems, by the key that introduces each. */
export const TRANSACTION_ITEMS: Record<string, Request> = {
  Put: { action: 'dynamodb:PutItem', on: 'TableName' },
  Update: { action: 'dynamodb:UpdateItem', on: 'TableName' },
  Delete: { action: 'dynamodb:DeleteItem', on: 'TableName' },
  ConditionCheck: { action: 'dynamodb:ConditionCheckItem', on: 'TableName' },
};

const SHARED = join(ROOT, 'src', 'layers', 'shared', 'src') + sep;
const ADAPTERS = join(SHARED, 'adapters') + sep;
const PORTS = join(SHARED, 'ports.ts');

type FunctionLike =
  | ts.FunctionDeclaration
  | ts.MethodDeclaration
  | ts.ArrowFunction
  | ts.FunctionExpression;

/** What index.ts passed for a factory parameter: `requireEnv('X')` as `'X'`, or an object of them. */
type EnvValue = string | { [key: string]: EnvValue | undefined };

/** A port (an interface of ports.ts) bound to the adapter factory that implements it. */
interface Binding {
  factory: ts.FunctionDeclaration;
  /** What each parameter of the factory was given, when it was given requireEnv values. */
  parameters: Map<ts.ParameterDeclaration, EnvValue | undefined>;
}

/**
 * The TypeScript program of the given entry files, compiled with the project's tsconfig, with
 * the `edited` files (absolute path -> text) read from memory instead of the disk.
 */
function createProgram(entryFiles: string[], edited: Record<string, string>): ts.Program {
  const configPath = join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile;
  host.readFile = (file) => edited[file] ?? readFile(file);
  return ts.createProgram(entryFiles, options, host);
}

const fileOf = (node: ts.Node) => node.getSourceFile().fileName.split('/').join(sep);

/** `path:line` of a node, for error messages. */
function at(node: ts.Node): string {
  const { line } = node.getSourceFile().getLineAndCharacterOfPosition(node.getStart());
  return `${relative(ROOT, fileOf(node))}:${line + 1}`;
}

/** The declaration a name refers to, looking through imports, re-exports and `{ shorthand }`. */
function declarationOf(checker: ts.TypeChecker, node: ts.Node): ts.Declaration | undefined {
  let symbol =
    ts.isShorthandPropertyAssignment(node.parent) && node.parent.name === node
      ? checker.getShorthandAssignmentValueSymbol(node.parent)
      : checker.getSymbolAtLocation(node);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  return symbol?.valueDeclaration ?? symbol?.declarations?.[0];
}

/** The function a declaration defines: `function f`, `const f = () => ...`, a method. */
function functionOf(declaration: ts.Declaration | undefined): FunctionLike | undefined {
  if (!declaration) return undefined;
  if (ts.isFunctionDeclaration(declaration) || ts.isMethodDeclaration(declaration)) {
    return declaration;
  }
  if (ts.isVariableDeclaration(declaration) && declaration.initializer) {
    const init = declaration.initializer;
    if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init;
  }
  return undefined;
}

/** `Interface.method` when the declaration is a method of a port interface in ports.ts. */
function portMethodOf(declaration: ts.Declaration | undefined): string | undefined {
  if (!declaration || !ts.isMethodSignature(declaration) || fileOf(declaration) !== PORTS) {
    return undefined;
  }
  const owner = declaration.parent;
  if (!ts.isInterfaceDeclaration(owner)) return undefined;
  return `${owner.name.text}.${declaration.name.getText()}`;
}

/** What an argument evaluates to, as far as requireEnv goes: `'X'`, `{ orders: 'X' }`, or unknown. */
function envValueOf(checker: ts.TypeChecker, node: ts.Expression): EnvValue | undefined {
  if (ts.isCallExpression(node)) {
    const callee = declarationOf(checker, node.expression);
    const [name] = node.arguments;
    const isRequireEnv =
      callee && ts.isFunctionDeclaration(callee) && callee.name?.text === 'requireEnv';
    return isRequireEnv && name && ts.isStringLiteral(name) ? name.text : undefined;
  }
  if (ts.isIdentifier(node)) {
    const declaration = declarationOf(checker, node);
    const initializer =
      declaration && ts.isVariableDeclaration(declaration) ? declaration.initializer : undefined;
    return initializer ? envValueOf(checker, initializer) : undefined;
  }
  if (ts.isPropertyAccessExpression(node)) {
    const object = envValueOf(checker, node.expression);
    return typeof object === 'object' ? object[node.name.text] : undefined;
  }
  if (ts.isObjectLiteralExpression(node)) {
    const entries = node.properties.map((property) => {
      const value = ts.isPropertyAssignment(property)
        ? envValueOf(checker, property.initializer)
        : ts.isShorthandPropertyAssignment(property)
          ? envValueOf(checker, property.name)
          : undefined;
      return [property.name?.getText(), value];
    });
    return Object.fromEntries(entries);
  }
  return undefined;
}

/**
 * Step 1 and 2: walks everything the entry file reaches outside the adapters, collecting the
 * port methods called and the adapters bound to ports.
 */
function reachablePortCalls(checker: ts.TypeChecker, entry: ts.SourceFile) {
  const calls = new Set<string>();
  const bindings = new Map<string, Binding>();
  const visited = new Set<ts.Node>();

  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node)) {
      const method = portMethodOf(declarationOf(checker, node.name));
      if (method) calls.add(method);
    }
    if (ts.isCallExpression(node)) bind(node);
    if (ts.isIdentifier(node)) {
      const target = functionOf(declarationOf(checker, node));
      const inShared = target && fileOf(target).startsWith(SHARED);
      if (target && inShared && !fileOf(target).startsWith(ADAPTERS) && !visited.has(target)) {
        visited.add(target);
        visit(target);
      }
    }
    ts.forEachChild(node, visit);
  };

  const bind = (call: ts.CallExpression): void => {
    const factory = declarationOf(checker, call.expression);
    if (!factory || !ts.isFunctionDeclaration(factory) || !fileOf(factory).startsWith(ADAPTERS)) {
      return;
    }
    const port = factory.type?.getText();
    if (!port) {
      throw new Error(`${at(factory)}: ${factory.name?.text} must declare the port it returns`);
    }
    if (bindings.has(port)) throw new Error(`${at(call)}: ${port} is bound twice`);
    const parameters = new Map(
      factory.parameters.map((parameter, i) => {
        const argument = call.arguments[i];
        return [parameter, argument && envValueOf(checker, argument)] as const;
      }),
    );
    bindings.set(port, { factory, parameters });
  };

  visit(entry);
  return { calls, bindings };
}

/** The member of the object literal an adapter factory returns that implements `method`. */
function adapterMethod(
  checker: ts.TypeChecker,
  factory: ts.FunctionDeclaration,
  method: string,
): ts.Node | undefined {
  const returned = factory.body?.statements.find(ts.isReturnStatement)?.expression;
  if (!returned || !ts.isObjectLiteralExpression(returned)) return undefined;
  for (const member of returned.properties) {
    if (member.name?.getText() !== method) continue;
    if (ts.isShorthandPropertyAssignment(member)) {
      return checker.getShorthandAssignmentValueSymbol(member)?.valueDeclaration;
    }
    return ts.isPropertyAssignment(member) ? member.initializer : member;
  }
  return undefined;
}

/** A property's value expression: `{ name: value }` or `{ name }`. */
function valueExpression(property: ts.ObjectLiteralElementLike): ts.Node {
  if (ts.isPropertyAssignment(property)) return property.initializer;
  if (ts.isShorthandPropertyAssignment(property)) return property.name;
  return property;
}

const propertyOf = (literal: ts.ObjectLiteralExpression, name: string) =>
  literal.properties.find((p) => p.name?.getText() === name);

/** The IndexName of a request when it is a string constant. */
function indexNameOf(checker: ts.TypeChecker, input: ts.ObjectLiteralExpression) {
  const property = propertyOf(input, 'IndexName');
  if (!property) return undefined;
  const type = checker.getTypeAtLocation(valueExpression(property));
  if (!type.isStringLiteral()) throw new Error(`${at(property)}: IndexName must be a constant`);
  return type.value;
}

/**
 * The environment variables an expression of an adapter can name: the factory parameters it
 * uses (`tableName`, `tables.orders`), directly or through the adapter's local constants and
 * helpers (`executionArn(name)` builds on `stateMachineArn`).
 */
function resourcesOf(checker: ts.TypeChecker, expression: ts.Node, binding: Binding): Set<string> {
  const found = new Set<string>();
  const visited = new Set<ts.Node>();
  const factoryName = binding.factory.name?.text;

  const parameterOf = (node: ts.Node) => {
    const declaration = declarationOf(checker, node);
    return declaration && ts.isParameter(declaration) && declaration.parent === binding.factory
      ? declaration
      : undefined;
  };
  const add = (node: ts.Node, value: EnvValue | undefined) => {
    if (typeof value !== 'string') {
      throw new Error(
        `${at(node)}: ${node.getText()} is not one requireEnv('NAME') where ${factoryName} is ` +
          'called, so the IAM test cannot tell which resource it names',
      );
    }
    found.add(value);
  };

  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node)) {
      const parameter = parameterOf(node.expression);
      if (parameter) {
        // `tables.orders`, or a method of a string parameter: `stateMachineArn.replace(...)`.
        const value = binding.parameters.get(parameter);
        add(node, typeof value === 'object' ? value[node.name.text] : value);
        return;
      }
    }
    if (ts.isIdentifier(node)) {
      const parameter = parameterOf(node);
      if (parameter) {
        add(node, binding.parameters.get(parameter));
        return;
      }
      const declaration = declarationOf(checker, node);
      const local =
        declaration && ts.isVariableDeclaration(declaration)
          ? declaration.initializer
          : functionOf(declaration);
      if (local && fileOf(local).startsWith(ADAPTERS) && !visited.has(local)) {
        visited.add(local);
        visit(local);
      }
    }
    ts.forEachChild(node, visit);
  };

  visit(expression);
  return found;
}

/**
 * Step 3: the accesses an adapter method makes, following the adapter helpers it calls: the
 * commands it sends and the transaction items it builds, on the resources they name.
 */
function accessesOf(checker: ts.TypeChecker, method: ts.Node, binding: Binding): Access[] {
  const accesses: Access[] = [];
  const visited = new Set<ts.Node>([method]);
  const requests = new Set<ts.Node>();
  const withTableName: ts.ObjectLiteralExpression[] = [];
  let transactions = 0;
  let items = 0;

  const request = (site: ts.Node, input: ts.Node | undefined, { action, on }: Request) => {
    if (!input || !ts.isObjectLiteralExpression(input)) {
      throw new Error(`${at(site)}: the input of ${action} must be an object literal`);
    }
    requests.add(input);
    const property = propertyOf(input, on);
    if (!property) throw new Error(`${at(input)}: ${action} without ${on}`);
    // RequestItems is keyed by table name: `{ [tables.inventory]: { Keys } }`.
    const value = valueExpression(property);
    const names =
      on === 'RequestItems' && ts.isObjectLiteralExpression(value)
        ? value.properties.map((p) => (p.name && ts.isComputedPropertyName(p.name) ? p.name : p))
        : [value];
    const index = indexNameOf(checker, input);
    for (const name of names) {
      const envVars = resourcesOf(checker, name, binding);
      if (envVars.size === 0) {
        throw new Error(`${at(name)}: cannot tell which resource ${on} names`);
      }
      for (const envVar of envVars) {
        accesses.push({
          action,
          envVar,
          ...(index ? { index } : {}),
          ...(on === 'executionArn' ? { executions: true as const } : {}),
        });
      }
    }
  };

  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node)) {
      const declaration = declarationOf(checker, node.expression);
      const name = declaration && ts.getNameOfDeclaration(declaration)?.getText();
      if (name?.endsWith('Command')) {
        const command = SDK_COMMANDS[name];
        if (command === undefined) {
          throw new Error(`${at(node)}: no IAM action known for ${name}: add it to SDK_COMMANDS`);
        }
        if (command) request(node, node.arguments?.[0], command);
        else transactions++;
      }
    }
    if (ts.isPropertyAssignment(node) && Object.hasOwn(TRANSACTION_ITEMS, node.name.getText())) {
      items++;
      request(node, node.initializer, TRANSACTION_ITEMS[node.name.getText()] as Request);
    }
    if (ts.isObjectLiteralExpression(node) && propertyOf(node, 'TableName')) {
      withTableName.push(node);
    }
    if (ts.isIdentifier(node)) {
      const helper = functionOf(declarationOf(checker, node));
      if (helper && fileOf(helper).startsWith(ADAPTERS) && !visited.has(helper)) {
        visited.add(helper);
        visit(helper);
      }
    }
    ts.forEachChild(node, visit);
  };

  visit(method);
  for (const literal of withTableName.filter((l) => !requests.has(l))) {
    throw new Error(
      `${at(literal)}: a TableName outside a command's input or a transaction item ` +
        `(${Object.keys(TRANSACTION_ITEMS).join(', ')}): the IAM test cannot tell its action`,
    );
  }
  if (transactions > 0 && items === 0) {
    throw new Error(`${at(method)}: sends a transaction whose items the IAM test cannot find`);
  }
  return accesses;
}

/** Deduplicated, sorted accesses, for stable test output. */
function unique(accesses: Access[]): Access[] {
  const key = (a: Access) => `${a.action} ${a.envVar} ${a.index ?? ''} ${a.executions ?? ''}`;
  const byKey = new Map(accesses.map((a) => [key(a), a]));
  return [...byKey.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, access]) => access);
}

/**
 * The AWS actions each entry file (a function's index.ts, absolute path) can take, keyed by
 * the same path. `edited` replaces files of the code (absolute path -> text), to test the
 * analysis itself on code it must refuse.
 */
export function analyseAccess(
  entryFiles: string[],
  edited: Record<string, string> = {},
): Record<string, Access[]> {
  const program = createProgram(entryFiles, edited);
  const checker = program.getTypeChecker();
  const result: Record<string, Access[]> = {};
  for (const entryFile of entryFiles) {
    const entry = program.getSourceFile(entryFile);
    if (!entry) throw new Error(`${entryFile} is not part of the program`);
    const { calls, bindings } = reachablePortCalls(checker, entry);
    const accesses: Access[] = [];
    for (const call of calls) {
      const [port = '', method = ''] = call.split('.');
      const binding = bindings.get(port);
      if (!binding) throw new Error(`${relative(ROOT, entryFile)} calls ${call} with no adapter`);
      const member = adapterMethod(checker, binding.factory, method);
      if (!member) throw new Error(`${binding.factory.name?.text} does not implement ${call}`);
      accesses.push(...accessesOf(checker, member, binding));
    }
    result[entryFile] = unique(accesses);
  }
  return result;
}
