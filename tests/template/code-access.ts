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
 * 1. From the function's index.ts it walks every function it reaches in the shared layer
 *    (handlers, use cases, their helpers), and records each port method called on the way
 *    (`orders.get`, `inventory.reserve`: members of the interfaces in ports.ts).
 * 2. The adapter factories index.ts calls bind each port to an adapter and a resource:
 *    `dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE'))` makes OrderRepository the
 *    orders table named by ORDERS_TABLE.
 * 3. In the adapter, it walks the bound method (and the file's helpers it calls) for
 *    `new XxxCommand(...)`, and maps each command to its IAM action, noting an `IndexName`.
 *
 * Reachable, not executed: a call in any branch counts. An SDK command missing from
 * COMMAND_ACTIONS, or an adapter bound without `requireEnv`, stops the analysis with an error
 * rather than guessing.
 */

/** The IAM action each AWS SDK command needs. */
export const COMMAND_ACTIONS: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  StartExecutionCommand: 'states:StartExecution',
};

/** One AWS action a function can take, on the resource an environment variable names. */
export interface Access {
  action: string;
  /** The environment variable the adapter got its table (or state machine) name from. */
  envVar: string;
  /** The index a Query reads, if not the table itself. */
  index?: string;
}

const SHARED = join(ROOT, 'src', 'layers', 'shared', 'src') + sep;
const ADAPTERS = join(SHARED, 'adapters') + sep;
const PORTS = join(SHARED, 'ports.ts');

type FunctionLike =
  | ts.FunctionDeclaration
  | ts.MethodDeclaration
  | ts.ArrowFunction
  | ts.FunctionExpression;

/** A port (an interface of ports.ts) bound to the adapter factory that implements it. */
interface Binding {
  factory: ts.FunctionDeclaration;
  envVar: string;
}

/** The TypeScript program of the given entry files, compiled with the project's tsconfig. */
function createProgram(entryFiles: string[]): ts.Program {
  const configPath = join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  return ts.createProgram(entryFiles, options);
}

/** The declaration a name refers to, looking through imports and re-exports. */
function declarationOf(checker: ts.TypeChecker, node: ts.Node): ts.Declaration | undefined {
  let symbol = checker.getSymbolAtLocation(node);
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

const fileOf = (node: ts.Node) => node.getSourceFile().fileName.split('/').join(sep);

/** `Interface.method` when the declaration is a method of a port interface in ports.ts. */
function portMethodOf(declaration: ts.Declaration | undefined): string | undefined {
  if (!declaration || !ts.isMethodSignature(declaration) || fileOf(declaration) !== PORTS) {
    return undefined;
  }
  const owner = declaration.parent;
  if (!ts.isInterfaceDeclaration(owner)) return undefined;
  return `${owner.name.text}.${declaration.name.getText()}`;
}

/** The string literal passed to `requireEnv(...)` among a call's arguments. */
function envVarArgument(checker: ts.TypeChecker, call: ts.CallExpression): string | undefined {
  for (const arg of call.arguments) {
    if (!ts.isCallExpression(arg)) continue;
    const callee = declarationOf(checker, arg.expression);
    const [name] = arg.arguments;
    if (callee && ts.isFunctionDeclaration(callee) && callee.name?.text === 'requireEnv') {
      if (name && ts.isStringLiteral(name)) return name.text;
    }
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
    const envVar = envVarArgument(checker, call);
    if (!port || !envVar) {
      throw new Error(
        `${relative(ROOT, fileOf(call))}: ${factory.name?.text} must be given requireEnv('NAME') ` +
          'and declare the port it returns, so the IAM test knows which resource it uses',
      );
    }
    bindings.set(port, { factory, envVar });
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

/** The IndexName of a command's input when it is a string constant. */
function indexNameOf(checker: ts.TypeChecker, command: ts.NewExpression): string | undefined {
  const [input] = command.arguments ?? [];
  if (!input || !ts.isObjectLiteralExpression(input)) return undefined;
  const property = input.properties.find((p) => p.name?.getText() === 'IndexName');
  if (!property) return undefined;
  const value = ts.isPropertyAssignment(property) ? property.initializer : property;
  const type = checker.getTypeAtLocation(value);
  if (!type.isStringLiteral()) {
    throw new Error(`${relative(ROOT, fileOf(command))}: IndexName must be a string constant`);
  }
  return type.value;
}

/** Step 3: the SDK commands an adapter method sends, following the adapter file's helpers. */
function commandsOf(checker: ts.TypeChecker, method: ts.Node) {
  const commands: Array<{ action: string; index?: string }> = [];
  const file = fileOf(method);
  const visited = new Set<ts.Node>([method]);

  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node)) {
      const declaration = declarationOf(checker, node.expression);
      const name = declaration && ts.getNameOfDeclaration(declaration)?.getText();
      if (name?.endsWith('Command')) {
        const action = COMMAND_ACTIONS[name];
        if (!action) throw new Error(`No IAM action known for ${name}: add it to COMMAND_ACTIONS`);
        const index = indexNameOf(checker, node);
        commands.push(index ? { action, index } : { action });
      }
    }
    if (ts.isIdentifier(node)) {
      const helper = functionOf(declarationOf(checker, node));
      if (helper && fileOf(helper) === file && !visited.has(helper)) {
        visited.add(helper);
        visit(helper);
      }
    }
    ts.forEachChild(node, visit);
  };

  visit(method);
  return commands;
}

/** Deduplicated, sorted accesses, for stable test output. */
function unique(accesses: Access[]): Access[] {
  const byKey = new Map(accesses.map((a) => [`${a.action} ${a.envVar} ${a.index ?? ''}`, a]));
  return [...byKey.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, access]) => access);
}

/**
 * The AWS actions each entry file (a function's index.ts, absolute path) can take, keyed by
 * the same path.
 */
export function analyseAccess(entryFiles: string[]): Record<string, Access[]> {
  const program = createProgram(entryFiles);
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
      for (const command of commandsOf(checker, member)) {
        accesses.push({ ...command, envVar: binding.envVar });
      }
    }
    result[entryFile] = unique(accesses);
  }
  return result;
}
