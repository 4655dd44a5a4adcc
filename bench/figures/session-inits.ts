// Session initializations per second: a fresh process flooded with initialize requests.
import { fmtInt } from '../lib/text-table.js';
import { errorText, type Harness, log } from '../harness.js';
import type { InitRecord } from '../records.js';
import { INITIALIZE_FLOOD_GATEWAY, initializeFlood, type TargetName, timedLoad } from '../scenarios.js';

export async function initFigures(harness: Harness, targets: Set<TargetName>): Promise<InitRecord[]> {
  const { options } = harness;
  const records: InitRecord[] = [];
  for (const name of ['gateway', 'sdk-v1-express'] as const) {
    if (!targets.has(name)) continue;
    const record: InitRecord = { target: name };
    records.push(record);
    try {
      await harness.withTarget(name, { gatewayDefaults: INITIALIZE_FLOOD_GATEWAY }, async (target) => {
        const requests = await initializeFlood(target);
        const label = `${name} initialize @${options.connections}`;
        log(`${label}: ${options.warmupSec} s warm-up + ${options.durationSec} s`);
        const load = timedLoad({ target, requests, uniqueIds: false }, options);
        const { result, serverCpuShare, otherCpu } = await harness.measure(target, load, label);
        harness.flagBadResponses(label, result);
        record.result = result;
        record.serverCpuShare = serverCpuShare;
        record.otherCpu = otherCpu;
        record.initsPerSec = result.sessionsCaptured / result.elapsedSec;
        log(`${label}: ${fmtInt(record.initsPerSec)} inits/s`);
      });
    } catch (error) {
      record.error = errorText(error);
    }
  }
  return records;
}
