// What the installed @pulumi/docker declares, read from its type definitions with the TypeScript compiler:
// every input field of Container and Service (nested specs included), and which top-level outputs the
// provider computes when the program leaves them unset. The coverage table and the preview model use it,
// so both follow a provider upgrade.
import * as path from "path";
import * as ts from "typescript";

const DOCKER = path.dirname(require.resolve("@pulumi/docker/package.json"));

let cached: { program: ts.Program; checker: ts.TypeChecker } | undefined;
function compiler() {
  cached ??= (() => {
    const files = ["container.d.ts", "service.d.ts", "network.d.ts", "volume.d.ts", "remoteImage.d.ts", "serviceConfig.d.ts"].map((f) => path.join(DOCKER, f));
    const program = ts.createProgram(files, { strict: true, skipLibCheck: true });
    return { program, checker: program.getTypeChecker() };
  })();
  return cached;
}

function declaration(file: string, name: string): ts.ClassDeclaration | ts.InterfaceDeclaration {
  const sf = compiler().program.getSourceFile(path.join(DOCKER, file));
  let found: ts.ClassDeclaration | ts.InterfaceDeclaration | undefined;
  if (sf) ts.forEachChild(sf, (n) => {
    if ((ts.isInterfaceDeclaration(n) || ts.isClassDeclaration(n)) && n.name?.text === name) found = n;
  });
  if (!found) throw new Error(`@pulumi/docker declares no ${name} in ${file}`);
  return found;
}

// The input interface (from types/input.d.ts) a property's type is built from, through Input<>, arrays and unions.
function nestedInput(t: ts.Type): ts.Type | undefined {
  const { checker } = compiler();
  for (const part of t.isUnion() ? t.types : [t]) {
    if (checker.isArrayType(part)) {
      const inner = checker.getTypeArguments(part as ts.TypeReference)[0];
      const found = inner && nestedInput(inner);
      if (found) return found;
    }
    const decl = part.getSymbol()?.declarations?.[0];
    if (decl && ts.isInterfaceDeclaration(decl) && decl.getSourceFile().fileName.endsWith(path.join("types", "input.d.ts"))) return part;
  }
  return undefined;
}

export interface ProviderField {
  // "Container.mounts.bindOptions.propagation"
  path: string;
  // The input type it is, when it is a nested spec: "ContainerMountBindOptions".
  spec?: string;
}

// Every input field of docker.Container and docker.Service, depth first, in declaration order.
export function providerInputFields(): ProviderField[] {
  const { checker } = compiler();
  const out: ProviderField[] = [];
  const walk = (t: ts.Type, prefix: string, seen: Set<string>) => {
    for (const prop of checker.getPropertiesOfType(t)) {
      const p = `${prefix}.${prop.getName()}`;
      const inner = nestedInput(checker.getTypeOfSymbol(prop));
      const spec = inner?.getSymbol()?.getName();
      out.push(spec ? { path: p, spec } : { path: p });
      if (inner && spec && !seen.has(spec)) walk(inner, p, new Set([...seen, spec]));
    }
  };
  walk(checker.getTypeAtLocation(declaration("container.d.ts", "ContainerArgs")), "Container", new Set());
  walk(checker.getTypeAtLocation(declaration("service.d.ts", "ServiceArgs")), "Service", new Set());
  return out;
}

// Top-level outputs the provider fills in when the program leaves them unset: an output typed Output<T>
// (never undefined) whose input is optional. During a preview of a new resource they are unknown.
export function computedOutputs(file: string, className: string): string[] {
  const cls = declaration(file, className);
  const args = declaration(file, `${className}Args`);
  const optionalInputs = new Set(
    args.members.filter((m): m is ts.PropertySignature => ts.isPropertySignature(m) && !!m.questionToken).map((m) => (m.name as ts.Identifier).text),
  );
  const declaredInputs = new Set(args.members.filter(ts.isPropertySignature).map((m) => (m.name as ts.Identifier).text));
  return cls.members
    .filter((m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m) && !!m.type && /Output</.test(m.type.getText()) && !/undefined/.test(m.type.getText()))
    .map((m) => (m.name as ts.Identifier).text)
    .filter((n) => optionalInputs.has(n) || !declaredInputs.has(n))
    .filter((n) => n !== "urn" && n !== "id");
}
