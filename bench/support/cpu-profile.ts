import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

/**
 * A V8 CPU profile of this process from `start()` to `stop()` (so that start-up, module loading
 * and seeding are left out), written as `<dir>/<name>.cpuprofile`: open it in Chrome's DevTools,
 * or sum it up by layer with `bench/support/profile-breakdown.ts`.
 */
export class CpuProfile {
  private readonly session = new Session();

  private constructor(private readonly file: string) {}

  static async start(dir: string, name: string): Promise<CpuProfile> {
    const profile = new CpuProfile(path.resolve(dir, `${name}.cpuprofile`));
    profile.session.connect();
    await profile.post('Profiler.enable');
    // Every 200 µs (V8's default is 1 ms): a request of ours takes a few hundred.
    await profile.post('Profiler.setSamplingInterval', { interval: 200 });
    await profile.post('Profiler.start');
    return profile;
  }

  async stop(): Promise<string> {
    const { profile } = (await this.post('Profiler.stop')) as { profile: unknown };
    this.session.disconnect();
    writeFileSync(this.file, JSON.stringify(profile));
    return this.file;
  }

  private post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.session.post(method, params, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );
  }
}

/** A process's name as a file name: `ours (Redis)` → `ours-Redis`. */
export const profileName = (name: string) => name.replace(/[^\w]+/g, '-').replace(/^-|-$/g, '');
