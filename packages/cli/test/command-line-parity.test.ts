/**
 * The CDK refuses at synth a stdio command line the gateway would refuse at start, and `dev` hands the config's command
 * to the gateway: both only hold if the two splitters (one in each package, which may not depend on each other) agree.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { REPO_ROOT } from '../src/paths.js';

// Neither is public API of its package: each is loaded from its build.
const load = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(REPO_ROOT, path)).href)) as T;
const { parseCommandLine } = await load<{ parseCommandLine(line: string): string[] | undefined }>('packages/gateway/dist/src/config/command-line.js');
const { splitCommandLine } = await load<{ splitCommandLine(line: string): { words: string[] } | { error: string } }>('packages/cdk/dist/src/command-line.js');

/** What the CDK makes of a line, in the gateway's terms: the words, or undefined where it refuses. */
function cdkWords(line: string): string[] | undefined {
  const split = splitCommandLine(line);
  if ('words' in split) return split.words;
  // An empty line is refused by the gateway's config one level up (MCP_SERVER_COMMAND is then unset), not by its splitter.
  return split.error === 'empty' ? [] : undefined;
}

describe('the gateway and the CDK split a stdio command line alike', () => {
  test('GIVEN the documented cases THEN the same words, or the same refusal', () => {
    for (const line of [
      'npx -y @modelcontextprotocol/server-everything stdio',
      `python -c 'print("a\\b")'`,
      'node "/app/my server.js" "say \\"hi\\"" "C:\\\\x" "a\\nb"',
      `ls my\\ dir a"b c"'d'`,
      `run '' ""`,
      'echo $HOME *.js | wc > out',
      `python -c 'print(1)`,
      'node "a\\"',
      'node a\\',
      '   ',
    ]) {
      assert.deepEqual(cdkWords(line), parseCommandLine(line), line);
    }
  });

  test('GIVEN 2,000 generated lines of quotes, backslashes and whitespace THEN the same answer for each', () => {
    const line = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\t', '\n', "'", '"', '\\', '$', '*'), maxLength: 24 });
    fc.assert(
      fc.property(line, (text) => {
        assert.deepEqual(cdkWords(text), parseCommandLine(text), JSON.stringify(text));
      }),
      { numRuns: 2000 },
    );
  });
});
