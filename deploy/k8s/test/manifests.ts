import { execFileSync } from 'node:child_process';
import path from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

/** A rendered Kubernetes object, as parsed from YAML. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface Model {
  new (data: Record<string, unknown>): { validate(): void };
}

/**
 * The kinds Herald's manifests may contain, each at an API version every Kubernetes ≥ 1.25
 * serves (kubernetes-models also ships removed versions such as policy/v1beta1, so the
 * version is pinned here). A new kind is added here on purpose, with its model and type.
 */
const KINDS: Record<string, { model: Model; typeModule: string; typeName: string }> = {
  'v1/ServiceAccount': { model: ServiceAccount, typeModule: 'kubernetes-models/v1/ServiceAccount', typeName: 'IServiceAccount' },
  'v1/ConfigMap': { model: ConfigMap, typeModule: 'kubernetes-models/v1/ConfigMap', typeName: 'IConfigMap' },
  'v1/Service': { model: Service, typeModule: 'kubernetes-models/v1/Service', typeName: 'IService' },
  'apps/v1/Deployment': { model: Deployment, typeModule: 'kubernetes-models/apps/v1/Deployment', typeName: 'IDeployment' },
  'batch/v1/Job': { model: Job, typeModule: 'kubernetes-models/batch/v1/Job', typeName: 'IJob' },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, typeModule: 'kubernetes-models/policy/v1/PodDisruptionBudget', typeName: 'IPodDisruptionBudget' },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    model: HorizontalPodAutoscaler,
    typeModule: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    typeName: 'IHorizontalPodAutoscaler',
  },
};

export const describeObject = (o: K8sObject): string => `${o.kind}/${o.metadata?.name ?? '?'}`;

/** `kubectl kustomize <dir>`, parsed. kubectl is Debian's kubernetes-client (.ci/run installs it). */
export function render(dir: string): K8sObject[] {
  let yaml: string;
  try {
    yaml = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') {
      throw new Error('kubectl not found: `apt-get install kubernetes-client` (.ci/run does it when kubectl is missing)', { cause: err });
    }
    throw err;
  }
  return parseAllDocuments(yaml).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`kubectl kustomize ${dir} printed invalid YAML: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    return value === null ? [] : [value as K8sObject];
  });
}

/**
 * Validates each object against the Kubernetes OpenAPI schema of its kind (kubernetes-models'
 * compiled validators: types, required fields, enums, formats such as quantities). Returns one
 * message per failing object.
 */
export function schemaErrors(objects: K8sObject[]): string[] {
  return objects.flatMap((o) => {
    const kind = KINDS[`${o.apiVersion}/${o.kind}`];
    if (!kind) return [`${describeObject(o)}: ${o.apiVersion} ${o.kind} is not a kind these manifests may use`];
    try {
      new kind.model(o).validate();
      return [];
    } catch (err) {
      return [`${describeObject(o)}: ${err instanceof Error ? err.message : String(err)}`];
    }
  });
}

/**
 * Fields the schema does not know (a typo such as `livenesProbe`, or a field at the wrong
 * indentation). The schema validators accept them, as the OpenAPI documents do not forbid
 * extra properties, while the API server rejects or drops them. So each object is type-checked,
 * as an object literal, against the interface kubernetes-models generates from the same
 * schema: TypeScript's excess-property check names every unknown field, at any depth.
 */
export function unknownFieldErrors(objects: K8sObject[]): string[] {
  const known = objects.filter((o) => KINDS[`${o.apiVersion}/${o.kind}`]);
  if (known.length === 0) return [];
  const kinds = [...new Set(known.map((o) => `${o.apiVersion}/${o.kind}`))];
  const header = kinds.map((k) => `import type { ${KINDS[k]!.typeName} } from '${KINDS[k]!.typeModule}';`);
  // One object per line, so a diagnostic's line names its object.
  const body = known.map((o, i) => `export const o${i}: ${KINDS[`${o.apiVersion}/${o.kind}`]!.typeName} = ${JSON.stringify(o)};`);
  const source = [...header, ...body].join('\n');

  // Inside the repository, so `kubernetes-models` resolves from its node_modules.
  const file = path.join(__dirname, '__rendered-manifests__.ts');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, ...rest) => (path.resolve(name) === file ? sourceFile : getSourceFile(name, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);

  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file?.fileName !== sourceFile.fileName || d.start === undefined) return `manifest types: ${message}`;
    const line = sourceFile.getLineAndCharacterOfPosition(d.start).line - header.length;
    const o = known[line];
    return `${o ? describeObject(o) : 'manifest types'}: ${message}`;
  });
}
