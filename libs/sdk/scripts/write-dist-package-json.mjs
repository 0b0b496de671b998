// The package is "type": "module"; these markers make Node read dist/cjs as CommonJS and keep
// dist/esm (and the declarations next to it) explicitly ESM whatever the root says.
import { writeFileSync } from 'node:fs';

const marker = (dir, type) => writeFileSync(new URL(`../dist/${dir}/package.json`, import.meta.url), `${JSON.stringify({ type }, null, 2)}\n`);
marker('cjs', 'commonjs');
marker('esm', 'module');
marker('types', 'module');
