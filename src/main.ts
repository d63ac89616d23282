import 'reflect-metadata';
import { createApp } from './app.factory';
import { loadSettings } from './config/config.loader';
import { SettingsError } from './config/settings.schema';

async function bootstrap(): Promise<void> {
  let settings;
  try {
    settings = loadSettings();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    // One line per bad setting, naming it; nothing else starts.
    for (const problem of error.problems) process.stderr.write(`waypost: invalid setting ${problem}\n`);
    process.exit(1);
  }
  const waypost = await createApp(settings);
  waypost.admin.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await waypost.listen();
}

void bootstrap().catch((error: unknown) => {
  process.stderr.write(`waypost: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
