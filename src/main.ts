import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { loadSettings } from './config/config.loader';
import { SettingsError } from './config/settings.schema';

async function bootstrap(): Promise<void> {
  let waypost;
  try {
    waypost = await createApp(loadSettings());
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    // One line per bad setting or file, naming it; nothing else starts.
    for (const problem of error.problems)
      process.stderr.write(`waypost: invalid setting ${problem}\n`);
    process.exit(1);
  }
  // Our own handler rather than enableShutdownHooks: Nest re-raises the signal after closing, which
  // ends the process "killed by SIGTERM"; a drained shutdown should exit 0.
  const shutdown = (signal: NodeJS.Signals) => {
    new Logger('Waypost').log(`${signal}: draining and shutting down`);
    waypost.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await waypost.listen();
}

void bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `waypost: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
