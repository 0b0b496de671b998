import { readFileSync } from 'node:fs';

/**
 * Sums self time per function of a V8 .cpuprofile (from `npm run bench -- --profile`) and
 * prints the top N: `node dist/bench/profile-summary.js <file.cpuprofile> [N]`.
 * Also prints self time per script (which library the time goes to).
 */
interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
  const top = Number(topArg ?? 30);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const perFunction = new Map<string, number>();
  const perScript = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const script = shortUrl(frame.url);
    const key = `${frame.functionName || '(anonymous)'} ${script}:${frame.lineNumber + 1}`;
    perFunction.set(key, (perFunction.get(key) ?? 0) + us);
    const lib = libraryOf(frame.url, frame.functionName);
    perScript.set(lib, (perScript.get(lib) ?? 0) + us);
  }
  const print = (title: string, m: Map<string, number>, n: number): void => {
    process.stdout.write(`\n${title} (total ${(total / 1e6).toFixed(1)} s sampled)\n`);
    for (const [k, us] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)) {
      process.stdout.write(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`);
    }
  };
  print('self time by function', perFunction, top);
  print('self time by package', perScript, 25);
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/').replace(/^.*\/dist\//, 'dist/');
}

/** node_modules package, Herald's own code, Node internals, or V8 pseudo-frames ((program), (garbage collector)). */
function libraryOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] as string;
  const own = /dist\/(apps|libs)\/([^/]+)/.exec(url);
  return own ? `herald:${own[2]}` : shortUrl(url);
}

main();
