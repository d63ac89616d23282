// Marks a dual build: dist/esm is ES modules, dist/cjs is CommonJS, whatever the package says.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = process.argv[2];
writeFileSync(join(dist, 'esm', 'package.json'), '{ "type": "module" }\n');
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
