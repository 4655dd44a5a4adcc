// Process start to first /healthz 200: the gateway's real entry point against a plain node:http process.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median } from '../lib/latency-samples.js';
import { timeToHealthy } from '../lib/startup-timer.js';
import { targetScript } from '../lib/target-process.js';
import { errorText, type Harness, log } from '../harness.js';
import type { StartRecord } from '../records.js';
import type { TargetName } from '../scenarios.js';

const GATEWAY_MAIN = fileURLToPath(new URL('../../../packages/gateway/dist/src/main.js', import.meta.url));

export async function startFigures(harness: Harness, targets: Set<TargetName>): Promise<StartRecord[]> {
  const { options } = harness;
  const plain: StartRecord = { process: 'plain node:http', runsMs: [] };
  const gateway: StartRecord = { process: 'gateway main.js', runsMs: [] };
  const withGateway = targets.has('gateway');
  if (withGateway && !existsSync(GATEWAY_MAIN)) gateway.error = 'packages/gateway/dist/src/main.js not built';
  log(`start to first /healthz 200: ${options.starts} starts each`);
  // Interleaved so drift (page cache, thermal) hits both alike.
  for (let run = 0; run < options.starts; run++) {
    await harness.quietGate(`start ${run + 1}`);
    if (plain.error === undefined) {
      try {
        plain.runsMs.push(await timeToHealthy(targetScript('plain-healthz')));
      } catch (error) {
        plain.error = errorText(error);
      }
    }
    if (withGateway && gateway.error === undefined) {
      try {
        gateway.runsMs.push(await timeToHealthy(GATEWAY_MAIN, { LOG_LEVEL: 'warn', ...options.gatewayEnv }));
      } catch (error) {
        gateway.error = errorText(error);
      }
    }
  }
  const records = withGateway ? [plain, gateway] : [plain];
  for (const record of records) {
    if (record.runsMs.length > 0) record.medianMs = median(record.runsMs);
  }
  return records;
}
