import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseSettings, SettingsError } from './settings.schema';
import { Settings } from './settings';

export const DEFAULT_CONFIG_FILE = 'config/waypost.yaml';
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * Reads the settings once, at start-up: env vars, then the YAML file named by CONFIG_FILE (default
 * config/waypost.yaml, which may be absent), then defaults. The only place that reads process.env.
 */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const explicit = env.CONFIG_FILE !== undefined && env.CONFIG_FILE !== '';
  const fileName = explicit ? (env.CONFIG_FILE as string) : DEFAULT_CONFIG_FILE;
  return parseSettings({ env, file: readConfigFile(fileName, explicit), fileName });
}

function readConfigFile(fileName: string, required: boolean): Record<string, unknown> {
  const path = resolve(fileName);
  if (!existsSync(path)) {
    if (required) throw new SettingsError([`CONFIG_FILE: ${fileName} does not exist`]);
    return {};
  }
  let parsed: unknown;
  try {
    const source = readFileSync(path);
    if (source.length > MAX_CONFIG_BYTES) throw new Error(`larger than ${MAX_CONFIG_BYTES} bytes`);
    parsed = parseYaml(source.toString('utf8'), { maxAliasCount: 100 });
  } catch (error) {
    const firstLine = String((error as Error).message).split('\n')[0];
    throw new SettingsError([`CONFIG_FILE: ${fileName} cannot be read: ${firstLine}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SettingsError([`CONFIG_FILE: ${fileName} must hold a map of settings`]);
  }
  return parsed as Record<string, unknown>;
}
