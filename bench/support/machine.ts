import os from 'node:os';

/** The machine, as RESULTS.md records it next to the figures. */
export function describeMachine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  const memoryGiB = Math.round(os.totalmem() / 2 ** 30);
  return `${cpus.length} vCPU (${model}), ${memoryGiB} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}
