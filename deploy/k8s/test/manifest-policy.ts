import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { IService } from 'kubernetes-models/v1/Service';
import { envSchema, loadConfig, type HeraldConfig } from '@herald/config';
import { describeObject, type K8sObject } from './manifests';

/**
 * What Herald's manifests must get right beyond the schema, each check returning the problems
 * it finds (empty when the manifests are right). Run on every rendered overlay; the negative
 * test feeds them a broken overlay to show each one can fail.
 */

const COMPONENT = 'app.kubernetes.io/component';
/** The image's user (`USER node` in docker/Dockerfile). */
const IMAGE_UID = 1000;
/** Every Herald process exits within this many seconds of SIGTERM (docs/operations.md). */
const PROCESS_EXIT_BOUND_S = 30;
/** Read from the Secret `herald-secrets`, never written into a manifest. */
export const SECRET_ENV = ['DATABASE_URL', 'REDIS_URL', 'HERALD_ADMIN_TOKEN', 'HERALD_MASTER_KEYS'] as const;
export const SECRET_NAME = 'herald-secrets';
/** Objects applied before a release, with the migration Job (docs/operations.md, "Kubernetes"). */
export const PRE_RELEASE_COMPONENTS = ['shared', 'migrate'];
/** docker/Dockerfile: one image, the command picks the process. */
const COMMANDS: Record<string, string[]> = {
  api: ['node', 'dist/apps/api/src/main.js'],
  dispatcher: ['node', 'dist/apps/dispatcher/src/main.js'],
  retention: ['node', 'dist/apps/retention/src/main.js'],
  migrate: ['node', 'dist/apps/cli/src/main.js', 'migrate'],
};

const ofKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);
// Typed views of objects that passed schema validation (schemaErrors) first.
const of = <T>(objects: K8sObject[], kind: string): T[] => ofKind(objects, kind) as unknown as T[];
const nameOf = (o: { kind?: string; metadata?: { name?: string } }): string => `${o.kind}/${o.metadata?.name ?? '?'}`;
const componentOf = (o: { metadata?: { labels?: Record<string, string> } }): string => o.metadata?.labels?.[COMPONENT] ?? '?';

interface PodOwner {
  owner: string;
  component: string;
  spec: IPodSpec;
  labels: Record<string, string>;
}

function podOwners(objects: K8sObject[]): PodOwner[] {
  const owners: PodOwner[] = [];
  for (const d of [...of<IDeployment>(objects, 'Deployment'), ...of<IJob>(objects, 'Job')]) {
    const template = d.spec?.template;
    if (!template?.spec) continue;
    owners.push({ owner: nameOf(d), component: componentOf(d), spec: template.spec, labels: template.metadata?.labels ?? {} });
  }
  return owners;
}

const containersOf = (objects: K8sObject[]): { owner: PodOwner; container: IContainer }[] =>
  podOwners(objects).flatMap((owner) => owner.spec.containers.map((container) => ({ owner, container })));

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string>): boolean =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Bytes of a memory quantity (`512Mi`, `1Gi`, `1G`, `1000`). */
export function memoryBytes(quantity: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  if (!match) return Number.NaN;
  const factor: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(match[1]) * factor[match[2] ?? '']!;
}

/** The overlay's ConfigMap data with stand-ins for the secrets, as a pod's environment would be. */
function environment(objects: K8sObject[]): Record<string, string> {
  const data = Object.assign({}, ...of<IConfigMap>(objects, 'ConfigMap').map((c) => c.data ?? {})) as Record<string, string>;
  return {
    ...data,
    DATABASE_URL: 'postgresql://herald:stand-in@postgres:5432/herald',
    REDIS_URL: 'redis://redis:6379',
    HERALD_ADMIN_TOKEN: 'stand-in-admin-token-of-enough-length',
    HERALD_MASTER_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  };
}

