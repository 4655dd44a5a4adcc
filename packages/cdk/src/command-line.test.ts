import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitCommandLine } from './command-line.js';

describe('splitCommandLine (the gateway rules for MCP_SERVER_COMMAND)', () => {
  const words = (line: string) => {
    const result = splitCommandLine(line);
    assert.ok('words' in result, `${line}: ${JSON.stringify(result)}`);
    return result.words;
  };

  test('THEN words split on any run of whitespace', () => {
    assert.deepEqual(words('  uvx   mcp-server-fetch\t--ignore-robots-txt \n'), ['uvx', 'mcp-server-fetch', '--ignore-robots-txt']);
  });

  test('THEN single quotes keep everything literally, backslashes and double quotes included', () => {
    assert.deepEqual(words(`python -c 'print("a\\b")'`), ['python', '-c', 'print("a\\b")']);
  });

  test('THEN double quotes keep spaces, and \\" and \\\\ stand for " and \\; other backslashes stay', () => {
    assert.deepEqual(words('node "/app/my server.js" "say \\"hi\\"" "C:\\\\x" "a\\nb"'), ['node', '/app/my server.js', 'say "hi"', 'C:\\x', 'a\\nb']);
  });

  test('THEN outside quotes a backslash takes the next character literally, and quoted parts join their word', () => {
    assert.deepEqual(words('ls my\\ dir a"b c"\'d\''), ['ls', 'my dir', 'ab cd']);
    assert.deepEqual(words(`run '' ""`), ['run', '', '']);
  });

  test('THEN nothing is expanded: no variables, globs or operators', () => {
    assert.deepEqual(words('echo $HOME *.js | wc > out'), ['echo', '$HOME', '*.js', '|', 'wc', '>', 'out']);
  });

  test('WHEN a quote is unterminated, a backslash trails, or there is no word THEN it says which', () => {
    assert.deepEqual(splitCommandLine(`python -c 'print(1)`), { error: 'unterminated single quote' });
    assert.deepEqual(splitCommandLine('node "a\\"'), { error: 'unterminated double quote' });
    assert.deepEqual(splitCommandLine('node a\\'), { error: 'trailing backslash' });
    assert.deepEqual(splitCommandLine('   '), { error: 'empty' });
  });
});
