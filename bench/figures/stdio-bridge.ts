// tools/call of server-everything's `echo` through three stdio bridges in one run: the gateway (MCP_SERVER_COMMAND),
// supergateway --stateful and mcp-proxy. Each bridge and its children run on the server core; every row gets its
// paired plain-echo ceiling. Legacy sessions spread the connections over --bridge-sessions sessions, the same number for
// every bridge: one child each in the gateway and supergateway, all sharing mcp-proxy's one child.
import { fmtInt, fmtMs } from '../lib/text-table.js';
import { errorText, type Harness, log } from '../harness.js';
import type { BridgeCallRecord } from '../records.js';
import {
  bridgeSetup,
  closeSessions,
  type Prepared,
  prepareLegacySessions,
  prepareModern,
  STDIO_BRIDGES,
  type StdioBridge,
  type TargetName,
  timedLoad,
} from '../scenarios.js';

export const BRIDGE_MODES = ['legacy-session', 'modern'] as const;
export type BridgeMode = (typeof BRIDGE_MODES)[number];

export async function stdioFigures(harness: Harness, targets: Set<TargetName>): Promise<BridgeCallRecord[]> {
  const { options } = harness;
  const sessions = options.bridgeSessions;
  const records: BridgeCallRecord[] = [];
  const bridges = STDIO_BRIDGES.filter((bridge) => targets.has(bridge));
  const fail = (bridge: StdioBridge, error: string, modes: readonly BridgeMode[] = BRIDGE_MODES): void => {
    for (const mode of modes) records.push({ bridge, mode, connections: options.connections, error });
  };
  let plain: Prepared;
  try {
    plain = await harness.startCeiling();
  } catch (error) {
    for (const bridge of bridges) fail(bridge, `plain-echo: ${errorText(error)}`);
    return records;
  }
  try {
    for (const bridge of bridges) {
      try {
        await harness.withTarget(bridge, bridgeSetup(bridge, sessions), async (target) => {
          for (const mode of BRIDGE_MODES) {
            const label = `stdio ${bridge} ${mode} @${options.connections}`;
            const record: BridgeCallRecord = { bridge, mode, connections: options.connections };
            if (mode === 'legacy-session') record.sessions = sessions;
            records.push(record);
            let subject: Prepared | undefined;
            try {
              subject = mode === 'legacy-session' ? await prepareLegacySessions(target, sessions) : await prepareModern(target);
              log(`${label}${mode === 'legacy-session' ? ` over ${sessions} sessions` : ''}: ${options.warmupSec} s warm-up + ${options.durationSec} s`);
              const measured = await harness.measure(target, timedLoad(subject, options), label);
              harness.flagBadResponses(label, measured.result);
              Object.assign(record, {
                result: measured.result,
                serverCpuShare: measured.serverCpuShare,
                treeCpuShare: measured.treeCpuShare,
                processes: target.tree()?.processes,
                otherCpu: measured.otherCpu,
              });
              log(`${label}: ${fmtInt(measured.result.okPerSec)} req/s, p50 ${fmtMs(measured.result.latencyMs.p50)} ms, non-2xx ${measured.result.non2xx}`);
              record.pairedCeiling = await harness.ceilingAfter(plain, `stdio ${bridge} ${mode}`);
            } catch (error) {
              record.error = errorText(error);
              log(`${label}: ${record.error}`);
            } finally {
              if (subject !== undefined) await closeSessions(subject);
            }
          }
        });
      } catch (error) {
        log(`stdio ${bridge}: ${errorText(error)}`);
        const done = new Set(records.filter((record) => record.bridge === bridge).map((record) => record.mode));
        fail(
          bridge,
          errorText(error),
          BRIDGE_MODES.filter((mode) => !done.has(mode)),
        );
      }
    }
  } finally {
    await plain.target.stop();
  }
  return records;
}
