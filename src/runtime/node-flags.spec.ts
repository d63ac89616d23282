import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_FLAGS } from './node-flags';

const root = join(__dirname, '..', '..');

describe('NODE_FLAGS', () => {
  it('is what `npm start` runs the built app with', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe(['node', ...NODE_FLAGS, 'dist/main.js'].join(' '));
  });

  it("is what the Docker image's CMD runs the built app with", () => {
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'));
    expect(cmd && JSON.parse(cmd[1])).toEqual(['node', ...NODE_FLAGS, 'dist/main.js']);
  });
});