/** The configuration every pod boots with: loadConfig is the processes' own validation. */
export function configurationProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const known = new Set([...Object.keys(envSchema.shape), 'NODE_OPTIONS']);
  for (const c of of<IConfigMap>(objects, 'ConfigMap')) {
    for (const key of Object.keys(c.data ?? {})) if (!known.has(key)) problems.push(`${nameOf(c)}: ${key} is not a variable Herald reads`);
  }
  for (const { owner, container } of containersOf(objects)) {
    for (const e of container.env ?? []) if (!known.has(e.name)) problems.push(`${owner.owner}/${container.name}: env ${e.name} is not a variable Herald reads`);
    const refs = (container.envFrom ?? []).map((f) => f.configMapRef?.name);
    const maps = new Set(of<IConfigMap>(objects, 'ConfigMap').map((c) => c.metadata?.name));
    if (refs.length === 0 || refs.some((r) => !maps.has(r))) problems.push(`${owner.owner}/${container.name}: envFrom must name the rendered ConfigMap`);
  }
  let config: HeraldConfig | undefined;
  try {
    config = loadConfig(environment(objects));
  } catch (err) {
    problems.push(`configuration refused at boot: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (config && config.env !== 'production') problems.push(`NODE_ENV is ${config.env}, expected production`);
  if (config && config.api.host !== '0.0.0.0') problems.push(`HOST is ${config.api.host}: the API and the metrics would listen on loopback only`);
  return problems;
}

function probePort(container: IContainer, probe: IProbe | undefined): number | undefined {
  const port = probe?.httpGet?.port;
  if (typeof port === 'number') return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Liveness and readiness on every long-running container, on the paths and ports the processes serve. */
export function probeProblems(objects: K8sObject[]): string[] {
  const config = loadConfig(environment(objects));
  const expected: Record<string, { port: number; liveness: string[]; readiness: string[] }> = {
    api: { port: config.api.port, liveness: ['/api/v1/health/ping', '/api/v1/health'], readiness: ['/api/v1/health/ready'] },
    dispatcher: { port: config.delivery.metricsPort, liveness: ['/metrics'], readiness: ['/metrics'] },
    retention: { port: config.retention.metricsPort, liveness: ['/metrics'], readiness: ['/metrics'] },
  };
  const problems: string[] = [];
  for (const { owner, container } of containersOf(ofKind(objects, 'Deployment'))) {
    const want = expected[owner.component];
    const where = `${owner.owner}/${container.name}`;
    if (!want) {
      problems.push(`${where}: no probe expectations for component ${owner.component}`);
      continue;
    }
    for (const [kind, probe, paths] of [
      ['livenessProbe', container.livenessProbe, want.liveness],
      ['readinessProbe', container.readinessProbe, want.readiness],
      ['startupProbe', container.startupProbe, want.liveness],
    ] as const) {
      if (!probe) {
        problems.push(`${where}: no ${kind}`);
        continue;
      }
      if (!probe.httpGet || !paths.includes(probe.httpGet.path ?? '')) problems.push(`${where}: ${kind} must GET one of ${paths.join(', ')}`);
      if (probePort(container, probe) !== want.port) problems.push(`${where}: ${kind} port is not the container port the process listens on (${want.port})`);
    }
  }
  return problems;
}

/** Requests and a memory limit on every container, with V8's heap cap below the limit. */
export function resourceProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const { owner, container } of containersOf(objects)) {
    const where = `${owner.owner}/${container.name}`;
    const { requests, limits } = container.resources ?? {};
    if (requests?.cpu === undefined) problems.push(`${where}: no CPU request`);
    if (requests?.memory === undefined) problems.push(`${where}: no memory request`);
    if (limits?.memory === undefined) {
      problems.push(`${where}: no memory limit`);
      continue;
    }
    const limit = memoryBytes(limits.memory);
    if (requests?.memory !== undefined && memoryBytes(requests.memory) > limit) problems.push(`${where}: memory request above its limit`);
    const heap = /--max-old-space-size=(\d+)/.exec(container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '');
    // The old generation is most of the heap; young space, code, Prisma's WebAssembly and buffers need the rest.
    if (heap && Number(heap[1]) * 2 ** 20 > 0.75 * limit) problems.push(`${where}: --max-old-space-size=${heap[1]} leaves too little of the ${limits.memory} limit`);
  }
  return problems;
}

/** Non-root, read-only root filesystem with /tmp from an emptyDir, no capabilities, RuntimeDefault seccomp, no API token. */
export function securityProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const owner of podOwners(objects)) {
    const pod = owner.spec.securityContext;
    if (pod?.runAsNonRoot !== true) problems.push(`${owner.owner}: pod runAsNonRoot must be true`);
    if (pod?.runAsUser !== IMAGE_UID) problems.push(`${owner.owner}: pod runAsUser must be ${IMAGE_UID} (the image's node user)`);
    if (pod?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${owner.owner}: seccompProfile must be RuntimeDefault`);
    if (owner.spec.automountServiceAccountToken !== false) problems.push(`${owner.owner}: automountServiceAccountToken must be false`);
    for (const container of owner.spec.containers) {
      const where = `${owner.owner}/${container.name}`;
      const sc = container.securityContext;
      if (sc?.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation must be false`);
      if (sc?.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem must be true`);
      if (!sc?.capabilities?.drop?.includes('ALL')) problems.push(`${where}: capabilities must drop ALL`);
      if (sc?.capabilities?.add?.length) problems.push(`${where}: adds capabilities`);
      if (sc?.privileged === true) problems.push(`${where}: privileged`);
      const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
      const volume = owner.spec.volumes?.find((v) => v.name === tmp?.name);
      if (!volume?.emptyDir) problems.push(`${where}: /tmp must be an emptyDir (the root filesystem is read-only)`);
    }
  }
  return problems;
}

/** The kubelet waits long enough for the processes' own drain before SIGKILL. */
export function shutdownProblems(objects: K8sObject[]): string[] {
  const config = loadConfig(environment(objects));
  const drain = Math.max(PROCESS_EXIT_BOUND_S, config.delivery.timeoutMs / 1000 + 5);
  const problems: string[] = [];
  for (const owner of podOwners(ofKind(objects, 'Deployment'))) {
    const preStop = owner.spec.containers.reduce((max, c) => {
      const cmd = c.lifecycle?.preStop?.exec?.command ?? [];
      return cmd[0] === 'sleep' ? Math.max(max, Number(cmd[1])) : max;
    }, 0);
    const grace = owner.spec.terminationGracePeriodSeconds ?? 30;
    if (grace < preStop + drain) problems.push(`${owner.owner}: terminationGracePeriodSeconds ${grace} < preStop ${preStop} s + drain ${drain} s`);
  }
  return problems;
}

/** One PodDisruptionBudget per Deployment, selecting exactly it, and never blocking a drain for good. */
export function disruptionBudgetProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const deployments = of<IDeployment>(objects, 'Deployment');
  const pdbs = of<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
  const hpas = of<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler');
  for (const pdb of pdbs) {
    if (pdb.spec?.selector?.matchExpressions?.length) problems.push(`${nameOf(pdb)}: matchExpressions are not checked here; use matchLabels`);
    const matched = deployments.filter((d) => selects(pdb.spec?.selector?.matchLabels, d.spec?.template.metadata?.labels ?? {}));
    if (matched.length !== 1) {
      problems.push(`${nameOf(pdb)}: selects ${matched.length} Deployments, expected exactly 1`);
      continue;
    }
    const d = matched[0]!;
    const hpa = hpas.find((h) => h.spec?.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === d.metadata?.name);
    const replicas = hpa ? (hpa.spec?.minReplicas ?? 1) : (d.spec?.replicas ?? 1);
    const min = pdb.spec?.minAvailable;
    if (min !== undefined && (typeof min !== 'number' || min >= replicas)) {
      problems.push(`${nameOf(pdb)}: minAvailable ${min} with ${replicas} replicas would block every node drain`);
    }
  }
  for (const d of deployments) {
    const budgets = pdbs.filter((p) => selects(p.spec?.selector?.matchLabels, d.spec?.template.metadata?.labels ?? {}));
    if (budgets.length !== 1) problems.push(`${nameOf(d)}: has ${budgets.length} PodDisruptionBudgets, expected 1`);
  }
  return problems;
}

/** The HPA scales the dispatcher Deployment on the queue depth, and owns its replica count. */
export function autoscalerProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const hpas = of<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler');
  if (hpas.length !== 1) return [`expected 1 HorizontalPodAutoscaler, found ${hpas.length}`];
  const hpa = hpas[0]!;
  const ref = hpa.spec?.scaleTargetRef;
  const target = of<IDeployment>(objects, 'Deployment').find((d) => ref?.apiVersion === 'apps/v1' && ref.kind === 'Deployment' && d.metadata?.name === ref.name);
  if (!target) problems.push(`${nameOf(hpa)}: scaleTargetRef names no rendered Deployment`);
  else if (componentOf(target) !== 'dispatcher') problems.push(`${nameOf(hpa)}: targets ${nameOf(target)}, expected the dispatcher`);
  else if (target.spec?.replicas !== undefined) problems.push(`${nameOf(target)}: sets replicas, which every apply would reset under the HPA`);
  const queue = hpa.spec?.metrics?.find((m) => m.type === 'External' && m.external?.metric.name === 'herald_deliveries_due');
  if (!queue) problems.push(`${nameOf(hpa)}: no External metric herald_deliveries_due`);
  else if (queue.external?.target.type !== 'AverageValue') {
    // The backlog is one installation-wide figure: it is divided among the replicas, not averaged per pod.
    problems.push(`${nameOf(hpa)}: the queue-depth target must be an AverageValue`);
  }
  const min = hpa.spec?.minReplicas ?? 1;
  if (min < 1 || min > (hpa.spec?.maxReplicas ?? 0)) problems.push(`${nameOf(hpa)}: minReplicas ${min} / maxReplicas ${hpa.spec?.maxReplicas}`);
  return problems;
}

/** The migration Job runs `herald migrate` once, and what it needs is applied with it before a release. */
export function migrationJobProblems(objects: K8sObject[]): string[] {
  const jobs = of<IJob>(objects, 'Job');
  if (jobs.length !== 1) return [`expected 1 Job (migrations), found ${jobs.length}`];
  const job = jobs[0]!;
  const problems: string[] = [];
  const pod = job.spec?.template.spec;
  if (componentOf(job) !== 'migrate') problems.push(`${nameOf(job)}: component label must be migrate`);
  if (pod?.restartPolicy !== 'Never' && pod?.restartPolicy !== 'OnFailure') problems.push(`${nameOf(job)}: restartPolicy must be Never or OnFailure`);
  if (job.spec?.backoffLimit === undefined || job.spec.activeDeadlineSeconds === undefined) problems.push(`${nameOf(job)}: set backoffLimit and activeDeadlineSeconds (a failing migration must stop)`);
  const preRelease = objects.filter((o) => PRE_RELEASE_COMPONENTS.includes(o.metadata.labels?.[COMPONENT] ?? ''));
  const needs = [
    ...(pod?.containers ?? []).flatMap((c) => (c.envFrom ?? []).map((f) => `ConfigMap/${f.configMapRef?.name}`)),
    `ServiceAccount/${pod?.serviceAccountName ?? 'default'}`,
  ];
  for (const need of needs) {
    if (!preRelease.some((o) => describeObject(o) === need)) problems.push(`${nameOf(job)}: needs ${need}, which is not labelled ${COMPONENT} in (${PRE_RELEASE_COMPONENTS.join(',')})`);
  }
  return problems;
}

/** Secrets come from the Secret `herald-secrets`: no Secret object, no value inlined anywhere. */
export function secretProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const s of objects.filter((o) => o.kind === 'Secret')) problems.push(`${describeObject(s)}: secrets are created out of band, not rendered`);
  for (const c of of<IConfigMap>(objects, 'ConfigMap')) {
    for (const key of Object.keys(c.data ?? {})) if ((SECRET_ENV as readonly string[]).includes(key)) problems.push(`${nameOf(c)}: ${key} is a secret`);
  }
  for (const { owner, container } of containersOf(objects)) {
    for (const name of SECRET_ENV) {
      const e = container.env?.find((v) => v.name === name);
      const ref = e?.valueFrom?.secretKeyRef;
      if (!e || e.value !== undefined || ref?.name !== SECRET_NAME || ref.key !== name || ref.optional === true) {
        problems.push(`${owner.owner}/${container.name}: ${name} must come from secretKeyRef ${SECRET_NAME}/${name} (required)`);
      }
    }
  }
  // Anything that looks like a credential, wherever it was written.
  const text = JSON.stringify(objects);
  if (/[a-z][a-z0-9+.-]*:\/\/[^/\s"@:]*:[^/\s"@]+@/i.test(text)) problems.push('a URL with a password is inlined in a manifest');
  if (/[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=/.test(text)) problems.push('a master key (kid:base64) is inlined in a manifest');
  return problems;
}

/** One image for every process, pinned, each Deployment running its process. */
export function imageProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const images = new Set<string>();
  for (const { owner, container } of containersOf(objects)) {
    const where = `${owner.owner}/${container.name}`;
    const image = container.image ?? '';
    images.add(image);
    const tag = /@sha256:[0-9a-f]{64}$/.test(image) ? 'digest' : /:([^:/]+)$/.exec(image)?.[1];
    if (!tag || tag === 'latest') problems.push(`${where}: image ${image} needs a fixed tag or a digest`);
    const command = COMMANDS[owner.component];
    if (!command || JSON.stringify(container.command) !== JSON.stringify(command)) problems.push(`${where}: command must be ${JSON.stringify(command)}`);
  }
  if (images.size !== 1) problems.push(`expected one image for all processes, found ${[...images].join(', ')}`);
  return problems;
}

/** The API Service reaches the API pods only, on their HTTP port; all objects share one namespace. */
export function serviceProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const namespaces = new Set(objects.map((o) => o.metadata.namespace));
  if (namespaces.size !== 1 || namespaces.has(undefined)) problems.push(`objects must share one namespace, found ${[...namespaces].join(', ')}`);
  const services = of<IService>(objects, 'Service');
  if (services.length !== 1) return [...problems, `expected 1 Service (the API), found ${services.length}`];
  const service = services[0]!;
  const pods = podOwners(ofKind(objects, 'Deployment')).filter((p) => selects(service.spec?.selector, p.labels));
  if (pods.length !== 1 || pods[0]!.component !== 'api') {
    return [...problems, `${nameOf(service)}: selects ${pods.map((p) => p.owner).join(', ') || 'nothing'}, expected the API pods only`];
  }
  const api = pods[0]!.spec.containers[0]!;
  for (const port of service.spec?.ports ?? []) {
    const target = port.targetPort ?? port.port;
    if (!api.ports?.some((p) => p.name === target || p.containerPort === target)) problems.push(`${nameOf(service)}: targetPort ${target} is not a port of the API container`);
  }
  return problems;
}

export const POLICY_CHECKS = {
  configuration: configurationProblems,
  probes: probeProblems,
  resources: resourceProblems,
  security: securityProblems,
  shutdown: shutdownProblems,
  disruptionBudgets: disruptionBudgetProblems,
  autoscaler: autoscalerProblems,
  migrationJob: migrationJobProblems,
  secrets: secretProblems,
  images: imageProblems,
  service: serviceProblems,
};
